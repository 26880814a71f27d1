"""Creating, reading, listing and deleting sessions (google-adk's contract, brief §4)."""

from __future__ import annotations

import uuid

import pytest

import adk_store
from adk_store import Event, EventActions, InvalidArgumentError, SessionExistsError

from ._db import dump

APP = "app"


async def test_create_routes_state_by_prefix_and_merges_it_back(
    service: adk_store.SessionService,
) -> None:
    session = await service.create_session(
        app_name=APP,
        user_id="u1",
        state={"app:theme": "dark", "user:name": "Ada", "step": 1, "temp:scratch": "x"},
    )
    assert session.state == {"app:theme": "dark", "user:name": "Ada", "step": 1}
    assert await service.get_app_state(app_name=APP) == {"theme": "dark"}
    assert await service.get_user_state(app_name=APP, user_id="u1") == {"name": "Ada"}
    loaded = await service.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert loaded is not None
    assert loaded.state == {"app:theme": "dark", "user:name": "Ada", "step": 1}
    assert loaded.events == []


async def test_shared_state_reaches_other_sessions(service: adk_store.SessionService) -> None:
    first = await service.create_session(app_name=APP, user_id="u1", state={"app:a": 1})
    await service.create_session(app_name=APP, user_id="u1", state={"user:b": 2, "own": 3})
    other_user = await service.create_session(app_name=APP, user_id="u2")
    reloaded = await service.get_session(app_name=APP, user_id="u1", session_id=first.id)
    assert reloaded is not None
    assert reloaded.state == {"app:a": 1, "user:b": 2}
    assert other_user.state == {"app:a": 1}


async def test_create_assigns_a_uuid_for_a_missing_id(
    service: adk_store.SessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id="u", session_id=None)
    assert str(uuid.UUID(session.id)) == session.id


@pytest.mark.parametrize("session_id", ["", " ", "order-42\n", "  s1 "])
async def test_ids_are_kept_exactly_as_given_in_every_call(
    service: adk_store.SessionService, session_id: str
) -> None:
    created = await service.create_session(app_name=APP, user_id="u", session_id=session_id)
    assert created.id == session_id
    await service.append_event(created, Event(author="user"))
    loaded = await service.get_session(app_name=APP, user_id="u", session_id=session_id)
    assert loaded is not None
    assert (loaded.id, len(loaded.events)) == (session_id, 1)
    assert await service.get_session(app_name=APP, user_id="u", session_id="s1") is None
    listed = await service.list_sessions(app_name=APP, user_id="u")
    assert [session.id for session in listed.sessions] == [session_id]
    await service.delete_session(app_name=APP, user_id="u", session_id=session_id)
    assert await service.get_session(app_name=APP, user_id="u", session_id=session_id) is None


async def test_empty_app_and_user_ids_are_ids_like_any_other(
    service: adk_store.SessionService,
) -> None:
    created = await service.create_session(
        app_name="", user_id="", state={"user:name": "nobody", "app:x": 1}
    )
    await service.create_session(app_name="", user_id=" ")
    listed = await service.list_sessions(app_name="", user_id="")
    assert [session.id for session in listed.sessions] == [created.id]
    assert len((await service.list_sessions(app_name="")).sessions) == 2
    assert await service.get_user_state(app_name="", user_id="") == {"name": "nobody"}
    assert await service.get_app_state(app_name="") == {"x": 1}
    assert (await service.list_sessions(app_name=" ")).sessions == []


async def test_duplicate_session_id_raises_and_changes_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    await service.create_session(app_name=APP, user_id="u", session_id="s", state={"k": 1})
    before = await dump(db_url)
    with pytest.raises(SessionExistsError, match="'s'"):
        await service.create_session(
            app_name=APP, user_id="u", session_id="s", state={"k": 2, "app:x": 1}
        )
    assert await dump(db_url) == before


async def test_same_session_id_under_other_user_or_app_is_separate(
    service: adk_store.SessionService,
) -> None:
    await service.create_session(app_name=APP, user_id="u1", session_id="s", state={"k": 1})
    await service.create_session(app_name=APP, user_id="u2", session_id="s", state={"k": 2})
    await service.create_session(app_name="other", user_id="u1", session_id="s", state={"k": 3})
    for app_name, user_id, value in ((APP, "u1", 1), (APP, "u2", 2), ("other", "u1", 3)):
        loaded = await service.get_session(app_name=app_name, user_id=user_id, session_id="s")
        assert loaded is not None
        assert loaded.state == {"k": value}


async def test_get_unknown_session_returns_none(service: adk_store.SessionService) -> None:
    assert await service.get_session(app_name=APP, user_id="u", session_id="nope") is None


async def test_list_returns_sessions_without_events_oldest_update_first(
    service: adk_store.SessionService,
) -> None:
    first = await service.create_session(app_name=APP, user_id="u1", state={"n": 1})
    second = await service.create_session(app_name=APP, user_id="u2", state={"user:x": 1})
    third = await service.create_session(app_name=APP, user_id="u1")
    await service.append_event(first, Event(author="user", timestamp=first.last_update_time + 50))
    await service.create_session(app_name="other-app", user_id="u1")

    everyone = await service.list_sessions(app_name=APP)
    assert [s.id for s in everyone.sessions] == [second.id, third.id, first.id]
    assert all(s.events == [] for s in everyone.sessions)
    assert everyone.next_page_token is None
    listed = {s.id: s for s in everyone.sessions}
    assert listed[first.id].state == {"n": 1}
    assert listed[second.id].state == {"user:x": 1}
    assert listed[first.id].last_update_time == first.last_update_time

    only_u1 = await service.list_sessions(app_name=APP, user_id="u1")
    assert [s.id for s in only_u1.sessions] == [third.id, first.id]
    assert (await service.list_sessions(app_name=APP, user_id="nobody")).sessions == []


