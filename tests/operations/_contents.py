"""Store contents for export, import and prune tests: varied, and reproducible from a seed."""

from __future__ import annotations

import random
from pathlib import Path

import adk_store
from adk_store import Event, EventActions, MemoryService, NewMemory, SessionRecord, UserStateRecord
from adk_store._jsonlines import RecordCounts, dump_record, header_line, trailer_line

APPS = ("tutor", "barista")
USERS = ("ada", "grace", "łukasz")


def varied_event(rng: random.Random, number: int) -> Event:
    """An event that exercises every kind of value an export must carry exactly."""
    parts: list[dict[str, object]] = [{"text": f'turn {number}: héllo ✓ 😀 "quoted"\n'}]
    if number % 3 == 1:
        parts.append({"function_call": {"name": "lookup", "args": {"q": "tides", "n": number}}})
    if number % 3 == 2:
        parts.append({"function_response": {"name": "lookup", "response": {"ok": True}}})
    if number % 3 == 0:
        parts.append({"text": "binary tool output: nul \x00 soh \x01 end"})
    delta: dict[str, object] = {
        "turns": number,
        "ratio": rng.choice([0.1, 1e16, 1e-7, -2.5, 3.0]),
        "nested": {"z": [1, 2.5, None, "x"], "a": {}},
    }
    if number % 2:
        delta["user:seen"] = number
    if number % 4 == 0:
        delta["app:total"] = rng.randint(0, 10**12)
    return Event(
        author="user" if number % 2 else "model",
        invocation_id=f"inv-{number // 2}",
        content={"role": "user", "parts": parts},
        actions=EventActions(
            state_delta=delta,
            transfer_to_agent="helper" if number % 5 == 0 else None,
            extra={"future_action": [number]} if number % 6 == 0 else {},
        ),
        branch="root.helper" if number % 3 == 0 else None,
        custom_metadata={"k": "v"} if number % 2 else None,
        error_code="E1" if number == 2 else None,
        error_message="failed at byte \x00" if number == 2 else None,
        extra={"future_field": {"b": 1, "a": None}} if number % 4 == 1 else {},
    )


async def fill_store(
    service: adk_store.SessionService,
    *,
    sessions_per_user: int = 2,
    events_per_session: int = 3,
    seed: int = 7,
) -> list[adk_store.Session]:
    """Sessions of every app and user with varied events and all three state scopes."""
    rng = random.Random(seed)
    created = []
    for app_name in APPS:
        for user_id in USERS:
            for index in range(sessions_per_user):
                session = await service.create_session(
                    app_name=app_name,
                    user_id=user_id,
                    session_id=f"s{index}-{rng.randrange(10**6)}",
                    state={"topic": "tides", "app:greeting": "hi", "user:lang": "en"},
                )
                for number in range(events_per_session):
                    await service.append_event(session, varied_event(rng, number))
                created.append(session)
    return created


async def fill_memories(
    service: adk_store.SessionService, sessions: list[adk_store.Session]
) -> int:
    """Memories of every app and user: those of ``sessions``' events (one session's then
    deleted: its memories stay) and some added on their own, with every kind of value an
    export must carry exactly. Returns how many are stored."""
    memory = MemoryService(service)
    stored = 0
    for session in sessions:
        loaded = await service.get_session(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id
        )
        assert loaded is not None
        stored += await memory.add_session(loaded, custom_metadata={"source": "turn"})
    for app_name in APPS:
        for user_id in USERS:
            ids = await memory.add_memories(
                app_name=app_name,
                user_id=user_id,
                memories=[
                    NewMemory(text=f"{user_id} likes tides 潮汐 😀", author="user"),
                    NewMemory(
                        content={"role": "user", "parts": [{"text": "nul \x00 in text"}]},
                        custom_metadata={"nested": {"z": [1, 2.5, None], "a": {}}},
                        timestamp=1_700_000_000.123456,
                    ),
                    NewMemory(text="an id of our own", id=f"own-{user_id}", timestamp=0.5),
                ],
            )
            stored += len(ids)
    gone = sessions[0]
    await service.delete_session(app_name=gone.app_name, user_id=gone.user_id, session_id=gone.id)
    return stored


def write_generated_export(path: Path, sessions: int, events_per_session: int = 4) -> None:
    """A generated export: ``sessions`` sessions over 100 users of one app."""
    counts = RecordCounts()
    with path.open("w", encoding="utf-8") as stream:
        stream.write(header_line() + "\n")
        for user in range(100):
            record = UserStateRecord("bench", f"user{user:03}", {"name": f"User {user}"})
            stream.write(dump_record(record) + "\n")
            counts.add(record)
        for number in range(sessions):
            start = 1_700_000_000.0 + number
            events = [
                Event(
                    id=f"e{number}-{turn}",
                    author="user" if turn % 2 == 0 else "model",
                    invocation_id=f"i{number}-{turn // 2}",
                    timestamp=start + turn * 0.25,
                    content={"role": "user", "parts": [{"text": f"message {turn} " * 20}]},
                    actions=EventActions(state_delta={"turns": turn + 1, "ratio": turn / 3}),
                )
                for turn in range(events_per_session)
            ]
            record = SessionRecord(
                app_name="bench",
                user_id=f"user{number % 100:03}",
                id=f"session{number:06}",
                state={"turns": events_per_session, "topic": "benchmarks"},
                create_time=start,
                update_time=events[-1].timestamp,
                events=events,
            )
            stream.write(dump_record(record) + "\n")
            counts.add(record)
        stream.write(trailer_line(counts) + "\n")
