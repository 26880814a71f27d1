"""No id or key reaches another app's or user's data, and none changes the SQL that runs.

A property test interleaves operations of a few apps and users whose ids and state keys are
drawn from SQL and JSON-path syntax (quotes, ``%``, ``_``, ``;``, keywords, ``$.a."b"``,
``app:`` inside user ids, ...) and checks every answer against a plain in-memory model.
Every SQL text the service sends must be one it also sends for plain ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adk_store
from adk_store import Event, EventActions, GetSessionConfig

from .._db import raw_script
from ._support import QueryHook

pytestmark = pytest.mark.reliability

FRAGMENTS = (
    "a",
    "B",
    "'",
    '"',
    "%",
    "_",
    ";",
    "--",
    "\\",
    "*",
    "?",
    ":name",
    "$1",
    "%s",
    "' OR '1'='1",
    "; DROP TABLE adk_sessions; --",
    "SELECT",
    "NULL",
    '$.a."b"',
    "{}",
    "app:",
    "user:",
    "é",
    "🙂",
)

ids = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3).map("".join)
plain_keys = ids.filter(lambda key: not key.startswith(("app:", "user:", "temp:")))
state_keys = st.tuples(st.sampled_from(("", "app:", "user:")), plain_keys).map("".join)
deltas = st.dictionaries(state_keys, st.integers(-5, 5) | ids, max_size=3)


@dataclass
class Model:
    app_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_state: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    sessions: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    events: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    def apply(self, app: str, user: str, delta: dict[str, Any]) -> dict[str, Any]:
        local = {}
        for key, value in delta.items():
            if key.startswith("app:"):
                self.app_state.setdefault(app, {})[key[4:]] = value
            elif key.startswith("user:"):
                self.user_state.setdefault((app, user), {})[key[5:]] = value
            else:
                local[key] = value
        return local

    def merged(self, app: str, user: str, session_id: str) -> dict[str, Any]:
        state = dict(self.sessions[(app, user, session_id)])
        state.update({f"app:{k}": v for k, v in self.app_state.get(app, {}).items()})
        state.update({f"user:{k}": v for k, v in self.user_state.get((app, user), {}).items()})
        return state


operations = st.lists(
    st.tuples(
        st.sampled_from(("create", "append", "get", "list_user", "list_app", "delete")),
        st.integers(0, 2),
        st.integers(0, 2),
        st.integers(0, 2),
        deltas,
    ),
    min_size=1,
    max_size=20,
)


async def _exercise(
    service: adk_store.SessionService,
    model: Model,
    apps: list[str],
    users: list[str],
    steps: list[tuple[str, int, int, int, dict[str, Any]]],
) -> None:
    sessions_ids = [f"{users[0]}-s", "s;--", "s%"]
    for kind, app_index, user_index, session_index, delta in steps:
        app, user = apps[app_index % len(apps)], users[user_index % len(users)]
        session_id = sessions_ids[session_index]
        key = (app, user, session_id)
        ids_ = {"app_name": app, "user_id": user, "session_id": session_id}
        if kind == "create":
            if key in model.sessions:
                with pytest.raises(adk_store.SessionExistsError):
                    await service.create_session(**ids_, state=delta)
            else:
                await service.create_session(**ids_, state=delta)
                model.sessions[key] = model.apply(app, user, delta)
                model.events[key] = []
        elif kind == "append":
            session = await service.get_session(**ids_, config=GetSessionConfig(0))
            if session is None:
                assert key not in model.sessions
                continue
            event = Event(author=user, actions=EventActions(state_delta=dict(delta)))
            await service.append_event(session, event)
            model.sessions[key].update(model.apply(app, user, delta))
            model.events[key].append(event.id)
        elif kind == "get":
            loaded = await service.get_session(**ids_)
            if key not in model.sessions:
                assert loaded is None
                continue
            assert loaded is not None
            assert (loaded.app_name, loaded.user_id, loaded.id) == key
            assert loaded.state == model.merged(*key)
            assert [event.id for event in loaded.events] == model.events[key]
        elif kind in ("list_user", "list_app"):
            listed_user = user if kind == "list_user" else None
            response = await service.list_sessions(app_name=app, user_id=listed_user)
            expected = {
                k: model.merged(*k)
                for k in model.sessions
                if k[0] == app and (listed_user is None or k[1] == listed_user)
            }
            assert {(s.app_name, s.user_id, s.id): s.state for s in response.sessions} == (
                expected
            )
        else:
            await service.delete_session(**ids_)
            model.sessions.pop(key, None)
            model.events.pop(key, None)
    for app_name in apps:
        assert await service.get_app_state(app_name=app_name) == model.app_state.get(app_name, {})
        for user_id in users:
            assert await service.get_user_state(
                app_name=app_name, user_id=user_id
            ) == model.user_state.get((app_name, user_id), {})


async def _clear(db_url: str) -> None:
    await raw_script(
        db_url,
        [
            f"DELETE FROM {table}"
            for table in ("adk_events", "adk_sessions", "adk_app_states", "adk_user_states")
        ],
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    apps=st.lists(ids, min_size=2, max_size=3, unique=True),
    users=st.lists(ids, min_size=2, max_size=3, unique=True),
    steps=operations,
)
async def test_operations_only_touch_their_own_app_and_user(
    service: adk_store.SessionService,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    apps: list[str],
    users: list[str],
    steps: list[tuple[str, int, int, int, dict[str, Any]]],
) -> None:
    hook = QueryHook().install(monkeypatch)
    if db_url not in _plain_sql:
        await _clear(db_url)
        plain_steps = [(kind, 0, 0, 0, {"k": 1, "app:k": 1, "user:k": 1}) for kind in _KINDS]
        await _exercise(service, Model(), ["plain-app"], ["plain-user"], plain_steps)
        _plain_sql[db_url] = {call.query for call in hook.calls}
        hook.calls.clear()
    plain_sql = _plain_sql[db_url]
    await _clear(db_url)

    await _exercise(service, Model(), apps, users, steps)

    assert all(isinstance(call.query, str) for call in hook.calls)
    unexpected = {call.query for call in hook.calls} - plain_sql
    assert unexpected == set(), f"ids changed the SQL that ran: {unexpected}"
    monkeypatch.undo()


_KINDS = ("create", "create", "append", "get", "list_user", "list_app", "get", "delete", "get")
_plain_sql: dict[str, set[str]] = {}
"""The SQL texts each database gets for plain ids, recorded once per test database."""
