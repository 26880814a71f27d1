"""Memories to row values and rows back to :class:`Memory`: the only place either happens
for memories (``_codec`` does the same for sessions and events)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ._codec import row_values
from ._errors import InvalidArgumentError
from ._json_text import check_encodable, dumps
from ._memory_models import Memory
from ._memory_text import scope_token, searchable_text
from ._models import JsonDict
from ._state import check_json_value
from .dialects import Dialect

MEMORY_COLUMNS = (
    "app_name",
    "user_id",
    "id",
    "session_id",
    "event_id",
    "author",
    "timestamp",
    "text",
    "content",
    "custom_metadata",
)
"""Memory columns in the order every memory query returns them."""

MAX_SEARCHABLE_BYTES = 400_000
"""The searchable words of one memory are cut at this many bytes of UTF-8 (PostgreSQL's
``tsvector`` holds at most a mebibyte); the memory's text itself is kept whole."""

_TEXT_COLUMNS = ("id", "session_id", "event_id", "author", "text")


class MemoryCodec:
    """Turns memories into row values and rows into memories for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect

    def memory_values(self, memory: Memory) -> dict[str, Any]:
        """The values ``MemoryStatements.insert_memory`` binds for ``memory`` (the caller
        adds ``:config``)."""
        where = f"memory {memory.id!r}"
        values: dict[str, Any] = {
            "app_name": memory.app_name,
            "user_id": memory.user_id,
            "timestamp": memory.timestamp,
            "scope": scope_token(memory.app_name, memory.user_id),
            "search_text": _cut(searchable_text(memory.text)),
            "content": (
                None if memory.content is None else self._json(memory.content, f"{where} content")
            ),
            "custom_metadata": self._json(memory.custom_metadata, f"{where} custom_metadata"),
        }
        for name in _TEXT_COLUMNS:
            text = getattr(memory, name)
            if text is not None:
                check_encodable(text, f"{where} {name}")
                text = self._dialect.encode_text(text)
            values[name] = text
        return values

    def _json(self, value: Any, where: str) -> str:
        check_json_value(value, where)
        return self._dialect.adapt_json(dumps(value, where), where)

    def memories_from_rows(self, rows: Sequence[Any]) -> list[Memory]:
        """:class:`Memory` values from rows in :data:`MEMORY_COLUMNS` order."""
        return [self._memory(row_values(row)) for row in rows]

    def _memory(self, row: tuple[Any, ...]) -> Memory:
        restore = self._dialect.restore_text
        app_name, user_id, memory_id, session_id, event_id, author, timestamp, text = row[:8]
        return Memory(
            app_name=app_name,
            user_id=user_id,
            id=restore(memory_id),
            text=restore(text),
            content=self._parsed(row[8]),
            custom_metadata=self._parsed(row[9]) or {},
            session_id=None if session_id is None else restore(session_id),
            event_id=None if event_id is None else restore(event_id),
            author=None if author is None else restore(author),
            timestamp=float(timestamp),
        )

    def _parsed(self, text: str | None) -> JsonDict | None:
        if text is None:
            return None
        parsed = json.loads(self._dialect.restore_json(text))
        if not isinstance(parsed, dict):
            raise InvalidArgumentError(f"a stored memory holds {type(parsed).__name__} JSON")
        return parsed


def _cut(words: str) -> str:
    encoded = words.encode("utf-8")
    if len(encoded) <= MAX_SEARCHABLE_BYTES:
        return words
    kept = encoded[:MAX_SEARCHABLE_BYTES].decode("utf-8", errors="ignore")
    return kept.rsplit(" ", 1)[0]
