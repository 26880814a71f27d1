"""``migration.up()`` and ``down()`` inside an application's Alembic revisions, run by the real
``alembic`` command on SQLite, PostgreSQL and MariaDB, with the sync (``generic``) and async
templates (sync drivers: psycopg, PyMySQL)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import pytest

import adk_store

from .._db import database_name, is_mysql, is_sqlite, raw_fetch, raw_script, sqlite_path
from ..cli._run import adk_store_command
from ..conftest import PostgresProvider
from ._alembic_project import AlembicProject, app_url
from ._objects import objects, schemas

TEMPLATES = ("generic", "async")
EVERY_VERSION = [(version,) for version in range(1, adk_store.SCHEMA_VERSION + 1)]


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AlembicProject]:
    """One project per template: an application table, then adk-store's tables pinned at
    version 1, then a later revision calling ``up()`` again, as an upgrade of adk-store would."""
    made = {}
    for template in TEMPLATES:
        project = AlembicProject(tmp_path_factory.mktemp(f"alembic-{template}"), template)
        project.add_revision(
            "app_1",
            None,
            'op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True))',
            'op.drop_table("notes")',
        )
        project.add_revision("adk_1", "app_1", "migration.up(version=1)", "migration.down()")
        project.add_revision("adk_latest", "adk_1", "migration.up()", "migration.down(version=1)")
        made[template] = project
    return made


@pytest.fixture(params=TEMPLATES)
def template(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(db_url: str) -> str:
    return db_url


async def use_the_store(url: str) -> adk_store.Session:
    """Create a session and append an event with a service opened without create_schema."""
    async with adk_store.SessionService(url) as service:
        session = await service.create_session(app_name="app", user_id="u1", state={"k": 1})
        await service.append_event(
            session,
            adk_store.Event(author="user", invocation_id="i1", timestamp=time.time()),
        )
        return await service.get_session(app_name="app", user_id="u1", session_id=session.id)


def test_upgrade_head_gives_a_store_the_service_and_cli_accept(
    projects: dict[str, AlembicProject], template: str, store_url: str
) -> None:
    projects[template].alembic("upgrade", "head", url=app_url(store_url, template))

    assert anyio.run(adk_store.schema_version, store_url) == adk_store.SCHEMA_VERSION
    versions = anyio.run(raw_fetch, store_url, "SELECT version FROM adk_schema_versions")
    assert sorted(versions) == EVERY_VERSION
    assert adk_store_command("migrate", "--check", url=store_url).returncode == 0
    stored = anyio.run(use_the_store, store_url)
    assert len(stored.events) == 1


def test_downgrade_base_leaves_no_adk_store_object_and_upgrade_works_again(
    projects: dict[str, AlembicProject], template: str, store_url: str
) -> None:
    project, url = projects[template], app_url(store_url, template)
    project.alembic("upgrade", "head", url=url)
    anyio.run(use_the_store, store_url)

    project.alembic("downgrade", "base", url=url)

    assert anyio.run(objects, store_url) == set()
    project.alembic("upgrade", "head", url=url)
    assert anyio.run(adk_store.schema_version, store_url) == adk_store.SCHEMA_VERSION


def test_downgrade_to_the_application_revision_removes_only_adk_store_tables(
    projects: dict[str, AlembicProject], template: str, store_url: str
) -> None:
    project, url = projects[template], app_url(store_url, template)
    project.alembic("upgrade", "head", url=url)

    project.alembic("downgrade", "app_1", url=url)

    left = {name.split(".")[-1] for _, name in anyio.run(objects, store_url)}
    assert "notes" in left
    assert [name for name in left if "adk" in name] == []
    assert anyio.run(adk_store.schema_version, store_url) == 0


def test_a_store_made_by_adk_store_is_carried_on_by_alembic_and_back(
    projects: dict[str, AlembicProject], template: str, store_url: str
) -> None:
    anyio.run(adk_store.create_schema, store_url)
    made = anyio.run(use_the_store, store_url)
    project, url = projects[template], app_url(store_url, template)

    project.alembic("upgrade", "head", url=url)

    stored_versions = anyio.run(raw_fetch, store_url, "SELECT version FROM adk_schema_versions")
    assert sorted(stored_versions) == EVERY_VERSION
    assert anyio.run(raw_fetch, store_url, "SELECT id FROM adk_sessions") == [(made.id,)]
    project.alembic("downgrade", "base", url=url)
    assert anyio.run(objects, store_url) == set()
    assert adk_store_command("migrate", url=store_url).returncode == 0
    assert anyio.run(adk_store.schema_version, store_url) == adk_store.SCHEMA_VERSION


def test_offline_upgrade_prints_ddl_that_builds_the_store_and_touches_nothing(
    projects: dict[str, AlembicProject], template: str, store_url: str
) -> None:
    project, url = projects[template], app_url(store_url, template)

    script = project.alembic("upgrade", "head", "--sql", url=url).stdout

    assert re.search(r"CREATE TABLE (IF NOT EXISTS )?adk_sessions", script)
    assert "INSERT INTO adk_schema_versions" in script
    assert anyio.run(adk_store.schema_version, store_url) == 0
    run_script(store_url, script)
    assert anyio.run(adk_store.schema_version, store_url) == adk_store.SCHEMA_VERSION
    anyio.run(use_the_store, store_url)


def test_offline_downgrade_prints_the_drops(
    projects: dict[str, AlembicProject], template: str, store_url: str
) -> None:
    project, url = projects[template], app_url(store_url, template)
    project.alembic("upgrade", "head", url=url)

    script = project.alembic("downgrade", "head:base", "--sql", url=url).stdout

    assert "DROP TABLE IF EXISTS adk_sessions" in script
    assert anyio.run(adk_store.schema_version, store_url) == adk_store.SCHEMA_VERSION
    run_script(store_url, script)
    assert anyio.run(objects, store_url) == set()


def run_script(url: str, script: str) -> None:
    """Run an offline script as its reader would: sqlite3's, psql's or the ``mariadb``
    client's way of splitting."""
    if is_sqlite(url):
        with sqlite3.connect(sqlite_path(url)) as connection:
            connection.executescript(script)
        return
    if is_mysql(url):
        parts = urlsplit(url)
        password = [f"--password={parts.password}"] if parts.password else []
        subprocess.run(
            [
                *("mariadb", "--no-defaults", "-h", str(parts.hostname)),
                *("-P", str(parts.port or 3306), "-u", str(parts.username), *password),
                database_name(url),
            ],
            input=script,
            text=True,
            check=True,
            capture_output=True,
            timeout=120,
        )
        return
    anyio.run(raw_script, url, [script])


