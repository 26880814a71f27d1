"""The text search configuration a :class:`MemoryService` indexes and searches memories with.

Its name is checked when the service is made (only PostgreSQL's engine takes one; SQLite's
FTS5 has the tokenizer its schema sets), and on PostgreSQL against the database's own
configurations once, on first use.
"""

from __future__ import annotations

from ._errors import InvalidArgumentError
from ._runtime import Connection
from .dialects import Dialect
from .dialects.fulltext import DEFAULT_TEXT_SEARCH_CONFIG


class TextSearchConfig:
    """One configuration's name, checked against the database once it has been asked."""

    def __init__(self, name: str, dialect: Dialect) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(f"text_search_config must be a non-empty str, not {name!r}")
        configurable = dialect.memory_index.configurable
        if not configurable and name != DEFAULT_TEXT_SEARCH_CONFIG:
            raise InvalidArgumentError(
                f"text_search_config is for PostgreSQL; {dialect.name} searches with "
                "the tokenizer its schema sets"
            )
        self.name = name
        """Bound as ``:config`` by the statements that index or search memories."""
        self._checked = not configurable

    async def check(self, connection: Connection, check_statement: str) -> None:
        """Refuse a name the database has no configuration of (asked the first time only)."""
        if self._checked:
            return
        try:
            await connection.fetch_val(check_statement, {"config": self.name})
        except Exception:
            raise InvalidArgumentError(
                f"text_search_config {self.name!r} is not a text search configuration of "
                "this database (see SELECT cfgname FROM pg_ts_config)"
            ) from None
        self._checked = True
