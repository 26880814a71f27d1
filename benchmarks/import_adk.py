"""How fast ``import_adk`` copies a google-adk database into adk-store (and ``export_adk`` back).

    python benchmarks/import_adk.py                       # SQLite files in a temp dir
    python benchmarks/import_adk.py --source adk.db       # reuse (or build once) a source
    python benchmarks/import_adk.py --dest postgresql+asyncpg://user@host/empty_db

The source is written by google-adk's own ``DatabaseSessionService`` (schema v1): 100
sessions of 100 events by default, alternating user text, a function call with its response,
and state deltas in all three scopes. Building it takes a minute (google-adk appends at a
couple of hundred events per second); pass ``--source`` to keep and reuse it. The destination
must be empty. Needs the ``adk`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from google.adk.events import Event, EventActions
from google.adk.sessions import DatabaseSessionService
from google.genai import types

from adk_store.adk import export_adk, import_adk


def _event(session: int, index: int) -> Event:
    invocation = f"inv-{session}-{index // 4}"
    if index % 4 == 0:
        return Event(
            author="user",
            invocation_id=invocation,
            content=types.Content(role="user", parts=[types.Part(text=f"question {index} " * 8)]),
        )
    if index % 4 == 1:
        call = types.FunctionCall(id=f"c{index}", name="lookup", args={"q": index})
        return Event(
            author="agent",
            invocation_id=invocation,
            content=types.Content(role="model", parts=[types.Part(function_call=call)]),
        )
    if index % 4 == 2:
        response = types.FunctionResponse(id=f"c{index - 1}", name="lookup", response={"n": 1})
        return Event(
            author="agent",
            invocation_id=invocation,
            content=types.Content(role="user", parts=[types.Part(function_response=response)]),
        )
    return Event(
        author="agent",
        invocation_id=invocation,
        content=types.Content(role="model", parts=[types.Part(text=f"answer {index} " * 20)]),
        actions=EventActions(state_delta={"turn": index, "user:seen": index, "app:total": index}),
    )


async def build_source(url: str, sessions: int, events_per_session: int) -> None:
    async with DatabaseSessionService(url) as service:
        for number in range(sessions):
            session = await service.create_session(
                app_name="bench", user_id=f"user-{number % 10}", session_id=f"s{number:04d}"
            )
            for index in range(events_per_session):
                await service.append_event(session, _event(number, index))


async def main(source: str, dest: str, export_target: str) -> None:
    started = time.perf_counter()
    report = await import_adk(source, dest)
    import_seconds = time.perf_counter() - started
    print(report.summary())
    print(
        f"import-adk: {report.events:,} events in {import_seconds:.1f} s = "
        f"{report.events / import_seconds:,.0f} events/s"
    )
    started = time.perf_counter()
    exported = await export_adk(dest, export_target)
    export_seconds = time.perf_counter() - started
    print(
        f"export-adk: {exported.events:,} events in {export_seconds:.1f} s = "
        f"{exported.events / export_seconds:,.0f} events/s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", help="google-adk SQLite file (built if missing)")
    parser.add_argument("--dest", help="empty adk-store database URL (default: a temp file)")
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--events", type=int, default=100, help="events per session")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        source_path = Path(arguments.source or Path(scratch) / "adk.db")
        source_url = f"sqlite+aiosqlite:///{source_path.resolve()}"
        if not source_path.exists():
            print(f"building {arguments.sessions * arguments.events:,} events with google-adk …")
            asyncio.run(build_source(source_url, arguments.sessions, arguments.events))
        dest = arguments.dest or f"sqlite+aiosqlite:///{Path(scratch) / 'store.db'}"
        asyncio.run(main(source_url, dest, str(Path(scratch) / "exported.db")))
