"""``SessionService``: the public API, with google-adk's method names and semantics."""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, TypeVar

import anyio
import databases
from databases.core import Connection

from . import _migrations
from ._codec import RowCodec, events_from_rows, row_values, session_from_row
from ._dialects import Dialect, SqliteOptions, dialect_for
from ._errors import (
    AdkStoreError,
    DatabaseError,
    EventExistsError,
    InvalidArgumentError,
    SessionExistsError,
    SessionNotFoundError,
    StaleSessionError,
)
from ._export import ExportWalk, read_page
from ._import import prepare_session_import, write_session_import
from ._models import Event, GetSessionConfig, JsonDict, ListSessionsResponse, Session, new_id
from ._operations import SessionKey, StoreStatus
from ._pool import ConnectionPool
from ._prune import BATCH_SIZE, delete_batch, prunable_page
from ._records import AppStateRecord, SessionRecord, StoredRecord, UserStateRecord
from ._runner import Runner, open_runner
from ._state import ScopedDelta, merge_scopes, split_state_delta, without_temp
from ._statements import Statements
from ._store_statements import StoreStatements
from ._transactions import write_transaction

T = TypeVar("T")

MAX_ROWS = 2**62
"""Counts above this (a row limit must fit a signed 64-bit integer) mean "all"."""

MAX_ID_CHARS = 255
MAX_ID_BYTES = 640
"""Ids are bounded so that the four-part event key fits PostgreSQL's b-tree entry limit."""


