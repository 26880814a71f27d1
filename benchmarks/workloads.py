"""The workloads: each times one kind of call on every implementation and checks its results.

A check that fails raises :class:`ResultMismatch`: a number is worth nothing if the call it
measures did not do its job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from .floor import Floor, adk_event_documents, build_adk_events
from .implementations import (
    AUTHOR,
    Adapter,
    Implementation,
    StoredEvent,
    event_text,
    stored_delta,
)
from .report import Measurement

LIST_APP = "bench-list"
FEW_APP = "bench-few"
EVENTS_APP = "bench-events"
USER = "bench-user"

T = TypeVar("T")


class ResultMismatch(AssertionError):
    """A benchmarked call returned something other than what was stored."""


@dataclass(frozen=True)
class Sizes:
    sessions: int = 10_000
    """Sessions of one user: created (timed), then listed."""
    few_sessions: int = 100
    """Sessions of another app, for a page out of few (flatness)."""
    appends: int = 1_000
    """Appends timed, then the session read whole."""
    long_session: int = 10_000
    short_session: int = 100
    recent: int = 10
    page: int = 20
    reads: int = 50
    """Repetitions of each read."""
    full_lists: int = 5
    tasks: int = 8
    task_appends: int = 100
    turn_histories: tuple[int, ...] = (40, 400, 2_000)
    """History lengths (events) of the sessions the turn benchmark runs on."""
    turns: int = 15
    """Turns timed per store and history length."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


FULL = Sizes()
SMOKE = Sizes(
    sessions=60,
    few_sessions=25,
    appends=40,
    long_session=120,
    short_session=30,
    reads=3,
    full_lists=2,
    tasks=8,
    task_appends=5,
    turn_histories=(8, 40),
    turns=2,
)


def expected_events(indexes: range) -> list[StoredEvent]:
    return [StoredEvent(AUTHOR, event_text(index), stored_delta(index)) for index in indexes]


def check(condition: bool, what: str) -> None:
    if not condition:
        raise ResultMismatch(what)


async def timed(operation: Awaitable[T], latencies: list[float]) -> T:
    """Await ``operation`` (a coroutine not yet started) and record how long it took."""
    started = time.perf_counter()
    result = await operation
    latencies.append(time.perf_counter() - started)
    return result


def _sid(prefix: str, index: int) -> str:
    return f"{prefix}-{index:06d}"


