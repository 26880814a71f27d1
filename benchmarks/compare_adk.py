"""google-adk's DatabaseSessionService against adk-store's AdkSessionService, side by side.

    python benchmarks/compare_adk.py                    # SQLite files in a temp dir
    python benchmarks/compare_adk.py POSTGRES_URL_A POSTGRES_URL_B

Both services get the same events (text content and a delta touching all three scopes); each
line prints appends per second and the time of a full read. Compare numbers from one run only:
they are ratios on a shared machine, not absolutes. Needs the ``adk`` extra.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from google.adk.events import Event, EventActions
from google.adk.sessions import BaseSessionService, DatabaseSessionService
from google.genai import types

from adk_store.adk import AdkSessionService

APPENDS = 500
READS = 10


def _event(index: int) -> Event:
    return Event(
        author="model",
        invocation_id="inv",
        content=types.Content(role="model", parts=[types.Part(text=f"reply {index} " * 20)]),
        actions=EventActions(state_delta={"turn": index, "user:seen": index, "app:total": index}),
    )


async def _measure(service: BaseSessionService, label: str) -> None:
    session = await service.create_session(app_name="bench", user_id="u")
    events = [_event(index) for index in range(APPENDS)]
    started = time.perf_counter()
    for event in events:
        await service.append_event(session, event)
    appends_per_second = APPENDS / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(READS):
        await service.get_session(app_name="bench", user_id="u", session_id=session.id)
    read_ms = (time.perf_counter() - started) / READS * 1000
    print(
        f"{label:<34} append_event {appends_per_second:7,.0f}/s   "
        f"get_session({APPENDS} events) {read_ms:6.1f} ms"
    )


async def main(theirs_url: str, ours_url: str) -> None:
    await _measure(DatabaseSessionService(theirs_url), "google-adk DatabaseSessionService")
    async with AdkSessionService(ours_url, create_schema=True) as ours:
        await _measure(ours, "adk-store AdkSessionService")


if __name__ == "__main__":
    if len(sys.argv) == 3:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as directory:
            folder = Path(directory)
            asyncio.run(
                main(
                    f"sqlite+aiosqlite:///{folder / 'adk.db'}",
                    f"sqlite+aiosqlite:///{folder / 'adk_store.db'}",
                )
            )