class SessionService:
    """Stores sessions, their events and app/user/session state in SQLite or PostgreSQL.

    >>> async with SessionService("sqlite+aiosqlite:///app.db", create_schema=True) as service:
    ...     session = await service.create_session(app_name="app", user_id="u1")

    ``database`` is a URL (the service creates, owns and closes the connection pool) or the
    application's own ``databases.Database`` (reused; connected if needed; never disconnected
    unless the service connected it). The service opens itself on first use under asyncio or
    trio; ``close()`` (or leaving ``async with``) releases it.

    Options:

    * ``create_schema``: create or upgrade the schema when the service opens (otherwise a missing
      or outdated schema raises :class:`SchemaVersionError`).
    * ``pool_size``: connections held for reading (and, on PostgreSQL, writing).
    * ``allow_stale_appends``: the default for ``append_event(..., allow_stale=)``.
    * ``sqlite_busy_timeout``: seconds a SQLite writer waits for another process's write lock.
    * ``sqlite_synchronous``: SQLite's ``synchronous`` PRAGMA (``"NORMAL"`` or ``"FULL"``).
    """

    def __init__(
        self,
        database: str | databases.Database,
        *,
        create_schema: bool = False,
        pool_size: int = 5,
        allow_stale_appends: bool = False,
        sqlite_busy_timeout: float = 30.0,
        sqlite_synchronous: str = "NORMAL",
    ) -> None:
        if pool_size < 1:
            raise InvalidArgumentError(f"pool_size must be at least 1, not {pool_size}")
        url = database if isinstance(database, str) else str(database.url)
        self._dialect: Dialect = dialect_for(
            url,
            SqliteOptions(
                busy_timeout_ms=int(sqlite_busy_timeout * 1000), synchronous=sqlite_synchronous
            ),
        )
        self._database = (
            database
            if isinstance(database, databases.Database)
            else databases.Database(url, **self._dialect.database_options(pool_size))
        )
        self._schema_mode = "create" if create_schema else "check"
        self._pool_size = pool_size
        self._allow_stale = allow_stale_appends
        self._statements = Statements(self._dialect)
        self._store_statements = StoreStatements(self._dialect)
        self._codec = RowCodec(self._dialect)
        self._runner: Runner | None = None
        self._pool: ConnectionPool | None = None
        self._opening: anyio.Event | None = None
        self._connected_database = False
        self._closed = False
        self._closing: anyio.Event | None = None
        self._in_flight = 0
        """Calls running on the runner; ``close()`` waits until there are none."""
        self._drained: anyio.Event | None = None

    @property
    def dialect_name(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._dialect.name

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> SessionService:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect, and check (or create) the schema. Called for you on first use."""
        while self._opening is not None:
            # Another caller is opening; if it fails or is cancelled, try again ourselves.
            await self._opening.wait()
        if self._closed:
            raise AdkStoreError("the service is closed; create a new SessionService")
        if self._runner is not None:
            return
        self._opening = anyio.Event()
        runner = open_runner()
        try:
            await runner.run(self._connect)
        except BaseException as error:
            with anyio.CancelScope(shield=True):
                await runner.aclose()
            if isinstance(error, Exception) and not isinstance(error, AdkStoreError):
                raise DatabaseError(
                    f"cannot open the {self._dialect.name} database: "
                    f"{type(error).__name__}: {error}"
                ) from error
            raise
        else:
            self._runner = runner
        finally:
            self._opening.set()
            self._opening = None

    async def close(self) -> None:
        """Wait for the calls in progress, release held connections, and disconnect the
        database if the service connected it.

        New calls are refused from the moment ``close()`` is called; a closed service stays
        closed (later calls raise :class:`AdkStoreError`).
        """
        self._closed = True
        with anyio.CancelScope(shield=True):
            if self._closing is not None:
                await self._closing.wait()
                return
            self._closing = anyio.Event()
            try:
                while self._opening is not None:
                    await self._opening.wait()
                if self._in_flight:
                    self._drained = anyio.Event()
                    await self._drained.wait()
                runner, self._runner = self._runner, None
                if runner is not None:
                    try:
                        await runner.run(self._disconnect)
                    finally:
                        await runner.aclose()
            finally:
                self._closing.set()

    async def _connect(self) -> None:
        if not self._database.is_connected:
            await self._database.connect()
            self._connected_database = True
        single_writer = self._dialect.name == "sqlite"
        self._pool = ConnectionPool(
            self._database,
            self._dialect.prepare_connection,
            self._dialect.is_alive,
            size=self._pool_size,
            single_writer=single_writer,
            shared=single_writer and getattr(self._dialect, "in_memory", False),
        )
        try:
            async with self._pool.writer() as connection:
                if self._schema_mode == "create":
                    await _migrations.upgrade(connection, self._dialect, self._statements)
                elif self._schema_mode == "check":
                    await _migrations.check(connection, self._dialect, self._statements)
        except BaseException:
            await self._disconnect()
            raise

    async def _disconnect(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._connected_database:
            self._connected_database = False
            await self._database.disconnect()

    async def _call(self, what: str, operation: Callable[[ConnectionPool], Awaitable[T]]) -> T:
        """Run ``operation`` on the service's loop; driver errors become DatabaseError."""
        if self._runner is None:
            await self.open()
        runner = self._runner
        if runner is None or self._closed:
            raise AdkStoreError("the service is closed; create a new SessionService")

        async def with_pool() -> T:
            if self._pool is None:
                raise AdkStoreError("the service is closed")
            return await operation(self._pool)

        self._in_flight += 1
        try:
            return await runner.run(with_pool)
        except AdkStoreError:
            raise
        except Exception as error:
            raise DatabaseError(f"{what} failed: {type(error).__name__}: {error}") from error
        finally:
            self._in_flight -= 1
            if not self._in_flight and self._drained is not None:
                self._drained.set()

    async def _stored_schema_version(self) -> int:
        async def read(pool: ConnectionPool) -> int:
            async with pool.reader() as connection:
                return await _migrations.stored_version(
                    connection, self._dialect, self._statements
                )

        return await self._call("schema version", read)

    # -- sessions ----------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: Mapping[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        """Create a session; ``app:``/``user:`` keys of ``state`` go to the shared scopes.

        A blank or missing ``session_id`` gets a new uuid4; an existing one raises
        :class:`SessionExistsError`.
        """
        _check_id(app_name, "app_name")
        _check_id(user_id, "user_id")
        if session_id is not None and not isinstance(session_id, str):
            raise InvalidArgumentError(
                f"session_id must be a str or None, not {type(session_id).__name__}"
            )
        session_id = session_id.strip() if session_id and session_id.strip() else new_id()
        _check_id(session_id, "session_id")
        scoped = split_state_delta(state or {})
        key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
        now = time.time()
        session_state = self._codec.state_json(scoped.session_state, "state")
        shared = self._shared_delta(scoped, "state")
        sql = self._statements

        async def create(pool: ConnectionPool) -> tuple[Any, Any]:
            async with pool.writer() as connection, write_transaction(connection, self._dialect):
                try:
                    await connection.execute(
                        sql.insert_session, {**key, "session_state": session_state, "now": now}
                    )
                except Exception as error:
                    if self._dialect.is_unique_violation(error):
                        raise SessionExistsError(app_name, user_id, session_id) from None
                    raise
                await self._merge_shared_state(connection, key, shared, now)
                row = await connection.fetch_one(
                    sql.select_scopes, {"app_name": app_name, "user_id": user_id}
                )
                assert row is not None
                return row[0], row[1]

        app_state, user_state = await self._call("create_session", create)
        return Session(
            id=session_id,
            app_name=app_name,
            user_id=user_id,
            state=merge_scopes(
                _json_object(app_state), _json_object(user_state), scoped.session_state
            ),
            last_update_time=now,
            revision=0,
            create_time=now,
        )

    async def _merge_shared_state(
        self, connection: Connection, key: Mapping[str, str], shared: _SharedDelta, now: float
    ) -> None:
        """Merge the app and user parts of a delta into their rows (only those that change)."""
        if shared.app_json is not None:
            await connection.execute(
                self._statements.upsert_app_state,
                {"app_name": key["app_name"], "state_delta": shared.app_json, "now": now},
            )
        if shared.user_json is not None:
            await connection.execute(
                self._statements.upsert_user_state,
                {
                    "app_name": key["app_name"],
                    "user_id": key["user_id"],
                    "state_delta": shared.user_json,
                    "now": now,
                },
            )

    def _shared_delta(self, scoped: ScopedDelta, where: str) -> _SharedDelta:
        """JSON for the app and user parts of a delta; ``None`` for a part that is empty."""
        return _SharedDelta(
            self._codec.state_json(scoped.app_state, where) if scoped.app_state else None,
            self._codec.state_json(scoped.user_state, where) if scoped.user_state else None,
        )

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: GetSessionConfig | None = None,
    ) -> Session | None:
        """The session with its merged state and events (oldest first), or ``None``."""
        _check_id(app_name, "app_name")
        _check_id(user_id, "user_id")
        _check_id(session_id, "session_id")
        config = config or GetSessionConfig()
        recent = _check_recent(config.num_recent_events)
        after = _check_timestamp(config.after_timestamp, "after_timestamp")
        key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
        sql = self._statements

        async def load(pool: ConnectionPool) -> Session | None:
            async with pool.reader() as connection:
                row = await connection.fetch_one(sql.select_session, key)
                if row is None:
                    return None
                events: list[Event] = []
                if recent != 0:
                    values: dict[str, Any] = {**key, "revision": row[4]}
                    if after is not None:
                        values["after_timestamp"] = after
                    if recent is None:
                        query = sql.select_events if after is None else sql.select_events_after
                    else:
                        values["limit"] = recent
                        query = (
                            sql.select_recent_events
                            if after is None
                            else sql.select_recent_events_after
                        )
                    rows = await connection.fetch_all(query, values)
                    events = events_from_rows(rows)
                    if recent is not None:
                        events.reverse()
                return session_from_row(row, events)

        return await self._call("get_session", load)

    async def list_sessions(
        self,
        *,
        app_name: str,
        user_id: str | None = None,
        limit: int | None = None,
        page_token: str | None = None,
        newest_first: bool = False,
    ) -> ListSessionsResponse:
        """Sessions of an app (or of one user), without events, oldest update first
        (``newest_first``: most recently updated first).

        With ``limit``, at most that many come back, and ``next_page_token`` fetches the rest
        (pass the same arguments with it); pages stay consistent while sessions are added.
        """
        _check_id(app_name, "app_name")
        if user_id is not None:
            _check_id(user_id, "user_id")
        if limit is not None and (type(limit) is not int or limit < 1):
            raise InvalidArgumentError(f"limit must be a positive int or None, not {limit!r}")
        if page_token is not None and limit is None:
            raise InvalidArgumentError("page_token needs a limit")
        values: dict[str, Any] = {"app_name": app_name}
        if user_id is not None:
            values["user_id"] = user_id
        queries = self._statements.list_sessions[user_id is not None, bool(newest_first)]
        if limit is None:
            query = queries.every
        else:
            values["limit"] = min(limit, MAX_ROWS) + 1
            query = queries.first_page
            if page_token is not None:
                values.update(
                    _decode_page_token(
                        page_token, with_user_id=user_id is None, newest_first=bool(newest_first)
                    )
                )
                query = queries.next_page

        async def page(pool: ConnectionPool) -> ListSessionsResponse:
            async with pool.reader() as connection:
                rows = await connection.fetch_all(query, values)
            sessions = [session_from_row(row, []) for row in rows]
            next_token = None
            if limit is not None and len(sessions) > limit:
                del sessions[limit:]
                next_token = _encode_page_token(
                    sessions[-1], with_user_id=user_id is None, newest_first=bool(newest_first)
                )
            return ListSessionsResponse(sessions=sessions, next_page_token=next_token)

        return await self._call("list_sessions", page)

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        """Delete the session and its events; deleting a missing session does nothing."""
        _check_id(app_name, "app_name")
        _check_id(user_id, "user_id")
        _check_id(session_id, "session_id")
        key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}

        async def delete(pool: ConnectionPool) -> None:
            async with pool.writer() as connection, write_transaction(connection, self._dialect):
                await connection.execute(self._statements.delete_session, key)

        await self._call("delete_session", delete)

    # -- events ------------------------------------------------------------------------------

    async def append_event(
        self, session: Session, event: Event, *, allow_stale: bool | None = None
    ) -> Event:
        """Store ``event`` and apply its state delta, in one transaction.

        Partial events are returned untouched and not stored. ``temp:`` keys of the delta are
        applied to ``session.state`` only. On success the event is added to ``session.events``
        and ``session.last_update_time`` and ``session.revision`` advance.

        If another writer appended to the session since ``session`` was loaded, this raises
        :class:`StaleSessionError` and stores nothing — unless ``allow_stale`` is true: then the
        event is appended after the others and ``session`` is brought up to date (the missed
        events are inserted before this one and ``state`` is reloaded).
        """
        if event.partial:
            return event
        allow = self._allow_stale if allow_stale is None else allow_stale
        for value, name in (
            (session.app_name, "app_name"),
            (session.user_id, "user_id"),
            (session.id, "session_id"),
            (event.id, "event id"),
        ):
            _check_id(value, name)
        full_delta = dict(event.actions.state_delta)
        scoped = split_state_delta(full_delta, where=f"event {event.id!r} state_delta")
        stored_actions = replace(event.actions, state_delta=without_temp(full_delta))
        event_values = self._codec.event_values(replace(event, actions=stored_actions))
        where = f"event {event.id!r} state_delta"
        session_delta = self._codec.state_json(scoped.session_state, where)
        shared = self._shared_delta(scoped, where)
        key = {"app_name": session.app_name, "user_id": session.user_id, "session_id": session.id}
        expected = session.revision
        created = _check_timestamp(session.create_time, "session.create_time")
        sql = self._statements

        names = (session.app_name, session.user_id, session.id)
        timestamp = event_values["timestamp"]

        def event_exists(error: Exception) -> EventExistsError | None:
            if self._dialect.is_unique_violation(error):
                return EventExistsError(*names, event.id)
            return None

        async def append_at_revision(connection: Connection) -> int | None:
            """The one-statement append; ``None`` if the session moved on (nothing written)."""
            values = {
                **key,
                **event_values,
                "expected": expected,
                "created": created,
                "session_delta": session_delta,
                "update_time": timestamp,
                "app_state_delta": shared.app_json,
                "user_state_delta": shared.user_json,
            }
            try:
                revision = await self._dialect.append_at_revision(
                    connection, sql.append_at_revision, values
                )
            except Exception as error:
                raise event_exists(error) or error from None
            if revision is not None:
                return revision
            stored = await connection.fetch_one(sql.select_revision, key)
            if stored is None:
                raise SessionNotFoundError(*names)
            stored_revision, stored_create_time = row_values(stored)
            recreated = created is not None and stored_create_time != created
            if recreated or not allow:
                # A session deleted and created again is another session: never append to
                # it through a copy of the old one, even when stale appends are allowed.
                raise StaleSessionError(
                    *names, expected_revision=expected, stored_revision=int(stored_revision)
                )
            return None

        async def append_in_transaction(connection: Connection) -> tuple[int, list[Event], Any]:
            """The general append: also brings a stale caller up to date when allowed."""
            async with write_transaction(connection, self._dialect):
                revision = await connection.fetch_val(
                    sql.bump_session,
                    {
                        **key,
                        "session_delta": session_delta,
                        "update_time": timestamp,
                        "created": created,
                    },
                )
                if revision is None:
                    raise SessionNotFoundError(*names)
                if revision != expected + 1 and not allow:
                    raise StaleSessionError(
                        *names, expected_revision=expected, stored_revision=revision - 1
                    )
                try:
                    await connection.execute(
                        sql.insert_event, {**key, **event_values, "seq": revision}
                    )
                except Exception as error:
                    raise event_exists(error) or error from None
                await self._merge_shared_state(connection, key, shared, timestamp)
                if revision == expected + 1:
                    return revision, [], None
                missed = await connection.fetch_all(
                    sql.select_events_between,
                    {**key, "after_seq": expected, "before_seq": revision},
                )
                row = await connection.fetch_one(sql.select_session, key)
                return revision, events_from_rows(missed), row

        def record(revision: int, missed: list[Event], fresh_row: Any) -> None:
            """Bring the caller's objects up to date with what was just committed."""
            event.actions.state_delta = stored_actions.state_delta
            if fresh_row is not None:
                temp_state = {
                    key: value for key, value in session.state.items() if key.startswith("temp:")
                }
                fresh = session_from_row(fresh_row, [])
                session.state = fresh.state
                session.create_time = fresh.create_time
                session.state.update(temp_state)
                session.events.extend(missed)
            session.state.update(full_delta)
            session.events.append(event)
            session.last_update_time = timestamp
            session.revision = revision

        async def append(pool: ConnectionPool) -> None:
            async with pool.writer() as connection:
                revision = await append_at_revision(connection)
                outcome = (
                    (revision, [], None)
                    if revision is not None
                    else await append_in_transaction(connection)
                )
            # Recorded here, with no await after the commit: a caller cancelled once the
            # commit was under way still finds its session matching what was stored.
            record(*outcome)

        await self._call("append_event", append)
        return event

    # -- store-wide operations ---------------------------------------------------------------

    async def status(self) -> StoreStatus:
        """Schema version, database kind, and counts of what the store holds.

        >>> (await service.status()).sessions
        10000
        """
        sql = self._store_statements

        async def read(pool: ConnectionPool) -> StoreStatus:
            async with pool.reader() as connection:
                version = await _migrations.stored_version(
                    connection, self._dialect, self._statements
                )
                row = await connection.fetch_one(sql.status)
            assert row is not None
            apps, users, sessions, events, oldest, newest = row_values(row)
            return StoreStatus(
                schema_version=version,
                database=self._dialect.name,
                apps=int(apps),
                users=int(users),
                sessions=int(sessions),
                events=int(events),
                oldest_update_time=oldest,
                newest_update_time=newest,
            )

        return await self._call("status", read)

    async def list_app_names(self) -> list[str]:
        """The names of the apps that have sessions, in byte order."""

        async def read(pool: ConnectionPool) -> list[str]:
            async with pool.reader() as connection:
                rows = await connection.fetch_all(self._store_statements.app_names)
            return sorted((row_values(row)[0] for row in rows), key=lambda name: name.encode())

        return await self._call("list_app_names", read)

    async def export_records(
        self, *, app_name: str | None = None, user_id: str | None = None
    ) -> AsyncIterator[StoredRecord]:
        """Every app state, user state and session (with its events) of the store, or of one
        app, or of one user of an app, as plain records; memory stays flat.

        Records come in a fixed order (app states, user states, sessions, each by key in byte
        order), so the same contents give the same sequence on any database. Each page is
        read in its own short transaction: a session changed during the export is exported
        as it was when its page was read.

        >>> async for record in service.export_records(app_name="tutor"):
        ...     print(record)
        """
        if app_name is not None:
            _check_id(app_name, "app_name")
        if user_id is not None:
            if app_name is None:
                raise InvalidArgumentError("exporting one user's sessions needs its app_name")
            _check_id(user_id, "user_id")
        walk = ExportWalk(app_name, user_id)

        async def page(pool: ConnectionPool) -> list[StoredRecord]:
            async with pool.reader() as connection:
                return await read_page(connection, walk, self._statements, self._store_statements)

        while not walk.done:
            for record in await self._call("export_records", page):
                yield record

    async def import_session(self, record: SessionRecord, *, skip_existing: bool = False) -> bool:
        """Store a session exactly as recorded: its state, times and events (ids, timestamps
        and order kept; its revision is its number of events), in one transaction.

        If the session already exists, nothing is written and :class:`SessionExistsError` is
        raised, or ``False`` returned when ``skip_existing``. Returns ``True`` once stored.
        ``record.state`` holds the session scope only; import app and user state with
        :meth:`import_app_state` and :meth:`import_user_state`.

        >>> await service.import_session(SessionRecord("tutor", "ada", "s1", events=[...]))
        True
        """
        for value, name in (
            (record.app_name, "app_name"),
            (record.user_id, "user_id"),
            (record.id, "session_id"),
        ):
            _check_id(value, name)
        for event in record.events:
            _check_id(event.id, "event id")
        prepared = prepare_session_import(record, self._codec)

        async def write(pool: ConnectionPool) -> None:
            async with pool.writer() as connection, write_transaction(connection, self._dialect):
                await write_session_import(
                    connection, prepared, self._dialect, self._statements, self._store_statements
                )

        try:
            await self._call("import_session", write)
        except SessionExistsError:
            if skip_existing:
                return False
            raise
        return True

    async def import_app_state(self, record: AppStateRecord) -> None:
        """Merge ``record.state`` into the app's state: its keys are set, others are kept.

        >>> await service.import_app_state(AppStateRecord("tutor", {"greeting": "hi"}))
        """
        _check_id(record.app_name, "app_name")
        state_json = self._codec.state_json(record.state, f"app {record.app_name!r} state")
        values = {"app_name": record.app_name, "state_delta": state_json, "now": time.time()}
        await self._write_state("import_app_state", self._statements.upsert_app_state, values)

    async def import_user_state(self, record: UserStateRecord) -> None:
        """Merge ``record.state`` into the user's state: its keys are set, others are kept.

        >>> await service.import_user_state(UserStateRecord("tutor", "ada", {"name": "Ada"}))
        """
        _check_id(record.app_name, "app_name")
        _check_id(record.user_id, "user_id")
        where = f"user {record.user_id!r} of app {record.app_name!r} state"
        values = {
            "app_name": record.app_name,
            "user_id": record.user_id,
            "state_delta": self._codec.state_json(record.state, where),
            "now": time.time(),
        }
        await self._write_state("import_user_state", self._statements.upsert_user_state, values)

    async def _write_state(self, what: str, statement: str, values: dict[str, Any]) -> None:
        async def write(pool: ConnectionPool) -> None:
            async with pool.writer() as connection, write_transaction(connection, self._dialect):
                await connection.execute(statement, values)

        await self._call(what, write)

    async def prune(
        self,
        *,
        updated_before: float,
        app_name: str | None = None,
        dry_run: bool = False,
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[Sequence[SessionKey]], None] | None = None,
    ) -> int:
        """Delete the sessions last updated before ``updated_before`` (epoch seconds), with
        their events; app and user state stay. Returns how many were deleted.

        Runs in batches of at most ``batch_size`` sessions, each its own short transaction,
        so appends go on meanwhile; a session updated after the cut-off is kept.
        ``on_batch`` is called with the sessions of each batch. With ``dry_run`` nothing is
        deleted: the sessions that would be are counted (and reported) instead.

        >>> await service.prune(updated_before=time.time() - 30 * 86400)
        42
        """
        cutoff = _check_timestamp(updated_before, "updated_before")
        assert cutoff is not None
        if app_name is not None:
            _check_id(app_name, "app_name")
        if type(batch_size) is not int or batch_size < 1:
            raise InvalidArgumentError(f"batch_size must be a positive int, not {batch_size!r}")
        last: SessionKey | None = None

        async def next_batch(pool: ConnectionPool) -> list[SessionKey]:
            if dry_run:
                async with pool.reader() as connection:
                    return await prunable_page(
                        connection, self._store_statements, cutoff, app_name, last, batch_size
                    )
            async with pool.writer() as connection, write_transaction(connection, self._dialect):
                return await delete_batch(
                    connection, self._store_statements, cutoff, app_name, batch_size
                )

        count = 0
        while True:
            batch = await self._call("prune", next_batch)
            count += len(batch)
            if batch and on_batch is not None:
                on_batch(batch)
            if len(batch) < batch_size:
                return count
            last = batch[-1]

    # -- shared state ------------------------------------------------------------------------

    async def get_user_state(self, *, app_name: str, user_id: str) -> JsonDict:
        """The state shared by every session of one user (keys without ``user:``)."""
        _check_id(app_name, "app_name")
        _check_id(user_id, "user_id")
        values = {"app_name": app_name, "user_id": user_id}
        return await self._fetch_state(
            "get_user_state", self._statements.select_user_state, values
        )

    async def get_app_state(self, *, app_name: str) -> JsonDict:
        """The state shared by every user and session of an app (keys without ``app:``)."""
        _check_id(app_name, "app_name")
        values = {"app_name": app_name}
        return await self._fetch_state("get_app_state", self._statements.select_app_state, values)

    async def _fetch_state(self, what: str, query: str, values: dict[str, Any]) -> JsonDict:
        async def fetch(pool: ConnectionPool) -> Any:
            async with pool.reader() as connection:
                return await connection.fetch_val(query, values)

        return _json_object(await self._call(what, fetch))


