"""AdkSessionService keeps google-adk's session contract, on both databases and backends."""

from __future__ import annotations

import databases
import pytest
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import (
    SessionNotFoundError as AdkSessionNotFoundError,
)
from google.adk.events import Event, EventActions
from google.adk.sessions import Session
from google.adk.sessions.base_session_service import GetSessionConfig
from google.genai import types

import adk_store
from adk_store.adk import AdkSessionService, session_service_factory

from ._google_adk import AdkStaleSessionError

APP = "app"


def state_event(delta: dict[str, object], **fields: object) -> Event:
    return Event(
        author="agent", invocation_id="inv", actions=EventActions(state_delta=delta), **fields
    )


async def test_create_returns_an_adk_session_with_merged_state(
    adk_service: AdkSessionService,
) -> None:
    session = await adk_service.create_session(
        app_name=APP, user_id="u1", state={"app:theme": "dark", "user:name": "Ada", "step": 1}
    )
    assert isinstance(session, Session)
    assert session.state == {"app:theme": "dark", "user:name": "Ada", "step": 1}
    assert session.events == []
    assert session.last_update_time > 0


async def test_duplicate_id_raises_adk_already_exists(adk_service: AdkSessionService) -> None:
    await adk_service.create_session(app_name=APP, user_id="u1", session_id="s1")
    with pytest.raises(AlreadyExistsError) as caught:
        await adk_service.create_session(app_name=APP, user_id="u1", session_id="s1")
    assert isinstance(caught.value, adk_store.SessionExistsError)
    assert str(caught.value).startswith("Session with id s1 already exists")
    assert "user 'u1' in app 'app'" in str(caught.value)


async def test_append_applies_adk_in_memory_side_effects(adk_service: AdkSessionService) -> None:
    session = await adk_service.create_session(app_name=APP, user_id="u1")
    later = session.last_update_time + 1234.5  # update times never go back
    event = state_event({"temp:scratch": 1, "step": 2, "user:name": "Ada"}, timestamp=later)
    returned = await adk_service.append_event(session, event)
    assert returned is event
    assert event.actions.state_delta == {"step": 2, "user:name": "Ada"}
    assert session.state == {"temp:scratch": 1, "step": 2, "user:name": "Ada"}
    assert session.events == [event]
    assert session.last_update_time == later
    loaded = await adk_service.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert loaded is not None
    assert loaded.state == {"step": 2, "user:name": "Ada"}
    assert [stored.model_dump() for stored in loaded.events] == [event.model_dump()]
    assert loaded.last_update_time == later


async def test_partial_events_are_neither_stored_nor_applied(
    adk_service: AdkSessionService,
) -> None:
    session = await adk_service.create_session(app_name=APP, user_id="u1")
    await adk_service.append_event(session, state_event({"temp:x": 1, "k": 1}, partial=True))
    assert session.state == {}
    assert session.events == []
    loaded = await adk_service.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert loaded is not None
    assert loaded.events == []


async def test_get_session_honours_adk_config(adk_service: AdkSessionService) -> None:
    session = await adk_service.create_session(app_name=APP, user_id="u1")
    for second in range(1, 6):
        await adk_service.append_event(session, state_event({}, timestamp=float(second)))
    key = {"app_name": APP, "user_id": "u1", "session_id": session.id}

    async def timestamps(config: GetSessionConfig) -> list[float]:
        loaded = await adk_service.get_session(**key, config=config)
        assert loaded is not None
        return [event.timestamp for event in loaded.events]

    assert await timestamps(GetSessionConfig(num_recent_events=2)) == [4.0, 5.0]
    assert await timestamps(GetSessionConfig(num_recent_events=0)) == []
    assert await timestamps(GetSessionConfig(after_timestamp=3.0)) == [3.0, 4.0, 5.0]
    assert await timestamps(GetSessionConfig(num_recent_events=2, after_timestamp=4.5)) == [5.0]
    assert await adk_service.get_session(app_name=APP, user_id="u1", session_id="nope") is None


