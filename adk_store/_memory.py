"""``MemoryService``: memories in the sessions' database, searched with its full-text engine.

Every method reads as ``SessionService``'s do: check the arguments (``_validate``), run a
compiled statement (``_memory_statements``) on a connection of the session service's pool
(``_runtime``), and turn rows into values (``_memory_codec``). The words a memory is found by
are worked out in ``_memory_text``; the engine's own parts live in ``dialects/fulltext``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from ._errors import InvalidArgumentError
from ._memory_codec import MemoryCodec
from ._memory_models import Memory, NewMemory
from ._memory_statements import MemoryStatements
from ._memory_text import content_text, derived_memory_id, query_terms, scope_token
from ._models import Event, JsonDict, Session
from ._runtime import Connection, ConnectionPool, Database, write_transaction
from ._service import SessionService
from ._state import check_json_value
from ._validate import MAX_ROWS, check_id, check_seconds
from .dialects.fulltext import DEFAULT_TEXT_SEARCH_CONFIG

DEFAULT_SEARCH_LIMIT = 10
"""Memories a search returns at most, unless told otherwise."""


class MemoryService:
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
            self._owns_sessions = False
        else:
            self._sessions = SessionService(store, **options)
            self._owns_sessions = True
        self._dialect = self._sessions._dialect
        if not isinstance(text_search_config, str) or not text_search_config:
            raise InvalidArgumentError(
                f"text_search_config must be a non-empty str, not {text_search_config!r}"
            )
        configurable = self._dialect.memory_index.configurable
        if not configurable and text_search_config != DEFAULT_TEXT_SEARCH_CONFIG:
            raise InvalidArgumentError(
                f"text_search_config is for PostgreSQL; {self._dialect.name} searches with "
                "the tokenizer its schema sets"
            )
        self._config = text_search_config
        self._config_checked = not configurable
        self._statements = MemoryStatements(self._dialect)
        self._codec = MemoryCodec(self._dialect)

    @property
    def sessions(self) -> SessionService:
        """The session service whose database holds the memories."""
        return self._sessions

    async def __aenter__(self) -> MemoryService:
        await self._sessions.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session service if this one made it (a given one stays open)."""
        if self._owns_sessions:
            await self._sessions.close()

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
        _check_owner(app_name, user_id)
        if session_id is not None:
            check_id(session_id, "session_id")
        metadata = _metadata(custom_metadata)
        found: list[Memory] = []
        for event in events:
            if not isinstance(event, Event):
                raise InvalidArgumentError(f"events must be Events, not {type(event).__name__}")
            check_id(event.id, "event id")
            text = content_text(event.content)
            if event.partial or not text:
                continue
            found.append(
                Memory(
                    app_name=app_name,
                    user_id=user_id,
                    id=derived_memory_id("event", session_id, event.id),
                    text=text,
                    content=event.content,
                    custom_metadata=metadata,
                    session_id=session_id,
                    event_id=event.id,
                    author=event.author,
                    timestamp=check_seconds(event.timestamp, f"event {event.id!r} timestamp"),
                )
            )
        return len(await self._store(app_name, found, session_id))

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
        _check_owner(app_name, user_id)
        shared = _metadata(custom_metadata)
        now = time.time()
        found = [_memory_of(app_name, user_id, new, shared, now) for new in memories]
        await self._store(app_name, found, None)
        return [memory.id for memory in found]

    async def import_memory(self, memory: Memory) -> bool:
        """Store ``memory`` exactly as given (its id, source and time kept); ``False`` when a
        memory with its id is stored already (it is left as it is)."""
        check_memory(memory)
        return bool(await self._store(memory.app_name, [memory], None))

    async def _store(
        self, app_name: str, found: list[Memory], session_id: str | None
    ) -> list[str]:
        """Store the memories of ``found`` not stored yet, in one transaction; their ids."""
        if not found:
            return []
        rows = [{**self._codec.memory_values(memory), "config": self._config} for memory in found]
        sql = self._statements

        async def write(pool: ConnectionPool) -> list[str]:
            async with pool.writer() as connection:
                await self._check_config(connection)
                async with write_transaction(connection, self._dialect.begin_write):
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

        return await self._sessions._connector.call("add_memories", write, app_name=app_name)

    async def _check_config(self, connection: Connection) -> None:
        if self._config_checked:
            return
        try:
            await connection.fetch_val(self._statements.check_config, {"config": self._config})
        except Exception:
            raise InvalidArgumentError(
                f"text_search_config {self._config!r} is not a text search configuration of "
                "this database (see SELECT cfgname FROM pg_ts_config)"
            ) from None
        self._config_checked = True

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
        _check_owner(app_name, user_id)
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
            "query": self._dialect.memory_index.query_text(scope, terms),
            "config": self._config,
            "limit": limit,
        }

        async def read(pool: ConnectionPool) -> list[Memory]:
            async with pool.reader() as connection:
                await self._check_config(connection)
                rows = await connection.fetch_all(self._statements.search, values)
            return self._codec.memories_from_rows(rows)

        return await self._sessions._connector.call("search_memory", read, app_name=app_name)

    async def list_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str | None = None,
        limit: int | None = None,
    ) -> list[Memory]:
        """The memories of one user (or of one of their sessions), oldest first."""
        _check_owner(app_name, user_id)
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
            return self._codec.memories_from_rows(rows)

        return await self._sessions._connector.call("list_memories", read, app_name=app_name)

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

        return await self._sessions._connector.call("count_memories", read, app_name=app_name)

    # -- deleting ----------------------------------------------------------------------------

    async def delete_memory(self, *, app_name: str, user_id: str, memory_id: str) -> bool:
        """Delete one memory; ``False`` when there was none with that id."""
        _check_owner(app_name, user_id)
        check_id(memory_id, "memory_id")
        values = {"app_name": app_name, "user_id": user_id, "id": memory_id}

        async def delete(pool: ConnectionPool) -> bool:
            async with (
                pool.writer() as connection,
                write_transaction(connection, self._dialect.begin_write),
            ):
                return (
                    await connection.fetch_one(self._statements.delete_memory, values) is not None
                )

        return await self._sessions._connector.call("delete_memory", delete, app_name=app_name)

    async def delete_user_memories(self, *, app_name: str, user_id: str) -> int:
        """Delete every memory of one user of an app; returns how many there were."""
        _check_owner(app_name, user_id)
        values = {"app_name": app_name, "user_id": user_id}
        sql = self._statements
        return await self._delete_counted(sql.count_user, sql.delete_user, values)

    async def delete_session_memories(
        self, *, app_name: str, user_id: str, session_id: str
    ) -> int:
        """Delete the memories of one session; returns how many there were."""
        _check_owner(app_name, user_id)
        check_id(session_id, "session_id")
        values = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
        sql = self._statements
        return await self._delete_counted(sql.count_session, sql.delete_session, values)

    async def _delete_counted(self, count: str, delete: str, values: dict[str, Any]) -> int:
        async def run(pool: ConnectionPool) -> int:
            async with (
                pool.writer() as connection,
                write_transaction(connection, self._dialect.begin_write),
            ):
                held = int(await connection.fetch_val(count, values) or 0)
                await connection.execute(delete, values)
                return held

        return await self._sessions._connector.call(
            "delete_memories", run, app_name=values["app_name"]
        )


