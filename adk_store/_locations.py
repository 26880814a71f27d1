"""Database locations: the one reading of a database URL, for every part that opens one.

The service, ``schema_version``, the command line, ``backup`` and ``import-adk`` /
``export-adk`` all ask :func:`parse_location` which database a URL names, so the file one of
them opens is the file every other one opens.

A SQLite URL names its file by the path after ``sqlite+aiosqlite:///``, percent-decoded once,
as ``databases`` decodes it when it connects: ``a%23b.db`` is the file ``a#b.db``, ``q%20x.db``
is ``q x.db``, ``50%25.db`` is ``50%.db``. Whatever would make a URL name a different file
than it seems to is refused with :class:`InvalidArgumentError`: a bare ``#`` (the start of a
fragment, which every URL reader drops), a bare ``?`` (the start of a query: SQLite URLs take
no parameters), a ``%`` not followed by two hex digits, an encoded NUL or invalid UTF-8, a host
before the path, and a relative path starting with ``file:`` (which SQLite itself may read as
a URI; write ``./file:…``).

>>> parse_location("sqlite+aiosqlite:///a%23b.db").path
'a#b.db'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from ._errors import AdkStoreError, InvalidArgumentError

POSTGRES_PARAMETERS = frozenset({"ssl", "host", "unix_sock"})
"""The query parameters of a PostgreSQL URL that the connection honours (``databases``
reads them); any other would be ignored silently when connecting, so it is refused."""

MYSQL_PARAMETERS = frozenset({"ssl", "unix_socket"})
"""The query parameters of a MySQL URL that ``databases`` passes on to asyncmy."""

_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_MEMORY = ":memory:"


@dataclass(frozen=True)
class SqliteLocation:
    """A SQLite database: a file, or ``:memory:``."""

    path: str
    """The file name, decoded, as given (a relative one is relative to the working
    directory), or ``:memory:``."""

    @property
    def in_memory(self) -> bool:
        return self.path == _MEMORY

    @property
    def file(self) -> Path | None:
        """The absolute path of the file; ``None`` in memory."""
        return None if self.in_memory else Path(os.path.abspath(self.path))


@dataclass(frozen=True)
class PostgresLocation:
    """A PostgreSQL database; ``url`` is the URL as given."""

    url: str
    parameters: tuple[tuple[str, str], ...]
    """The URL's query, in order (``ssl=require`` is ``("ssl", "require")``)."""

    def check_parameters(self) -> None:
        """Refuse a parameter the connection would ignore (``sslmode``, ``password``, …)."""
        for name, _ in self.parameters:
            if name not in POSTGRES_PARAMETERS:
                known = ", ".join(sorted(POSTGRES_PARAMETERS))
                raise InvalidArgumentError(
                    f"unknown PostgreSQL URL parameter {name!r}: adk-store's connections "
                    f"would ignore it (known: {known}; pool sizes are SessionService options)"
                )


@dataclass(frozen=True)
class MysqlLocation:
    """A MariaDB or MySQL database, through asyncmy; ``url`` is the URL as given."""

    url: str
    parameters: tuple[tuple[str, str], ...]

    def check_parameters(self) -> None:
        """Refuse a parameter the connection would ignore (``charset``, ``password``, …)."""
        for name, _ in self.parameters:
            if name not in MYSQL_PARAMETERS:
                known = ", ".join(sorted(MYSQL_PARAMETERS))
                raise InvalidArgumentError(
                    f"unknown MySQL URL parameter {name!r}: adk-store's connections "
                    f"would ignore it (known: {known}; pool sizes are SessionService options)"
                )


DatabaseLocation = SqliteLocation | PostgresLocation | MysqlLocation

_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "postgres": "asyncpg"}
"""The one driver adk-store runs each database on, where the URL may name it (MariaDB's and
MySQL's URLs must: see :func:`_mysql_location`)."""


def with_own_driver(url: str) -> str:
    """``url`` naming the driver adk-store reaches its database with, whichever driver it
    named: another application's SQLAlchemy URL (``postgresql+psycopg2://…``,
    ``mysql+pymysql://…``) names the same database.

    >>> with_own_driver("mysql+pymysql://app@db/adk")
    'mysql+asyncmy://app@db/adk'
    """
    scheme, separator, rest = url.partition(":")
    family = scheme.partition("+")[0].lower()
    drivers = {**_DRIVERS, "mysql": "asyncmy", "mariadb": "asyncmy"}
    if not separator or family not in drivers:
        return url
    return f"{'mysql' if family == 'mariadb' else family}+{drivers[family]}:{rest}"


