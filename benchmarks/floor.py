"""The floor: what the database itself costs, with no library in the way.

Appends run the core's own one-statement append SQL through the raw driver (aiosqlite or
asyncpg) on one held connection, with every value encoded before the clock starts. Reading a
session's events has no SQL floor worth quoting; its floor is the bare cost of building
google-adk ``Event`` objects from their stored JSON, which every adk-shaped read pays.
"""

from __future__ import annotations

import json
import time
from typing import Any

import aiosqlite
import asyncpg
from google.adk.events import Event as AdkEvent

from .core_sql import SQLITE_JSON_MERGE, append_sql, numbered, sqlite_json_merge
from .implementations import AUTHOR, INVOCATION_ID, Core, event_text, stored_delta


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class FloorSession:
    """A session the floor appends to: its key and the revision it is at."""

    def __init__(self, app_name: str, user_id: str, session_id: str, create_time: float) -> None:
        self.key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
        self.create_time = create_time
        self.revision = 0


class Floor:
    """Raw-driver appends; sessions are created and read back through the core service."""

    name = "floor"
    description = "one-statement append SQL, raw driver"

    def __init__(self, url: str) -> None:
        self.url = url
        self.core = Core(url)
        self._sql = append_sql(url)
        self._sqlite: aiosqlite.Connection | None = None
        self._postgres: asyncpg.Connection | None = None

    async def open(self) -> None:
        await self.core.open()
        if self.url.startswith("sqlite"):
            # Autocommit, as adk-store runs the append: the statement is its own transaction.
            path = self.url.split(":///", 1)[1]
            self._sqlite = await aiosqlite.connect(path, isolation_level=None)
            # The settings adk-store gives its own SQLite connections.
            for pragma in ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = NORMAL"):
                await self._sqlite.execute(f"PRAGMA {pragma}")
            await self._sqlite.create_function(
                SQLITE_JSON_MERGE, 2, sqlite_json_merge, deterministic=True
            )
        else:
            self._sql, self._names = numbered(self._sql)
            self._postgres = await asyncpg.connect(self.url.replace("+asyncpg", "", 1))

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
        if self._postgres is not None:
            await self._postgres.close()
        await self.core.close()

    async def create_session(self, app_name: str, user_id: str, session_id: str) -> FloorSession:
        created = await self.core.create_session(app_name, user_id, session_id, {})
        return FloorSession(app_name, user_id, session_id, created.create_time)

    def new_event(self, index: int) -> dict[str, Any]:
        """The append's values but the session key and revision, encoded as the core does."""
        delta = stored_delta(index)
        return {
            "id": f"floor-{index}-{time.time_ns()}",
            "invocation_id": INVOCATION_ID,
            "author": AUTHOR,
            "branch": None,
            "timestamp": time.time(),
            "error_code": None,
            "error_message": None,
            "content": _json({"role": "model", "parts": [{"text": event_text(index)}]}),
            "actions": _json({"state_delta": delta}),
            "extra_fields": "{}",
            "session_delta": _json({"turn": delta["turn"]}),
            "app_state_delta": _json({"events_total": delta["app:events_total"]}),
            "user_state_delta": _json({"last_seen": delta["user:last_seen"]}),
        }

    def bind(self, session: FloorSession, event: dict[str, Any]) -> Any:
        """The statement's parameters for appending ``event`` at the session's revision."""
        values = {
            **session.key,
            **event,
            "expected": session.revision,
            "created": session.create_time,
            "update_time": event["timestamp"],
        }
        if self._postgres is not None:
            return [values[name] for name in self._names]
        return values

    async def append_event(self, session: FloorSession, parameters: Any) -> None:
        if self._sqlite is not None:
            await self._sqlite.execute(self._sql, parameters)
        else:
            assert self._postgres is not None
            revision = await self._postgres.fetchval(self._sql, *parameters)
            if revision is None:
                raise RuntimeError(f"floor append refused at revision {session.revision}")
        session.revision += 1


def adk_event_documents(count: int) -> list[dict[str, Any]]:
    """``count`` google-adk events as the JSON dicts a store keeps, for the read floor."""
    return [
        AdkEvent(
            author=AUTHOR,
            invocation_id=INVOCATION_ID,
            content={"role": "model", "parts": [{"text": event_text(index)}]},
            actions={"state_delta": stored_delta(index)},
        ).model_dump(mode="json", exclude_none=True)
        for index in range(count)
    ]


def build_adk_events(documents: list[dict[str, Any]]) -> list[AdkEvent]:
    return [AdkEvent.model_validate(document) for document in documents]
