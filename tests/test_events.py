"""Appending events and reading them back: order, filters, temp state, lossless round trip."""

from __future__ import annotations

import dataclasses

import pytest

import adk_store
from adk_store import (
    Event,
    EventActions,
    EventExistsError,
    GetSessionConfig,
    InvalidArgumentError,
    SessionNotFoundError,
    StateSerializationError,
)

from ._db import dump

APP = "app"


async def _new_session(service: adk_store.SessionService, **state: object) -> adk_store.Session:
    return await service.create_session(app_name=APP, user_id="u", state=dict(state))


async def _reload(
    service: adk_store.SessionService,
    session: adk_store.Session,
    config: GetSessionConfig | None = None,
) -> adk_store.Session:
    loaded = await service.get_session(
        app_name=session.app_name, user_id=session.user_id, session_id=session.id, config=config
    )
    assert loaded is not None
    return loaded


async def test_append_applies_delta_to_every_scope(service: adk_store.SessionService) -> None:
    session = await _new_session(service, step=0)
    event = Event(
        author="agent",
        actions=EventActions(
            state_delta={"step": 1, "app:count": 5, "user:seen": True, "temp:draft": "d"}
        ),
    )
    returned = await service.append_event(session, event)

    assert returned is event
    assert session.state == {"step": 1, "app:count": 5, "user:seen": True, "temp:draft": "d"}
    assert session.events == [event]
    assert session.last_update_time == event.timestamp
    assert event.actions.state_delta == {"step": 1, "app:count": 5, "user:seen": True}

    loaded = await _reload(service, session)
    assert loaded.state == {"step": 1, "app:count": 5, "user:seen": True}
    assert [e.id for e in loaded.events] == [event.id]
    assert loaded.events[0].actions.state_delta == {"step": 1, "app:count": 5, "user:seen": True}
    assert loaded.last_update_time == event.timestamp
    assert await service.get_app_state(app_name=APP) == {"count": 5}
    assert await service.get_user_state(app_name=APP, user_id="u") == {"seen": True}


async def test_delta_merges_key_by_key(service: adk_store.SessionService) -> None:
    session = await _new_session(service, a=1, b={"x": 1})
    await service.append_event(
        session, Event(actions=EventActions(state_delta={"b": {"y": 2}, "c": 3}))
    )
    assert (await _reload(service, session)).state == {"a": 1, "b": {"y": 2}, "c": 3}


async def test_partial_events_are_returned_but_not_stored(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await _new_session(service)
    before = await dump(db_url)
    event = Event(author="model", partial=True, actions=EventActions(state_delta={"k": 1}))
    assert await service.append_event(session, event) is event
    assert session.events == []
    assert session.state == {}
    assert await dump(db_url) == before


async def test_temp_only_event_is_stored_with_an_empty_delta(
    service: adk_store.SessionService,
) -> None:
    session = await _new_session(service)
    await service.append_event(
        session, Event(author="a", actions=EventActions(state_delta={"temp:t": 1}))
    )
    assert session.state == {"temp:t": 1}
    loaded = await _reload(service, session)
    assert loaded.state == {}
    assert loaded.events[0].actions.state_delta == {}


async def test_events_come_back_in_append_order_whatever_their_timestamps(
    service: adk_store.SessionService,
) -> None:
    session = await _new_session(service)
    stamps = [500.0, 100.0, 100.0, 300.0, 0.5]
    for index, stamp in enumerate(stamps):
        await service.append_event(session, Event(author=f"a{index}", timestamp=stamp))
    loaded = await _reload(service, session)
    assert [e.author for e in loaded.events] == ["a0", "a1", "a2", "a3", "a4"]
    assert [e.timestamp for e in loaded.events] == stamps


@pytest.mark.parametrize(("recent", "expected"), [(None, 5), (0, 0), (2, 2), (5, 5), (9, 5)])
async def test_num_recent_events_returns_the_newest_oldest_first(
    service: adk_store.SessionService, recent: int | None, expected: int
) -> None:
    session = await _new_session(service)
    for index in range(5):
        await service.append_event(session, Event(author=f"a{index}"))
    loaded = await _reload(service, session, GetSessionConfig(num_recent_events=recent))
    assert [e.author for e in loaded.events] == [f"a{i}" for i in range(5 - expected, 5)]


async def test_after_timestamp_is_inclusive_and_combines_with_num_recent(
    service: adk_store.SessionService,
) -> None:
    session = await _new_session(service)
    for stamp in (10.0, 20.0, 20.0, 30.0, 40.0):
        await service.append_event(session, Event(author=str(stamp), timestamp=stamp))
    after = await _reload(service, session, GetSessionConfig(after_timestamp=20.0))
    assert [e.timestamp for e in after.events] == [20.0, 20.0, 30.0, 40.0]
    both = await _reload(
        service, session, GetSessionConfig(num_recent_events=3, after_timestamp=20)
    )
    assert [e.timestamp for e in both.events] == [20.0, 30.0, 40.0]
    future = await _reload(service, session, GetSessionConfig(after_timestamp=1e12))
    assert future.events == []
    everything = await _reload(service, session, GetSessionConfig(after_timestamp=-5.0))
    assert len(everything.events) == 5


def _rich_event() -> Event:
    return Event(
        author="model",
        content={
            "role": "model",
            "parts": [
                {"text": "naïve café ✓ 𝄞 😀 — \u2028 \\ \" '"},
                {"function_call": {"id": "c1", "name": "lookup", "args": {"q": [1, 2.5, None]}}},
                {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}},
            ],
        },
        actions=EventActions(
            state_delta={"k": [1, {"deep": [True, None]}]},
            artifact_delta={"report.pdf": 3},
            skip_summarization=True,
            transfer_to_agent="helper",
            escalate=False,
            requested_auth_configs={"c1": {"auth_scheme": "oauth2"}},
            requested_tool_confirmations={"c1": {"hint": "sure?", "confirmed": False}},
            compaction={"start_timestamp": 1.0, "end_timestamp": 2.0},
            end_of_agent=True,
            agent_state={"step": 3},
            rewind_before_invocation_id="inv-0",
            extra={"future_action": {"x": 1}},
        ),
        invocation_id="inv-1",
        branch="root.helper",
        timestamp=1732000000.123456789,
        turn_complete=True,
        interrupted=False,
        finish_reason="STOP",
        error_code="E42",
        error_message="x" * 100_000,
        long_running_tool_ids=["c1", "c2"],
        custom_metadata={"trace": "t"},
        usage_metadata={"prompt_token_count": 10},
        grounding_metadata={"web_search_queries": ["tides"]},
        citation_metadata={"citations": []},
        model_version="m-1",
        extra={"future_field": {"nested": [1, "two"]}, "another": None},
    )


