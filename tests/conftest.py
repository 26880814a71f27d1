"""Fixtures: every database test runs on SQLite, PostgreSQL and MariaDB, under asyncio and
trio.

``db_url`` is a URL to a new, empty database (a file in a temp dir, or a new database on a
throwaway PostgreSQL cluster or MariaDB server). ``service`` is a :class:`SessionService` on
it with the schema created. PostgreSQL comes from ``ADK_STORE_TEST_POSTGRES_URL`` (a server
the tests may create databases on) or a cluster started from the installed binaries, MariaDB
from ``ADK_STORE_TEST_MYSQL_URL`` or a server started from the installed binaries
(``mariadb-server``); when neither is available that database's cases are skipped, except
under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings

import adk_store

from . import _mariadb, _postgres
from ._mariadb import MariadbServer
from ._postgres import PostgresServer
from ._servers import ThrowawayServer

# In CI, property tests draw the same examples every run, so that a run's outcome is the
# code's, not the draw's; locally they draw new ones each time, to keep finding cases.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
    settings.load_profile("ci")

BACKENDS = ("asyncio", "trio")
DATABASES = tuple(os.environ.get("ADK_STORE_TEST_DATABASES", "sqlite,postgresql,mysql").split(","))
"""The databases every database test runs on: all three unless ``ADK_STORE_TEST_DATABASES``
names fewer (``sqlite,postgresql``, say). A missing server skips its tests, and fails them
under ``CI=true``."""
_database_numbers = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_kind") == "postgresql":
            item.add_marker(pytest.mark.postgresql)
        if callspec is not None and callspec.params.get("db_kind") == "mysql":
            item.add_marker(pytest.mark.mysql)


def _missing(message: str) -> None:
    """Skip the tests needing what is missing; in CI, fail them."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(params=BACKENDS, scope="session")
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class DatabaseProvider(ABC):
    """Creates empty databases on one test server: the throwaway one (``server``) or the one
    a URL names (``server`` is ``None``)."""

    def __init__(self, base_url: str, server: ThrowawayServer | None) -> None:
        self.base_url = base_url
        self.server = server

    def url_for(self, name: str) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(path="/" + name))

    def new_database(self) -> str:
        name = f"adk_test_{os.getpid()}_{next(_database_numbers)}"
        asyncio.run(self._create_database(name))
        return self.url_for(name)

    @abstractmethod
    async def _create_database(self, name: str) -> None: ...


class PostgresProvider(DatabaseProvider):
    server: PostgresServer | None

    async def _create_database(self, name: str) -> None:
        import asyncpg

        dsn = self.url_for("postgres").replace("postgresql+asyncpg://", "postgresql://", 1)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()


class MysqlProvider(DatabaseProvider):
    server: MariadbServer | None

    async def _create_database(self, name: str) -> None:
        import asyncmy

        parts = urlsplit(self.base_url)
        connection = await asyncmy.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username,
            password=parts.password or "",
        )
        try:
            async with connection.cursor() as cursor:
                await cursor.execute(f"CREATE DATABASE `{name}`")
        finally:
            connection.close()


Provider = TypeVar("Provider", bound=DatabaseProvider)


@dataclass(frozen=True)
class ServerSource(Generic[Provider]):
    """Where one database's tests get their server: the URL in ``url_variable``, else a
    throwaway server from the installed binaries."""

    name: str
    url_variable: str
    package: str
    installed: Callable[[], bool]
    start: Callable[[], ThrowawayServer]
    provider: Callable[[str, ThrowawayServer | None], Provider]
    admin_database: str
    """The database of the throwaway server's base URL."""

    def serve(self) -> Iterator[Provider]:
        """The provider for a session's tests; a missing server skips them (fails in CI)."""
        external = os.environ.get(self.url_variable)
        if external:
            yield self.provider(external, None)
            return
        if not self.installed():
            _missing(
                f"{self.name} is not installed (apt-get install {self.package}) and "
                f"{self.url_variable} is not set"
            )
        server = self.start()
        try:
            yield self.provider(server.url_for(self.admin_database), server)
        finally:
            server.cleanup()


POSTGRESQL = ServerSource(
    "PostgreSQL",
    "ADK_STORE_TEST_POSTGRES_URL",
    "postgresql",
    lambda: _postgres.find_pg_bin() is not None,
    _postgres.start_server,
    PostgresProvider,
    "postgres",
)
MARIADB = ServerSource(
    "MariaDB",
    "ADK_STORE_TEST_MYSQL_URL",
    "mariadb-server",
    lambda: _mariadb.find_mariadbd() is not None,
    _mariadb.start_server,
    MysqlProvider,
    "",
)
PROVIDER_FIXTURES = {"postgresql": "postgres", "mysql": "mysql"}
"""The fixture that makes the databases of each kind that runs on a server."""


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresProvider]:
    """The PostgreSQL server the tests use (skipped when absent, except in CI)."""
    yield from POSTGRESQL.serve()


@pytest.fixture(scope="session")
def mysql() -> Iterator[MysqlProvider]:
    """The MariaDB server the tests use (skipped when absent, except in CI)."""
    yield from MARIADB.serve()


def new_database(db_kind: str, request: pytest.FixtureRequest, sqlite_file: Path) -> str:
    """A URL to a new, empty database of ``db_kind``: ``sqlite_file``, or a new database on
    that kind's test server."""
    if db_kind == "sqlite":
        return f"sqlite+aiosqlite:///{sqlite_file}"
    provider: DatabaseProvider = request.getfixturevalue(PROVIDER_FIXTURES[db_kind])
    return provider.new_database()


@pytest.fixture
def new_db_url(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """Makes more new, empty databases of the kind under test (beside ``db_url``)."""
    numbers = itertools.count(1)
    return lambda: new_database(db_kind, request, tmp_path / f"other-{next(numbers)}.db")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_kind" in metafunc.fixturenames:
        # @pytest.mark.databases("postgresql") limits a test to the databases it is about.
        marker = metafunc.definition.get_closest_marker("databases")
        kinds = marker.args if marker else DATABASES
        metafunc.parametrize("db_kind", kinds, scope="function")


@pytest.fixture
def db_url(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL to a new, empty database of the kind under test."""
    return new_database(db_kind, request, tmp_path / "sessions.db")


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[adk_store.SessionService]:
    """A service on a new database with the schema created."""
    async with adk_store.SessionService(db_url, create_schema=True) as opened:
        yield opened
