"""Choosing a dialect, and what each one promises the rest of the package."""

from __future__ import annotations

import pytest

from adk_store import AdkStoreError
from adk_store._migrations import migration_files
from adk_store.dialects import PostgresDialect, SqliteDialect, SqliteOptions, dialect_for
from adk_store.dialects.sqlite import APPEND_REFUSED


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("sqlite+aiosqlite:///app.db", SqliteDialect),
        ("sqlite:///:memory:", SqliteDialect),
        ("postgresql+asyncpg://u@h/db", PostgresDialect),
        ("postgres://u@h/db", PostgresDialect),
    ],
)
def test_the_url_scheme_picks_the_dialect(url: str, kind: type) -> None:
    assert isinstance(dialect_for(url, SqliteOptions()), kind)


def test_an_unknown_scheme_is_refused_with_the_supported_ones() -> None:
    with pytest.raises(AdkStoreError, match="sqlite\\+aiosqlite"):
        dialect_for("oracle://u@h/db", SqliteOptions())


def test_a_mysql_url_names_the_driver_it_needs() -> None:
    with pytest.raises(AdkStoreError, match="mysql\\+asyncmy://"):
        dialect_for("mysql+aiomysql://u@h/db", SqliteOptions())
    assert dialect_for("mysql+asyncmy://u@h/db", SqliteOptions()).name == "mysql"


def test_sqlite_holds_one_writer_and_in_memory_one_connection() -> None:
    on_file = dialect_for("sqlite+aiosqlite:///app.db", SqliteOptions()).pool_layout
    in_memory = dialect_for("sqlite+aiosqlite:///:memory:", SqliteOptions()).pool_layout
    assert on_file.separate_writer
    assert not on_file.one_connection_is_the_database
    assert in_memory.one_connection_is_the_database
    shared = PostgresDialect().pool_layout
    assert not shared.separate_writer
    assert not shared.one_connection_is_the_database


def test_the_sqlite_trigger_refuses_with_the_text_the_dialect_recognises() -> None:
    ddl = migration_files("sqlite")[1].read_text(encoding="utf-8")
    assert f"RAISE(ABORT, '{APPEND_REFUSED}')" in ddl
