"""Whole agent turns, as a google-adk user feels them: the Runner, a scripted model, a tool.

google-adk's ``Runner.run_async`` reads the whole session at the start of every turn (its
``RunConfig.get_session_config`` is ``None`` by default), then appends the user's message and
every event the agent produces. The café agent of ``adk_store.demos.barista`` answers an order
with a call of its ``record_order`` tool, which writes session, ``user:``, ``app:`` and
``temp:`` state: four events a turn (the message, the call, the tool's response, the answer).

Each store gets the same session with a history of ``N`` events first (appended outside the
clock), then every store runs one turn in turn, round robin, so that the machine's noise hits
them alike, each turn after a full garbage collection (outside the clock). Afterwards the
stores must hold the same events and the same state. The storage
time of a turn is its median minus the median turn of the in-memory service in its light-copy
mode, which shares events between reads and so costs next to nothing to read: what remains
of a turn there is the agent's and google-adk's own work.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from google.adk.events import Event as AdkEvent
from google.adk.events import EventActions as AdkEventActions
from google.adk.features import FeatureName, override_feature_enabled
from google.adk.runners import Runner
from google.adk.sessions import BaseSessionService, DatabaseSessionService, InMemorySessionService
from google.genai import types

from adk_store.adk import AdkSessionService
from adk_store.demos.barista import APP_NAME, build_barista_agent, converse

from .report import Measurement

USER = "turn-user"
DRINKS = ("flat white", "espresso", "cortado", "mocha")
EVENTS_PER_TURN = 4


class TurnMismatch(AssertionError):
    """A store ended a turn benchmark holding other events or state than the others."""


@dataclass
class TurnStore:
    """One session service under a Runner."""

    name: str
    description: str
    service: BaseSessionService
    close: Callable[[], Any]
    light_copy: bool = False
    """Run with google-adk's ``IN_MEMORY_SESSION_SERVICE_LIGHT_COPY`` feature on: the
    in-memory service then shares ``Event`` objects between reads instead of deep-copying
    the session, so its turn is the agent's own work with next to no storage cost."""

    def runner(self) -> Runner:
        return Runner(agent=build_barista_agent(), app_name=APP_NAME, session_service=self.service)


def turn_stores(url: Callable[[str], str]) -> list[TurnStore]:
    """google-adk's in-memory and database services and adk-store's adapter; ``url(name)``
    gives each database store a database of its own."""
    google_adk = DatabaseSessionService(url("turn_adk"))
    adapter = AdkSessionService(url("turn_adapter"), create_schema=True)
    return [
        TurnStore(
            "memory-light",
            "google-adk InMemorySessionService, light copies (events shared between reads)",
            InMemorySessionService(),
            _nothing,
            light_copy=True,
        ),
        TurnStore(
            "memory",
            "google-adk InMemorySessionService (deep copies, its default)",
            InMemorySessionService(),
            _nothing,
        ),
        TurnStore("adk", "google-adk DatabaseSessionService", google_adk, google_adk.close),
        TurnStore("adapter", "adk-store AdkSessionService", adapter, adapter.close),
    ]


async def _nothing() -> None:
    return None


def history(length: int) -> list[AdkEvent]:
    """``length`` events shaped as the café's turns: message, tool call, response, answer."""
    events = []
    start = time.time() - length
    for index in range(length):
        turn, step = divmod(index, EVENTS_PER_TURN)
        drink = DRINKS[turn % len(DRINKS)]
        invocation = f"history-{turn}"
        call_id = f"call-{turn}"
        if step == 0:
            author = "user"
            content = types.Content(
                role="user", parts=[types.Part(text=f"I'd like a {drink}, please.")]
            )
            actions = AdkEventActions()
        elif step == 1:
            author = "barista"
            call = types.FunctionCall(id=call_id, name="record_order", args={"drink": drink})
            content = types.Content(role="model", parts=[types.Part(function_call=call)])
            actions = AdkEventActions()
        elif step == 2:
            author = "barista"
            response = types.FunctionResponse(
                id=call_id,
                name="record_order",
                response={"drink": drink, "orders_served": turn + 1},
            )
            content = types.Content(role="user", parts=[types.Part(function_response=response)])
            actions = AdkEventActions(
                state_delta={"app:orders_served": turn + 1, "user:usual_drink": drink}
            )
        else:
            author = "barista"
            reply = f"One {drink} coming up! That's order number {turn + 1} at this café."
            content = types.Content(role="model", parts=[types.Part(text=reply)])
            actions = AdkEventActions()
        events.append(
            AdkEvent(
                id=f"history-{index}",
                invocation_id=invocation,
                author=author,
                content=content,
                actions=actions,
                timestamp=start + index,
            )
        )
    return events


def conversation(events: Sequence[AdkEvent]) -> list[tuple[Any, ...]]:
    """What every store must agree on: authors, texts, calls and responses, state deltas."""
    seen = []
    for event in events:
        parts = event.content.parts or [] if event.content else []
        seen.append(
            (
                event.author,
                tuple(part.text for part in parts if part.text),
                tuple(
                    (part.function_call.name, part.function_call.args)
                    for part in parts
                    if part.function_call
                ),
                tuple(
                    (part.function_response.name, part.function_response.response)
                    for part in parts
                    if part.function_response
                ),
                dict(event.actions.state_delta),
            )
        )
    return seen


