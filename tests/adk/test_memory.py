"""AdkMemoryService: google-adk's memory contract over the sessions' database, and an agent
that recalls, with ``load_memory``, in a new session and a new process, what a user said."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

import anyio
import pytest
from google.adk.events import Event
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.runners import Runner
from google.genai import types

from adk_store import InvalidArgumentError
from adk_store.adk import AdkMemoryService, AdkSessionService, memory_service_factory

from ._recall_agent import APP_NAME, build_agent, say

ROOT = Path(__file__).resolve().parents[2]


def said(author: str, text: str) -> Event:
    role = "user" if author == "user" else "model"
    return Event(
        author=author,
        invocation_id="inv",
        content=types.Content(role=role, parts=[types.Part(text=text)]),
    )


async def test_a_session_added_twice_is_remembered_once_and_found_as_memory_entries(
    adk_service: AdkSessionService,
) -> None:
    memory = AdkMemoryService(adk_service)
    session = await adk_service.create_session(app_name="cafe", user_id="ada")
    for event in (said("user", "My usual is a flat white"), said("barista", "Got it")):
        await adk_service.append_event(session, event)
    await memory.add_session_to_memory(session)
    await memory.add_session_to_memory(session)

    found = (await memory.search_memory(app_name="cafe", user_id="ada", query="usual")).memories
    assert len(found) == 1
    (entry,) = found
    assert entry.content.parts[0].text == "My usual is a flat white"
    assert entry.author == "user"
    assert entry.custom_metadata == {"session_id": session.id, "event_id": session.events[0].id}
    assert datetime.fromisoformat(entry.timestamp or "").timestamp() == pytest.approx(
        session.events[0].timestamp
    )
    assert await memory.core.count(app_name="cafe", user_id="ada") == 2


async def test_added_memories_and_event_deltas_can_be_deleted_one_or_all(
    adk_service: AdkSessionService,
) -> None:
    memory = AdkMemoryService(adk_service, max_results=5)
    entry = MemoryEntry(
        content=types.Content(role="user", parts=[types.Part(text="Allergic to hazelnuts")]),
        id="allergy",
        author="user",
        timestamp="2024-05-01T10:00:00",
        custom_metadata={"source": "form"},
    )
    await memory.add_memory(app_name="cafe", user_id="ada", memories=[entry, entry])
    await memory.add_events_to_memory(
        app_name="cafe", user_id="ada", events=[said("user", "hazelnut latte? never")]
    )
    found = (
        await memory.search_memory(app_name="cafe", user_id="ada", query="hazelnuts")
    ).memories
    assert [m.id for m in found] == ["allergy"]
    assert found[0].timestamp == "2024-05-01T10:00:00"
    assert found[0].custom_metadata == {"source": "form"}

    await memory.delete_memory(app_name="cafe", user_id="ada", memory_id="allergy")
    assert await memory.core.count(app_name="cafe", user_id="ada") == 1
    await memory.delete_memory(app_name="cafe", user_id="ada")
    assert await memory.core.count() == 0


async def test_a_memory_entry_with_a_time_that_is_not_iso_is_refused(
    adk_service: AdkSessionService,
) -> None:
    memory = AdkMemoryService(adk_service)
    entry = MemoryEntry(content=types.Content(parts=[types.Part(text="x")]), timestamp="yesterday")
    with pytest.raises(InvalidArgumentError, match="ISO 8601"):
        await memory.add_memory(app_name="cafe", user_id="ada", memories=[entry])
    assert await memory.core.count() == 0


async def test_the_factory_reads_the_session_uri_form(db_url: str) -> None:
    async with memory_service_factory(f"adk-store+{db_url}", agents_dir="agents") as memory:
        assert await memory.core.count() == 0


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # google-adk's Runner needs asyncio
async def test_an_agent_recalls_in_a_new_session_and_process_what_the_user_said(
    db_url: str,
) -> None:
    async with AdkSessionService(db_url, create_schema=True) as sessions:
        memory = AdkMemoryService(sessions)
        runner = Runner(
            agent=build_agent(),
            app_name=APP_NAME,
            session_service=sessions,
            memory_service=memory,
        )
        for user_id, tea in (("ada", "genmaicha"), ("grace", "earl grey")):
            first = await sessions.create_session(app_name=APP_NAME, user_id=user_id)
            assert await say(runner, user_id, first.id, f"My favourite tea is {tea}") == ["Noted."]
            stored = await sessions.get_session(
                app_name=APP_NAME, user_id=user_id, session_id=first.id
            )
            assert stored is not None
            await memory.add_session_to_memory(stored)
        await runner.close()

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-m",
        "tests.adk._recall_agent",
        f"adk-store+{db_url}",
        "ada",
        "Which tea do I like?",
    ]
    finished = await anyio.run_process(command, env=env, cwd=ROOT, check=False)
    assert finished.returncode == 0, finished.stderr.decode()
    outcome = json.loads(finished.stdout.decode().strip().splitlines()[-1])
    assert outcome["type"] == "AdkMemoryService"
    assert outcome["replies"] == ["You told me: My favourite tea is genmaicha"]
