"""Deleting sessions last updated before a cut-off, in bounded batches.

Each batch is one short write transaction that deletes at most ``batch_size`` sessions (their
events go with them), so pruning a large store never holds one long transaction or lock, and
appends go on between batches. Each row's update time is checked again as it is deleted: a
session appended to since its batch was chosen is kept.
"""

from __future__ import annotations

import sys
from typing import Any

from ._codec import session_key_from_row
from ._operations import SessionKey
from ._runtime import Connection
from ._store import Store

BATCH_SIZE = 500


async def delete_batch(
    connection: Connection,
    store: Store,
    updated_before: float,
    app_name: str | None,
    batch_size: int,
) -> list[SessionKey]:
    """Delete up to ``batch_size`` prunable sessions (call in a write transaction)."""
    values: dict[str, Any] = {"updated_before": updated_before, "limit": batch_size}
    if app_name is not None:
        values["app_name"] = app_name
    rows = await connection.fetch_all(
        store.store_statements.prune_batch[app_name is not None], values
    )
    return [session_key_from_row(row) for row in rows]


async def prunable_page(
    connection: Connection,
    store: Store,
    updated_before: float,
    app_name: str | None,
    after: SessionKey | None,
    page_size: int,
) -> list[SessionKey]:
    """The prunable sessions after ``after`` (oldest first), for a dry run."""
    # The lowest finite time, not -inf: MariaDB takes no infinite value.
    start = after or SessionKey("", "", "", -sys.float_info.max)
    values: dict[str, Any] = {
        "updated_before": updated_before,
        "limit": page_size,
        "after_time": start.update_time,
        "after_app_name": start.app_name,
        "after_user_id": start.user_id,
        "after_id": start.session_id,
    }
    if app_name is not None:
        values["app_name"] = app_name
    rows = await connection.fetch_all(
        store.store_statements.prunable_page[app_name is not None], values
    )
    return [session_key_from_row(row) for row in rows]
