"""The floor: what the database itself costs, with no library in the way.

Appends run the core's own one-statement append SQL through the raw driver (aiosqlite,
asyncpg or asyncmy) on one held connection, with every value encoded before the clock starts.
Reading a session's events has no SQL floor worth quoting; its floor is the bare cost of
building google-adk ``Event`` objects from their stored JSON, which every adk-shaped read pays.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosqlite
import asyncmy
import asyncpg
from google.adk.events import Event as AdkEvent

from adk_store.dialects.mysql import SQL_MODE

from .core_sql import SQLITE_JSON_MERGE, append_sql, numbered, pyformat, sqlite_json_merge
from .implementations import AUTHOR, INVOCATION_ID, Core, event_text, stored_delta


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class FloorSession:
    """A session the floor appends to: its key and the revision it is at."""

    def __init__(self, app_name: str, user_id: str, session_id: str, create_time: float) -> None:
        self.key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
        self.create_time = create_time
        self.revision = 0


class RawAppend(ABC):
    """The append statement on one held connection of a database's raw driver."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sql = append_sql(url)

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    def bind(self, values: dict[str, Any]) -> Any:
        """The driver's parameters for the statement, from its values by name."""
        return values

    @abstractmethod
    async def run(self, parameters: Any) -> bool:
        """Append; False when the database refused (the revision moved on)."""


class SqliteAppend(RawAppend):
    async def open(self) -> None:
        # Autocommit, as adk-store runs the append: the statement is its own transaction.
        self.connection = await aiosqlite.connect(
            self.url.split(":///", 1)[1], isolation_level=None
        )
        # The settings adk-store gives its own SQLite connections.
        for pragma in ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = NORMAL"):
            await self.connection.execute(f"PRAGMA {pragma}")
        await self.connection.create_function(
            SQLITE_JSON_MERGE, 2, sqlite_json_merge, deterministic=True
        )

    async def close(self) -> None:
        await self.connection.close()

    async def run(self, parameters: Any) -> bool:
        await self.connection.execute(self.sql, parameters)
        return True


class PostgresAppend(RawAppend):
    async def open(self) -> None:
        self.sql, self.names = numbered(self.sql)
        self.connection = await asyncpg.connect(self.url.replace("+asyncpg", "", 1))

    async def close(self) -> None:
        await self.connection.close()

    def bind(self, values: dict[str, Any]) -> Any:
        return [values[name] for name in self.names]

    async def run(self, parameters: Any) -> bool:
        return await self.connection.fetchval(self.sql, *parameters) is not None


class MariadbAppend(RawAppend):
    async def open(self) -> None:
        self.sql = pyformat(self.sql)
        parts = urlsplit(self.url)
        self.connection = await asyncmy.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            database=parts.path.lstrip("/"),
            charset="utf8mb4",
            autocommit=True,
        )
        # The settings adk-store gives its own MariaDB connections.
        async with self.connection.cursor() as cursor:
            await cursor.execute(f"SET SESSION sql_mode = '{SQL_MODE}'")
            await cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")

    async def close(self) -> None:
        self.connection.close()

    async def run(self, parameters: Any) -> bool:
        async with self.connection.cursor() as cursor:
            await cursor.execute(self.sql, parameters)
            row = await cursor.fetchone()
            while await cursor.nextset():
                pass
        return row is not None and row[0] is not None


RAW_APPENDS: dict[str, type[RawAppend]] = {
    "sqlite": SqliteAppend,
    "postgresql": PostgresAppend,
    "mysql": MariadbAppend,
}
"""The raw append of each database, by the scheme its URLs start with."""


class Floor:
    """Raw-driver appends; sessions are created and read back through the core service."""

    name = "floor"
    description = "one-statement append SQL, raw driver"

    def __init__(self, url: str) -> None:
        self.url = url
        self.core = Core(url)
        self._append = RAW_APPENDS[urlsplit(url).scheme.split("+", 1)[0]](url)

    async def open(self) -> None:
        await self.core.open()
        await self._append.open()

    async def close(self) -> None:
        await self._append.close()
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
        return self._append.bind(
            {
                **session.key,
                **event,
                "expected": session.revision,
                "created": session.create_time,
                "update_time": event["timestamp"],
            }
        )

    async def append_event(self, session: FloorSession, parameters: Any) -> None:
        if not await self._append.run(parameters):
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