def parse_location(url: str) -> DatabaseLocation:
    """The database ``url`` names; refuses a URL whose reading would be ambiguous.

    >>> parse_location("sqlite+aiosqlite:////var/lib/app/sessions.db").path
    '/var/lib/app/sessions.db'
    """
    scheme, separator, rest = url.partition(":")
    family, _, driver = scheme.lower().partition("+")
    if separator and driver and driver != _DRIVERS.get(family, driver):
        raise InvalidArgumentError(
            f"{scheme!r}: adk-store reaches {family} through {_DRIVERS[family]}; write the URL "
            f"as {family}+{_DRIVERS[family]}://… or {family}://…"
        )
    if family in {"postgresql", "postgres"} and separator:
        parts = urlsplit(url)
        if parts.fragment or url.endswith("#"):
            raise InvalidArgumentError(
                "a PostgreSQL URL has no '#' part: percent-encode it (%23) in the password"
            )
        return PostgresLocation(url, tuple(parse_qsl(parts.query, keep_blank_values=True)))
    if family in {"mysql", "mariadb"} and separator:
        return _mysql_location(url, scheme)
    if family == "sqlite" and separator:
        return SqliteLocation(_sqlite_path(url, rest))
    raise AdkStoreError(
        f"unsupported database URL scheme {scheme!r}: use sqlite+aiosqlite:///path.db "
        "or postgresql+asyncpg://user@host/dbname or mysql+asyncmy://user@host/dbname"
    )


def _mysql_location(url: str, scheme: str) -> MysqlLocation:
    if scheme.lower() != "mysql+asyncmy":
        raise InvalidArgumentError(
            f"{scheme!r}: adk-store reaches MariaDB and MySQL through asyncmy; write the URL "
            "as mysql+asyncmy://user@host/dbname (pip install 'adk-store[mysql]')"
        )
    parts = urlsplit(url)
    if parts.fragment or url.endswith("#"):
        raise InvalidArgumentError(
            "a MySQL URL has no '#' part: percent-encode it (%23) in the password"
        )
    if not parts.path.strip("/"):
        raise InvalidArgumentError(
            f"{_hidden_password(url)!r} names no database: mysql+asyncmy://user@host/dbname"
        )
    return MysqlLocation(url, tuple(parse_qsl(parts.query, keep_blank_values=True)))


def _hidden_password(url: str) -> str:
    """``url`` with the password of its user part, if any, as ``***``.

    >>> _hidden_password("mysql+asyncmy://app:secret@db/app")
    'mysql+asyncmy://app:***@db/app'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    credentials, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{credentials.partition(':')[0]}:***@{host}"))


def sqlite_read_only_uri(file: Path) -> str:
    """The SQLite URI that opens ``file`` read-only: its absolute path percent-encoded, so
    ``#``, ``?`` and ``%`` in it are part of the name.

    >>> sqlite_read_only_uri(Path("/data/a#b.db"))
    'file:/data/a%23b.db?mode=ro'
    """
    return f"file:{quote(os.path.abspath(file))}?mode=ro"


def sqlite_url(file: Path) -> str:
    """The ``sqlite+aiosqlite`` URL that names ``file`` (made absolute).

    >>> sqlite_url(Path("/data/a#b.db"))
    'sqlite+aiosqlite:////data/a%23b.db'
    """
    return f"sqlite+aiosqlite:///{quote(os.path.abspath(file))}"


def _sqlite_path(url: str, rest: str) -> str:
    if not rest.startswith("//"):
        raise InvalidArgumentError(
            f"{url!r} is not a SQLite URL: write sqlite+aiosqlite:///path/to/app.db"
        )
    encoded = rest[2:]
    host, slash, encoded = encoded.partition("/")
    if host:
        raise InvalidArgumentError(
            f"{url!r} names a host ({host!r}); a SQLite URL has three slashes before a "
            "relative path, four before an absolute one: sqlite+aiosqlite:///app.db"
        )
    if "#" in encoded:
        raise InvalidArgumentError(
            f"{url!r}: '#' would end the file name (what follows is a URL fragment); "
            "to name a file with '#' in it, write it %23"
        )
    if "?" in encoded:
        encoded, _, query = encoded.partition("?")
        name = query.split("&", 1)[0].split("=", 1)[0]
        raise InvalidArgumentError(
            f"{url!r}: unknown SQLite URL parameter {unquote(name)!r} (SQLite URLs take none); "
            "to name a file with '?' in it, write it %3F"
        )
    if _PERCENT.search(encoded):
        raise InvalidArgumentError(
            f"{url!r}: '%' starts an escape such as %20 in a URL; to name a file with '%' "
            "in it, write it %25"
        )
    try:
        path = unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        raise InvalidArgumentError(
            f"{url!r}: its %-escapes are not UTF-8, so it names no file name"
        ) from None
    if path in {"", "/"} or not slash:
        raise InvalidArgumentError(
            f"{url!r} names no database file: every connection would get its own temporary "
            "database, so writes would vanish. Use sqlite+aiosqlite:///path/to/app.db (or "
            "sqlite+aiosqlite:///:memory: for one in-memory database)"
        )
    if "\x00" in path:
        raise InvalidArgumentError(f"{url!r}: a file name cannot hold NUL (%00)")
    if path.lower().startswith("file:"):
        raise InvalidArgumentError(
            f"{url!r}: SQLite may read a name starting with 'file:' as a URI of its own; "
            f"write sqlite+aiosqlite:///./{encoded} to name the file"
        )
    return path
