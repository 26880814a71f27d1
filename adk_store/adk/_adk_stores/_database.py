"""A google-adk session database: where it is, what kind it is, and how its values read.

google-adk keeps sessions in three layouts, all with tables named ``sessions``, ``events``,
``app_states`` and ``user_states``:

* ``DatabaseSessionService``, schema v1: an ``adk_internal_metadata`` table records
  ``schema_version`` ``1``; each event is one JSON document (``events.event_data``);
* ``DatabaseSessionService``, legacy schema v0: no metadata table; one column per event
  field, with the event's actions pickled (``events.actions``);
* ``SqliteSessionService`` (SQLite only): no metadata table, ``events.event_data`` JSON and
  times as REAL epoch seconds.

:class:`AdkDatabase` holds one connection to such a database and runs every query on it.
Queries run through adk-store's loop bridge (the one the core uses), so all of this works
under asyncio and trio alike. A source is opened read-only (SQLite in ``mode=ro``,
PostgreSQL and MariaDB/MySQL in a ``READ ONLY`` transaction). PostgreSQL and MariaDB/MySQL
sources are read in one snapshot; SQLite sources one session at a time, each in a short read
transaction, so that writers of the same file are never held up.
Everything that differs between the databases lives in :class:`_Flavour`.
"""

from __future__ import annotations

import datetime
import enum
import json
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect as SqlalchemyDialect

from ... import AdkStoreError, DatabaseError, InvalidArgumentError
from ..._locations import (
    MysqlLocation,
    PostgresLocation,
    SqliteLocation,
    parse_location,
    sqlite_read_only_uri,
    sqlite_url,
)
from ..._runtime import Connection, ConnectionPool, Connector, PoolLayout
from .._uri import hide_password

T = TypeVar("T")

SCHEMA_VERSION_KEY = "schema_version"


class StoreKind(enum.Enum):
    """Which google-adk service wrote a database, and in which schema."""

    DATABASE_V1 = "google-adk DatabaseSessionService database (schema v1)"
    DATABASE_V0 = "google-adk DatabaseSessionService database (legacy schema v0, pickled)"
    SQLITE_SERVICE = "google-adk SqliteSessionService file"

    def __str__(self) -> str:
        return self.value


class SourceFormatError(AdkStoreError):
    """The database is not one google-adk's session services wrote, or not a version known."""


class _Flavour:
    """What differs between the databases for google-adk's tables."""

    name: str
    list_tables: str
    begin_write: str
    session_setup: tuple[str, ...] = ()
    """Run on every connection first (the SQL below quotes identifiers as ``"key"``)."""
    read_only_setup: tuple[str, ...]
    """Makes a source's connection unable to write. On PostgreSQL it also opens the one
    snapshot the whole source is read in (a long read holds up no writer there)."""
    read_only_teardown: tuple[str, ...]
    """Ends what ``read_only_setup`` opened, before the connection closes (a connection
    released inside a transaction is reset by the driver, which warns about it)."""
    begin_read: str | None
    """Otherwise, opens a short read transaction around each operation (SQLite, where a long
    read would keep writers, google-adk's or adk-store's in the same file, from committing)."""
    has_sqlite_service_files: bool
    """Whether google-adk's ``SqliteSessionService`` layout can occur (SQLite only)."""
    sqlalchemy: SqlalchemyDialect
    """Compiles the DDL of google-adk's tables."""

    def list_columns(self, table: str) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def json_param(self, name: str) -> str:
        """A placeholder that binds JSON text as the column's JSON type."""
        return f":{name}"

    def unless_exists(self, *key: str) -> str:
        """Ends an INSERT so that it leaves a row with the same ``key`` as it is."""
        return f"ON CONFLICT ({', '.join(key)}) DO NOTHING"

    def time_param(self, moment: datetime.datetime) -> Any:
        """A naive UTC time as google-adk's DATETIME columns hold it."""
        raise NotImplementedError

    def connect_options(self, connect_timeout: float) -> dict[str, Any]:
        """Driver options that bound how long opening the connection may take."""
        return {}