@dataclass(frozen=True)
class _SharedDelta:
    app_json: str | None
    user_json: str | None


def _json_object(text: str | None) -> JsonDict:
    return {} if text is None else dict(json.loads(text))


def _check_id(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise InvalidArgumentError(f"{name} must not be empty or blank")
    if len(value) > MAX_ID_CHARS or len(value.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        raise InvalidArgumentError(
            f"{name} {value[:40]!r}… is too long: at most {MAX_ID_CHARS} characters "
            f"and {MAX_ID_BYTES} bytes of UTF-8"
        )
    if "\x00" in value:
        raise InvalidArgumentError(f"{name} {value!r} contains a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError(f"{name} {value!r} contains a lone surrogate") from None


def _check_recent(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise InvalidArgumentError(f"num_recent_events must be an int or None, not {value!r}")
    if value < 0:
        raise InvalidArgumentError(f"num_recent_events must not be negative, not {value}")
    return min(value, MAX_ROWS)


def _check_timestamp(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{name} must be a number of seconds, not {value!r}")
    if not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be finite, not {value!r}")
    return float(value)


def _encode_page_token(last: Session, *, with_user_id: bool, newest_first: bool) -> str:
    position: list[Any] = [last.last_update_time, last.id]
    if with_user_id:
        position.insert(1, last.user_id)
    if newest_first:
        # The direction travels in the token: a token is refused by a call in the other order.
        position.append("newest_first")
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def _decode_page_token(token: str, *, with_user_id: bool, newest_first: bool) -> dict[str, Any]:
    refused = InvalidArgumentError(
        f"page_token {str(token)[:40]!r} is not a token list_sessions returned"
    )
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError, AttributeError, binascii.Error):
        raise refused from None
    if not isinstance(position, list) or len(position) != (3 if with_user_id else 2) + int(
        newest_first
    ):
        raise refused
    if newest_first and position.pop() != "newest_first":
        raise refused
    after_time, *ids = position
    if (
        isinstance(after_time, bool)
        or not isinstance(after_time, (int, float))
        or not all(isinstance(part, str) for part in ids)
    ):
        raise refused
    try:
        after_time = float(after_time)
    except OverflowError:
        raise refused from None
    if not math.isfinite(after_time):
        raise refused
    values: dict[str, Any] = {"after_time": after_time, "after_id": ids[-1]}
    if with_user_id:
        values["after_user_id"] = ids[0]
    return values
