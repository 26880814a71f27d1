"""A real google-adk agent, run by google-adk's Runner, keeps its conversation in adk-store.

google-adk's Runner is asyncio-only, so these tests run under asyncio alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from google.adk.runners import Runner

from adk_store.adk import AdkSessionService
from adk_store.demos.barista import APP_NAME, build_barista_agent, converse

pytestmark = pytest.mark.parametrize("anyio_backend", ["asyncio"])

REPOSITORY = Path(__file__).resolve().parents[2]


def texts_of(events: list) -> list[str]:  # type: ignore[type-arg]
    return [part.text for event in events for part in event.content.parts or [] if part.text]


async def test_agent_turns_are_stored_with_history_and_all_state_scopes(
    adk_service: AdkSessionService,
) -> None:
    session = await adk_service.create_session(app_name=APP_NAME, user_id="ada")
    runner = Runner(agent=build_barista_agent(), app_name=APP_NAME, session_service=adk_service)
    seen = []
    for text in ["Hi! My name is Ada.", "I'd like a flat white, please.", "What do you know?"]:
        seen.extend(await converse(runner, user_id="ada", session_id=session.id, text=text))
    await runner.close()

    assert texts_of(seen) == [
        "Nice to meet you, Ada! I'll remember you.",
        "One flat white coming up! That's order number 1 at this café.",
        "You're Ada, your usual is flat white. You have sent me 3 messages in this "
        "conversation, and the café's order count stands at 1.",
    ]
    stored = await adk_service.get_session(app_name=APP_NAME, user_id="ada", session_id=session.id)
    assert stored is not None
    assert stored.state == {
        "app:orders_served": 1,
        "user:name": "Ada",
        "user:usual_drink": "flat white",
        "orders_this_visit": ["flat white"],
    }
    stored_by_id = {event.id: event.model_dump() for event in stored.events}
    assert all(stored_by_id[event.id] == event.model_dump() for event in seen)
    assert [event.author for event in stored.events].count("user") == 3
    assert await adk_service.get_user_state(app_name=APP_NAME, user_id="ada") == {
        "name": "Ada",
        "usual_drink": "flat white",
    }


async def test_a_new_process_continues_the_conversation(
    db_url: str, adk_service: AdkSessionService
) -> None:
    session = await adk_service.create_session(app_name=APP_NAME, user_id="ada")
    runner = Runner(agent=build_barista_agent(), app_name=APP_NAME, session_service=adk_service)
    for text in ["My name is Ada.", "I'd like a flat white."]:
        await converse(runner, user_id="ada", session_id=session.id, text=text)
    await runner.close()

    finished = await anyio.run_process(
        [
            sys.executable,
            "-m",
            "tests.adk.continue_conversation",
            db_url,
            "ada",
            session.id,
            "Remember me?",
            "I'll have an espresso.",
        ],
        cwd=REPOSITORY,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode()
    report = json.loads(finished.stdout.decode().strip().splitlines()[-1])

    assert report["events_before"] == 4 + 4
    assert report["replies"] == [
        "You're Ada, your usual is flat white. You have sent me 3 messages in this "
        "conversation, and the café's order count stands at 1.",
        "One espresso coming up! That's order number 2 at this café.",
    ]
    assert report["events_after"] == 4 + 4 + 2 + 4
    assert report["state"] == {
        "app:orders_served": 2,
        "user:name": "Ada",
        "user:usual_drink": "espresso",
        "orders_this_visit": ["flat white", "espresso"],
    }
    here = await adk_service.get_session(app_name=APP_NAME, user_id="ada", session_id=session.id)
    assert here is not None
    assert len(here.events) == report["events_after"]
    assert here.state == report["state"]
