"""Statement text to driver SQL, made once per text (``adk_store._runtime.compiled``)."""

from __future__ import annotations

import pytest

from adk_store._runtime.compiled import numbered
from adk_store._statements import Statements
from adk_store.dialects import PostgresDialect


def test_named_parameters_become_numbered_in_first_use_order() -> None:
    assert numbered("SELECT :b, :a, :b") == ("SELECT $1, $2, $1", ("b", "a"))


def test_casts_and_escaped_colons_are_not_parameters() -> None:
    assert numbered("SELECT x::jsonb, :a, '\\:b'") == ("SELECT x::jsonb, $1, '\\:b'", ("a",))


@pytest.mark.parametrize("name", ["one_statement_append", "select_session", "insert_session"])
def test_every_parameter_of_a_postgresql_statement_is_numbered(name: str) -> None:
    sql = getattr(Statements(PostgresDialect()), name)
    text, names = numbered(sql)
    assert ":" + names[0] in sql
    assert not any(f":{parameter}" in text for parameter in names)
    assert all(f"${position}" in text for position in range(1, len(names) + 1))