class _Sqlite(_Flavour):
    name = "sqlite"
    list_tables = "SELECT name FROM sqlite_master WHERE type = 'table'"
    begin_write = "BEGIN IMMEDIATE"
    read_only_setup = ("PRAGMA query_only = ON",)
    read_only_teardown = ()
    begin_read = "BEGIN"
    has_sqlite_service_files = True
    sqlalchemy = sqlite.dialect()

    def list_columns(self, table: str) -> tuple[str, dict[str, Any]]:
        return "SELECT name FROM pragma_table_info(:table)", {"table": table}

    def time_param(self, moment: datetime.datetime) -> Any:
        # SQLAlchemy's SQLite DateTime, as google-adk's tables use it, stores this text.
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class _Postgres(_Flavour):
    name = "postgresql"
    list_tables = (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    begin_write = "BEGIN"
    read_only_setup = ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",)
    read_only_teardown = ("ROLLBACK",)
    begin_read = None
    has_sqlite_service_files = False
    sqlalchemy = postgresql.dialect()  # type: ignore[no-untyped-call]

    def list_columns(self, table: str) -> tuple[str, dict[str, Any]]:
        return (
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :table",
            {"table": table},
        )

    def json_param(self, name: str) -> str:
        return f"CAST(:{name} AS JSONB)"

    def connect_options(self, connect_timeout: float) -> dict[str, Any]:
        return {"timeout": connect_timeout}

    def time_param(self, moment: datetime.datetime) -> Any:
        return moment


class _Mysql(_Flavour):
    name = "mysql"
    list_tables = (
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
    )
    begin_write = "START TRANSACTION"
    session_setup = (
        "SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    )
    read_only_setup = ("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",)
    read_only_teardown = ("ROLLBACK",)
    begin_read = None
    has_sqlite_service_files = False
    sqlalchemy = mysql.dialect()

    def list_columns(self, table: str) -> tuple[str, dict[str, Any]]:
        return (
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table",
            {"table": table},
        )

    def connect_options(self, connect_timeout: float) -> dict[str, Any]:
        return {"connect_timeout": connect_timeout}

    def unless_exists(self, *key: str) -> str:
        # Sets nothing; unlike INSERT IGNORE, every other error is still raised.
        return f"ON DUPLICATE KEY UPDATE {key[0]} = {key[0]}"

    def time_param(self, moment: datetime.datetime) -> Any:
        return moment


def naive_utc(timestamp: float) -> datetime.datetime:
    """Epoch seconds as the naive UTC time (to the microsecond) google-adk stores."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).replace(tzinfo=None)


def epoch_seconds(value: Any) -> float:
    """A time read from google-adk's tables as float epoch seconds.

    DATETIME columns hold naive UTC (text on SQLite, ``timestamp`` on PostgreSQL);
    ``SqliteSessionService`` stores REAL epoch seconds. Anything else, and a time that is
    not finite, raises :class:`SourceFormatError`.
    """
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value) if abs(value) < _LATEST_TIME else math.nan
    elif isinstance(value, (str, datetime.datetime)):
        seconds = _datetime_seconds(value)
    if seconds is None or not math.isfinite(seconds):
        raise SourceFormatError(f"cannot read {_shortened(value)} as a time")
    return seconds


_LATEST_TIME = 1e15
"""Epoch seconds beyond any date (about 30 million years): a time this large is damage."""


def _datetime_seconds(value: str | datetime.datetime) -> float | None:
    try:
        moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return float(moment.timestamp())
    except (ValueError, OverflowError):
        return None


def _shortened(value: Any) -> str:
    """``repr(value)``, cut to a length a one-line message can hold."""
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def json_value(value: Any, where: str) -> Any:
    """A JSON column's value: decoded text (SQLite, raw JSONB) or what the driver decoded."""
    if not isinstance(value, (str, bytes, bytearray)):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as error:
        raise SourceFormatError(f"{where} is not JSON ({type(error).__name__}: {error})") from None


def json_object(value: Any, where: str) -> dict[str, Any]:
    """A JSON column that must hold an object (state); NULL reads as ``{}``."""
    decoded = {} if value is None else json_value(value, where)
    if not isinstance(decoded, dict):
        raise SourceFormatError(f"{where} is not a JSON object: {_shortened(decoded)}")
    return decoded


def database_location(location: str, *, read_only: bool) -> tuple[str, dict[str, Any]]:
    """The ``databases`` URL and options for a database URL or a plain SQLite file path.

    A URL is read as the service reads it (see :mod:`adk_store._locations`: ``a%23b.db`` is
    the file ``a#b.db``); a plain path is the file name as written.

    >>> database_location("sessions.db", read_only=True)
    ('sqlite+aiosqlite:///file%3A/abs/sessions.db%3Fmode%3Dro', {'uri': True})
    """
    file = _sqlite_file(location)
    if file is None:
        rest = location.partition("://")[2]
        scheme = "mysql+asyncmy" if _family(location) in _MYSQL_FAMILIES else "postgresql+asyncpg"
        return f"{scheme}://{rest}", {"min_size": 1, "max_size": 1}
    return _sqlite_location(file, read_only=read_only)


def is_missing_sqlite_file(location: str) -> bool:
    """Whether ``location`` names a SQLite file that does not exist (yet)."""
    file = _sqlite_file(location)
    return file is not None and not file.exists()


_MYSQL_FAMILIES = {"mysql", "mariadb"}
_UNSUPPORTED = (
    "give a SQLite file path, sqlite+aiosqlite:///path.db, "
    "postgresql+asyncpg://user@host/dbname or mysql+asyncmy://user@host/dbname"
)


def _family(location: str) -> str:
    return location.partition(":")[0].split("+", 1)[0].lower()


def _sqlite_file(location: str) -> Path | None:
    """The SQLite file ``location`` names; ``None`` for a PostgreSQL or MariaDB/MySQL URL."""
    if "://" not in location:
        return Path(location)
    if _family(location) not in {"sqlite", "postgresql", "postgres", *_MYSQL_FAMILIES}:
        raise InvalidArgumentError(
            f"unsupported database URL scheme {location.partition(':')[0]!r}: {_UNSUPPORTED}"
        )
    parsed = parse_location(location)
    if isinstance(parsed, (PostgresLocation, MysqlLocation)):
        parsed.check_parameters()
        return None
    if not isinstance(parsed, SqliteLocation):
        raise InvalidArgumentError(
            f"unsupported database URL scheme {location.partition(':')[0]!r}: {_UNSUPPORTED}"
        )
    if parsed.file is None:
        raise InvalidArgumentError(
            f"{location!r} names an in-memory database: give a file path or a URL to a file"
        )
    return parsed.file


def _sqlite_location(path: Path, *, read_only: bool) -> tuple[str, dict[str, Any]]:
    """``databases`` decodes the URL's path once; a ``file:`` URI is decoded once more by
    SQLite. Quoting as many times keeps any file name (spaces, ``%``, ``?``, ``#``) intact."""
    path = path.expanduser().resolve()
    if read_only:
        if not path.is_file():
            raise InvalidArgumentError(f"no SQLite database at {str(path)!r}")
        return f"sqlite+aiosqlite:///{quote(sqlite_read_only_uri(path))}", {"uri": True}
    return sqlite_url(path), {}


def _flavour_of(url: str) -> _Flavour:
    if url.startswith("postgresql"):
        return _Postgres()
    if url.startswith("mysql"):
        return _Mysql()
    return _Sqlite()


class _ConnectionSetup:
    """How adk-store's connector opens a google-adk database: one held connection, set up
    read-only for a source."""

    pool_layout = PoolLayout()

    def __init__(self, flavour: _Flavour, options: dict[str, Any], *, read_only: bool):
        self.name = flavour.name
        self._flavour = flavour
        self._options = options
        self._read_only = read_only

    async def prepare_connection(self, connection: Connection) -> None:
        for statement in self._flavour.session_setup:
            await connection.execute(statement)
        if self._read_only:
            for statement in self._flavour.read_only_setup:
                await connection.execute(statement)

    def is_alive(self, connection: Connection) -> bool:
        return True

    def database_options(self, pool_size: int, connect_timeout: float) -> dict[str, Any]:
        return {**self._flavour.connect_options(connect_timeout), **self._options}


class AdkDatabase:
    """A connection to a google-adk session database, usable under asyncio and trio.

    >>> async with AdkDatabase("sessions.db", read_only=True) as source:
    ...     kind = await source.kind()

    Opened ``read_only``, the connection can write nothing. Otherwise :meth:`run_write` runs
    an operation in its own write transaction. It runs on adk-store's own connector (the
    loop bridge and held connection the core uses), which reports driver errors as
    :class:`~adk_store.DatabaseError`. Messages name the database by :attr:`location`,
    which never holds its password.
    """

    def __init__(self, location: str, *, read_only: bool) -> None:
        url, options = database_location(location, read_only=read_only)
        self.location = hide_password(location)
        """The database as messages name it: ``location`` without its password."""
        self.read_only = read_only
        self.flavour: _Flavour = _flavour_of(url)
        setup = _ConnectionSetup(self.flavour, options, read_only=read_only)
        self._connector = Connector(url, setup, pool_size=1, on_open=None)

    async def __aenter__(self) -> AdkDatabase:
        try:
            await self._connector.open()
        except DatabaseError as error:
            raise DatabaseError(f"{self.location}: {error}") from error.__cause__
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self.read_only and self.flavour.read_only_teardown:
                await self._call("end_read", None, self._end_read)
        finally:
            await self._connector.close()

    async def _end_read(self, connection: Connection) -> None:
        for statement in self.flavour.read_only_teardown:
            await connection.execute(statement)

    async def run(self, what: str, operation: Callable[[Connection], Awaitable[T]]) -> T:
        """Run ``operation(connection)``, reading consistently. ``what`` names the operation
        (``google_adk.<what>`` in traces and errors)."""
        begin = self.flavour.begin_read if self.read_only else None
        return await self._call(what, begin, operation)

    async def run_write(self, what: str, operation: Callable[[Connection], Awaitable[T]]) -> T:
        """:meth:`run` inside one write transaction: committed if ``operation`` returns,
        rolled back if it raises."""
        if self.read_only:
            raise AdkStoreError(f"{self.location} is open read-only")
        return await self._call(what, self.flavour.begin_write, operation)

    async def _call(
        self, what: str, begin: str | None, operation: Callable[[Connection], Awaitable[T]]
    ) -> T:
        async def on_pool(pool: ConnectionPool) -> T:
            async with pool.writer() as connection:
                if begin is None:
                    return await operation(connection)
                return await _in_transaction(connection, begin, operation)

        try:
            return await self._connector.call(f"google_adk.{what}", on_pool)
        except DatabaseError as error:
            raise DatabaseError(f"{self.location}: {error}") from error.__cause__

    async def kind(self) -> StoreKind | None:
        """Which google-adk layout the database holds; ``None`` when it has no google-adk
        tables at all (a new, empty database)."""

        async def detect(connection: Connection) -> StoreKind | None:
            tables = {row[0] for row in await fetch(connection, self.flavour.list_tables)}
            if "adk_internal_metadata" in tables:
                rows = await fetch(
                    connection,
                    'SELECT value FROM adk_internal_metadata WHERE "key" = :key',
                    {"key": SCHEMA_VERSION_KEY},
                )
                version = rows[0][0] if rows else None
                if version == "1":
                    return StoreKind.DATABASE_V1
                if version == "0":
                    return StoreKind.DATABASE_V0
                raise SourceFormatError(
                    f"{self.location}: google-adk schema version {version!r} is not one "
                    "adk-store reads (it reads 0 and 1)"
                )
            if "events" not in tables or "sessions" not in tables:
                if tables & {"sessions", "events", "app_states", "user_states"}:
                    raise SourceFormatError(
                        f"{self.location}: has some of google-adk's tables but not "
                        "'sessions' and 'events'"
                    )
                return None
            query, values = self.flavour.list_columns("events")
            columns = {row[0] for row in await fetch(connection, query, values)}
            if "actions" in columns and "event_data" not in columns:
                return StoreKind.DATABASE_V0
            if "event_data" in columns and self.flavour.has_sqlite_service_files:
                return StoreKind.SQLITE_SERVICE
            raise SourceFormatError(
                f"{self.location}: its 'events' table is not one google-adk writes "
                f"(columns: {', '.join(sorted(columns))})"
            )

        return await self.run("detect_schema", detect)

    async def columns(self, table: str) -> frozenset[str]:
        """The column names of ``table``."""
        query, values = self.flavour.list_columns(table)

        async def read(connection: Connection) -> frozenset[str]:
            return frozenset(row[0] for row in await fetch(connection, query, values))

        return await self.run("list_columns", read)


async def _in_transaction(
    connection: Connection, begin: str, operation: Callable[[Connection], Awaitable[T]]
) -> T:
    """``operation`` in a transaction opened by ``begin``: committed when it returns, rolled
    back when it raises or is cancelled."""
    await connection.execute(begin)
    try:
        result = await operation(connection)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await connection.execute("ROLLBACK")
        raise
    with anyio.CancelScope(shield=True):
        await connection.execute("COMMIT")
    return result


async def fetch(
    connection: Connection, query: str, values: Mapping[str, Any] | None = None
) -> list[Sequence[Any]]:
    """The rows of ``query`` as tuples of the driver's values."""
    rows = await connection.fetch_all(query, dict(values) if values else None)
    # A record's ``_mapping`` is the driver's row, which iterates over its values.
    return [tuple(getattr(row, "_mapping", row)) for row in rows]
