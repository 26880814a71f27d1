"""Reading the store page by page for export: app states, user states, sessions, then
memories.

Each page is one short read; :meth:`SessionService.export_records` yields its records before
reading the next, so memory holds one page whatever the size of the store. Pages follow each
table's key in byte order (see ``Dialect.byte_order``), so two stores with the same contents
export the same records in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._codec import row_values
from ._records import SessionRecord, StoredRecord
from ._runtime import Connection
from ._store import Store

PAGE_SIZE = 100


@dataclass
class ExportWalk:
    """Where an export has got to: the table being walked and the last key read."""

    app_name: str | None
    user_id: str | None
    table: str = "app_states"
    after: tuple[str, ...] | None = None
    """The key of the last record read from ``table``; ``None`` before its first page."""
    done: bool = False

    def filters(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.app_name is not None:
            values["app_name"] = self.app_name
        if self.user_id is not None:
            values["user_id"] = self.user_id
        return values


_TABLES = ("app_states", "user_states", "sessions", "memories")
_KEY_NAMES = {
    "app_states": ("app_name",),
    "user_states": ("app_name", "user_id"),
    "sessions": ("app_name", "user_id", "id"),
    "memories": ("app_name", "user_id", "id"),
}


async def read_page(
    connection: Connection,
    walk: ExportWalk,
    store: Store,
    page_size: int = PAGE_SIZE,
) -> list[StoredRecord]:
    """The next page of ``walk``, which moves on past it (to the next table at a page's end)."""
    names = _KEY_NAMES[walk.table]
    store_sql, codec = store.store_statements, store.codec
    pages = {
        "app_states": store_sql.app_states_page,
        "user_states": store_sql.user_states_page,
        "sessions": store_sql.sessions_page,
        "memories": store_sql.memories_page,
    }[walk.table]
    by_user = walk.user_id is not None and "user_id" in names
    query = pages[walk.app_name is not None, by_user, walk.after is not None]
    values = {
        **{k: v for k, v in walk.filters().items() if k != "user_id" or by_user},
        **{f"after_{name}": value for name, value in zip(names, walk.after or (), strict=False)},
        "limit": page_size,
    }
    rows = await connection.fetch_all(query, values)
    records: list[StoredRecord] = []
    if walk.table == "memories":
        records.extend(store.memory_codec.memories_from_rows(rows))
    elif walk.table == "sessions":
        for row in rows:
            session = await _session_record(connection, row, store)
            if session is not None:
                records.append(session)
    elif walk.table == "user_states":
        records.extend(codec.user_state_record_from_row(row) for row in rows)
    else:
        records.extend(codec.app_state_record_from_row(row) for row in rows)
    if len(rows) == page_size:
        walk.after = tuple(row_values(rows[-1])[: len(names)])
    else:
        _next_table(walk)
    return records


def _next_table(walk: ExportWalk) -> None:
    position = _TABLES.index(walk.table)
    if position + 1 == len(_TABLES):
        walk.done = True
        return
    walk.table = _TABLES[position + 1]
    walk.after = None


async def _session_record(connection: Connection, row: Any, store: Store) -> SessionRecord | None:
    """The session of a page row with its events; ``None`` if it was deleted since."""
    app_name, user_id, session_id, _state, revision, create_time, _update_time = row_values(row)
    key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
    # Events up to the revision read with the session, while that incarnation of it exists:
    # one appended since is not part of it, and one deleted (perhaps created again) since
    # yields no events and is left out.
    values = {**key, "revision": revision, "created": create_time}
    event_rows = await connection.fetch_all(store.statements.select_events, values)
    if revision and not event_rows:
        return None
    codec = store.codec
    return codec.session_record_from_row(row, codec.events_from_rows(event_rows))
