"""Hostile input: each value is refused with a typed error, or stored and read back exactly.

A refused call must leave the database exactly as it was (a dump of every table is compared
before and after). A value that is accepted must come back equal *and of the same types*
(``1e16`` must not come back as ``10000000000000000``).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest

import adk_store
from adk_store import Event, EventActions, GetSessionConfig

from .._db import dump

pytestmark = pytest.mark.reliability

APP = "bad-app"
USER = "bad-user"


def _circular_list() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


def _circular_dict() -> dict[str, Any]:
    value: dict[str, Any] = {}
    value["self"] = value
    return value


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"d": value}
    return value


UNSTORABLE_VALUES: dict[str, Any] = {
    "set": {1, 2},
    "frozenset": frozenset({1}),
    "bytes": b"bytes",
    "bytearray": bytearray(b"x"),
    "datetime": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    "date": datetime.date(2024, 1, 1),
    "object": object(),
    "complex": 1j,
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "nan nested in a list": [1, math.nan],
    "tuple": (1, 2),
    "circular list": _circular_list(),
    "circular dict": _circular_dict(),
    "non-str key nested": {"a": {1: "one"}},
    "None key nested": {None: 1},
    "nested 100,000 deep": _nested(100_000),
    "lone surrogate": "\ud800",
    "lone surrogate in a nested key": {"\udfff": 1},
}

STORABLE_OR_REFUSED_VALUES: dict[str, Any] = {
    "NUL in text": "a\x00b",
    "NUL in a nested key": {"k\x00": 1},
    "int beyond 64 bits": 10**30,
    "float with a large exponent": 1e300,
    "float 1e16": 1e16,
    "float with a small exponent": 1e-300,
    "nested 100 deep": _nested(100),
    "astral text": "🙂\U0010ffff",
    "quotes and JSON syntax": '"},{"x":1',
}

PREFIXES = ("", "user:", "app:")


def same(left: Any, right: Any) -> bool:
    """Equal, with the same types all the way down (so 1 is not 1.0)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, float) and left == 0.0:
        return math.copysign(1, left) == math.copysign(1, right)
    return bool(left == right)


async def _refused_without_trace(
    db_url: str, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
) -> adk_store.AdkStoreError | None:
    """Run ``call(*args, **kwargs)``; if it raises, it must be an AdkStoreError and change
    nothing."""
    before = await dump(db_url)
    try:
        await call(*args, **kwargs)
    except adk_store.AdkStoreError as error:
        assert await dump(db_url) == before, "a refused call changed the database"
        return error
    return None


