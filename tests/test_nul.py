"""NUL (U+0000) in any text is stored and read back exactly, on both databases.

PostgreSQL cannot store NUL in TEXT or JSONB; adk-store stores it there as U+0001 "0" (and
U+0001 itself as U+0001 "1"). Callers never see the encoding; SQLite stores text as it is.
"""

from __future__ import annotations

import json

import pytest

import adk_store
from adk_store import Event, EventActions, InvalidArgumentError

from ._db import dump, raw_fetch

APP = "app"
NUL_TEXT = "bin\x00ary \x01 tail\x00"
NUL_KEY = "k\x00ey\x01"

STATE_DELTA = {
    NUL_KEY: NUL_TEXT,
    "plain": {"nested\x00key": [NUL_TEXT, "\x01", "\x010", "\\u0000"]},
    f"app:{NUL_KEY}": NUL_TEXT,
    f"user:{NUL_KEY}": NUL_TEXT,
}
EXPECTED_STATE = {**STATE_DELTA}


def nul_event(**fields: object) -> Event:
    return Event(
        author="tool\x00",
        invocation_id="inv\x00\x01",
        branch="root.\x00",
        error_code="E\x00",
        error_message="failed: \x00\x01\x00",
        content={"parts": [{"text": NUL_TEXT}], NUL_KEY: {NUL_KEY: NUL_TEXT}},
        actions=EventActions(state_delta=dict(STATE_DELTA), extra={"route\x00": "r\x00"}),
        custom_metadata={NUL_KEY: NUL_TEXT},
        extra={"output": NUL_TEXT},
        **fields,  # type: ignore[arg-type]
    )


async def _reload(service: adk_store.SessionService, session_id: str) -> adk_store.Session:
    loaded = await service.get_session(app_name=APP, user_id="u", session_id=session_id)
    assert loaded is not None
    return loaded


async def test_nul_in_every_event_field_and_state_reads_back_exactly(
    service: adk_store.SessionService,
) -> None:
    session = await service.create_session(
        app_name=APP, user_id="u", session_id="s", state={NUL_KEY: "created\x00"}
    )
    event = nul_event()
    await service.append_event(session, event)

    loaded = await _reload(service, "s")
    assert loaded.events == [event]
    assert loaded.state == {**EXPECTED_STATE}
    assert await service.get_app_state(app_name=APP) == {NUL_KEY: NUL_TEXT}
    assert await service.get_user_state(app_name=APP, user_id="u") == {NUL_KEY: NUL_TEXT}
    listed = await service.list_sessions(app_name=APP)
    assert listed.sessions[0].state == loaded.state


async def test_keys_with_nul_merge_like_any_other_key_in_every_scope(
    service: adk_store.SessionService,
) -> None:
    first = await service.create_session(app_name=APP, user_id="u", session_id="first")
    second = await service.create_session(app_name=APP, user_id="u", session_id="second")
    for step in range(3):
        delta = {
            prefix + key: f"{key}{step}"
            for prefix in ("", "app:", "user:")
            for key in ("k\x00", "k\x01", "k", "k\x010")
        }
        await service.append_event(first, Event(actions=EventActions(state_delta=delta)))
    state = (await _reload(service, "first")).state
    for prefix in ("", "app:", "user:"):
        for key in ("k\x00", "k\x01", "k", "k\x010"):
            assert state[prefix + key] == f"{key}2"
    assert len(state) == 12
    assert len((await _reload(service, "second")).state) == 8
    assert second.revision == 0


async def test_a_stale_append_with_nul_catches_the_caller_up_exactly(
    service: adk_store.SessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id="u", session_id="s")
    stale = await _reload(service, "s")
    missed = nul_event()
    await service.append_event(session, missed)
    event = Event(actions=EventActions(state_delta={"k\x00": "later\x00"}))
    await service.append_event(stale, event, allow_stale=True)
    assert stale.events == [missed, event]
    assert stale.state == {**EXPECTED_STATE, "k\x00": "later\x00"}
    assert (await _reload(service, "s")).events == [missed, event]


async def test_the_stored_encoding_is_the_documented_one(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await service.create_session(app_name=APP, user_id="u", session_id="s")
    await service.append_event(
        session,
        Event(
            author="a\x00b\x01c",
            content={"text": "plain text"},
            actions=EventActions(state_delta={"k\x00": "v\x01"}),
        ),
    )
    (author, content), *_ = await raw_fetch(
        db_url, "SELECT author, content FROM adk_events WHERE session_id = 's'"
    )
    ((state,),) = await raw_fetch(db_url, "SELECT state FROM adk_sessions WHERE id = 's'")
    if service.dialect_name != "postgresql":  # PostgreSQL alone cannot store NUL
        assert author == "a\x00b\x01c"
        assert json.loads(state) == {"k\x00": "v\x01"}
    else:
        assert author == "a\x010b\x011c"
        assert json.loads(state) == {"k\x010": "v\x011"}
    assert json.loads(content) == {"text": "plain text"}


async def test_ids_keep_refusing_nul(service: adk_store.SessionService, db_url: str) -> None:
    session = await service.create_session(app_name=APP, user_id="u", session_id="s")
    before = await dump(db_url)
    with pytest.raises(InvalidArgumentError, match="NUL"):
        await service.create_session(app_name=APP, user_id="u", session_id="s\x00")
    with pytest.raises(InvalidArgumentError, match="NUL"):
        await service.append_event(session, Event(id="e\x00"))
    assert await dump(db_url) == before
