"""Driver SQL for asyncpg: the compiled ``:name`` parameters become asyncpg's ``$n``."""

from __future__ import annotations

from adk_store._runtime.compiled import numbered


def test_named_parameters_are_numbered_in_order_of_first_use() -> None:
    sql, names = numbered(
        "INSERT INTO t (a, b, c) VALUES (:a, CAST(:b AS JSONB), :a_2) -- :a again: :a"
    )

    assert sql == "INSERT INTO t (a, b, c) VALUES ($1, CAST($2 AS JSONB), $3) -- $1 again: $1"
    assert names == ("a", "b", "a_2")


def test_casts_and_times_are_not_parameters() -> None:
    sql, names = numbered("SELECT x::jsonb, '10:30' FROM t WHERE y = :y")

    assert sql == "SELECT x::jsonb, '10:30' FROM t WHERE y = $1"
    assert names == ("y",)
