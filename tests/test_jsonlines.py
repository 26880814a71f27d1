"""The export format: canonical lines that read back as the records that were written."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable

import pytest

import adk_store
from adk_store import (
    AppStateRecord,
    Event,
    EventActions,
    SessionRecord,
    UserStateRecord,
    read_jsonl,
)
from adk_store._jsonlines import (
    MAX_LINE_CHARS,
    RecordCounts,
    dump_record,
    header_line,
    load_record,
    trailer_line,
)

from .operations._contents import varied_event


def test_records_read_back_as_written() -> None:
    rng = random.Random(3)
    records: list[adk_store.StoredRecord] = [
        AppStateRecord("tutor", {"greeting": "hi", "nested": {"b": [1, 2.5]}}),
        UserStateRecord("tutor", "łukasz", {"name": "Łukasz"}),
        SessionRecord(
            "tutor",
            "łukasz",
            "s1",
            state={"topic": "tides"},
            create_time=1.5,
            update_time=2.25,
            events=[varied_event(rng, number) for number in range(8)],
        ),
    ]

    assert [load_record(dump_record(record)) for record in records] == records


def test_lines_are_canonical_json() -> None:
    record = AppStateRecord("tutor", {"z": 1, "a": {"y": "é", "b": 0.1}})

    line = dump_record(record)

    assert line == '{"app_name":"tutor","kind":"app_state","state":{"a":{"b":0.1,"y":"é"},"z":1}}'


def test_events_carry_only_what_is_set_and_unmodelled_fields_beside_the_rest() -> None:
    event = Event(
        id="e1",
        author="user",
        timestamp=5.0,
        actions=EventActions(escalate=True, extra={"future_action": 1}),
        extra={"future_field": None},
    )
    record = SessionRecord("a", "u", "s", events=[event])

    [stored] = json.loads(dump_record(record))["events"]

    assert stored == {
        "id": "e1",
        "author": "user",
        "invocation_id": "",
        "timestamp": 5.0,
        "actions": {"escalate": True, "future_action": 1},
        "future_field": None,
    }


def export_text(*lines: str) -> str:
    """An export of these record lines: header, the lines, and a trailer that counts them."""
    counts = RecordCounts()
    for line in lines:
        counts.add(load_record(line))
    return "".join(line + "\n" for line in (header_line(), *lines, trailer_line(counts)))


APP_STATE = dump_record(AppStateRecord("a", {}))
SESSION = dump_record(SessionRecord("a", "u", "s", events=[Event(id="e1"), Event(id="e2")]))


def test_an_export_starts_with_its_header_and_ends_with_its_trailer() -> None:
    text = export_text(APP_STATE, SESSION)

    assert text.splitlines()[0] == '{"format":"adk-store","kind":"header","version":3}'
    assert text.splitlines()[-1] == (
        '{"app_states":1,"events":2,"kind":"trailer","memories":0,"sessions":1,"user_states":0}'
    )
    assert [type(record) for record in read_jsonl(io.StringIO(text))] == [
        AppStateRecord,
        SessionRecord,
    ]


def test_blank_lines_are_skipped() -> None:
    text = export_text(APP_STATE).replace(APP_STATE, "\n" + APP_STATE + "\n") + "\n"

    assert list(read_jsonl(io.StringIO(text))) == [AppStateRecord("a", {})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no adk-store header"),
        ('{"kind":"app_state","app_name":"a","state":{}}\n', "line 1 is not an adk-store export"),
        ("\n" + header_line() + "\n", "line 1 is not an adk-store export"),
        ('{"format":"adk-store","kind":"header","version":99}\n', "format version 99"),
        (
            '{"format":"adk-store","kind":"header","version":1}\n',
            "version 1, which has no trailer",
        ),
        (header_line() + '\n{"kind":"other"}\n', "line 2 .*unknown kind"),
        (header_line() + '\n{"kind":"app_state","state":{}}\n', "line 2 .*missing 'app_name'"),
        (header_line() + '\n{"kind":"app_state","app_name":1,"state":{}}\n', "app_name"),
        (header_line() + "\nnot json\n", "line 2"),
        (header_line() + '\n{"kind":"app_state","app_name":"a","state":{"x":NaN}}\n', "NaN"),
        (
            header_line() + '\n{"kind":"session","app_name":"a","user_id":"u","id":"s","state":{},'
            '"create_time":"x","update_time":1,"events":[]}\n',
            "create_time must be a number",
        ),
        (
            header_line() + '\n{"kind":"session","app_name":"a","user_id":"u","id":"s","state":{},'
            f'"create_time":1{"0" * 400},"update_time":1,"events":[]}}\n',
            "line 2 .*create_time must be finite",
        ),
        (
            header_line() + '\n{"kind":"session","app_name":"a","user_id":"u","id":"s","state":{},'
            f'"create_time":1,"update_time":1,"events":[{{"timestamp":1{"0" * 400}}}]}}\n',
            "line 2 .*timestamp must be finite",
        ),
        (header_line() + "\n" + "[" * 100_000 + "]" * 100_000 + "\n", "line 2 .*nested too"),
        ("[" * 100_000 + "]" * 100_000 + "\n", "line 1 is longer than the 1,024"),
    ],
)
def test_a_bad_export_is_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(adk_store.InvalidArgumentError, match=message):
        list(read_jsonl(io.StringIO(text)))


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (lambda text: text.rsplit("\n", 2)[0] + "\n", "ends without its trailer, after 1 app"),
        (lambda text: text[: text.index(SESSION) + 10], "ends inside line 3"),
        (lambda text: text[:-5], "ends inside line 4"),
        (lambda text: text.replace(APP_STATE + "\n", ""), "counts 1 app states.* hold 0 app"),
        (lambda text: text + APP_STATE + "\n", "line 5 follows the trailer"),
        (lambda text: text + text, "line 5 follows the trailer"),
        (lambda text: text.replace('"events":2', '"events":true'), "not an adk-store trailer"),
        (lambda text: text.replace('"events":2,', ""), "not an adk-store trailer"),
    ],
    ids=[
        "after a record",
        "inside a record",
        "inside the trailer",
        "a record missing",
        "a record after the trailer",
        "two exports joined",
        "a count that is not a number",
        "a count missing",
    ],
)
def test_an_export_cut_short_or_changed_is_refused(
    cut: Callable[[str], str], message: str
) -> None:
    text = cut(export_text(APP_STATE, SESSION))

    with pytest.raises(adk_store.InvalidArgumentError, match=message):
        list(read_jsonl(io.StringIO(text)))


def test_a_line_longer_than_the_bound_is_refused_without_reading_on() -> None:
    endless = io.StringIO(header_line() + "\n" + "\0" * (MAX_LINE_CHARS + 10))

    with pytest.raises(adk_store.InvalidArgumentError, match="line 2 is longer than"):
        list(read_jsonl(endless))
    assert endless.tell() <= len(header_line()) + 1 + MAX_LINE_CHARS + 1


MEMORY = adk_store.Memory(
    app_name="a",
    user_id="u",
    id="m1",
    text="likes tides 潮汐 nul \x00",
    content={"role": "user", "parts": [{"text": "likes tides"}]},
    custom_metadata={"k": [1, 2.5, None]},
    session_id="s",
    event_id="e1",
    author="user",
    timestamp=1_700_000_000.123456,
)


def test_a_memory_reads_back_as_it_was_written_with_every_field_spelled() -> None:
    line = dump_record(MEMORY)

    assert load_record(line) == MEMORY
    assert set(json.loads(line)) == {
        "kind",
        "app_name",
        "user_id",
        "id",
        "text",
        "content",
        "custom_metadata",
        "session_id",
        "event_id",
        "author",
        "timestamp",
    }
    bare = adk_store.Memory(app_name="a", user_id="u", id="m2", text="t")
    assert '"content":null' in dump_record(bare)
    assert load_record(dump_record(bare)) == bare


def test_memories_are_counted_in_the_trailer() -> None:
    text = export_text(APP_STATE, SESSION, dump_record(MEMORY))

    assert json.loads(text.splitlines()[-1])["memories"] == 1
    assert list(read_jsonl(io.StringIO(text)))[-1] == MEMORY
    missing = text.replace(dump_record(MEMORY) + "\n", "")
    with pytest.raises(adk_store.InvalidArgumentError, match=r"counts .*1 memories.* 0 memories"):
        list(read_jsonl(io.StringIO(missing)))


VERSION_2_HEADER = '{"format":"adk-store","kind":"header","version":2}'
VERSION_2_TRAILER = '{"app_states":1,"events":2,"kind":"trailer","sessions":1,"user_states":0}'


def test_an_export_of_format_version_2_without_memories_still_reads() -> None:
    text = "\n".join([VERSION_2_HEADER, APP_STATE, SESSION, VERSION_2_TRAILER]) + "\n"

    assert [type(record) for record in read_jsonl(io.StringIO(text))] == [
        AppStateRecord,
        SessionRecord,
    ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [VERSION_2_HEADER, APP_STATE, SESSION, dump_record(MEMORY), VERSION_2_TRAILER],
            "line 4 is a memory, which an export of format version 2 cannot hold",
        ),
        (
            [
                VERSION_2_HEADER,
                APP_STATE,
                SESSION,
                VERSION_2_TRAILER.replace('"user_states"', '"memories":0,"user_states"'),
            ],
            "not an adk-store trailer of format version 2",
        ),
        (
            [header_line(), APP_STATE, SESSION, VERSION_2_TRAILER],
            "not an adk-store trailer of format version 3: .*memories",
        ),
    ],
    ids=["a memory in version 2", "version 2 counting memories", "version 3 not counting them"],
)
def test_a_trailer_or_record_of_the_other_format_version_is_refused(
    lines: list[str], message: str
) -> None:
    with pytest.raises(adk_store.InvalidArgumentError, match=message):
        list(read_jsonl(io.StringIO("\n".join(lines) + "\n")))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": None}, "text must be a string"),
        ({"content": "hi"}, "content must be an object or null"),
        ({"custom_metadata": None}, "custom_metadata must be an object"),
        ({"session_id": 7}, "session_id must be a string or null"),
        ({"timestamp": "now"}, "timestamp must be a number"),
        ({"author": ...}, "missing 'author'"),
    ],
)
def test_a_malformed_memory_line_is_refused_naming_the_field(
    change: dict[str, object], message: str
) -> None:
    document = json.loads(dump_record(MEMORY))
    document.update(change)
    document = {key: value for key, value in document.items() if value is not ...}

    with pytest.raises(adk_store.InvalidArgumentError, match=f"line 2 .*{message}"):
        load_record(json.dumps(document), "line 2")