class Workloads:
    """Runs every workload on one database, each across all implementations in turn."""

    def __init__(
        self,
        database: str,
        implementations: Sequence[Implementation],
        floor: Floor,
        sizes: Sizes,
        progress: Callable[[str], None],
    ) -> None:
        self.database = database
        self.implementations = implementations
        self.floor = floor
        self.sizes = sizes
        self.progress = progress
        self.results: list[Measurement] = []

    def _record(self, workload: str, implementation: str, **details: Any) -> None:
        measurement = Measurement(self.database, workload, implementation, **details)
        self.results.append(measurement)
        self.progress(
            f"{self.database:<10} {workload:<34} {implementation:<7} "
            f"{measurement.ops_per_second:10,.1f}/s  p50 {measurement.percentile_ms(50):8.2f} ms"
            f"  p99 {measurement.percentile_ms(99):8.2f} ms  errors {measurement.errors}"
        )

    async def run(self) -> list[Measurement]:
        await self.create_session()
        await self.append_event()
        await self.get_whole_session()
        await self.get_recent_events()
        await self.list_first_page()
        await self.list_all()
        await self.concurrent_appends()
        return self.results

    async def create_session(self) -> None:
        """The user's sessions, each with session and user state (timed), then another app's
        few sessions (untimed), both listed later."""
        for implementation in self.implementations:
            latencies: list[float] = []
            for index in range(self.sizes.sessions):
                state = {"topic": index, "user:language": "en"}
                created = await timed(
                    implementation.create_session(LIST_APP, USER, _sid("s", index), state),
                    latencies,
                )
                check(
                    implementation.state(created) == state,
                    f"{implementation.name}: session {index} created with state "
                    f"{implementation.state(created)}, not {state}",
                )
            for index in range(self.sizes.few_sessions):
                await implementation.create_session(FEW_APP, USER, _sid("s", index), {})
            self._record("create_session", implementation.name, latencies=latencies)

    async def append_event(self) -> None:
        """Appends with a text part and a delta in every scope, read back whole afterwards."""
        count = self.sizes.appends
        expected = expected_events(range(count))
        for implementation in self.implementations:
            session = await implementation.create_session(EVENTS_APP, USER, "appends", {})
            events = [implementation.new_event(index) for index in range(count)]
            latencies: list[float] = []
            for event in events:
                await timed(implementation.append_event(session, event), latencies)
            loaded = await implementation.get_session(EVENTS_APP, USER, "appends", None)
            self._check_events(implementation, implementation.stored_events(loaded), expected)
            self._check_last_state(implementation.name, implementation.state(loaded), count - 1)
            self._record("append_event", implementation.name, latencies=latencies)

        floor = self.floor
        session = await floor.create_session(EVENTS_APP, USER, "appends")
        events = [floor.new_event(index) for index in range(count)]
        latencies = []
        for event in events:
            parameters = floor.bind(session, event)
            await timed(floor.append_event(session, parameters), latencies)
        loaded = await floor.core.get_session(EVENTS_APP, USER, "appends", None)
        self._check_events(floor.core, floor.core.stored_events(loaded), expected, "floor")
        self._check_last_state("floor", floor.core.state(loaded), count - 1)
        self._record("append_event", floor.name, latencies=latencies)

    async def get_whole_session(self) -> None:
        """The session ``append_event`` filled, read with all its events."""
        count = self.sizes.appends
        workload = f"get_session all {count:,} events"
        expected = expected_events(range(count))
        for implementation in self.implementations:
            latencies: list[float] = []
            for _ in range(self.sizes.reads):
                loaded = await timed(
                    implementation.get_session(EVENTS_APP, USER, "appends", None), latencies
                )
                self._check_events(implementation, implementation.stored_events(loaded), expected)
            note = "event cache warm" if isinstance(implementation, Adapter) else ""
            self._record(workload, implementation.name, latencies=latencies, note=note)
            if isinstance(implementation, Adapter):
                latencies = []
                for _ in range(self.sizes.reads):
                    loaded = await timed(
                        implementation.get_session_cold(EVENTS_APP, USER, "appends"), latencies
                    )
                    events = implementation.stored_events(loaded)
                    self._check_events(implementation, events, expected)
                self._record(workload, "adapter-cold", latencies=latencies, note="no event cache")

        documents = adk_event_documents(count)
        latencies = []
        for _ in range(self.sizes.reads):
            built = await timed(_now(build_adk_events, documents), latencies)
            check(
                [event.content.parts[0].text for event in built if event.content]
                == [event.text for event in expected],
                "floor: google-adk events built from JSON differ from the stored ones",
            )
        self._record(workload, "floor", latencies=latencies, note="Event.model_validate only")

    async def get_recent_events(self) -> None:
        """The most recent events of a long and of a short session: the time should not grow
        with the session."""
        recent = self.sizes.recent
        for length in (self.sizes.long_session, self.sizes.short_session):
            workload = f"get_session recent {recent} of {length:,}"
            session_id = f"events-{length}"
            expected = expected_events(range(length - recent, length))
            for implementation in self.implementations:
                session = await implementation.create_session(EVENTS_APP, USER, session_id, {})
                for index in range(length):
                    await implementation.append_event(session, implementation.new_event(index))
                latencies: list[float] = []
                for _ in range(self.sizes.reads):
                    loaded = await timed(
                        implementation.get_session(EVENTS_APP, USER, session_id, recent),
                        latencies,
                    )
                    events = implementation.stored_events(loaded)
                    self._check_events(implementation, events, expected)
                self._record(workload, implementation.name, latencies=latencies)

    async def list_first_page(self) -> None:
        """The first page of a user's many sessions, and of few; google-adk's contract has no
        paging, so google-adk and the adapter return every session."""
        page = self.sizes.page
        for app_name, total in (
            (LIST_APP, self.sizes.sessions),
            (FEW_APP, self.sizes.few_sessions),
        ):
            workload = f"list_sessions page {page} of {total:,}"
            for implementation in self.implementations:
                shown = page if implementation.has_paging else total
                # Listing every one of many sessions is repeated only as often as list_all is.
                many = shown == self.sizes.sessions
                repeats = self.sizes.full_lists if many else self.sizes.reads
                latencies: list[float] = []
                for _ in range(repeats):
                    listing = await timed(
                        implementation.list_sessions(app_name, USER, page), latencies
                    )
                    self._check_listing(implementation, listing, shown)
                note = "" if implementation.has_paging else "no paging: all"
                self._record(workload, implementation.name, latencies=latencies, note=note)

    async def list_all(self) -> None:
        total = self.sizes.sessions
        for implementation in self.implementations:
            latencies: list[float] = []
            for _ in range(self.sizes.full_lists):
                listing = await timed(
                    implementation.list_sessions(LIST_APP, USER, None), latencies
                )
                self._check_listing(implementation, listing, total)
            self._record(f"list_sessions all {total:,}", implementation.name, latencies=latencies)

    async def concurrent_appends(self) -> None:
        """Tasks appending at once through one service, each to its own session."""
        tasks, count = self.sizes.tasks, self.sizes.task_appends
        workload = f"{tasks} tasks × {count} appends"
        for implementation in self.implementations:
            sessions = [
                await implementation.create_session(EVENTS_APP, USER, _sid("task", task), {})
                for task in range(tasks)
            ]
            events = [
                [implementation.new_event(index) for index in range(count)] for _ in sessions
            ]
            latencies: list[float] = []
            errors: list[Exception] = []
            started = time.perf_counter()
            stored_counts = await asyncio.gather(
                *(
                    _append_all(implementation, session, mine, latencies, errors)
                    for session, mine in zip(sessions, events, strict=True)
                )
            )
            wall = time.perf_counter() - started
            for task, stored in enumerate(stored_counts):
                loaded = await implementation.get_session(
                    EVENTS_APP, USER, _sid("task", task), None
                )
                check(
                    len(implementation.stored_events(loaded)) == stored,
                    f"{implementation.name}: task {task} stored {stored} events, "
                    f"{len(implementation.stored_events(loaded))} read back",
                )
            self._record(
                workload,
                implementation.name,
                latencies=latencies,
                wall_seconds=wall,
                errors=len(errors),
                note=_first_error(errors),
            )

    def _check_events(
        self,
        implementation: Implementation,
        events: list[StoredEvent],
        expected: list[StoredEvent],
        name: str | None = None,
    ) -> None:
        name = name or implementation.name
        check(len(events) == len(expected), f"{name}: {len(events)} events, not {len(expected)}")
        for position, (got, wanted) in enumerate(zip(events, expected, strict=True)):
            check(got == wanted, f"{name}: event {position} is {got}, not {wanted}")

    def _check_last_state(self, name: str, state: dict[str, Any], last: int) -> None:
        wanted = {"app:events_total": last, "user:last_seen": last, "turn": last}
        shown = {key: state.get(key) for key in wanted}
        check(shown == wanted, f"{name}: state after the appends is {shown}, not {wanted}")
        check(
            not any(key.startswith("temp:") for key in state),
            f"{name}: temp: keys were stored: {sorted(state)}",
        )

    def _check_listing(self, implementation: Implementation, listing: Any, total: int) -> None:
        ids = implementation.listed_ids(listing)
        wanted = [_sid("s", index) for index in range(total)]
        check(
            ids == wanted,
            f"{implementation.name}: listed {len(ids)} sessions "
            f"({ids[:3]}…), not the {total} oldest in order",
        )


async def _append_all(
    implementation: Implementation,
    session: Any,
    events: list[Any],
    latencies: list[float],
    errors: list[Exception],
) -> int:
    """Append ``events`` one after the other; returns how many were stored."""
    stored = 0
    for event in events:
        try:
            await timed(implementation.append_event(session, event), latencies)
        except Exception as error:
            errors.append(error)
        else:
            stored += 1
    return stored


def _first_error(errors: list[Exception]) -> str:
    if not errors:
        return ""
    return f"first error: {type(errors[0]).__name__}: {errors[0]}"[:80]


async def _now(build: Callable[[T], Any], argument: T) -> Any:
    """A synchronous call as a coroutine, so that :func:`timed` can time it."""
    return build(argument)
