"""``adk-store memory search|list|delete`` against both databases, as an operator runs them."""

from __future__ import annotations

import json

import anyio

import adk_store
from adk_store import MemoryService, NewMemory

from ._run import adk_store_command


async def _remember(url: str) -> adk_store.Session:
    async with adk_store.SessionService(url, create_schema=True) as service:
        session = await service.create_session(app_name="tutor", user_id="ada", session_id="s1")
        content = {"role": "user", "parts": [{"text": "Spring tides come after a full moon"}]}
        await service.append_event(session, adk_store.Event(author="user", content=content))
        memory = MemoryService(service)
        await memory.add_session(session)
        await memory.add_memories(
            app_name="tutor", user_id="ada", memories=[NewMemory(text="Ada likes [bold]tea[/]")]
        )
        return session


def test_search_list_and_delete_memories(db_url: str) -> None:
    anyio.run(_remember, db_url)

    searched = adk_store_command(
        "memory", "search", "--app", "tutor", "--user", "ada", "tides?", "--json", url=db_url
    )
    assert searched.returncode == 0, searched.stderr
    (hit,) = json.loads(searched.stdout)
    assert (hit["text"], hit["session_id"]) == ("Spring tides come after a full moon", "s1")

    listed = adk_store_command("memory", "list", "--app", "tutor", "--user", "ada", url=db_url)
    assert listed.returncode == 0, listed.stderr
    assert "Ada likes [bold]tea[/]" in listed.stdout

    deleted = adk_store_command(
        "memory", "delete", "--app", "tutor", "--user", "ada", "--session", "s1", url=db_url
    )
    assert deleted.stdout == "deleted 1 memories\n"
    everything = adk_store_command(
        "memory", "delete", "--app", "tutor", "--user", "ada", "--all", url=db_url
    )
    assert everything.stdout == "deleted 1 memories\n"


def test_delete_needs_exactly_one_target_and_changes_nothing_without(db_url: str) -> None:
    anyio.run(_remember, db_url)
    refused = adk_store_command(
        "memory",
        "delete",
        "--app",
        "tutor",
        "--user",
        "ada",
        "--all",
        "--session",
        "s1",
        url=db_url,
    )
    assert refused.returncode == 2
    assert refused.stderr == "adk-store: give exactly one of --id, --session and --all\n"

    async def count() -> int:
        async with adk_store.SessionService(db_url) as service:
            return await MemoryService(service).count()

    assert anyio.run(count) == 2
