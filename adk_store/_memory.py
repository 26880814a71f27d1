"""``MemoryService``: memories in the sessions' database, searched with its full-text engine.

Every method reads as ``SessionService``'s do: check the arguments (``_validate``,
``_new_memories``, which also makes memories of what a caller hands over), run a compiled
statement (``_memory_statements``) on a connection of the session service's pool (through
its :attr:`~SessionService.store`), and turn rows into values (``_memory_codec``). The words
a memory is found by are worked out in ``_memory_text``, the text search configuration is
checked in ``_text_search_config``; the engine's own parts live in ``dialects/fulltext``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import InvalidArgumentError
from ._lifecycle import Wrapping
from ._memory_models import Memory, NewMemory
from ._memory_statements import MemoryStatements
from ._memory_text import query_terms, scope_token
from ._models import Event, Session
from ._new_memories import (
    check_memory,
    check_owner,
    checked_metadata,
    memories_of_events,
    memory_of,
)
from ._runtime import ConnectionPool, Database
from ._service import SessionService
from ._text_search_config import TextSearchConfig
from ._validate import MAX_ROWS, check_id
from .dialects.fulltext import DEFAULT_TEXT_SEARCH_CONFIG

DEFAULT_SEARCH_LIMIT = 10
"""Memories a search returns at most, unless told otherwise."""


class MemoryService(Wrapping):
    """Memories of an app's users, in the same database (and pool) as its sessions.

    >>> sessions = SessionService("sqlite+aiosqlite:///app.db")
    >>> memory = MemoryService(sessions)
    >>> await memory.add_session(session)
    >>> found = await memory.search(app_name="app", user_id="u1", query="favourite drink")

    ``store`` is a :class:`SessionService` whose database and connections the memories share
    (it stays open when this service closes), or a database URL or ``databases.Database``,
    for which a session service of its own is made with ``options`` and closed with this one.

    Every write is idempotent: a memory of an event has an id derived from its session and
    event ids, one added on its own an id derived from its text, content and author (unless
    given one), and a memory whose id is stored already is left as it is. So adding a session
    again, or after new events, stores only what is new.

    ``text_search_config``: on PostgreSQL, the text search configuration memories are
    indexed and searched with (``"simple"``, language-neutral, by default; ``"english"``
    stems English words). A memory keeps the configuration it was stored with, so keep one
    per database. SQLite's FTS5 has one tokenizer, set by the schema; only the default is
    accepted there.
    """

    def __init__(
        self,
        store: SessionService | str | Database,
        *,
        text_search_config: str = DEFAULT_TEXT_SEARCH_CONFIG,
        **options: Any,
    ) -> None:
        if isinstance(store, SessionService):
            if options:
                raise InvalidArgumentError(
                    f"options {sorted(options)} are for a database URL; a SessionService "
                    "given is used as it is"
                )
            self._sessions = store
        else:
            self._sessions = SessionService(store, **options)
        self._wrap(self._sessions, owned=not isinstance(store, SessionService))
        self._store = self._sessions.store
        self._config = TextSearchConfig(text_search_config, self._store.dialect)
        self._statements = MemoryStatements(self._store.dialect)

    @property
    def sessions(self) -> SessionService:
        """The session service whose database holds the memories."""
        return self._sessions

    async def close(self) -> None:
        """Close the session service if this one made it (a given one stays open)."""
        await super().close()

    # -- adding ------------------------------------------------------------------------------

    async def add_session(
        self, session: Session, *, custom_metadata: Mapping[str, Any] | None = None
    ) -> int:
        """Remember the events of ``session`` that hold text; returns how many were new.

        >>> await memory.add_session(await sessions.get_session(...))
        3
        """
        if not isinstance(session, Session):
            raise InvalidArgumentError(f"session must be a Session, not {type(session).__name__}")
        return await self.add_events(
            app_name=session.app_name,
            user_id=session.user_id,
            events=session.events,
            session_id=session.id,
            custom_metadata=custom_metadata,
        )

    async def add_events(
        self,
        *,
        app_name: str,
        user_id: str,
        events: Sequence[Event],
        session_id: str | None = None,
        custom_metadata: Mapping[str, Any] | None = None,
    ) -> int:
        """Remember the events that hold text (partial ones and thoughts are left out), as
        memories of ``session_id`` if given; returns how many were new."""
        check_owner(app_name, user_id)
        if session_id is not None:
            check_id(session_id, "session_id")
        metadata = checked_metadata(custom_metadata)
        found = memories_of_events(app_name, user_id, events, session_id, metadata)
        return len(await self._insert_new(app_name, found, session_id))

    async def add_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: Sequence[NewMemory],
        custom_metadata: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Remember each of ``memories`` on its own; returns their ids, in order (stored
        now or before).

        >>> await memory.add_memories(app_name="app", user_id="u1",
        ...     memories=[NewMemory(text="Ada's favourite drink is a flat white")])
        ['8c5a…']
        """
        check_owner(app_name, user_id)
        shared = checked_metadata(custom_metadata)
        now = time.time()
        found = [memory_of(app_name, user_id, new, shared, now) for new in memories]
        await self._insert_new(app_name, found, None)
        return [memory.id for memory in found]

    async def import_memory(self, memory: Memory) -> bool:
        """Store ``memory`` exactly as given (its id, source and time kept); ``False`` when a
        memory with its id is stored already (it is left as it is)."""
        check_memory(memory)
        return bool(await self._insert_new(memory.app_name, [memory], None))

    async def _insert_new(
        self, app_name: str, found: list[Memory], session_id: str | None
    ) -> list[str]:
        """Store the memories of ``found`` not stored yet, in one transaction; their ids."""
        if not found:
            return []
        codec = self._store.memory_codec
        rows = [{**codec.memory_values(memory), "config": self._config.name} for memory in found]
        sql = self._statements

        async def write(pool: ConnectionPool) -> list[str]:
            async with pool.writer() as connection:
                await self._config.check(connection, self._statements.check_config)
                async with self._store.write_transaction(connection):
                    known: set[str] = set()
                    if session_id is not None:
                        ids = await connection.fetch_all(sql.select_memory_ids, rows[0])
                        known = {row[0] for row in ids}
                    stored = []
                    for row in rows:
                        if row["id"] in known:
                            continue
                        if await connection.fetch_one(sql.insert_memory, row) is not None:
                            stored.append(row["id"])
                            known.add(row["id"])
                    return stored

        return await self._store.connector.call("add_memories", write, app_name=app_name)

    # -- reading -----------------------------------------------------------------------------

    async def search(
        self, *, app_name: str, user_id: str, query: str, limit: int = DEFAULT_SEARCH_LIMIT
    ) -> list[Memory]:
        """The memories of one user of an app that hold any word of ``query``, best match
        first, at most ``limit``.

        Words are matched whole, case and accents aside (on PostgreSQL as its text search
        configuration says); in scripts written without spaces (Chinese, Japanese, …) any two
        adjacent characters of the query match. Quotes and operators in ``query`` are plain
        text; its first 64 distinct words count.

        >>> [m.text for m in await memory.search(app_name="app", user_id="u1", query="drink")]
        ["Ada's favourite drink is a flat white"]
        """
        check_owner(app_name, user_id)
        if not isinstance(query, str):
            raise InvalidArgumentError(f"query must be a str, not {type(query).__name__}")
        limit = _check_limit(limit)
        terms = query_terms(query)
        if not terms:
            return []
        scope = scope_token(app_name, user_id)
        values = {
            "app_name": app_name,
            "user_id": user_id,
            "scope": scope,
            "query": self._store.dialect.memory_index.query_text(scope, terms),
            "config": self._config.name,
            "limit": limit,
        }

        async def read(pool: ConnectionPool) -> list[Memory]:
            async with pool.reader() as connection:
                await self._config.check(connection, self._statements.check_config)
                rows = await connection.fetch_all(self._statements.search, values)
            return self._store.memory_codec.memories_from_rows(rows)

        return await self._store.connector.call("search_memory", read, app_name=app_name)

    async def list_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None = None,
        limit: int | None = None,
    ) -> list[Memory]:
        """The memories of one user (or of one of their sessions), oldest first."""
        check_owner(app_name, user_id)
        values: dict[str, Any] = {
            "app_name": app_name,
            "user_id": user_id,
            "limit": MAX_ROWS if limit is None else _check_limit(limit),
        }
        query = self._statements.list_user
        if session_id is not None:
            check_id(session_id, "session_id")
            values["session_id"] = session_id
            query = self._statements.list_session

        async def read(pool: ConnectionPool) -> list[Memory]:
            async with pool.reader() as connection:
                rows = await connection.fetch_all(query, values)
            return self._store.memory_codec.memories_from_rows(rows)

        return await self._store.connector.call("list_memories", read, app_name=app_name)

    async def count(
        self,
        *,
        app_name: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
    ) -> int:
        """How many memories the store holds: in all, of an app, of a user, of a session."""
        values: dict[str, Any] = {}
        query = self._statements.count_all
        if app_name is not None:
            check_id(app_name, "app_name")
            values["app_name"] = app_name
            query = self._statements.count_app
        if user_id is not None:
            if app_name is None:
                raise InvalidArgumentError("counting one user's memories needs its app_name")
            check_id(user_id, "user_id")
            values["user_id"] = user_id
            query = self._statements.count_user
        if session_id is not None:
            if user_id is None:
                raise InvalidArgumentError("counting a session's memories needs its user_id")
            check_id(session_id, "session_id")
            values["session_id"] = session_id
            query = self._statements.count_session

        async def read(pool: ConnectionPool) -> int:
            async with pool.reader() as connection:
                return int(await connection.fetch_val(query, values) or 0)

        return await self._store.connector.call("count_memories", read, app_name=app_name)

    # -- deleting ----------------------------------------------------------------------------

    async def delete_memory(self, *, app_name: str, user_id: str, memory_id: str) -> bool:
        """Delete one memory; ``False`` when there was none with that id."""
        check_owner(app_name, user_id)
        check_id(memory_id, "memory_id")
        values = {"app_name": app_name, "user_id": user_id, "id": memory_id}

        async def delete(pool: ConnectionPool) -> bool:
            async with pool.writer() as connection, self._store.write_transaction(connection):
                return (
                    await connection.fetch_one(self._statements.delete_memory, values) is not None
                )

        return await self._store.connector.call("delete_memory", delete, app_name=app_name)

    async def delete_user_memories(self, *, app_name: str, user_id: str) -> int:
        """Delete every memory of one user of an app; returns how many there were."""
        check_owner(app_name, user_id)
        values = {"app_name": app_name, "user_id": user_id}
        sql = self._statements
        return await self._delete_counted(sql.count_user, sql.delete_user, values)

    async def delete_session_memories(
        self, *, app_name: str, user_id: str, session_id: str
    ) -> int:
        """Delete the memories of one session; returns how many there were."""
        check_owner(app_name, user_id)
        check_id(session_id, "session_id")
        values = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
        sql = self._statements
        return await self._delete_counted(sql.count_session, sql.delete_session, values)

    async def _delete_counted(self, count: str, delete: str, values: dict[str, Any]) -> int:
        async def run(pool: ConnectionPool) -> int:
            async with pool.writer() as connection, self._store.write_transaction(connection):
                held = int(await connection.fetch_val(count, values) or 0)
                await connection.execute(delete, values)
                return held

        return await self._store.connector.call(
            "delete_memories", run, app_name=values["app_name"]
        )


def _check_limit(limit: object) -> int:
    if type(limit) is not int or limit < 1:
        raise InvalidArgumentError(f"limit must be a positive int, not {limit!r}")
    return min(limit, MAX_ROWS)
