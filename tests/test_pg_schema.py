"""``schema=``: adk-store's tables in a PostgreSQL schema of their own, in a shared database."""

from __future__ import annotations

import itertools
import os
import sys
from urllib.parse import urlsplit, urlunsplit

import anyio
import pytest

import adk_store
from adk_store import DatabaseError, Event, EventActions, InvalidArgumentError
from adk_store.dialects import PostgresDialect

from ._db import raw_fetch, raw_script

APP = "app"
TABLES = sorted(table.name for table in adk_store.metadata.sorted_tables)
_roles = itertools.count(1)


async def tables_by_schema(db_url: str) -> dict[str, list[str]]:
    rows = await raw_fetch(
        db_url,
        "SELECT schemaname, tablename FROM pg_tables WHERE tablename LIKE 'adk%' ORDER BY 1, 2",
    )
    found: dict[str, list[str]] = {}
    for schema, table in rows:
        found.setdefault(schema, []).append(table)
    return found


def as_role(db_url: str, role: str) -> str:
    parts = urlsplit(db_url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))


@pytest.mark.databases("postgresql")
async def test_every_table_goes_into_the_schema_created_when_missing(db_url: str) -> None:
    async with adk_store.SessionService(db_url, schema="agents") as service:
        session = await service.create_session(
            app_name=APP, user_id="u", state={"app:a": 1, "user:b": 2}
        )
        await service.append_event(
            session, Event(author="user", actions=EventActions(state_delta={"app:a": 3, "k": 4}))
        )
        loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert loaded is not None
        assert loaded.state == {"app:a": 3, "user:b": 2, "k": 4}
        assert len(loaded.events) == 1
    assert await tables_by_schema(db_url) == {"agents": TABLES}
    assert await adk_store.schema_version(db_url, schema="agents") == adk_store.SCHEMA_VERSION
    assert await adk_store.schema_version(db_url) == 0


@pytest.mark.databases("postgresql")
async def test_services_in_different_schemas_of_one_database_are_isolated(db_url: str) -> None:
    async with (
        adk_store.SessionService(db_url, schema="team_a") as team_a,
        adk_store.SessionService(db_url, schema='Team "B" (shared)') as team_b,
        adk_store.SessionService(db_url) as default,
    ):
        for service, name in ((team_a, "a"), (team_b, "b"), (default, "default")):
            await service.create_session(
                app_name=APP, user_id="u", session_id="s", state={"app:owner": name, "k": name}
            )
        await team_a.delete_session(app_name=APP, user_id="u", session_id="s")

        assert await team_a.get_session(app_name=APP, user_id="u", session_id="s") is None
        for service, name in ((team_b, "b"), (default, "default")):
            loaded = await service.get_session(app_name=APP, user_id="u", session_id="s")
            assert loaded is not None
            assert loaded.state == {"app:owner": name, "k": name}
            assert len((await service.list_sessions(app_name=APP)).sessions) == 1
        assert await team_a.get_app_state(app_name=APP) == {"owner": "a"}
    assert set(await tables_by_schema(db_url)) == {"team_a", 'Team "B" (shared)', "public"}


@pytest.mark.databases("postgresql")
async def test_a_role_that_may_not_create_the_schema_gets_a_one_line_explanation(
    db_url: str,
) -> None:
    role = f"adk_limited_{os.getpid()}_{next(_roles)}"
    await raw_script(db_url, [f"CREATE ROLE {role} LOGIN"])
    try:
        with pytest.raises(DatabaseError) as caught:
            await adk_store.create_schema(as_role(db_url, role), schema="agents")
        message = str(caught.value)
        assert "\n" not in message
        assert "cannot create schema 'agents'" in message
        assert "CREATE SCHEMA agents AUTHORIZATION" in message
        assert await tables_by_schema(db_url) == {}

        # Once an owner created it for the role, the role creates its tables there.
        await raw_script(db_url, [f"CREATE SCHEMA agents AUTHORIZATION {role}"])
        async with adk_store.SessionService(as_role(db_url, role), schema="agents") as service:
            await service.create_session(app_name=APP, user_id="u")
        assert await tables_by_schema(db_url) == {"agents": TABLES}
    finally:
        await raw_script(db_url, ["DROP SCHEMA IF EXISTS agents CASCADE", f"DROP ROLE {role}"])


@pytest.mark.databases("postgresql")
async def test_the_command_line_migrates_a_schema(db_url: str) -> None:
    command = [sys.executable, "-m", "adk_store", "migrate", db_url, "--schema", "ops"]
    created = await anyio.run_process(command, check=False)
    assert created.returncode == 0, created.stderr.decode()
    checked = await anyio.run_process([*command, "--check"], check=False)
    assert checked.returncode == 0, checked.stdout.decode()
    assert await tables_by_schema(db_url) == {"ops": TABLES}


@pytest.mark.databases("sqlite")
async def test_sqlite_refuses_a_schema(db_url: str) -> None:
    with pytest.raises(InvalidArgumentError, match="SQLite has none"):
        adk_store.SessionService(db_url, schema="agents")


@pytest.mark.parametrize("bad", ["", "x" * 64, "a\x00b", 7])
def test_unusable_schema_names_are_refused(bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match="schema"):
        adk_store.SessionService("postgresql+asyncpg://localhost/app", schema=bad)  # type: ignore[arg-type]


def test_each_schema_has_a_migration_lock_of_its_own() -> None:
    locks = {PostgresDialect(schema).schema_lock for schema in (None, "a", "b", "public")}
    assert len(locks) == 4