async def test_list_sessions_with_and_without_user(adk_service: AdkSessionService) -> None:
    first = await adk_service.create_session(app_name=APP, user_id="u1", state={"k": 1})
    second = await adk_service.create_session(app_name=APP, user_id="u2")
    await adk_service.append_event(first, state_event({"user:seen": True}))
    everyone = await adk_service.list_sessions(app_name=APP)
    assert [session.id for session in everyone.sessions] == [second.id, first.id]
    only_u1 = await adk_service.list_sessions(app_name=APP, user_id="u1")
    assert [(s.id, s.state, s.events) for s in only_u1.sessions] == [
        (first.id, {"k": 1, "user:seen": True}, [])
    ]


async def test_delete_session_and_user_state(adk_service: AdkSessionService) -> None:
    session = await adk_service.create_session(app_name=APP, user_id="u1", state={"user:a": 1})
    await adk_service.delete_session(app_name=APP, user_id="u1", session_id=session.id)
    assert await adk_service.get_session(app_name=APP, user_id="u1", session_id=session.id) is None
    await adk_service.delete_session(app_name=APP, user_id="u1", session_id=session.id)
    assert await adk_service.get_user_state(app_name=APP, user_id="u1") == {"a": 1}
    assert await adk_service.get_user_state(app_name=APP, user_id="nobody") == {}


async def test_a_superseded_session_raises_adk_stale_error(adk_service: AdkSessionService) -> None:
    created = await adk_service.create_session(app_name=APP, user_id="u1")
    key = {"app_name": APP, "user_id": "u1", "session_id": created.id}
    first = await adk_service.get_session(**key)
    second = await adk_service.get_session(**key)
    assert first is not None
    assert second is not None
    await adk_service.append_event(first, state_event({"k": "first"}))
    with pytest.raises(AdkStaleSessionError) as caught:
        await adk_service.append_event(second, state_event({"k": "second"}))
    assert isinstance(caught.value, adk_store.StaleSessionError)
    message = str(caught.value)
    assert message.startswith("The session has been modified in storage since it was loaded")
    assert f"session {created.id!r} of user 'u1' in app 'app'" in message
    assert "holds revision 0, the stored session is at 1" in message
    assert "AdkSessionService(..., allow_stale_appends=True)" in message
    assert "allow_stale=True" not in message
    loaded = await adk_service.get_session(**key)
    assert loaded is not None
    assert loaded.state == {"k": "first"}
    await adk_service.append_event(first, state_event({"k": "again"}))


async def test_a_session_deleted_and_created_again_is_another_session(
    adk_service: AdkSessionService,
) -> None:
    old = await adk_service.create_session(app_name=APP, user_id="u1", session_id="s")
    await adk_service.delete_session(app_name=APP, user_id="u1", session_id="s")
    await adk_service.create_session(app_name=APP, user_id="u1", session_id="s", state={"k": 0})
    with pytest.raises(AdkStaleSessionError):
        await adk_service.append_event(old, state_event({"k": "from the old one"}))
    loaded = await adk_service.get_session(app_name=APP, user_id="u1", session_id="s")
    assert loaded is not None
    assert loaded.state == {"k": 0}
    assert loaded.events == []


async def test_copies_of_a_session_are_checked_for_staleness(
    adk_service: AdkSessionService,
) -> None:
    session = await adk_service.create_session(app_name=APP, user_id="u1")
    copy = session.model_copy(deep=True)
    await adk_service.append_event(session, state_event({"k": 1}))
    with pytest.raises(AdkStaleSessionError):
        await adk_service.append_event(copy, state_event({"k": 2}))


