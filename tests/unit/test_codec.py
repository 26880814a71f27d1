"""Objects to row values and back, for each dialect, without a database."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adk_store import Event, EventActions, InvalidArgumentError, StateSerializationError
from adk_store._codec import RowCodec, revision_from_row
from adk_store._event_codec import EventColumns
from adk_store._schema import EVENT_COLUMNS
from adk_store._state import split_state_delta
from adk_store.dialects import Dialect, PostgresDialect, SqliteOptions, dialect_for


@pytest.fixture(params=["sqlite+aiosqlite:///app.db", "postgresql+asyncpg://localhost/app"])
def dialect(request: pytest.FixtureRequest) -> Dialect:
    return dialect_for(request.param, SqliteOptions())


def _stored_row(codec: RowCodec, event: Event, seq: int) -> tuple[Any, ...]:
    values = codec.event_values(event)
    return tuple(seq if name == "seq" else values[name] for name in EVENT_COLUMNS)


def test_an_event_reads_back_as_it_was_written(dialect: Dialect) -> None:
    codec = RowCodec(dialect)
    event = Event(
        author="model",
        invocation_id="inv-1",
        branch="root.child",
        content={"role": "model", "parts": [{"text": "héllo"}]},
        actions=EventActions(
            state_delta={"k": 1}, transfer_to_agent="other", extra={"route": "r1"}
        ),
        turn_complete=True,
        long_running_tool_ids=["t1"],
        error_code="E1",
        extra={"output": {"x": [1, 2]}},
    )
    (read,) = codec.events_from_rows([_stored_row(codec, event, 1)])
    assert read == event


def test_several_events_keep_their_order_and_empty_content(dialect: Dialect) -> None:
    codec = RowCodec(dialect)
    written = [Event(author="user", content=None, timestamp=float(n)) for n in range(3)]
    rows = [_stored_row(codec, event, seq) for seq, event in enumerate(written, 1)]
    assert codec.events_from_rows(rows) == written
    assert codec.events_from_rows([]) == []


@pytest.mark.parametrize(
    ("event", "says"),
    [
        (Event(timestamp=float("nan")), "finite"),
        (Event(timestamp="1"), "timestamp must be a float"),  # type: ignore[arg-type]
        (Event(author=3), "author must be a str"),  # type: ignore[arg-type]
        (Event(extra={"author": "x"}), "repeats modelled field"),
        (Event(actions=EventActions(extra={"escalate": True})), "repeats modelled field"),
    ],
)
def test_events_that_would_not_read_back_are_refused(
    dialect: Dialect, event: Event, says: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=says):
        RowCodec(dialect).event_values(event)


def test_values_json_cannot_hold_are_refused(dialect: Dialect) -> None:
    with pytest.raises(StateSerializationError):
        RowCodec(dialect).event_values(Event(content={"parts": ("a", "tuple")}))


def test_postgresql_gets_big_floats_spelled_out() -> None:
    codec = RowCodec(PostgresDialect())
    assert codec.state_json({"big": 1e16, "text": "1e+16"}, "state") == (
        '{"big":10000000000000000.0,"text":"1e+16"}'
    )


def test_postgresql_gets_nul_and_its_escape_encoded_and_other_text_unchanged() -> None:
    codec = RowCodec(PostgresDialect())
    assert codec.state_json({"k\x00": ["\x00", "\x01", "\\u0000", "é"]}, "state") == (
        '{"k\\u00010":["\\u00010","\\u00011","\\\\u0000","é"]}'
    )
    plain = {"text": "no NUL here \\u0001", "n": 1}
    assert codec.state_json(plain, "state") == json.dumps(
        plain, ensure_ascii=False, separators=(",", ":")
    )
    assert codec.event_values(Event(author="a\x00\x01b"))["author"] == "a\x010\x011b"
    assert codec.event_values(Event(author="plain"))["author"] == "plain"


@pytest.mark.parametrize(
    "text", ["", "\x00", "\x01", "\x010", "\x011", "\x01\x01\x00\x00", "\\u0000\x00", "a\x01b"]
)
def test_every_text_reads_back_from_postgresql_encoding_exactly(text: str) -> None:
    dialect = PostgresDialect()
    codec = RowCodec(dialect)
    assert dialect.restore_text(dialect.encode_text(text)) == text
    state = {text: text, "k": [text, {text: text}]}
    assert codec.state_from_value(codec.state_json(state, "state")) == state


def test_shared_state_json_is_none_for_an_unchanged_scope(dialect: Dialect) -> None:
    shared = RowCodec(dialect).shared_state_json(split_state_delta({"app:a": 1, "s": 2}), "x")
    assert shared.app_json == '{"a":1}'
    assert shared.user_json is None


def test_a_session_row_becomes_a_session_with_merged_scopes() -> None:
    row = ("app", "u1", "s1", '{"k":1}', 4, 20.0, '{"a":2}', None, 10.0, 15.0)
    session = RowCodec(PostgresDialect()).session_from_row(row, [])
    assert session.state == {"k": 1, "app:a": 2}
    assert (session.app_name, session.user_id, session.id) == ("app", "u1", "s1")
    assert (session.revision, session.last_update_time, session.create_time) == (4, 20.0, 10.0)
    assert session.last_event_time == 15.0


def test_event_rows_become_documents_with_their_fields_by_name() -> None:
    row = (3, "e1", "inv", "user", None, 1.5, None, "x\x01" + "0y", None, '{"a":1}', '{"z":[1]}')
    codec = RowCodec(PostgresDialect())
    (document,) = codec.event_documents_from_rows([row])
    assert json.loads(document) == {
        "id": "e1",
        "invocation_id": "inv",
        "author": "user",
        "branch": None,
        "timestamp": 1.5,
        "error_code": None,
        "error_message": "x\x00y",
        "content": None,
        "actions": {"a": 1},
        "z": [1],
    }
    assert EventColumns._fields == EVENT_COLUMNS


def test_state_and_revision_rows() -> None:
    codec = RowCodec(PostgresDialect())
    assert codec.state_from_value(None) == {}
    assert codec.state_from_value('{"a":[1]}') == {"a": [1]}
    assert codec.scopes_from_row((None, '{"b":true}')) == ({}, {"b": True})
    assert revision_from_row((3, 1.5)) == (3, 1.5)