def check_memory(memory: Memory) -> None:
    """What :meth:`MemoryService.import_memory` checks of ``memory`` before it writes:
    its ids, text, content, metadata and time."""
    if not isinstance(memory, Memory):
        raise InvalidArgumentError(f"memory must be a Memory, not {type(memory).__name__}")
    _check_owner(memory.app_name, memory.user_id)
    check_id(memory.id, "memory id")
    for name in ("session_id", "event_id", "author"):
        value = getattr(memory, name)
        if value is not None:
            check_id(value, name)
    if not isinstance(memory.text, str) or not memory.text.strip():
        raise InvalidArgumentError(f"memory {memory.id!r} has no text")
    if memory.content is not None and not isinstance(memory.content, dict):
        raise InvalidArgumentError(f"memory {memory.id!r}: content must be a dict")
    _metadata(memory.custom_metadata)
    check_seconds(memory.timestamp, f"memory {memory.id!r} timestamp")


def _check_owner(app_name: str, user_id: str) -> None:
    check_id(app_name, "app_name")
    check_id(user_id, "user_id")


def _check_limit(limit: object) -> int:
    if type(limit) is not int or limit < 1:
        raise InvalidArgumentError(f"limit must be a positive int, not {limit!r}")
    return min(limit, MAX_ROWS)


def _metadata(custom_metadata: Mapping[str, Any] | None) -> JsonDict:
    if custom_metadata is None:
        return {}
    if not isinstance(custom_metadata, Mapping):
        raise InvalidArgumentError(
            f"custom_metadata must be a mapping, not {type(custom_metadata).__name__}"
        )
    metadata = dict(custom_metadata)
    check_json_value(metadata, "custom_metadata")
    return metadata


def _memory_of(
    app_name: str, user_id: str, new: NewMemory, shared: JsonDict, now: float
) -> Memory:
    if not isinstance(new, NewMemory):
        raise InvalidArgumentError(f"memories must be NewMemory, not {type(new).__name__}")
    if new.content is not None and not isinstance(new.content, dict):
        raise InvalidArgumentError(
            f"a memory's content must be a dict, not {type(new.content).__name__}"
        )
    if new.text is not None and not isinstance(new.text, str):
        raise InvalidArgumentError(f"a memory's text must be a str, not {type(new.text).__name__}")
    text = new.text if new.text is not None else content_text(new.content)
    if not text.strip():
        raise InvalidArgumentError("a memory needs text: give text, or content with text parts")
    if new.author is not None:
        check_id(new.author, "author")
    if new.content is not None:
        check_json_value(new.content, "memory content")
    memory_id = new.id
    if memory_id is None:
        memory_id = derived_memory_id("memory", text, new.content, new.author)
    check_id(memory_id, "memory id")
    timestamp = now if new.timestamp is None else check_seconds(new.timestamp, "timestamp")
    return Memory(
        app_name=app_name,
        user_id=user_id,
        id=memory_id,
        text=text,
        content=new.content,
        custom_metadata={**shared, **_metadata(new.custom_metadata)},
        author=new.author,
        timestamp=timestamp,
    )
