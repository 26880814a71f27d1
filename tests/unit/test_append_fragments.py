"""The append stated once: every form of it is built from ``adk_store._append_sql``.

The stored forms (SQLite's trigger, MariaDB's procedure) are shipped as SQL in migration
0001; each dialect generates that DDL from the fragments, and the migration must hold it.
The two are compared token by token: runs of whitespace between tokens count as one space
(so the migration may lay a statement out differently), quoted strings as they are.
"""

from __future__ import annotations

import re

import pytest

from adk_store._append_sql import APPEND_INPUTS
from adk_store._migrations import migration_files, split_statements
from adk_store._runtime.compiled import numbered
from adk_store._statements import Statements
from adk_store.dialects import (
    Dialect,
    MysqlDialect,
    PostgresDialect,
    SqliteDialect,
    SqliteOptions,
)

_TOKEN = re.compile(r"'[^']*'|[^\s']+")

DIALECTS = {
    "sqlite": SqliteDialect(SqliteOptions(), in_memory=True),
    "postgresql": PostgresDialect(),
    "mysql": MysqlDialect(),
}


def tokens(sql: str) -> list[str]:
    return _TOKEN.findall(sql)


def migration_statements(dialect_name: str) -> list[str]:
    return split_statements(migration_files(dialect_name)[1].read_text(encoding="utf-8"))


@pytest.mark.parametrize("dialect_name", ["sqlite", "mysql"])
def test_migration_0001_holds_the_stored_append_the_dialect_generates(
    dialect_name: str,
) -> None:
    generated = DIALECTS[dialect_name].stored_append()
    assert generated
    shipped = [tokens(statement) for statement in migration_statements(dialect_name)]
    for statement in generated:
        assert tokens(statement) in shipped, (
            f"migrations/{dialect_name}/0001_initial.sql does not hold the stored append its "
            f"dialect generates; put this text in its place:\n\n{statement}"
        )


def test_postgresql_keeps_no_append_in_the_database() -> None:
    assert DIALECTS["postgresql"].stored_append() == ()


def test_the_comparison_sees_a_change_of_meaning() -> None:
    (procedure,) = DIALECTS["mysql"].stored_append()
    without_stale_check = procedure.replace("AND adk_sessions.revision = new_expected ", "")
    assert without_stale_check != procedure
    assert tokens(without_stale_check) != tokens(procedure)
    assert tokens(procedure.replace("\n", "\n\t  ")) == tokens(procedure)


@pytest.mark.parametrize("dialect", DIALECTS.values(), ids=list(DIALECTS))
def test_the_one_statement_append_takes_exactly_the_append_inputs(dialect: Dialect) -> None:
    _, names = numbered(Statements(dialect).one_statement_append)
    assert set(names) == set(APPEND_INPUTS)


def test_the_stored_appends_take_the_inputs_in_their_order() -> None:
    view, _ = DIALECTS["sqlite"].stored_append()
    assert re.findall(r"NULL AS (\w+)", view) == list(APPEND_INPUTS)
    (procedure,) = DIALECTS["mysql"].stored_append()
    assert re.findall(r"IN new_(\w+)", procedure) == list(APPEND_INPUTS)
    call = Statements(DIALECTS["mysql"]).one_statement_append
    assert re.findall(r":(\w+)", call) == list(APPEND_INPUTS)
