"""``SessionService``: the public API, with google-adk's method names and semantics.

Every method reads the same way: check the arguments (``_validate``), run a compiled statement
(``_statements``) on a held connection (``_runtime``), and turn the rows into objects
(``_codec``), all through the service's :class:`~adk_store._store.Store`, made once here.
Creates, appends and reads have modules of their own (``_create``, ``_append``, ``_read``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _migrations
from ._append import bring_up_to_date, prepare_append
from ._append_outcome import store_append
from ._create import prepare_create, write_create
from ._delete import write_delete
from ._lifecycle import Lifecycle
from ._models import (
    Event,
    GetSessionConfig,
    JsonDict,
    ListSessionsResponse,
    Session,
    SessionDocuments,
    SessionVersion,
)
from ._read import plan_session_list, read_session, read_session_documents
from ._runtime import Connection, ConnectionPool, Connector, Database
from ._store import Store
from ._store_operations import StoreOperations
from ._validate import (
    check_id,
    check_known_version,
    check_page,
    check_pool_size,
    check_recent,
    check_session_key,
    check_timeout,
    check_timestamp,
    new_session_id,
)
from .dialects import SqliteOptions, dialect_for


class SessionService(Lifecycle, StoreOperations):
    """Stores sessions, their events and app/user/session state in SQLite or PostgreSQL.

    >>> service = SessionService("sqlite+aiosqlite:///app.db")
    >>> session = await service.create_session(app_name="app", user_id="u1")

    ``database`` is a URL (the service creates, owns and closes the connection pool) or the
    application's own ``databases.Database`` (reused; connected if needed; never disconnected
    unless the service connected it). The service opens itself on first use under asyncio or
    trio; ``close()`` (or leaving ``async with``) releases it.

    The schema: in a database without adk-store's tables, the service creates them when it
    opens. A schema of an older version is never changed silently: opening raises
    :class:`SchemaVersionError` naming the command that upgrades it (``adk-store migrate``),
    unless ``create_schema=True``. A schema newer than this adk-store always raises.

    Options:

    * ``create_schema``: also upgrade an older schema when the service opens.
    * ``pool_size``: connections held for reading (and, on PostgreSQL, writing). With the
      application's own PostgreSQL ``Database``, connections are taken from its pool for each
      operation and given back after it, never held in between.
    * ``pool_timeout``: seconds an operation waits for a free connection (30 by default)
      before :class:`DatabaseError`, whose message names both pool sizes.
    * ``connect_timeout``: seconds opening one PostgreSQL connection may take (10 by default);
      a server that does not answer in time raises :class:`DatabaseError` naming its host,
      port and this timeout. For the application's own ``Database``, its own ``timeout=``
      option applies (asyncpg's default is 60 s), with twice ``connect_timeout`` as a backstop
      for connecting it.
    * ``write_timeout``: on PostgreSQL and MariaDB, seconds a write that was sent may wait
      for the server (10 by default) while it is shielded from the caller's cancellation, and
      ``close()`` for calls in progress. A server that does not answer in time (a silent
      network) gets its connection dropped; an append, create or delete then finds out on a
      new connection, for up to ``connect_timeout``, whether it was committed, and raises
      :class:`OutcomeUnknownError` if it cannot.
    * ``allow_stale_appends``: the default for ``append_event(..., allow_stale=)``.
    * ``sqlite_busy_timeout``: seconds a SQLite writer waits for another process's write lock.
    * ``sqlite_synchronous``: SQLite's ``synchronous`` PRAGMA (``"NORMAL"`` or ``"FULL"``).
    * ``schema``: on PostgreSQL, the schema (namespace) that holds every adk-store table, the
      version table and the migration lock, created when missing; services with different
      schemas share a database without seeing each other's data. Refused on SQLite.

    Store-wide operations (``status``, ``export_records``, ``import_session``, ``prune``, …)
    are described in :class:`StoreOperations`.
    """

    def __init__(
        self,
        database: str | Database,
        *,
        create_schema: bool = False,
        pool_size: int = 5,
        pool_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        write_timeout: float = 10.0,
        allow_stale_appends: bool = False,
        sqlite_busy_timeout: float = 30.0,
        sqlite_synchronous: str = "NORMAL",
        schema: str | None = None,
    ) -> None:
        check_pool_size(pool_size)
        check_timeout(pool_timeout, "pool_timeout")
        check_timeout(connect_timeout, "connect_timeout")
        check_timeout(write_timeout, "write_timeout")
        url = database if isinstance(database, str) else str(database.url)
        dialect = dialect_for(
            url,
            SqliteOptions(
                busy_timeout_ms=int(sqlite_busy_timeout * 1000), synchronous=sqlite_synchronous
            ),
            schema=schema,
        )
        self._allow_stale = allow_stale_appends
        self._connect_timeout = connect_timeout
        self._upgrade_older_schema = create_schema
        connector = Connector(
            database,
            dialect,
            pool_size=pool_size,
            pool_timeout=pool_timeout,
            connect_timeout=connect_timeout,
            write_timeout=write_timeout,
            on_open=self._open_schema,
        )
        self._store = Store.of(connector, dialect, find_out_within=connect_timeout)

    @property
    def store(self) -> Store:
        """Internal, not part of the public API (it may change in any release): the
        database boundary of this service, which the services built on it
        (:class:`MemoryService`) run their statements through."""
        return self._store

    @property
    def dialect_name(self) -> str:
        """``"sqlite"``, ``"postgresql"`` or ``"mysql"`` (MariaDB)."""
        return self._store.dialect.name

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, and check (or create) the schema. Called for you on first use."""
        await self._store.connector.open()

    async def close(self) -> None:
        """Wait for the calls in progress, release held connections, and disconnect the
        database if the service connected it.

        New calls are refused from the moment ``close()`` is called; a closed service stays
        closed (later calls raise :class:`AdkStoreError`).
        """
        await self._store.connector.close()

    async def _open_schema(self, connection: Connection) -> None:
        store, upgrade_older = self._store, self._upgrade_older_schema
        await _migrations.open_schema(
            connection, store.dialect, store.statements, upgrade_older=upgrade_older
        )

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

        ``session_id`` is stored exactly as given (``""`` and padded ids too); a missing one
        (``None``) gets a new uuid4; an existing one raises :class:`SessionExistsError`.
        """
        check_id(app_name, "app_name")
        check_id(user_id, "user_id")
        session_id = new_session_id(session_id)
        key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
        store = self._store
        prepared = prepare_create(key, state, store.codec)

        async def create(pool: ConnectionPool) -> Any:
            return await write_create(pool, prepared, store, find_out_within=self._connect_timeout)

        row = await store.connector.call("create_session", create, app_name=app_name)
        return prepared.session(*store.codec.scopes_from_row(row))

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: GetSessionConfig | None = None,
    ) -> Session | None:
        """The session with its merged state and events (oldest first), or ``None``."""
        check_session_key(app_name, user_id, session_id)
        config = config or GetSessionConfig()
        recent = check_recent(config.num_recent_events)
        after = check_timestamp(config.after_timestamp, "after_timestamp")
        key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}

        async def load(pool: ConnectionPool) -> Session | None:
            return await read_session(pool, self._store, key, recent=recent, after=after)

        return await self._store.connector.call("get_session", load, app_name=app_name)

    async def get_session_documents(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        known: SessionVersion | None = None,
    ) -> SessionDocuments | None:
        """The session (state and times) and its events as JSON documents, or ``None``.

        For readers that keep events between reads and build their own event objects (the
        google-adk adapter does both): with ``known``, the version of the session the
        reader holds, only the events after it come back, in the same round trip that
        checks it is still what is stored; otherwise (or if it is not) every event does.

        >>> first = await service.get_session_documents(app_name="a", user_id="u", session_id="s")
        >>> known = SessionVersion(first.session.revision, first.session.create_time, last_id)
        >>> newer = await service.get_session_documents(
        ...     app_name="a", user_id="u", session_id="s", known=known)
        """
        check_session_key(app_name, user_id, session_id)
        if known is not None:
            check_known_version(known)
        key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}

        async def load(pool: ConnectionPool) -> SessionDocuments | None:
            return await read_session_documents(pool, self._store, key, known)

        return await self._store.connector.call("get_session", load, app_name=app_name)

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
        (most recent first with ``newest_first``).

        With ``limit``, at most that many come back, and ``next_page_token`` fetches the rest
        (pass it with the same other arguments); pages stay consistent while sessions are added.
        """
        check_id(app_name, "app_name")
        if user_id is not None:
            check_id(user_id, "user_id")
        check_page(limit, page_token)
        listing = plan_session_list(
            self._store.statements,
            app_name=app_name,
            user_id=user_id,
            limit=limit,
            page_token=page_token,
            newest_first=bool(newest_first),
        )

        async def page(pool: ConnectionPool) -> ListSessionsResponse:
            async with pool.reader() as connection:
                rows = await connection.fetch_all(listing.query, listing.values)
            return listing.page(rows, self._store.codec)

        return await self._store.connector.call("list_sessions", page, app_name=app_name)

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        """Delete the session and its events; deleting a missing session does nothing."""
        check_session_key(app_name, user_id, session_id)
        key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
        store = self._store

        async def delete(pool: ConnectionPool) -> None:
            await write_delete(pool, key, store, find_out_within=self._connect_timeout)

        await store.connector.call("delete_session", delete, app_name=app_name)

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
        prepared = prepare_append(
            session,
            event,
            self._store.codec,
            allow_stale=self._allow_stale if allow_stale is None else allow_stale,
        )

        async def append(pool: ConnectionPool) -> None:
            outcome = await store_append(
                pool, prepared, self._store, find_out_within=self._connect_timeout
            )
            # Recorded here, with no await after the commit: a caller cancelled once the
            # commit was under way still finds its session matching what was stored.
            bring_up_to_date(session, event, prepared, outcome)

        await self._store.connector.call("append_event", append, app_name=session.app_name)
        return event

    # -- shared state ------------------------------------------------------------------------

    async def get_user_state(self, *, app_name: str, user_id: str) -> JsonDict:
        """The state shared by every session of one user (keys without ``user:``)."""
        check_id(app_name, "app_name")
        check_id(user_id, "user_id")
        values = {"app_name": app_name, "user_id": user_id}
        statement = self._store.statements.select_user_state
        return await self._fetch_state("get_user_state", statement, values)

    async def get_app_state(self, *, app_name: str) -> JsonDict:
        """The state shared by every user and session of an app (keys without ``app:``)."""
        check_id(app_name, "app_name")
        values = {"app_name": app_name}
        statement = self._store.statements.select_app_state
        return await self._fetch_state("get_app_state", statement, values)

    async def _fetch_state(self, what: str, query: str, values: dict[str, Any]) -> JsonDict:
        async def fetch(pool: ConnectionPool) -> Any:
            async with pool.reader() as connection:
                return await connection.fetch_val(query, values)

        return self._store.codec.state_from_value(
            await self._store.connector.call(what, fetch, app_name=values["app_name"])
        )