async def run_turns(
    database: str,
    url: Callable[[str], str],
    histories: Sequence[int],
    turns: int,
    progress: Callable[[str], None],
) -> list[Measurement]:
    """Time ``turns`` turns on a session of each history length, on every store."""
    stores = turn_stores(url)
    results: list[Measurement] = []
    try:
        for length in histories:
            results.extend(await _one_history(database, stores, length, turns, progress))
    finally:
        for store in stores:
            await store.close()
    return results


async def _one_history(
    database: str,
    stores: list[TurnStore],
    length: int,
    turns: int,
    progress: Callable[[str], None],
) -> list[Measurement]:
    session_id = f"turns-{length}"
    prefilled = history(length)
    for store in stores:
        override_feature_enabled(
            FeatureName.IN_MEMORY_SESSION_SERVICE_LIGHT_COPY, store.light_copy
        )
        session = await store.service.create_session(
            app_name=APP_NAME, user_id=USER, session_id=session_id
        )
        for event in prefilled:
            await store.service.append_event(session, event.model_copy(deep=True))
    runners = [store.runner() for store in stores]
    latencies: list[list[float]] = [[] for _ in stores]
    # One turn each outside the clock: the first turn of a Runner pays for one-off set-up.
    for store, runner in zip(stores, runners, strict=True):
        override_feature_enabled(
            FeatureName.IN_MEMORY_SESSION_SERVICE_LIGHT_COPY, store.light_copy
        )
        await converse(runner, user_id=USER, session_id=session_id, text="I'd like a tea.")
    for turn in range(turns):
        text = f"I'd like a {DRINKS[turn % len(DRINKS)]}, please."
        # Rotate who goes first, so that no store always follows the same one.
        order = [(turn + offset) % len(stores) for offset in range(len(stores))]
        for position in order:
            override_feature_enabled(
                FeatureName.IN_MEMORY_SESSION_SERVICE_LIGHT_COPY, stores[position].light_copy
            )
            # A full collection outside the clock: the collector's pauses (tens of ms at 2,000
            # events) then fall on the turn whose allocations cause them, not on whichever
            # store happens to come next in the rotation.
            gc.collect()
            started = time.perf_counter()
            events = await converse(
                runners[position], user_id=USER, session_id=session_id, text=text
            )
            latencies[position].append(time.perf_counter() - started)
            if len(events) != EVENTS_PER_TURN - 1:
                raise TurnMismatch(
                    f"{stores[position].name}: a turn yielded {len(events)} events, "
                    f"not {EVENTS_PER_TURN - 1}"
                )
    override_feature_enabled(FeatureName.IN_MEMORY_SESSION_SERVICE_LIGHT_COPY, False)
    for runner in runners:
        await runner.close()
    await _check_stores_agree(stores, session_id, length + (turns + 1) * EVENTS_PER_TURN)
    workload = f"turn, {length:,}-event history"
    # The light-copy in-memory turn is the agent's own work: the rest of a turn is storage.
    agent_median = statistics.median(latencies[0])
    measurements = []
    for store, timings in zip(stores, latencies, strict=True):
        storage_ms = (statistics.median(timings) - agent_median) * 1000
        note = "" if store.light_copy else f"storage {storage_ms:.1f} ms/turn"
        measurement = Measurement(database, workload, store.name, timings, note=note)
        measurements.append(measurement)
        progress(
            f"{database:<10} {workload:<34} {store.name:<7} "
            f"p50 {measurement.percentile_ms(50):8.2f} ms  p99 "
            f"{measurement.percentile_ms(99):8.2f} ms  {note}"
        )
    return measurements


async def _check_stores_agree(stores: list[TurnStore], session_id: str, events: int) -> None:
    loaded = []
    for store in stores:
        session = await store.service.get_session(
            app_name=APP_NAME, user_id=USER, session_id=session_id
        )
        if session is None or len(session.events) != events:
            found = None if session is None else len(session.events)
            raise TurnMismatch(f"{store.name}: {found} events stored, not {events}")
        if any(key.startswith("temp:") for key in session.state):
            raise TurnMismatch(f"{store.name}: temp: keys were stored: {sorted(session.state)}")
        loaded.append((store.name, conversation(session.events), session.state))
    reference_name, reference_events, reference_state = loaded[0]
    for name, seen, state in loaded[1:]:
        if seen != reference_events:
            first = next(
                index
                for index, (mine, theirs) in enumerate(zip(seen, reference_events, strict=True))
                if mine != theirs
            )
            raise TurnMismatch(
                f"{name}: event {first} is {seen[first]}, {reference_name} holds "
                f"{reference_events[first]}"
            )
        if state != reference_state:
            raise TurnMismatch(f"{name}: state {state}, {reference_name} holds {reference_state}")