async def test_listed_sessions_share_no_state_a_caller_could_change(
    service: adk_store.SessionService,
) -> None:
    shared = {"app:plan": "pro", "user:tags": ["a"], "user:name": "Ada"}
    for number in range(3):
        await service.create_session(
            app_name=APP, user_id="u1", session_id=f"s{number}", state={**shared, "n": number}
        )
    first, second, third = (await service.list_sessions(app_name=APP, user_id="u1")).sessions
    assert [s.state for s in (first, second, third)] == [
        {"app:plan": "pro", "user:tags": ["a"], "user:name": "Ada", "n": number}
        for number in range(3)
    ]
    first.state["user:tags"].append("changed")
    first.state["app:plan"] = "free"
    del first.state["user:name"]
    assert second.state == third.state | {"n": 1} == {**shared, "n": 1}
    assert third.state["user:tags"] is not second.state["user:tags"]


async def test_list_pages_cover_every_session_once_while_sessions_are_added(
    service: adk_store.SessionService,
) -> None:
    created = [
        (await service.create_session(app_name=APP, user_id=f"u{i % 3}")).id for i in range(11)
    ]
    seen: list[str] = []
    page = await service.list_sessions(app_name=APP, limit=4)
    while True:
        assert len(page.sessions) <= 4
        seen.extend(s.id for s in page.sessions)
        # A session created mid-walk sorts after every page already returned.
        created.append((await service.create_session(app_name=APP, user_id="late")).id)
        if page.next_page_token is None:
            break
        page = await service.list_sessions(app_name=APP, limit=4, page_token=page.next_page_token)
    assert len(seen) == len(set(seen))
    assert set(created[:11]) <= set(seen)
    assert seen == sorted(seen, key=created.index)


async def test_list_pages_of_one_user(service: adk_store.SessionService) -> None:
    mine = [(await service.create_session(app_name=APP, user_id="me")).id for _ in range(5)]
    await service.create_session(app_name=APP, user_id="you")
    first = await service.list_sessions(app_name=APP, user_id="me", limit=3)
    assert first.next_page_token is not None
    rest = await service.list_sessions(
        app_name=APP, user_id="me", limit=3, page_token=first.next_page_token
    )
    assert rest.next_page_token is None
    assert [s.id for s in first.sessions + rest.sessions] == mine


@pytest.mark.parametrize(
    ("limit", "page_token"), [(0, None), (-1, None), ("3", None), (None, "x"), (2, "not-a-token")]
)
async def test_list_rejects_bad_paging_arguments(
    service: adk_store.SessionService, limit: object, page_token: str | None
) -> None:
    with pytest.raises(InvalidArgumentError):
        await service.list_sessions(app_name=APP, limit=limit, page_token=page_token)  # type: ignore[arg-type]


async def test_delete_removes_the_session_and_its_events(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await service.create_session(app_name=APP, user_id="u", state={"user:k": 1})
    keep = await service.create_session(app_name=APP, user_id="u")
    for _ in range(3):
        await service.append_event(session, Event(author="user"))
    await service.append_event(keep, Event(author="user"))
    await service.delete_session(app_name=APP, user_id="u", session_id=session.id)

    assert await service.get_session(app_name=APP, user_id="u", session_id=session.id) is None
    rows = (await dump(db_url))["adk_events"]
    assert len(rows) == 1
    assert await service.get_user_state(app_name=APP, user_id="u") == {"k": 1}
    kept = await service.get_session(app_name=APP, user_id="u", session_id=keep.id)
    assert kept is not None
    assert len(kept.events) == 1


async def test_delete_unknown_session_is_a_no_op(
    service: adk_store.SessionService, db_url: str
) -> None:
    await service.create_session(app_name=APP, user_id="u", session_id="s")
    before = await dump(db_url)
    await service.delete_session(app_name=APP, user_id="u", session_id="missing")
    await service.delete_session(app_name=APP, user_id="other", session_id="s")
    assert await dump(db_url) == before


@pytest.mark.parametrize(
    "bad_id", ["x" * 256, "é" * 321, "nul\x00inside", "lone\ud800surrogate", 7, None]
)
async def test_bad_ids_are_rejected_before_any_write(
    service: adk_store.SessionService, db_url: str, bad_id: object
) -> None:
    before = await dump(db_url)
    with pytest.raises(InvalidArgumentError):
        await service.create_session(app_name=bad_id, user_id="u")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        await service.create_session(app_name=APP, user_id=bad_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        await service.get_session(app_name=APP, user_id=bad_id, session_id="s")  # type: ignore[arg-type]
    assert await dump(db_url) == before


async def test_longest_allowed_ids_round_trip(service: adk_store.SessionService) -> None:
    app_name, user_id, session_id = "a" * 255, "ü" * 255, "😀" * 160
    session = await service.create_session(
        app_name=app_name, user_id=user_id, session_id=session_id
    )
    await service.append_event(session, Event(author="user", id="e" * 255))
    loaded = await service.get_session(app_name=app_name, user_id=user_id, session_id=session_id)
    assert loaded is not None
    assert loaded.events[0].id == "e" * 255


async def test_state_is_returned_as_stored_with_none_kept(
    service: adk_store.SessionService,
) -> None:
    session = await service.create_session(
        app_name=APP, user_id="u", state={"gone": None, "app:nothing": None}
    )
    await service.append_event(
        session, Event(author="a", actions=EventActions(state_delta={"user:empty": None}))
    )
    loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
    assert loaded is not None
    assert loaded.state == {"gone": None, "app:nothing": None, "user:empty": None}
