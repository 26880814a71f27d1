"""Import holds a recorded session to the rules ``create_session`` holds state to, and refuses
before its first write: one rule for values nested too deep, whichever way they come in."""

from __future__ import annotations

import io
from typing import Any

import pytest

import adk_store
from adk_store import (
    AppStateRecord,
    Event,
    SessionRecord,
    StateSerializationError,
    UserStateRecord,
    import_jsonl,
)
from adk_store._jsonlines import RecordCounts, dump_record, header_line, trailer_line

from .._db import dump


def nested(levels: int) -> Any:
    """A value ``levels`` lists deep around a number."""
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def export_text(*records: adk_store.StoredRecord) -> str:
    counts = RecordCounts()
    lines = [header_line()]
    for record in records:
        lines.append(dump_record(record))
        counts.add(record)
    lines.append(trailer_line(counts))
    return "\n".join(lines) + "\n"


def session(session_id: str, **fields: Any) -> SessionRecord:
    return SessionRecord("app", "ada", session_id, create_time=1.0, update_time=2.0, **fields)


async def creates(service: adk_store.SessionService, state: dict[str, Any]) -> bool:
    try:
        await service.create_session(app_name="app", user_id="ada", session_id="new", state=state)
    except StateSerializationError:
        return False
    return True


async def imports(service: adk_store.SessionService, state: dict[str, Any]) -> bool:
    try:
        await service.import_session(session("imported", state=state))
    except StateSerializationError:
        return False
    return True


@pytest.mark.parametrize("levels", [255, 256, 257])
async def test_import_session_and_create_session_take_the_same_depths(
    service: adk_store.SessionService, levels: int
) -> None:
    state = {"deep": nested(levels)}

    assert await imports(service, state) == await creates(service, state)


async def test_too_deep_session_state_in_an_export_writes_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    text = export_text(session("fine"), session("deep", state={"deep": nested(300)}))
    before = await dump(db_url)

    with pytest.raises(StateSerializationError, match="'deep'"):
        await import_jsonl(service, io.StringIO(text))

    assert await dump(db_url) == before


async def test_too_deep_event_content_in_a_later_session_writes_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    deep_event = Event(id="e1", author="user", timestamp=1.0, content={"parts": nested(300)})
    text = export_text(session("fine"), session("deep", events=[deep_event]))
    before = await dump(db_url)

    with pytest.raises(StateSerializationError, match="'e1'"):
        await import_jsonl(service, io.StringIO(text))

    assert await dump(db_url) == before


@pytest.mark.parametrize(
    "record",
    [
        AppStateRecord("app", {"deep": nested(300)}),
        UserStateRecord("app", "ada", {"deep": nested(300)}),
    ],
    ids=["app state", "user state"],
)
async def test_too_deep_app_or_user_state_is_refused_before_the_first_write(
    service: adk_store.SessionService, db_url: str, record: adk_store.StoredRecord
) -> None:
    text = export_text(session("fine"), record)
    before = await dump(db_url)

    with pytest.raises(StateSerializationError, match="'deep'"):
        await import_jsonl(service, io.StringIO(text))
    import_state = (
        service.import_app_state(record)
        if isinstance(record, AppStateRecord)
        else service.import_user_state(record)  # type: ignore[arg-type]
    )
    with pytest.raises(StateSerializationError, match="'deep'"):
        await import_state

    assert await dump(db_url) == before


async def test_a_session_check_refuses_before_the_first_write(
    service: adk_store.SessionService, db_url: str
) -> None:
    text = export_text(session("fine"), session("refused"))
    before = await dump(db_url)

    def refuse_the_second(record: SessionRecord) -> None:
        if record.id == "refused":
            raise adk_store.InvalidArgumentError("refused by the check")

    with pytest.raises(adk_store.InvalidArgumentError, match="refused by the check"):
        await import_jsonl(service, io.StringIO(text), check_session=refuse_the_second)

    assert await dump(db_url) == before
