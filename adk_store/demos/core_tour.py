"""``python -m adk_store demo --core``: the core API on an embedded SQLite file.

Creates a session, appends events whose state deltas touch all four scopes (``app:``, ``user:``,
``temp:`` and the session's own keys), then reads the session back in a second process to show
what was stored and what was not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import anyio

from .. import Event, EventActions, GetSessionConfig, SessionService

APP_NAME = "core-demo"
USER_ID = "ada"


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _write(path: Path) -> str:
    async with SessionService(_url(path), create_schema=True) as service:
        session = await service.create_session(
            app_name=APP_NAME,
            user_id=USER_ID,
            state={"app:greeting": "Hello", "user:language": "en", "topic": "tides"},
        )
        print(f"created session {session.id} in {path}")
        turns: list[tuple[str, str, dict[str, object]]] = [
            ("user", "Why are there two tides a day?", {"turns": 1, "temp:draft": "..."}),
            ("assistant", "The Moon's pull and the Earth's rotation.", {"app:answers": 1}),
            ("user", "Thanks!", {"turns": 2, "user:thanked": True}),
        ]
        for author, text, state_delta in turns:
            event = Event(
                author=author,
                content={"role": author, "parts": [{"text": text}]},
                actions=EventActions(state_delta=state_delta),
            )
            await service.append_event(session, event)
            print(f"  {author:>9}: {text}   (state delta {json.dumps(state_delta)})")
        print(f"in memory after the appends: {json.dumps(session.state, sort_keys=True)}")
        return session.id


async def _read(path: Path, session_id: str) -> None:
    async with SessionService(_url(path)) as service:
        session = await service.get_session(
            app_name=APP_NAME,
            user_id=USER_ID,
            session_id=session_id,
            config=GetSessionConfig(num_recent_events=2),
        )
        if session is None:
            raise SystemExit(f"session {session_id} not found in {path}")
        print(f"read back by process {os.getpid()} (the two most recent events):")
        for event in session.events:
            print(f"  {event.author:>9}: {event.content['parts'][0]['text']}")  # type: ignore[index]
        print(f"  merged state: {json.dumps(session.state, sort_keys=True)}")
        app_state = await service.get_app_state(app_name=APP_NAME)
        user_state = await service.get_user_state(app_name=APP_NAME, user_id=USER_ID)
        print(f"  app state:    {json.dumps(app_state, sort_keys=True)}")
        print(f"  user state:   {json.dumps(user_state, sort_keys=True)}")
        print("  (temp:draft was visible in memory only; it was never stored)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="adk-store demo --core")
    parser.add_argument("--db", type=Path, default=Path("adk_store_core_demo.db"))
    parser.add_argument("--read", metavar="SESSION_ID", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    path = arguments.db.resolve()
    if arguments.read:
        anyio.run(_read, path, arguments.read)
        return 0
    session_id = anyio.run(_write, path)
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "adk_store",
            "demo",
            "--core",
            "--db",
            str(path),
            "--read",
            session_id,
        ]
    )
