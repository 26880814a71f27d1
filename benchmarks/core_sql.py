"""The one place the benchmarks reach inside adk-store: the core's one-statement append.

The floor runs exactly the SQL ``SessionService.append_event`` runs on its fast path, through
the raw driver. If adk-store's internal modules move, this is the only file to fix.
"""

from __future__ import annotations

import re

from adk_store._statements import Statements
from adk_store.dialects import SqliteOptions, dialect_for

SQLITE_JSON_MERGE = "adk_json_merge"
"""The SQL function the SQLite append trigger calls; adk-store registers it per connection."""

_NAMED_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


def append_sql(url: str) -> str:
    """The append statement for ``url``'s database, with ``:name`` parameters."""
    return Statements(dialect_for(url, SqliteOptions())).one_statement_append


def numbered(sql: str) -> tuple[str, list[str]]:
    """``sql`` with ``:name`` parameters as asyncpg's ``$1``… and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED_PARAMETER.sub(number, sql), names


def pyformat(sql: str) -> str:
    """``sql`` with ``:name`` parameters as asyncmy's ``%(name)s``."""
    return _NAMED_PARAMETER.sub(r"%(\1)s", sql)


def sqlite_json_merge(current: str, delta: str) -> str:
    """The function adk-store registers as ``adk_json_merge`` on its SQLite connections."""
    from adk_store.dialects.sqlite import _merge_json_text

    return _merge_json_text(current, delta)
