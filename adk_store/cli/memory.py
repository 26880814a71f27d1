"""``memory search``, ``memory list`` and ``memory delete``: one user's memories, or one
session's."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.table import Table

from .. import InvalidArgumentError, Memory, MemoryService
from ._common import example, json_option, open_store, print_json, run, stdout_console, url_option
from ._render import literal, utc_time

F = TypeVar("F", bound=Callable[..., Any])

_user_options = [
    click.option("--app", "app_name", required=True, help="The app the memories belong to."),
    click.option("--user", "user_id", required=True, help="The user the memories belong to."),
]


def _owner(command: F) -> F:
    for option in reversed(_user_options):
        command = option(command)
    return command


@click.group(epilog=example("adk-store memory search --app tutor --user ada tides"))
def memory() -> None:
    """Search, list and delete the memories of a user."""


@memory.command(
    "search", epilog=example('adk-store memory search --app tutor --user ada "spring tides"')
)
@url_option
@_owner
@click.argument("query")
@click.option(
    "--limit", default=10, show_default=True, type=click.IntRange(min=1), help="At most this many."
)
@json_option
def search_memories(
    url: str | None, app_name: str, user_id: str, query: str, limit: int, as_json: bool
) -> None:
    """The user's memories that match QUERY best, best first."""

    async def search() -> list[Memory]:
        async with open_store(url) as service:
            return await MemoryService(service).search(
                app_name=app_name, user_id=user_id, query=query, limit=limit
            )

    _show(run(search), as_json)


@memory.command(
    "list", epilog=example("adk-store memory list --app tutor --user ada --session s1 --json")
)
@url_option
@_owner
@click.option("--session", "session_id", help="Only the memories of this session.")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many."
)
@json_option
def list_memories(
    url: str | None,
    app_name: str,
    user_id: str,
    session_id: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The user's memories (or one session's), oldest first."""

    async def collect() -> list[Memory]:
        async with open_store(url) as service:
            return await MemoryService(service).list_memories(
                app_name=app_name, user_id=user_id, session_id=session_id, limit=limit
            )

    _show(run(collect), as_json)


@memory.command(
    "delete",
    epilog=example(
        "adk-store memory delete --app tutor --user ada --all",
        "adk-store memory delete --app tutor --user ada --session s1",
        "adk-store memory delete --app tutor --user ada --id 8c5a…",
    ),
)
@url_option
@_owner
@click.option("--id", "memory_id", help="Delete this memory.")
@click.option("--session", "session_id", help="Delete the memories of this session.")
@click.option("--all", "every", is_flag=True, help="Delete every memory of the user.")
def delete_memories(
    url: str | None,
    app_name: str,
    user_id: str,
    memory_id: str | None,
    session_id: str | None,
    every: bool,
) -> None:
    """Delete one memory (--id), a session's (--session) or all of the user's (--all)."""
    if sum((memory_id is not None, session_id is not None, every)) != 1:
        raise InvalidArgumentError("give exactly one of --id, --session and --all")

    async def delete() -> int:
        async with open_store(url) as service:
            memories = MemoryService(service)
            if memory_id is not None:
                found = await memories.delete_memory(
                    app_name=app_name, user_id=user_id, memory_id=memory_id
                )
                return int(found)
            if session_id is not None:
                return await memories.delete_session_memories(
                    app_name=app_name, user_id=user_id, session_id=session_id
                )
            return await memories.delete_user_memories(app_name=app_name, user_id=user_id)

    click.echo(f"deleted {run(delete)} memories")


def _show(found: list[Memory], as_json: bool) -> None:
    if as_json:
        print_json([dataclasses.asdict(memory) for memory in found])
        return
    table = Table("memory", "session", "author", "time (UTC)", "text")
    for item in found:
        table.add_row(
            literal(item.id),
            literal(item.session_id or ""),
            literal(item.author or ""),
            utc_time(item.timestamp),
            literal(item.text),
        )
    stdout_console().print(table)


COMMANDS = [memory]