async def test_every_event_field_round_trips(service: adk_store.SessionService) -> None:
    session = await _new_session(service)
    event = _rich_event()
    await service.append_event(session, event)
    (loaded,) = (await _reload(service, session)).events
    assert dataclasses.asdict(loaded) == dataclasses.asdict(event)


async def test_float_timestamps_come_back_bit_for_bit(service: adk_store.SessionService) -> None:
    session = await _new_session(service)
    stamps = [1732000000.1234567, 0.1 + 0.2, 1e-300, 2.0**53 + 2, 1732000000.0]
    for stamp in stamps:
        await service.append_event(session, Event(timestamp=stamp))
    loaded = await _reload(service, session)
    assert [e.timestamp for e in loaded.events] == stamps
    # The update time never goes back: the latest stamp, bit for bit.
    assert loaded.last_update_time == max(stamps)


async def test_integer_timestamp_is_stored_as_float(service: adk_store.SessionService) -> None:
    session = await _new_session(service)
    await service.append_event(session, Event(timestamp=1700000000))  # type: ignore[arg-type]
    stored = (await _reload(service, session)).events[0].timestamp
    assert stored == 1700000000.0
    assert type(stored) is float


async def test_nul_characters_round_trip(service: adk_store.SessionService) -> None:
    session = await _new_session(service)
    event = Event(
        author="a\x00b",
        content={"parts": [{"text": "nul\x00here"}]},
        actions=EventActions(state_delta={"k": "v\x00"}),
    )
    await service.append_event(session, event)
    (loaded,) = (await _reload(service, session)).events
    assert loaded.author == "a\x00b"
    assert loaded.content == {"parts": [{"text": "nul\x00here"}]}
    assert (await _reload(service, session)).state == {"k": "v\x00"}


async def test_escaped_backslash_u0000_text_is_not_mistaken_for_nul(
    service: adk_store.SessionService,
) -> None:
    session = await _new_session(service)
    text = "a literal \\u0000 is six characters"
    await service.append_event(session, Event(content={"text": text}))
    assert (await _reload(service, session)).events[0].content == {"text": text}


async def test_duplicate_event_id_raises_and_changes_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await _new_session(service)
    await service.append_event(session, Event(id="e1"))
    before = await dump(db_url)
    with pytest.raises(EventExistsError, match="e1"):
        await service.append_event(
            session, Event(id="e1", actions=EventActions(state_delta={"app:x": 1, "y": 2}))
        )
    assert await dump(db_url) == before
    assert len(session.events) == 1
    await service.append_event(session, Event(id="e2"))
    assert [e.id for e in (await _reload(service, session)).events] == ["e1", "e2"]


