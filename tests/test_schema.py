"""The schema: versioned creation, the migrations matching the Core tables, and query plans."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import databases
import pytest
import sqlalchemy as sa

import adk_store
from adk_store import SchemaVersionError, _migrations
from adk_store._migrations import migration_files, split_statements
from adk_store._schema import MEMORY_SEARCH_TABLE
from adk_store._statements import Statements

from ._db import raw_fetch

ROOT = Path(__file__).resolve().parent.parent
ALL_VERSIONS = [(version,) for version in range(1, adk_store.SCHEMA_VERSION + 1)]
VERSIONS = "SELECT version FROM adk_schema_versions ORDER BY version"


async def test_create_schema_is_idempotent_and_records_the_version(db_url: str) -> None:
    assert await adk_store.schema_version(db_url) == 0
    await adk_store.create_schema(db_url)
    await adk_store.create_schema(db_url)
    assert await adk_store.schema_version(db_url) == adk_store.SCHEMA_VERSION
    rows = await raw_fetch(db_url, "SELECT version FROM adk_schema_versions ORDER BY version")
    assert rows == ALL_VERSIONS


async def test_create_schema_accepts_the_applications_database(db_url: str) -> None:
    database = databases.Database(db_url)

    async def use_it() -> None:
        await database.connect()
        try:
            await adk_store.create_schema(database)
            async with adk_store.SessionService(database) as service:
                await service.create_session(app_name="a", user_id="u", session_id="s")
            # The service did not disconnect a database it did not connect.
            assert database.is_connected
            assert await database.fetch_val("SELECT count(*) FROM adk_sessions") == 1
        finally:
            await database.disconnect()

    # An application's own Database lives on its asyncio loop: run this one on a fresh loop
    # in a worker thread, so the test reads the same under either test backend.
    await anyio.to_thread.run_sync(lambda: anyio.run(use_it))


async def test_concurrent_create_schema_applies_the_migration_once(db_url: str) -> None:
    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(adk_store.create_schema, db_url)
    script = "import anyio, sys, adk_store; anyio.run(adk_store.create_schema, sys.argv[1])"

    async def create_in_a_process() -> None:
        result = await anyio.run_process([sys.executable, "-c", script, db_url], check=False)
        assert result.returncode == 0, result.stderr.decode()

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(create_in_a_process)
    assert await raw_fetch(db_url, VERSIONS) == ALL_VERSIONS


async def test_an_empty_database_gets_the_schema_on_first_use(db_url: str) -> None:
    service = adk_store.SessionService(db_url)
    try:
        created = await service.create_session(app_name="a", user_id="u")
        assert await service.get_session(app_name="a", user_id="u", session_id=created.id)
    finally:
        await service.close()
    assert await raw_fetch(db_url, VERSIONS) == ALL_VERSIONS


async def test_an_older_schema_is_never_upgraded_silently(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await adk_store.create_schema(db_url)
    monkeypatch.setattr(_migrations, "SCHEMA_VERSION", adk_store.SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError, match="upgrade it with `adk-store migrate"):
        async with adk_store.SessionService(db_url):
            pass
    with pytest.raises(SchemaVersionError, match="create_schema=True"):
        await adk_store.SessionService(db_url).create_session(app_name="a", user_id="u")
    assert await raw_fetch(db_url, VERSIONS) == ALL_VERSIONS
    assert await raw_fetch(db_url, "SELECT count(*) FROM adk_sessions") == [(0,)]


async def test_newer_schema_is_refused(db_url: str) -> None:
    await adk_store.create_schema(db_url)
    async with adk_store.SessionService(db_url) as service:
        await service.create_session(app_name="a", user_id="u")
    await raw_fetch(db_url, "INSERT INTO adk_schema_versions VALUES (99, 0)")
    with pytest.raises(SchemaVersionError, match="newer"):
        async with adk_store.SessionService(db_url):
            pass
    with pytest.raises(SchemaVersionError, match="newer"):
        await adk_store.create_schema(db_url)


async def _describe(url: str) -> dict[str, Any]:
    """Tables, columns, keys and indexes of adk-store's tables, as the inspector sees them."""
    from sqlalchemy.ext.asyncio import create_async_engine

    def describe(connection: sa.Connection) -> dict[str, Any]:
        inspector = sa.inspect(connection)
        found: dict[str, Any] = {}
        for table in sorted(inspector.get_table_names()):
            if not table.startswith("adk_") or table.startswith(MEMORY_SEARCH_TABLE):
                continue
            found[table] = {
                "columns": [
                    (c["name"], str(c["type"]).upper(), c["nullable"])
                    for c in inspector.get_columns(table)
                ],
                "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted(
                    (
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        tuple(fk["referred_columns"]),
                        (fk.get("options") or {}).get("ondelete"),
                    )
                    for fk in inspector.get_foreign_keys(table)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                    if not i.get("duplicates_constraint")
                ),
            }
        return found

    async def run() -> dict[str, Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(describe)
        finally:
            await engine.dispose()

    return await anyio.to_thread.run_sync(lambda: anyio.run(run))


async def test_migrations_create_exactly_the_core_tables(
    db_url: str, new_db_url: Callable[[], str]
) -> None:
    await adk_store.create_schema(db_url)
    reference_url = await anyio.to_thread.run_sync(new_db_url)

    from sqlalchemy.ext.asyncio import create_async_engine

    async def create_reference() -> None:
        engine = create_async_engine(reference_url)
        async with engine.begin() as connection:
            await connection.run_sync(adk_store.metadata.create_all)
        await engine.dispose()

    await anyio.to_thread.run_sync(lambda: anyio.run(create_reference))
    migrated = await _describe(db_url)
    reference = await _describe(reference_url)
    assert set(migrated) == {t.name for t in adk_store.metadata.sorted_tables}
    assert migrated == reference


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql", "mysql"])
def test_every_migration_file_splits_into_statements(dialect_name: str) -> None:
    files = migration_files(dialect_name)
    assert sorted(files) == list(range(1, adk_store.SCHEMA_VERSION + 1))
    statements = split_statements(files[1].read_text(encoding="utf-8"))
    assert all(
        not s.rstrip().endswith(";") or s.startswith(("CREATE TRIGGER", "CREATE OR REPLACE"))
        for s in statements
    )
    assert sum(s.startswith("CREATE TABLE") for s in statements) == 5


def test_the_wheel_ships_the_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("adk_store-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for dialect_name in ("sqlite", "postgresql", "mysql"):
        assert f"adk_store/migrations/{dialect_name}/0001_initial.sql" in names
    assert "adk_store/py.typed" in names


PLANNED_QUERIES = {
    "select_recent_events": {"revision": 10, "created": 1.0, "limit": 3},
    "select_events_after": {"revision": 10, "created": 1.0, "after_timestamp": 5.0},
    "select_recent_events_after": {
        "revision": 10,
        "created": 1.0,
        "limit": 3,
        "after_timestamp": 5.0,
    },
    "select_events": {"revision": 10, "created": 1.0},
    "list_app_sessions_page": {"limit": 3},
    "list_user_sessions_page": {"limit": 3, "user_id": "u"},
    "list_app_sessions_after": {
        "limit": 3,
        "after_time": 1.0,
        "after_user_id": "u",
        "after_id": "s",
    },
    "list_user_sessions_after": {"limit": 3, "user_id": "u", "after_time": 1.0, "after_id": "s"},
    "list_app_sessions_page_newest_first": {"limit": 3},
    "list_user_sessions_after_newest_first": {
        "limit": 3,
        "user_id": "u",
        "after_time": 1.0,
        "after_id": "s",
    },
}


def planned_sql(statements: Statements, name: str) -> str:
    """The statement a ``PLANNED_QUERIES`` name stands for."""
    if not name.startswith("list_"):
        return str(getattr(statements, name))
    return statements.session_list(
        of_user="_user_" in name,
        page=True,
        after_token="_after" in name,
        newest_first=name.endswith("_newest_first"),
    )


@pytest.mark.parametrize("name", sorted(PLANNED_QUERIES))
async def test_hot_queries_are_index_scans_without_a_sort(
    service: adk_store.SessionService, db_url: str, name: str
) -> None:
    statements = Statements(service.store.dialect)
    sql = planned_sql(statements, name)
    candidates = {
        "app_name": "a",
        "user_id": "u",
        "session_id": "s",
        "created": 1.0,
        **PLANNED_QUERIES[name],
    }
    values = {key: value for key, value in candidates.items() if f":{key}" in sql}
    postgres = service.dialect_name == "postgresql"
    mysql = service.dialect_name == "mysql"

    async def explain() -> str:
        database = databases.Database(db_url)
        await database.connect()
        try:
            async with database.connection() as connection:
                if postgres:
                    # Tiny tables make every plan cheap; with these off, a Seq Scan or a
                    # Sort can only appear when no index serves the query and its order.
                    for setting in ("enable_seqscan", "enable_sort", "enable_bitmapscan"):
                        await connection.execute(f"SET {setting} = off")
                    rows = await connection.fetch_all("EXPLAIN " + sql, values)
                elif mysql:
                    rows = await connection.fetch_all("EXPLAIN " + sql, values)
                    # table, access type, key, extra notes: a scan is "ALL", a sort "filesort".
                    return "\n".join(
                        f"{row._mapping['table']} {row._mapping['type']} "
                        f"{row._mapping['key']} {row._mapping['Extra']}"
                        for row in rows
                    )
                else:
                    rows = await connection.fetch_all("EXPLAIN QUERY PLAN " + sql, values)
                return "\n".join(str(tuple(row._mapping)[-1]) for row in rows)
        finally:
            await database.disconnect()

    plan = await anyio.to_thread.run_sync(lambda: anyio.run(explain))
    if postgres:
        assert "Seq Scan" not in plan, plan
        assert "Sort" not in plan, plan
    elif mysql:
        assert " ALL " not in plan, plan
        assert "filesort" not in plan, plan
    else:
        assert "SCAN adk_" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan
