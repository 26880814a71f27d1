"""State keys that are syntax somewhere (JSON paths, SQL) merge like any other key.

MariaDB's JSON path syntax refuses some keys even quoted (``-``, for one), so no merge may
address a key through a path.
"""

from __future__ import annotations

import adk_store
from adk_store import Event, EventActions

KEYS = ["-", "--", "a.b", "$.a", '"', "\\", "[0]", "*", "NULL'NULL", " ", "é🙂"]


async def test_keys_that_are_path_syntax_merge_in_every_scope(
    service: adk_store.SessionService,
) -> None:
    first = {
        f"{scope}{key}": index for index, key in enumerate(KEYS) for scope in ("", "app:", "user:")
    }
    session = await service.create_session(app_name="app", user_id="u", state=first)
    second = {key: [key, None] for key in first}
    await service.append_event(
        session, Event(author="user", actions=EventActions(state_delta=second))
    )
    again = await service.create_session(app_name="app", user_id="u", state={"user:-": None})

    loaded = await service.get_session(app_name="app", user_id="u", session_id=session.id)
    assert loaded is not None
    assert loaded.state == {**second, "user:-": None}
    assert again.state["app:-"] == ["app:-", None]
    assert await service.get_user_state(app_name="app", user_id="u") == {
        key.removeprefix("user:"): value
        for key, value in {**second, "user:-": None}.items()
        if key.startswith("user:")
    }
