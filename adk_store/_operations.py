"""Values the store-wide operations return: what ``status()`` counts, what ``prune()`` deletes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class StoreStatus:
    """What a store holds, from :meth:`SessionService.status`.

    ``apps`` and ``users`` count every app and user with a session or stored state;
    ``memories`` counts the memories of every user, those of deleted sessions included.
    The update times are those of the least and most recently updated sessions.
    """

    schema_version: int
    database: str
    """``"sqlite"``, ``"postgresql"`` or ``"mysql"`` (MariaDB)."""
    apps: int
    users: int
    sessions: int
    events: int
    memories: int
    oldest_update_time: float | None
    newest_update_time: float | None


class SessionKey(NamedTuple):
    """One session named by its key, with its last update time (what ``prune`` reports)."""

    app_name: str
    user_id: str
    session_id: str
    update_time: float
