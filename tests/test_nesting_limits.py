"""How deeply a value may nest, on each database.

On SQLite and PostgreSQL the limit is adk-store's own rule: state values at most 256 levels
deep. MariaDB's JSON functions refuse a document whose arrays and objects nest 32 deep, so
there a stored document (a state, an event's content, its actions holding the delta) may
nest at most 31. Either way, one level more is refused with ``StateSerializationError``
naming the value, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import adk_store
from adk_store import Event, EventActions, StateSerializationError

from ._db import dump

DEEPEST = {
    "session state": {"sqlite": 256, "postgresql": 256, "mysql": 30},
    "event content": {"sqlite": 255, "postgresql": 255, "mysql": 30},
    "user state delta": {"sqlite": 254, "postgresql": 254, "mysql": 29},
}
"""The most lists accepted around a number, by way in and database. On MariaDB the document
adds a level around the value ({"deep": …}, {"parts": …}) and the actions one more
({"state_delta": {"user:deep": …}})."""


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


Store = Callable[[adk_store.SessionService, int], Awaitable[Any]]


async def _session_state(service: adk_store.SessionService, levels: int) -> Any:
    await service.create_session(
        app_name="app", user_id="ada", session_id="deep", state={"deep": nested(levels)}
    )
    stored = await service.get_session(app_name="app", user_id="ada", session_id="deep")
    assert stored is not None
    return stored.state["deep"]


async def _event_content(service: adk_store.SessionService, levels: int) -> Any:
    session = await service.get_session(app_name="app", user_id="ada", session_id="s")
    assert session is not None
    await service.append_event(session, Event(author="user", content={"parts": nested(levels)}))
    stored = await service.get_session(app_name="app", user_id="ada", session_id="s")
    assert stored is not None
    assert stored.events[-1].content is not None
    return stored.events[-1].content["parts"]


async def _user_state_delta(service: adk_store.SessionService, levels: int) -> Any:
    session = await service.get_session(app_name="app", user_id="ada", session_id="s")
    assert session is not None
    delta = {"user:deep": nested(levels)}
    await service.append_event(session, Event(author="user", actions=EventActions(delta)))
    stored = await service.get_session(app_name="app", user_id="ada", session_id="s")
    assert stored is not None
    return stored.state["user:deep"]


WAYS_IN: dict[str, Store] = {
    "session state": _session_state,
    "event content": _event_content,
    "user state delta": _user_state_delta,
}


@pytest.mark.parametrize("way_in", list(WAYS_IN))
async def test_the_deepest_value_a_database_holds_reads_back_equal(
    service: adk_store.SessionService, db_kind: str, way_in: str
) -> None:
    levels = DEEPEST[way_in][db_kind]
    await service.create_session(app_name="app", user_id="ada", session_id="s")

    assert await WAYS_IN[way_in](service, levels) == nested(levels)


@pytest.mark.parametrize("way_in", list(WAYS_IN))
async def test_one_level_deeper_is_refused_and_writes_nothing(
    service: adk_store.SessionService, db_url: str, db_kind: str, way_in: str
) -> None:
    await service.create_session(app_name="app", user_id="ada", session_id="s")
    before = await dump(db_url)

    with pytest.raises(StateSerializationError, match=r"deep|parts") as refused:
        await WAYS_IN[way_in](service, DEEPEST[way_in][db_kind] + 1)

    if db_kind == "mysql":
        assert "MariaDB's JSON holds at most 31" in str(refused.value)
    assert await dump(db_url) == before