async def test_a_session_built_by_hand_is_adopted_when_current(
    adk_service: AdkSessionService,
) -> None:
    created = await adk_service.create_session(app_name=APP, user_id="u1")
    await adk_service.append_event(created, state_event({"k": 1}))
    current = Session(
        id=created.id, app_name=APP, user_id="u1", events=list(created.events), state={}
    )
    await adk_service.append_event(current, state_event({"k": 2}))
    behind = Session(id=created.id, app_name=APP, user_id="u1")
    with pytest.raises(AdkStaleSessionError):
        await adk_service.append_event(behind, state_event({"k": 3}))
    loaded = await adk_service.get_session(app_name=APP, user_id="u1", session_id=created.id)
    assert loaded is not None
    assert loaded.state == {"k": 2}
    assert len(loaded.events) == 2


async def test_append_to_a_missing_session_raises_adk_not_found(
    adk_service: AdkSessionService,
) -> None:
    ghost = Session(id="ghost", app_name=APP, user_id="u1")
    with pytest.raises(AdkSessionNotFoundError) as caught:
        await adk_service.append_event(ghost, state_event({"k": 1}))
    assert str(caught.value).startswith("Session ghost not found")
    assert "user 'u1' in app 'app'" in str(caught.value)
    created = await adk_service.create_session(app_name=APP, user_id="u1")
    await adk_service.delete_session(app_name=APP, user_id="u1", session_id=created.id)
    with pytest.raises(AdkSessionNotFoundError):
        await adk_service.append_event(created, state_event({"k": 1}))


async def test_redelivering_a_stored_event_is_a_no_op(adk_service: AdkSessionService) -> None:
    session = await adk_service.create_session(app_name=APP, user_id="u1")
    event = state_event({"counter": 1})
    await adk_service.append_event(session, event)
    await adk_service.append_event(session, event)
    assert len(session.events) == 1
    other = state_event({"counter": 2}, id=event.id)
    with pytest.raises(AlreadyExistsError):
        await adk_service.append_event(session, other)
    loaded = await adk_service.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert loaded is not None
    assert loaded.state == {"counter": 1}


async def test_stale_appends_can_be_allowed_and_catch_the_session_up(db_url: str) -> None:
    async with AdkSessionService(db_url, create_schema=True, allow_stale_appends=True) as service:
        created = await service.create_session(app_name=APP, user_id="u1")
        key = {"app_name": APP, "user_id": "u1", "session_id": created.id}
        first = await service.get_session(**key)
        second = await service.get_session(**key)
        assert first is not None
        assert second is not None
        missed = state_event({"a": 1})
        await service.append_event(first, missed)
        await service.append_event(second, state_event({"temp:t": 1, "b": 2}))
        assert [event.id for event in second.events][:1] == [missed.id]
        assert second.state == {"a": 1, "b": 2, "temp:t": 1}
        assert len(second.events) == 2


async def test_state_values_are_stored_as_adk_database_services_store_them(
    adk_service: AdkSessionService,
) -> None:
    session = await adk_service.create_session(
        app_name=APP, user_id="u1", state={"pair": (1, 2), "tags": {"a"}}
    )
    assert session.state == {"pair": [1, 2], "tags": ["a"]}


async def test_wraps_an_existing_core_service_without_closing_it(
    service: adk_store.SessionService,
) -> None:
    async with AdkSessionService(service) as adapter:
        created = await adapter.create_session(app_name=APP, user_id="u1", state={"k": 1})
    core_view = await service.get_session(app_name=APP, user_id="u1", session_id=created.id)
    assert core_view is not None
    assert core_view.state == {"k": 1}
    with pytest.raises(adk_store.InvalidArgumentError):
        AdkSessionService(service, create_schema=True)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_shares_the_applications_database_pool(db_url: str) -> None:
    database = databases.Database(db_url)
    await database.connect()
    try:
        async with AdkSessionService(database, create_schema=True) as adapter:
            await adapter.create_session(app_name=APP, user_id="u1", session_id="shared")
        assert database.is_connected
        count = await database.fetch_val("SELECT count(*) FROM adk_sessions")
        assert count == 1
    finally:
        await database.disconnect()


