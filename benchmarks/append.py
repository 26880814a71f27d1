"""Appends per second and read times, on SQLite and (given a URL) PostgreSQL.

    python benchmarks/append.py [POSTGRES_URL]

Prints one line per measurement; compare numbers taken in the same run only.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import anyio

import adk_store
from adk_store import Event, EventActions, GetSessionConfig

APPENDS = 1000


async def measure(url: str, label: str) -> None:
    async with adk_store.SessionService(url, create_schema=True) as service:
        session = await service.create_session(app_name="bench", user_id="u")
        events = [
            Event(
                author="model",
                content={"role": "model", "parts": [{"text": f"reply {i} " * 20}]},
                actions=EventActions(state_delta={"turn": i, "user:seen": i, "app:total": i}),
            )
            for i in range(APPENDS)
        ]
        started = time.perf_counter()
        for event in events:
            await service.append_event(session, event)
        elapsed = time.perf_counter() - started
        print(f"{label}: append_event {APPENDS / elapsed:,.0f}/s")

        for recent in (None, 10):
            config = GetSessionConfig(num_recent_events=recent)
            started = time.perf_counter()
            for _ in range(20):
                loaded = await service.get_session(
                    app_name="bench", user_id="u", session_id=session.id, config=config
                )
            elapsed = (time.perf_counter() - started) / 20
            assert loaded is not None
            print(f"{label}: get_session({len(loaded.events)} events) {elapsed * 1000:.2f} ms")


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        await measure(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", "sqlite")
    if len(sys.argv) > 1:
        await measure(sys.argv[1], "postgresql")


if __name__ == "__main__":
    anyio.run(main)