async def test_append_to_unknown_session_raises(
    service: adk_store.SessionService, db_url: str
) -> None:
    ghost = adk_store.Session(id="ghost", app_name=APP, user_id="u")
    before = await dump(db_url)
    with pytest.raises(SessionNotFoundError, match="ghost"):
        await service.append_event(
            ghost, Event(actions=EventActions(state_delta={"app:x": 1, "user:y": 1}))
        )
    assert await dump(db_url) == before


async def test_append_after_delete_raises_not_found(service: adk_store.SessionService) -> None:
    session = await _new_session(service)
    await service.delete_session(app_name=APP, user_id="u", session_id=session.id)
    with pytest.raises(SessionNotFoundError):
        await service.append_event(session, Event())


@pytest.mark.parametrize(
    "bad_value",
    [{1, 2}, b"bytes", float("nan"), float("inf"), object(), (1, 2), {1: "int key"}],
    ids=["set", "bytes", "nan", "inf", "object", "tuple", "int-key"],
)
async def test_unstorable_state_value_names_the_key_and_writes_nothing(
    service: adk_store.SessionService, db_url: str, bad_value: object
) -> None:
    session = await _new_session(service)
    before = await dump(db_url)
    delta = {"fine": 1, "app:ok": 2, "bad": bad_value}
    with pytest.raises(StateSerializationError, match="'bad'"):
        await service.append_event(session, Event(actions=EventActions(state_delta=delta)))
    with pytest.raises(StateSerializationError, match="'bad'"):
        await service.create_session(app_name=APP, user_id="u", state=delta)
    assert await dump(db_url) == before
    assert session.state == {}
    assert session.events == []


async def test_circular_state_is_refused(service: adk_store.SessionService) -> None:
    session = await _new_session(service)
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(StateSerializationError, match="circular"):
        await service.append_event(session, Event(actions=EventActions(state_delta={"k": loop})))


async def test_unstorable_content_is_refused(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await _new_session(service)
    before = await dump(db_url)
    with pytest.raises(StateSerializationError, match="content"):
        await service.append_event(session, Event(content={"data": b"\x89PNG"}))
    with pytest.raises(StateSerializationError):
        await service.append_event(session, Event(content={"text": "lone \udc80"}))
    assert await dump(db_url) == before


async def test_extra_fields_may_not_shadow_modelled_ones(
    service: adk_store.SessionService,
) -> None:
    session = await _new_session(service)
    with pytest.raises(InvalidArgumentError, match="author"):
        await service.append_event(session, Event(extra={"author": "someone else"}))
    with pytest.raises(InvalidArgumentError, match="escalate"):
        await service.append_event(session, Event(actions=EventActions(extra={"escalate": True})))


async def test_json_numbers_keep_their_type_and_value(service: adk_store.SessionService) -> None:
    values = [3.602879701896397e16, 1e16, -1.5e300, 1e-7, 1.0, 2**62, 10**20, 0.1]
    session = await _new_session(service, numbers=values)
    await service.append_event(
        session, Event(content={"numbers": values}, actions=EventActions(state_delta={"x": 1e17}))
    )
    loaded = await _reload(service, session)
    for stored in (loaded.state["numbers"], loaded.events[0].content["numbers"]):  # type: ignore[index]
        assert stored == values
        assert [type(v) for v in stored] == [type(v) for v in values]
    assert type(loaded.state["x"]) is float


@pytest.mark.parametrize(
    "content",
    [{"pair": (1, 2)}, {1: "int key"}, {"when": float("nan")}],
    ids=["tuple", "int-key", "nan"],
)
async def test_content_that_json_would_change_is_refused(
    service: adk_store.SessionService, db_url: str, content: dict[object, object]
) -> None:
    session = await _new_session(service)
    before = await dump(db_url)
    with pytest.raises(StateSerializationError, match="content"):
        await service.append_event(session, Event(content=content))  # type: ignore[arg-type]
    with pytest.raises(StateSerializationError, match="future"):
        await service.append_event(session, Event(extra={"future": content}))
    assert await dump(db_url) == before


async def test_a_closed_service_stays_closed(db_url: str) -> None:
    service = adk_store.SessionService(db_url, create_schema=True)
    await service.create_session(app_name=APP, user_id="u")
    await service.close()
    with pytest.raises(adk_store.AdkStoreError, match="closed"):
        await service.list_sessions(app_name=APP)


async def test_an_unreachable_database_raises_database_error(tmp_path: object) -> None:
    service = adk_store.SessionService(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", create_schema=True
    )
    with pytest.raises(adk_store.DatabaseError, match="cannot open the postgresql database"):
        await service.get_app_state(app_name=APP)
