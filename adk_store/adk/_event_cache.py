"""The adapter's event cache: google-adk events a service has read or appended, per session.

google-adk's Runner reads the whole session at the start of every turn. Stored events never
change (a session only grows until it is deleted), so a service that holds a session's first
``N`` events needs only the ones after them, as long as the stored session is still the same
incarnation and its ``N``-th event is still the one held: the core checks both in the round
trip that reads the session row (``SessionService.get_session_documents``). The cache is
therefore never trusted on its own; it only saves building events again.

What is shared: the cached ``Event`` objects themselves, between every read of the service
(as google-adk's in-memory service does in its light-copy mode). Every read gets its own
``Session``, its own ``events`` list and its own ``state`` dict, so appending to, replacing
or reordering ``session.events``, or changing ``session.state``, never shows in another read.
An event object must not be changed in place; google-adk's own code does not change the
events it reads (it copies what it sends to a model).

Bounded by a number of events across sessions; the least recently used session goes first.
A lock makes every change atomic, so tasks of any event loop, and threads, may share it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from google.adk.events import Event as AdkEvent

from .. import InvalidArgumentError, SessionVersion

SessionKey = tuple[str, str, str]
"""(app_name, user_id, session_id)."""

DEFAULT_EVENT_CACHE_SIZE = 20_000
"""Events the cache of one service holds by default, across all its sessions."""


@dataclass(frozen=True)
class CachedEvents:
    """A session's first events as stored in one incarnation (its create time)."""

    create_time: float
    events: tuple[AdkEvent, ...]

    @property
    def revision(self) -> int:
        return len(self.events)

    def version(self) -> SessionVersion:
        """What to pass the core so that it sends only the events after these."""
        last_id = self.events[-1].id if self.events else None
        return SessionVersion(self.revision, self.create_time, last_id)

    def extended(self, events: tuple[AdkEvent, ...]) -> CachedEvents:
        return CachedEvents(self.create_time, self.events + events)


class EventCache:
    """Least recently used sessions' events, at most ``max_events`` of them in all.

    >>> cache = EventCache(max_events=10_000)
    >>> cache.put(("app", "ada", "s1"), CachedEvents(created, (event,)))
    """

    def __init__(self, max_events: int) -> None:
        if type(max_events) is not int or max_events < 0:
            raise InvalidArgumentError(
                f"event_cache_size must be an int >= 0 (0 turns the cache off), not {max_events!r}"
            )
        self.max_events = max_events
        self._sessions: OrderedDict[SessionKey, CachedEvents] = OrderedDict()
        self._events = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_events > 0

    @property
    def cached_events(self) -> int:
        """How many events the cache holds now."""
        return self._events

    def get(self, key: SessionKey) -> CachedEvents | None:
        with self._lock:
            cached = self._sessions.get(key)
            if cached is not None:
                self._sessions.move_to_end(key)
            return cached

    def put(self, key: SessionKey, cached: CachedEvents) -> None:
        """Hold ``cached`` for ``key``, unless what is held already goes further in the same
        incarnation (a slower read finishing after a newer append)."""
        if cached.revision > self.max_events:
            self.forget(key)
            return
        with self._lock:
            held = self._sessions.get(key)
            if held is not None:
                if held.create_time == cached.create_time and held.revision > cached.revision:
                    self._sessions.move_to_end(key)
                    return
                self._events -= held.revision
            self._sessions[key] = cached
            self._sessions.move_to_end(key)
            self._events += cached.revision
            while self._events > self.max_events:
                _, evicted = self._sessions.popitem(last=False)
                self._events -= evicted.revision

    def append(
        self, key: SessionKey, create_time: float | None, revision: int, event: AdkEvent
    ) -> None:
        """Add ``event``, stored as number ``revision + 1``, if the cache holds exactly the
        ``revision`` events before it in that incarnation."""
        held = self.get(key)
        if held is not None and held.create_time == create_time and held.revision == revision:
            self.put(key, held.extended((event,)))

    def forget(self, key: SessionKey) -> None:
        with self._lock:
            held = self._sessions.pop(key, None)
            if held is not None:
                self._events -= held.revision

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()
            self._events = 0
