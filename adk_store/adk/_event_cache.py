"""The adapter's event cache: google-adk events a service has read or appended, per session.

google-adk's Runner reads the whole session at the start of every turn. Stored events never
change (a session only grows until it is deleted), so a service that holds a session's first
``N`` events needs only the ones after them, as long as the stored session is still the same
incarnation and its ``N``-th event is still the one held: the core checks both in the round
trip that reads the session row (``SessionService.get_session_documents``). The cache is
therefore never trusted on its own; it only saves building events again.

An appended event is held as the core stored it and becomes a google-adk ``Event`` (validated
from that, as a read would build it, never the caller's object) when a read first needs it.

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
from collections.abc import Callable, Sequence

from google.adk.events import Event as AdkEvent

from .. import Event, InvalidArgumentError, SessionVersion

SessionKey = tuple[str, str, str]
"""(app_name, user_id, session_id)."""

DEFAULT_EVENT_CACHE_SIZE = 20_000
"""Events the cache of one service holds by default, across all its sessions."""


class SessionEvents:
    """The first stored events of one incarnation (create time) of a session.

    The list only ever grows, so a reader that saw ``N`` events may later take the first
    ``N`` of it whatever was added since. Items are google-adk events, or core events still
    to be built (appended since the last read).
    """

    def __init__(self, create_time: float, events: list[AdkEvent | Event]) -> None:
        self.create_time = create_time
        self.events = events

    @property
    def revision(self) -> int:
        return len(self.events)

    def version(self) -> SessionVersion:
        """What to pass the core so that it sends only the events after these."""
        last_id = self.events[-1].id if self.events else None
        return SessionVersion(self.revision, self.create_time, last_id)


class EventCache:
    """Least recently used sessions' events, at most ``max_events`` of them in all.

    >>> cache = EventCache(max_events=10_000, build=to_adk_event)
    >>> held = cache.holding(("app", "ada", "s1"))
    """

    def __init__(self, max_events: int, build: Callable[[Event], AdkEvent]) -> None:
        if type(max_events) is not int or max_events < 0:
            raise InvalidArgumentError(
                f"event_cache_size must be an int >= 0 (0 turns the cache off), not {max_events!r}"
            )
        self.max_events = max_events
        self._build = build
        self._sessions: OrderedDict[SessionKey, SessionEvents] = OrderedDict()
        self._events = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_events > 0

    def holding(self, key: SessionKey) -> tuple[SessionEvents, SessionVersion] | None:
        """The events held for ``key`` and the version they stand for, taken together."""
        with self._lock:
            held = self._sessions.get(key)
            if held is None:
                return None
            self._sessions.move_to_end(key)
            return held, held.version()

    def first(self, held: SessionEvents, count: int) -> list[AdkEvent]:
        """The first ``count`` events of ``held`` as google-adk events, in a new list."""
        with self._lock:
            events = held.events
            for index in range(count):
                event = events[index]
                if isinstance(event, Event):
                    events[index] = self._build(event)
            return events[:count]  # type: ignore[return-value]

    def record(
        self,
        key: SessionKey,
        create_time: float,
        events: Sequence[AdkEvent],
        held: SessionEvents | None,
    ) -> None:
        """Hold ``events``, all a read found stored, where ``held`` (what the read started
        from) held their first ones; unless what is held now goes further."""
        if len(events) > self.max_events:
            self.forget(key)
            return
        with self._lock:
            current = self._sessions.get(key)
            if current is not None and current.create_time == create_time:
                if current.revision >= len(events):
                    return
                if current is held:
                    added = list(events[current.revision :])
                    current.events.extend(added)
                    self._grew(len(added))
                    return
            self._drop(key)
            self._sessions[key] = SessionEvents(create_time, list(events))
            self._grew(len(events))

    def append(self, key: SessionKey, create_time: float, revision: int, event: Event) -> None:
        """Add ``event``, stored as number ``revision + 1``, if exactly the ``revision``
        events before it in that incarnation are held."""
        with self._lock:
            held = self._sessions.get(key)
            if held is not None and held.create_time == create_time and held.revision == revision:
                held.events.append(event)
                self._sessions.move_to_end(key)
                self._grew(1)

    def forget(self, key: SessionKey) -> None:
        with self._lock:
            self._drop(key)

    def _drop(self, key: SessionKey) -> None:
        held = self._sessions.pop(key, None)
        if held is not None:
            self._events -= held.revision

    def _grew(self, added: int) -> None:
        self._events += added
        while self._events > self.max_events:
            _, evicted = self._sessions.popitem(last=False)
            self._events -= evicted.revision