async def test_factory_for_adk_web_server_uris(db_url: str) -> None:
    adapter = session_service_factory(f"adk-store:{db_url}", agents_dir="/agents")
    async with adapter:
        created = await adapter.create_session(app_name=APP, user_id="u1")
        assert await adapter.get_session(app_name=APP, user_id="u1", session_id=created.id)
    with pytest.raises(adk_store.InvalidArgumentError):
        session_service_factory(db_url)


async def test_adk_web_server_builds_it_from_a_registered_uri(db_url: str) -> None:
    from google.adk.cli.service_registry import get_service_registry
    from google.adk.cli.utils.service_factory import create_session_service_from_options

    get_service_registry().register_session_service("adk-store", session_service_factory)
    built = create_session_service_from_options(
        base_dir="agents", session_service_uri=f"adk-store:{db_url}"
    )
    assert isinstance(built, AdkSessionService)
    async with built:
        await built.create_session(app_name=APP, user_id="u1", session_id="web")
        listed = await built.list_sessions(app_name=APP)
    assert [session.id for session in listed.sessions] == ["web"]


async def test_empty_and_padded_ids_behave_as_in_google_adk(
    adk_service: AdkSessionService,
) -> None:
    empty_user = await adk_service.create_session(app_name=APP, user_id="")
    padded = await adk_service.create_session(app_name=APP, user_id="u1", session_id="order-42\n")
    await adk_service.create_session(app_name=APP, user_id="u1", session_id="order-42")

    assert padded.id == "order-42\n"
    listed = await adk_service.list_sessions(app_name=APP, user_id="")
    assert [session.id for session in listed.sessions] == [empty_user.id]
    key = {"app_name": APP, "user_id": "u1", "session_id": "order-42\n"}
    loaded = await adk_service.get_session(**key)
    assert loaded is not None
    assert loaded.id == "order-42\n"
    await adk_service.append_event(loaded, state_event({"k": 1}))
    await adk_service.delete_session(**key)
    assert await adk_service.get_session(**key) is None
    remaining = await adk_service.list_sessions(app_name=APP, user_id="u1")
    assert [session.id for session in remaining.sessions] == ["order-42"]


async def test_nul_in_events_and_state_reads_back_exactly(
    adk_service: AdkSessionService,
) -> None:
    session = await adk_service.create_session(
        app_name=APP, user_id="u1", state={"k\x00": "v\x00", "user:\x00": "\x01"}
    )
    event = state_event(
        {"k\x00": "changed\x00", "app:a\x00": ["\x00", "\x01"]},
        content=types.Content(
            role="user",
            parts=[
                types.Part(text="read\x00binary"),
                types.Part.from_function_response(
                    name="read_file", response={"bytes\x00": "\x00\x01\x02"}
                ),
            ],
        ),
        error_message="nul\x00",
    )
    await adk_service.append_event(session, event)
    loaded = await adk_service.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert loaded is not None
    assert [stored.model_dump() for stored in loaded.events] == [event.model_dump()]
    assert loaded.state == {
        "k\x00": "changed\x00",
        "user:\x00": "\x01",
        "app:a\x00": ["\x00", "\x01"],
    }
    assert loaded.state == session.state


@pytest.mark.databases("postgresql")
async def test_the_adapter_keeps_its_tables_in_the_schema_it_is_given(db_url: str) -> None:
    async with (
        AdkSessionService(db_url, schema="agents") as in_schema,
        AdkSessionService(db_url) as in_default,
    ):
        await in_schema.create_session(app_name=APP, user_id="u1", session_id="s")
        assert await in_default.get_session(app_name=APP, user_id="u1", session_id="s") is None
        assert await in_schema.get_session(app_name=APP, user_id="u1", session_id="s")
