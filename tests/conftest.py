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
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings

import adk_store

from . import _mariadb
from ._postgres import PostgresServer, find_pg_bin, start_server

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


class PostgresProvider:
    """Creates empty databases on the test server."""

    def __init__(self, base_url: str, server: PostgresServer | None) -> None:
        self.base_url = base_url
        self.server = server

    def url_for(self, name: str) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(path="/" + name))

    def new_database(self) -> str:
        name = f"adk_test_{os.getpid()}_{next(_database_numbers)}"
        asyncio.run(self._execute(f'CREATE DATABASE "{name}"'))
        return self.url_for(name)

    async def _execute(self, sql: str, database: str = "postgres") -> None:
        import asyncpg

        dsn = self.url_for(database).replace("postgresql+asyncpg://", "postgresql://", 1)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresProvider]:
    """The PostgreSQL server the tests use (skipped when absent, except in CI)."""
    external = os.environ.get("ADK_STORE_TEST_POSTGRES_URL")
    if external:
        yield PostgresProvider(external, None)
        return
    if find_pg_bin() is None:
        message = (
            "PostgreSQL is not installed (apt-get install postgresql) and "
            "ADK_STORE_TEST_POSTGRES_URL is not set"
        )
        _missing(message)
    server = start_server()
    try:
        yield PostgresProvider(server.url_for("postgres"), server)
    finally:
        server.cleanup()


class MysqlProvider:
    """Creates empty databases on the MariaDB test server."""

    def __init__(self, base_url: str, server: _mariadb.MariadbServer | None) -> None:
        self.base_url = base_url
        self.server = server

    def url_for(self, name: str) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(path="/" + name))

    def new_database(self) -> str:
        name = f"adk_test_{os.getpid()}_{next(_database_numbers)}"
        asyncio.run(self._execute(f"CREATE DATABASE `{name}`"))
        return self.url_for(name)

    async def _execute(self, sql: str) -> None:
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
                await cursor.execute(sql)
        finally:
            connection.close()


@pytest.fixture(scope="session")
def mysql() -> Iterator[MysqlProvider]:
    """The MariaDB server the tests use (skipped when absent, except in CI)."""
    external = os.environ.get("ADK_STORE_TEST_MYSQL_URL")
    if external:
        yield MysqlProvider(external, None)
        return
    if _mariadb.find_mariadbd() is None:
        _missing(
            "MariaDB is not installed (apt-get install mariadb-server) and "
            "ADK_STORE_TEST_MYSQL_URL is not set"
        )
    server = _mariadb.start_server()
    try:
        yield MysqlProvider(server.url_for(""), server)
    finally:
        server.cleanup()


@pytest.fixture
def new_db_url(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """Makes more new, empty databases of the kind under test (beside ``db_url``)."""
    numbers = itertools.count(1)

    def new() -> str:
        if db_kind == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / f'other-{next(numbers)}.db'}"
        provider: PostgresProvider | MysqlProvider = request.getfixturevalue(
            "postgres" if db_kind == "postgresql" else "mysql"
        )
        return provider.new_database()

    return new


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_kind" in metafunc.fixturenames:
        # @pytest.mark.databases("postgresql") limits a test to the databases it is about.
        marker = metafunc.definition.get_closest_marker("databases")
        kinds = marker.args if marker else DATABASES
        metafunc.parametrize("db_kind", kinds, scope="function")


@pytest.fixture
def db_url(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL to a new, empty database of the kind under test."""
    if db_kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}"
    provider: PostgresProvider | MysqlProvider = request.getfixturevalue(
        "postgres" if db_kind == "postgresql" else "mysql"
    )
    return provider.new_database()


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[adk_store.SessionService]:
    """A service on a new database with the schema created."""
    async with adk_store.SessionService(db_url, create_schema=True) as opened:
        yield opened
