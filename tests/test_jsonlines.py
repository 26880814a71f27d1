"""The export format: canonical lines that read back as the records that were written."""

from __future__ import annotations

import io
import json
import random

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
from adk_store._jsonlines import dump_record, header_line, load_record

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


def test_an_export_starts_with_its_header() -> None:
    stream = io.StringIO(header_line() + "\n" + dump_record(AppStateRecord("a", {})) + "\n\n")

    assert list(read_jsonl(stream)) == [AppStateRecord("a", {})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no adk-store header"),
        ('{"kind":"app_state","app_name":"a","state":{}}\n', "line 1 is not an adk-store export"),
        ('{"format":"adk-store","kind":"header","version":99}\n', "format version 99"),
        (header_line() + '\n{"kind":"other"}\n', "line 2 .*unknown kind"),
        (header_line() + '\n{"kind":"app_state","state":{}}\n', "line 2 .*missing 'app_name'"),
        (header_line() + '\n{"kind":"app_state","app_name":1,"state":{}}\n', "app_name"),
        (header_line() + "\nnot json\n", "line 2"),
        (
            header_line() + '\n{"kind":"session","app_name":"a","user_id":"u","id":"s","state":{},'
            '"create_time":"x","update_time":1,"events":[]}\n',
            "create_time must be a number",
        ),
    ],
)
def test_a_bad_export_is_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(adk_store.InvalidArgumentError, match=message):
        list(read_jsonl(io.StringIO(text)))
