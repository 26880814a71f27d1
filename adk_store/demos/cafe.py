"""``python -m adk_store demo``: a Google ADK agent whose conversation survives a restart.

The agent is google-adk's own ``LlmAgent`` run by its ``Runner``; only the model is a script
(no network, no API key). Sessions go to an SQLite file in the current directory, so running
the demo again resumes the same conversation with its history and state.

>>> main(["--db", "cafe.db"])
0
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .optional import google_adk_installed

if TYPE_CHECKING:
    from google.adk.events import Event

    from ..adk import AdkSessionService

DEFAULT_DB = "adk_store_demo.db"
USER_ID = "ada"
SESSION_ID = "demo-visit"
INSTALL_HINT = "pip install 'adk-store[adk]'"

FIRST_VISIT = [
    "Hi! My name is Ada.",
    "I'd like a flat white, please.",
    "What do you know about me?",
]
RETURN_VISIT = ["I'm back! Do you remember me?", "I'll have a green tea, please."]


def main(argv: list[str]) -> int:
    """Run the demo with command-line arguments ``argv``; the process exit status."""
    parser = argparse.ArgumentParser(
        prog="adk-store demo",
        description="A Google ADK agent conversation stored by adk-store; run again to resume.",
    )
    parser.add_argument(
        "--db", default=DEFAULT_DB, help=f"SQLite file to store sessions in (default {DEFAULT_DB})"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="delete the stored conversation and start over"
    )
    arguments = parser.parse_args(argv)
    if not google_adk_installed():
        print(
            "The demo runs a Google ADK agent, and google-adk is not installed.\n"
            f"Install it with:  {INSTALL_HINT}\n"
            "(or run `python -m adk_store demo --core` for the core API alone)"
        )
        return 2
    db_path = Path(arguments.db)
    if arguments.fresh:
        for leftover in (db_path, *(Path(f"{db_path}{suffix}") for suffix in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    asyncio.run(_visit_the_cafe(db_path, f"sqlite+aiosqlite:///{db_path.resolve()}"))
    return 0


async def _visit_the_cafe(db_path: Path, url: str) -> None:
    from google.adk.runners import Runner

    from ..adk import AdkSessionService
    from .barista import APP_NAME, build_barista_agent, converse

    async with AdkSessionService(url, create_schema=True) as service:
        stored = await service.get_session(
            app_name=APP_NAME, user_id=USER_ID, session_id=SESSION_ID
        )
        if stored is None:
            print(f"Starting a new conversation, stored in {db_path}.\n")
            await service.create_session(app_name=APP_NAME, user_id=USER_ID, session_id=SESSION_ID)
            script = FIRST_VISIT
        else:
            print(
                f"Resuming the conversation stored in {db_path} "
                f"({len(stored.events)} events so far; --fresh starts over).\n"
            )
            _print_recent_history(stored.events)
            script = RETURN_VISIT
        runner = Runner(agent=build_barista_agent(), app_name=APP_NAME, session_service=service)
        try:
            for text in script:
                print(f"  you     > {text}")
                for event in await converse(
                    runner, user_id=USER_ID, session_id=SESSION_ID, text=text
                ):
                    _print_event(event, brief=False)
                print()
        finally:
            await runner.close()
        await _print_state(service, APP_NAME)
    print(f"\nRun `python -m adk_store demo` again to continue this conversation from {db_path}.")


def _print_recent_history(events: list[Event], lines: int = 4) -> None:
    said = [
        event
        for event in events
        if event.content and any(p.text for p in event.content.parts or [])
    ]
    earlier = len(said) - lines
    print(
        "Earlier in this conversation"
        + (f" ({earlier} earlier messages not shown):" if earlier > 0 else ":")
    )
    for event in said[-lines:]:
        _print_event(event, brief=True)
    print()


def _print_event(event: Event, *, brief: bool) -> None:
    for part in event.content.parts or [] if event.content else []:
        if part.text and not part.thought:
            speaker = "you" if event.author == "user" else event.author
            print(f"  {speaker:<7} > {part.text}")
        elif part.function_call and not brief:
            arguments = ", ".join(f"{k}={v!r}" for k, v in (part.function_call.args or {}).items())
            print(f"            calls {part.function_call.name}({arguments})")
        elif part.function_response and not brief:
            response = part.function_response
            print(f"            {response.name} returned {response.response}")
    if event.actions.state_delta and not brief:
        print(f"            state changes: {_compact(event.actions.state_delta)}")


async def _print_state(service: AdkSessionService, app_name: str) -> None:
    session = await service.get_session(app_name=app_name, user_id=USER_ID, session_id=SESSION_ID)
    assert session is not None
    session_state = {key: value for key, value in session.state.items() if ":" not in key}
    app_state = await service.get_app_state(app_name=app_name)
    user_state = await service.get_user_state(app_name=app_name, user_id=USER_ID)
    print("Stored state, by scope:")
    print(f"  app      (every user)          app:*   {_compact(app_state)}")
    print(f"  user     (every visit of {USER_ID})  user:*  {_compact(user_state)}")
    print(f"  session  (this visit only)             {_compact(session_state)}")
    print(f"  history  {len(session.events)} events in session {SESSION_ID!r}")


def _compact(state: dict[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False) if state else "{}"
