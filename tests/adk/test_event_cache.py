"""The adapter's event cache: reads build only new events, and never return a stale session.

Every change another process, another service or an operator makes between two reads of the
same service must show in the second read: appends, a session deleted and created again,
deleted and imported again with its old create time, pruned. And what one caller does to
the session it was given never changes what another read returns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest
from google.adk.events import Event as AdkEvent
from google.adk.events import EventActions as AdkEventActions
from google.adk.sessions import Session as AdkSession
from google.adk.sessions.base_session_service import GetSessionConfig
from google.genai import types

import adk_store
from adk_store import InvalidArgumentError, SessionRecord, StoredEventError
from adk_store.adk import AdkSessionService

REPOSITORY = Path(__file__).resolve().parents[2]
APP, USER = "cache-app", "ada"


def said(text: str, **delta: object) -> AdkEvent:
    return AdkEvent(
        author="model",
        invocation_id="inv",
        content=types.Content(role="model", parts=[types.Part(text=text)]),
        actions=AdkEventActions(state_delta=dict(delta)),
    )


def texts(session: AdkSession | None) -> list[str]:
    assert session is not None
    return [part.text for event in session.events for part in event.content.parts if part.text]


async def conversation(service: AdkSessionService, session_id: str, count: int) -> AdkSession:
    session = await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
    for index in range(count):
        await service.append_event(session, said(f"line {index}", turn=index))
    return session


async def read(service: AdkSessionService, session_id: str) -> AdkSession | None:
    return await service.get_session(app_name=APP, user_id=USER, session_id=session_id)


async def in_another_process(db_url: str, action: str, session_id: str, text: str = "") -> None:
    finished = await anyio.run_process(
        [sys.executable, "-m", "tests.adk._other_process", db_url, action, APP, USER, session_id]
        + ([text] if text else []),
        cwd=REPOSITORY,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode()


async def test_a_second_read_reuses_the_events_of_the_first(
    adk_service: AdkSessionService,
) -> None:
    await conversation(adk_service, "s1", 3)
    first = await read(adk_service, "s1")
    second = await read(adk_service, "s1")
    assert first is not None
    assert second is not None
    assert texts(second) == ["line 0", "line 1", "line 2"]
    assert all(a is b for a, b in zip(first.events, second.events, strict=True))
    assert first.events is not second.events
    assert first.state is not second.state


async def test_an_append_by_another_process_shows_in_the_next_read(
    db_url: str, adk_service: AdkSessionService
) -> None:
    await conversation(adk_service, "s1", 3)
    assert texts(await read(adk_service, "s1")) == ["line 0", "line 1", "line 2"]

    await in_another_process(db_url, "append", "s1", "from elsewhere")

    again = await read(adk_service, "s1")
    assert texts(again) == ["line 0", "line 1", "line 2", "from elsewhere"]
    assert again is not None
    assert again.state["said"] == "from elsewhere"
    assert again.state["user:heard"] == "from elsewhere"
    await adk_service.append_event(again, said("and back"))
    assert texts(await read(adk_service, "s1"))[-2:] == ["from elsewhere", "and back"]


async def test_a_session_deleted_and_created_again_elsewhere_shows_as_the_new_one(
    db_url: str, adk_service: AdkSessionService
) -> None:
    await conversation(adk_service, "s1", 1)
    assert texts(await read(adk_service, "s1")) == ["line 0"]

    await in_another_process(db_url, "recreate", "s1", "a new beginning")

    again = await read(adk_service, "s1")
    assert texts(again) == ["a new beginning"]
    assert again is not None
    assert "turn" not in again.state


async def test_a_session_imported_again_with_its_old_create_time_shows_its_new_events(
    db_url: str, adk_service: AdkSessionService
) -> None:
    await conversation(adk_service, "s1", 3)
    assert texts(await read(adk_service, "s1")) == ["line 0", "line 1", "line 2"]

    await in_another_process(db_url, "reimport", "s1", "imported instead")

    assert texts(await read(adk_service, "s1")) == ["line 0", "line 1", "imported instead"]


async def test_a_pruned_session_reads_as_missing(
    db_url: str, adk_service: AdkSessionService
) -> None:
    await conversation(adk_service, "s1", 2)
    assert texts(await read(adk_service, "s1")) == ["line 0", "line 1"]

    await in_another_process(db_url, "prune", "s1")

    assert await read(adk_service, "s1") is None


async def test_a_rewind_appended_by_another_service_shows(
    db_url: str, adk_service: AdkSessionService
) -> None:
    await conversation(adk_service, "s1", 2)
    assert len(texts(await read(adk_service, "s1"))) == 2
    async with AdkSessionService(db_url) as other:
        session = await read(other, "s1")
        assert session is not None
        rewind = AdkEvent(
            author="user",
            invocation_id="rewind",
            actions=AdkEventActions(rewind_before_invocation_id="inv"),
        )
        await other.append_event(session, rewind)

    again = await read(adk_service, "s1")
    assert again is not None
    assert again.events[-1].actions.rewind_before_invocation_id == "inv"


async def test_changing_what_a_read_returned_never_changes_another_read(
    adk_service: AdkSessionService,
) -> None:
    await conversation(adk_service, "s1", 2)
    first = await read(adk_service, "s1")
    assert first is not None
    first.events.append(said("only in my copy"))
    first.events.reverse()
    first.state["turn"] = "changed in my copy"
    first.state.clear()

    second = await read(adk_service, "s1")
    assert texts(second) == ["line 0", "line 1"]
    assert second is not None
    assert second.state["turn"] == 1
    second.events.clear()
    assert texts(await read(adk_service, "s1")) == ["line 0", "line 1"]


async def test_the_cache_holds_a_copy_of_an_appended_event_not_the_callers_object(
    adk_service: AdkSessionService,
) -> None:
    session = await conversation(adk_service, "s1", 1)
    event = said("as appended")
    await adk_service.append_event(session, event)
    assert event.content is not None
    assert event.content.parts is not None
    event.content.parts[0].text = "changed by the caller afterwards"

    assert texts(await read(adk_service, "s1")) == ["line 0", "as appended"]


async def test_a_session_the_cache_has_dropped_reads_whole_again(db_url: str) -> None:
    async with AdkSessionService(db_url, create_schema=True, event_cache_size=4) as service:
        await conversation(service, "a", 3)
        await conversation(service, "b", 3)
        a_first = await read(service, "a")
        b_first = await read(service, "b")  # 6 events do not fit: "a" goes
        a_again = await read(service, "a")
        b_again = await read(service, "b")
    assert a_first is not None
    assert a_again is not None
    assert b_first is not None
    assert b_again is not None
    assert texts(a_again) == texts(a_first) == ["line 0", "line 1", "line 2"]
    assert a_again.events[0] is not a_first.events[0]
    assert b_again.events[0] is not b_first.events[0]  # "a" came back and pushed "b" out
    assert texts(b_again) == ["line 0", "line 1", "line 2"]


async def test_without_the_cache_every_read_builds_its_own_events(db_url: str) -> None:
    async with AdkSessionService(db_url, create_schema=True, event_cache_size=0) as service:
        await conversation(service, "s1", 2)
        first = await read(service, "s1")
        second = await read(service, "s1")
    assert first is not None
    assert second is not None
    assert first.events == second.events
    assert first.events[0] is not second.events[0]


@pytest.mark.parametrize("size", [-1, 1.5, "10", None])
async def test_a_bad_cache_size_is_refused(db_url: str, size: object) -> None:
    with pytest.raises(InvalidArgumentError, match="event_cache_size"):
        AdkSessionService(db_url, event_cache_size=size)  # type: ignore[arg-type]


async def test_many_tasks_reading_and_appending_see_what_a_fresh_service_sees(
    db_url: str, adk_service: AdkSessionService
) -> None:
    sessions = [await conversation(adk_service, f"s{index}", 2) for index in range(4)]

    async def talk(session: AdkSession, task: int) -> None:
        for turn in range(5):
            await adk_service.append_event(session, said(f"task {task} turn {turn}"))
            assert await read(adk_service, session.id) is not None

    async def keep_reading() -> None:
        for _ in range(20):
            for session in sessions:
                await read(adk_service, session.id)

    async with anyio.create_task_group() as group:
        for task, session in enumerate(sessions):
            group.start_soon(talk, session, task)
        group.start_soon(keep_reading)

    async with AdkSessionService(adk_service.core) as fresh:
        for task, session in enumerate(sessions):
            cached = await read(adk_service, session.id)
            uncached = await fresh.get_session(app_name=APP, user_id=USER, session_id=session.id)
            assert texts(cached) == texts(uncached)
            assert texts(cached)[2:] == [f"task {task} turn {turn}" for turn in range(5)]
            assert cached is not None
            assert uncached is not None
            assert cached.events == uncached.events
            assert cached.state == uncached.state


async def test_an_append_retried_after_a_lost_reply_brings_the_session_up_to_date(
    adk_service: AdkSessionService,
) -> None:
    session = await conversation(adk_service, "s1", 1)
    before = session.model_copy(deep=True)  # what the caller held when the reply was lost
    event = said("stored, reply lost", turn=7)
    await adk_service.append_event(session, event)

    retried = await adk_service.append_event(before, event.model_copy(deep=True))

    assert retried.id == event.id
    assert [e.id for e in before.events] == [e.id for e in session.events]
    assert before.state["turn"] == 7
    assert before.last_update_time == session.last_update_time
    await adk_service.append_event(before, said("next"))  # not stale
    assert texts(await read(adk_service, "s1")) == ["line 0", "stored, reply lost", "next"]


async def test_an_event_google_adk_refuses_raises_a_typed_error_naming_it(
    adk_service: AdkSessionService,
) -> None:
    refused = adk_store.Event(id="bad-event", author="model", content={"parts": "not a list"})
    await adk_service.core.import_session(SessionRecord(APP, USER, "s1", events=[refused]))

    with pytest.raises(StoredEventError, match=r"'bad-event'.*'s1'") as raised:
        await read(adk_service, "s1")
    assert raised.value.event_id == "bad-event"


async def test_nul_and_its_escape_character_read_back_exactly(db_url: str) -> None:
    tricky = "a\x00b\x01c \\u0000 \\u00010"
    event = AdkEvent(
        author=f"model{tricky}",
        invocation_id=tricky,
        branch=tricky,
        error_message=tricky,
        content=types.Content(role="model", parts=[types.Part(text=tricky)]),
        actions=AdkEventActions(state_delta={tricky: tricky}),
        custom_metadata={"note": tricky},
    )
    async with AdkSessionService(db_url, create_schema=True, event_cache_size=0) as service:
        session = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
        await service.append_event(session, event)
        loaded = await read(service, "s1")
    assert loaded is not None
    assert loaded.events[0].model_dump() == event.model_dump()
    assert loaded.state[tricky] == tricky


async def test_an_event_google_adk_refuses_raises_the_typed_error_in_recent_reads_too(
    adk_service: AdkSessionService,
) -> None:
    refused = adk_store.Event(id="bad-event", author="model", content={"parts": "not a list"})
    await adk_service.core.import_session(SessionRecord(APP, USER, "s1", events=[refused]))

    with pytest.raises(StoredEventError, match="bad-event"):
        await adk_service.get_session(
            app_name=APP,
            user_id=USER,
            session_id="s1",
            config=GetSessionConfig(num_recent_events=5),
        )