@pytest.mark.postgresql
def test_schema_puts_the_tables_in_a_postgresql_schema_and_leaves_the_search_path(
    postgres: PostgresProvider, tmp_path: Path
) -> None:
    project = AlembicProject(tmp_path / "project", "async")
    project.add_revision(
        "adk_1",
        None,
        'migration.up(version=1, schema="agents")',
        'migration.down(schema="agents")',
    )
    url = postgres.new_database()

    project.alembic("upgrade", "head", url=url)

    assert anyio.run(schemas, url) == {"agents"}
    assert ("r", "agents.adk_sessions") in anyio.run(objects, url)
    assert anyio.run(
        raw_fetch, url, "SELECT schemaname FROM pg_tables WHERE tablename = 'alembic_version'"
    ) == [("public",)]
    assert anyio.run(lambda: adk_store.schema_version(url, schema="agents")) == 1
    project.alembic("downgrade", "base", url=url)
    assert anyio.run(objects, url) == set()


def test_a_version_adk_store_does_not_know_is_refused_before_any_change(
    tmp_path: Path,
) -> None:
    project = AlembicProject(tmp_path / "project", "generic")
    project.add_revision("adk_9", None, "migration.up(version=9)", "migration.down()")
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"

    failed = project.try_alembic("upgrade", "head", url=app_url(url, "generic"))

    assert failed.returncode != 0
    assert "InvalidArgumentError: version=9 is not a schema version this adk-store knows" in (
        failed.stderr
    )
    assert anyio.run(objects, url) == set()