async def _state_after(service: adk_store.SessionService, session_id: str) -> dict[str, Any]:
    session = await service.get_session(
        app_name=APP, user_id=USER, session_id=session_id, config=GetSessionConfig(0)
    )
    assert session is not None
    return session.state


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_unstorable_state_values_are_refused(
    service: adk_store.SessionService, db_url: str, prefix: str
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    accepted = []
    for name, value in UNSTORABLE_VALUES.items():
        key = f"{prefix}k"
        event = Event(author="user", actions=EventActions(state_delta={key: value}))
        appended = await _refused_without_trace(db_url, service.append_event, session, event)
        created = await _refused_without_trace(
            db_url,
            service.create_session,
            app_name=APP,
            user_id=USER,
            state={key: value},
        )
        if appended is None or created is None:
            accepted.append(name)
    assert accepted == [], f"stored values JSON cannot hold: {accepted}"


@pytest.mark.parametrize("key", [1, 1.5, None, ("a",), b"k", True])
async def test_non_str_state_keys_are_refused(
    service: adk_store.SessionService, db_url: str, key: Any
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    event = Event(author="user", actions=EventActions(state_delta={key: 1}))
    appended = await _refused_without_trace(db_url, service.append_event, session, event)
    created = await _refused_without_trace(
        db_url, service.create_session, app_name=APP, user_id=USER, state={key: 1}
    )
    for error in (appended, created):
        assert isinstance(error, adk_store.StateSerializationError)
        assert "keys must be str" in str(error)


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_awkward_state_values_are_refused_or_read_back_exactly(
    service: adk_store.SessionService, db_url: str, prefix: str
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    changed = []
    for name, value in STORABLE_OR_REFUSED_VALUES.items():
        key = f"{prefix}{name}"
        event = Event(author="user", actions=EventActions(state_delta={key: value}))
        if await _refused_without_trace(db_url, service.append_event, session, event):
            continue
        stored = (await _state_after(service, "s"))[key]
        if not same(stored, value):
            changed.append(f"{name}: {value!r:.40} came back as {stored!r:.40}")
    assert changed == [], "values stored but read back differently:\n" + "\n".join(changed)


BAD_IDS: dict[str, Any] = {
    "10,000 characters": "x" * 10_000,
    "NUL": "a\x00b",
    "lone surrogate": "a\ud800",
    "int": 7,
    "None": None,
}


@pytest.mark.parametrize("field", ["app_name", "user_id", "session_id"])
async def test_unusable_ids_are_refused_everywhere(
    service: adk_store.SessionService, db_url: str, field: str
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    accepted = []
    for name, bad in BAD_IDS.items():
        key = {"app_name": APP, "user_id": USER, "session_id": "s", field: bad}
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "get_session": partial(service.get_session, **key),
            "delete_session": partial(service.delete_session, **key),
        }
        if field != "session_id" or name not in ("None", "int"):
            calls["create_session"] = partial(service.create_session, **key)
        if field == "app_name" or (field == "user_id" and bad is not None):
            calls["list_sessions"] = partial(
                service.list_sessions, app_name=key["app_name"], user_id=key["user_id"]
            )
        wrong = adk_store.Session(
            id=key["session_id"], app_name=key["app_name"], user_id=key["user_id"]
        )
        calls["append_event"] = partial(service.append_event, wrong, Event(author="user"))
        for method, call in calls.items():
            if not isinstance(
                await _refused_without_trace(db_url, call), adk_store.InvalidArgumentError
            ):
                accepted.append(f"{method} with a {name} {field}")
    assert accepted == [], f"accepted unusable ids: {accepted}"
    assert await _state_after(service, "s") == {}
    assert session.revision == 0


async def test_blank_and_padded_ids_are_stored_as_given(
    service: adk_store.SessionService,
) -> None:
    for given in ("", "   ", "\t\n ", "s\n"):
        session = await service.create_session(app_name=given, user_id=given, session_id=given)
        assert (session.app_name, session.user_id, session.id) == (given, given, given)
        assert await service.get_session(app_name=given, user_id=given, session_id=given)
    missing = await service.create_session(app_name=APP, user_id=USER, session_id=None)
    assert missing.id.strip() == missing.id != ""


BAD_EVENTS: dict[str, Callable[[], Event]] = {
    "empty id": lambda: Event(id=""),
    "10,000-character id": lambda: Event(id="e" * 10_000),
    "NUL in id": lambda: Event(id="a\x00b"),
    "lone surrogate in author": lambda: Event(author="\ud800"),
    "lone surrogate in content": lambda: Event(content={"parts": [{"text": "\udc00"}]}),
    "bytes in content": lambda: Event(content={"parts": [{"data": b"\x00\x01"}]}),
    "set in custom_metadata": lambda: Event(custom_metadata={"tags": {"a"}}),
    "NaN timestamp": lambda: Event(timestamp=math.nan),
    "timestamp too large for a float": lambda: Event(timestamp=10**400),  # type: ignore[arg-type]
    "string timestamp": lambda: Event(timestamp="now"),  # type: ignore[arg-type]
    "int author": lambda: Event(author=5),  # type: ignore[arg-type]
    "content nested 100,000 deep": lambda: Event(content=_nested(100_000)),
    "circular content": lambda: Event(content=_circular_dict()),
}


async def test_unstorable_events_are_refused(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    accepted = []
    for name, make in BAD_EVENTS.items():
        event = make()
        if not await _refused_without_trace(db_url, service.append_event, session, event):
            accepted.append(name)
    assert accepted == [], f"stored events that cannot be stored: {accepted}"
    assert session.revision == 0


AWKWARD_EVENTS: dict[str, Callable[[], Event]] = {
    "NUL in author": lambda: Event(author="a\x00b"),
    "NUL in content": lambda: Event(content={"parts": [{"text": "a\x00b"}]}),
    "10 MB of content": lambda: Event(content={"parts": [{"text": "x" * 10_000_000}]}),
    "content nested 200 deep": lambda: Event(content=_nested(200)),
    "SQL in every text field": lambda: Event(
        author="'; DROP TABLE adk_events; --",
        invocation_id='" OR 1=1 --',
        branch='$.a."b"',
        error_message="%_\\",
    ),
}


async def test_awkward_events_are_refused_or_read_back_exactly(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    changed = []
    for name, make in AWKWARD_EVENTS.items():
        event = make()
        sent = (event.author, event.content, event.invocation_id, event.branch)
        if await _refused_without_trace(db_url, service.append_event, session, event):
            continue
        stored = await service.get_session(
            app_name=APP, user_id=USER, session_id="s", config=GetSessionConfig(1)
        )
        assert stored is not None
        back = stored.events[-1]
        if back.id != event.id or not same(
            list(sent), [back.author, back.content, back.invocation_id, back.branch]
        ):
            changed.append(name)
    assert changed == [], f"events stored but read back differently: {changed}"


@pytest.mark.parametrize("content", [{"parts": {1: "x"}}, {"parts": ({"text": "x"},)}])
async def test_event_content_that_json_would_change_is_refused(
    service: adk_store.SessionService, db_url: str, content: dict[str, Any]
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    event = Event(author="user", content=content)
    assert await _refused_without_trace(db_url, service.append_event, session, event)


@pytest.mark.parametrize("recent", [-1, "3", 2.0, True, [1]])
async def test_bad_num_recent_events_is_refused(
    service: adk_store.SessionService, db_url: str, recent: Any
) -> None:
    await service.create_session(app_name=APP, user_id=USER, session_id="s")
    error = await _refused_without_trace(
        db_url,
        lambda: service.get_session(
            app_name=APP, user_id=USER, session_id="s", config=GetSessionConfig(recent)
        ),
    )
    assert isinstance(error, adk_store.InvalidArgumentError)
    assert "num_recent_events" in str(error)


@pytest.mark.parametrize("after", [math.nan, math.inf, "1", True, 10**400])
async def test_bad_after_timestamp_is_refused(
    service: adk_store.SessionService, db_url: str, after: Any
) -> None:
    await service.create_session(app_name=APP, user_id=USER, session_id="s")
    config = GetSessionConfig(after_timestamp=after)
    error = await _refused_without_trace(
        db_url,
        lambda: service.get_session(app_name=APP, user_id=USER, session_id="s", config=config),
    )
    assert isinstance(error, adk_store.InvalidArgumentError)
    assert "after_timestamp" in str(error)


@pytest.mark.parametrize("before", [math.nan, 10**400, -(10**400)])
async def test_bad_prune_cutoff_is_refused(
    service: adk_store.SessionService, db_url: str, before: Any
) -> None:
    await service.create_session(app_name=APP, user_id=USER, session_id="s")
    error = await _refused_without_trace(db_url, lambda: service.prune(updated_before=before))
    assert isinstance(error, adk_store.InvalidArgumentError)
    assert "updated_before" in str(error)


async def test_extreme_after_timestamps_select_nothing_or_everything(
    service: adk_store.SessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    for _ in range(3):
        await service.append_event(session, Event(author="user"))

    async def events_after(after: float) -> int:
        config = GetSessionConfig(after_timestamp=after)
        loaded = await service.get_session(
            app_name=APP, user_id=USER, session_id="s", config=config
        )
        assert loaded is not None
        return len(loaded.events)

    assert await events_after(1e300) == 0
    assert await events_after(4102444800.0) == 0
    assert await events_after(-1e300) == 3
    assert await events_after(-1.0) == 3
    assert await events_after(0) == 3


async def test_negative_zero_keeps_its_sign_on_sqlite_and_mariadb_and_its_value_on_postgresql(
    service: adk_store.SessionService, db_url: str
) -> None:
    # JSONB stores numbers as numeric, which has no negative zero (docs/guarantees.md);
    # SQLite and MariaDB store JSON as text.
    expected = 0.0 if db_url.startswith("postgresql") else -0.0
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    await service.append_event(
        session, Event(author="user", actions=EventActions(state_delta={"z": -0.0}))
    )
    assert same((await _state_after(service, "s"))["z"], expected)


async def test_non_str_session_id_is_refused_by_create_session(
    service: adk_store.SessionService, db_url: str
) -> None:
    error = await _refused_without_trace(
        db_url, service.create_session, app_name=APP, user_id=USER, session_id=7
    )
    assert isinstance(error, adk_store.InvalidArgumentError)
