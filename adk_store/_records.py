"""Stored items as plain values, independent of any database: what export writes, import reads,
and what moving sessions in from (or out to) another store carries.

A :class:`SessionRecord` holds one session exactly as stored: its own state (the session
scope only, keys without prefixes), its times, and every event oldest first. App and user
state travel separately, once each, as :class:`AppStateRecord` and :class:`UserStateRecord`,
and memories as :class:`~adk_store.Memory` values, apart from their sessions (they outlive
them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._memory_models import Memory
from ._models import Event, JsonDict


@dataclass
class SessionRecord:
    """One session as stored: session-scope state, times, and all its events oldest first."""

    app_name: str
    user_id: str
    id: str
    state: JsonDict = field(default_factory=dict)
    """The session scope only: no ``app:``/``user:`` keys, no ``temp:`` keys."""
    create_time: float = 0.0
    update_time: float = 0.0
    events: list[Event] = field(default_factory=list)


@dataclass
class AppStateRecord:
    """The state shared by every user and session of one app (keys without ``app:``)."""

    app_name: str
    state: JsonDict = field(default_factory=dict)


@dataclass
class UserStateRecord:
    """The state shared by every session of one user (keys without ``user:``)."""

    app_name: str
    user_id: str
    state: JsonDict = field(default_factory=dict)


StoredRecord = SessionRecord | AppStateRecord | UserStateRecord | Memory
"""Any one item of a store's contents."""
