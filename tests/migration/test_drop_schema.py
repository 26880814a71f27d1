"""``drop_schema``: adk-store's ``down`` without Alembic, refused while sessions or memories
exist."""

from __future__ import annotations

from pathlib import Path

import pytest

import adk_store
from adk_store._migrations import downgrade_steps, migration_files

from ..conftest import PostgresProvider
from ._objects import objects, schemas


async def test_drop_schema_refuses_a_store_holding_sessions_and_changes_nothing(
    db_url: str,
) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await service.create_session(app_name="app", user_id="u1")
        await service.create_session(app_name="app", user_id="u2")
    before = await objects(db_url)

    with pytest.raises(adk_store.StoreNotEmptyError, match="holds 2 session") as refused:
        await adk_store.drop_schema(db_url)

    assert refused.value.sessions == 2
    assert await objects(db_url) == before
    assert await adk_store.schema_version(db_url) == adk_store.SCHEMA_VERSION


async def test_drop_schema_refuses_a_store_holding_only_memories(db_url: str) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await adk_store.MemoryService(service).add_memories(
            app_name="app", user_id="u1", memories=[adk_store.NewMemory(text="likes tides")]
        )
    before = await objects(db_url)

    with pytest.raises(adk_store.StoreNotEmptyError, match="holds 1 memory") as refused:
        await adk_store.drop_schema(db_url)

    assert (refused.value.sessions, refused.value.memories) == (0, 1)
    assert await objects(db_url) == before
    assert await adk_store.drop_schema(db_url, force=True) == adk_store.SCHEMA_VERSION
    assert await objects(db_url) == set()


async def test_drop_schema_with_force_leaves_no_adk_store_object(db_url: str) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await service.create_session(app_name="app", user_id="u1")

    dropped_from = await adk_store.drop_schema(db_url, force=True)

    assert dropped_from == adk_store.SCHEMA_VERSION
    assert await objects(db_url) == set()


async def test_an_empty_store_is_dropped_without_force_and_can_be_created_again(
    db_url: str,
) -> None:
    await adk_store.create_schema(db_url)

    await adk_store.drop_schema(db_url)
    await adk_store.create_schema(db_url)

    assert await adk_store.schema_version(db_url) == adk_store.SCHEMA_VERSION


async def test_dropping_a_database_without_adk_store_tables_does_nothing(db_url: str) -> None:
    assert await adk_store.drop_schema(db_url) == 0
    assert await objects(db_url) == set()


@pytest.mark.databases("postgresql")
async def test_drop_schema_empties_a_postgresql_schema_and_keeps_it(
    db_url: str, postgres: PostgresProvider
) -> None:
    await adk_store.create_schema(db_url, schema="agents")

    await adk_store.drop_schema(db_url, schema="agents")

    assert await objects(db_url) == set()
    assert await schemas(db_url) == {"agents"}


def test_every_shipped_migration_can_be_undone() -> None:
    for dialect_name in ("sqlite", "postgresql"):
        newest = max(migration_files(dialect_name))
        steps = downgrade_steps(dialect_name, newest, 0)
        assert [version for version, _ in steps] == list(range(newest, 0, -1))


def test_a_migration_without_a_down_file_cannot_be_undone(tmp_path: Path) -> None:
    (tmp_path / "sqlite").mkdir()

    with pytest.raises(adk_store.SchemaVersionError, match="version 1 cannot be undone"):
        downgrade_steps("sqlite", 1, 0, tmp_path)
