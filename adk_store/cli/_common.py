"""What every command shares: the database URL, opening the store, output and progress."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from .. import InvalidArgumentError, SchemaVersionError, SessionService, schema_version
from .._locations import SqliteLocation, parse_location

T = TypeVar("T")

URL_ENV = "ADK_STORE_URL"

url_option = click.option(
    "--url",
    envvar=URL_ENV,
    show_envvar=True,
    metavar="URL",
    help="sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db",
)
schema_option = click.option(
    "--schema",
    metavar="NAME",
    help="PostgreSQL schema that holds adk-store's tables (created when missing).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")


def example(*lines: str) -> str:
    """An epilog that click prints as written (``\\b`` stops it re-wrapping the lines)."""
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in lines)


def require_url(url: str | None) -> str:
    if not url:
        raise click.UsageError(f"no database given: pass --url URL or set {URL_ENV}")
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; ``None`` for PostgreSQL or an in-memory SQLite database."""
    location = parse_location(url)
    return location.file if isinstance(location, SqliteLocation) else None


def existing_database(url: str | None) -> str:
    """``url``, after checking that a SQLite file exists (opening it would create it)."""
    url = require_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise InvalidArgumentError(
            f"no SQLite database at {path}; create one with `adk-store init --url {url}`"
        )
    return url


def run(operation: Callable[[], Awaitable[T]]) -> T:
    """Run an async command body under asyncio."""
    return anyio.run(operation)


@asynccontextmanager
async def open_store(url: str | None) -> AsyncIterator[SessionService]:
    """A service on an existing store; a database without the schema, or with an older or
    newer one, raises :class:`SchemaVersionError` (the service would create a missing one)."""
    database = existing_database(url)
    if await schema_version(database) == 0:
        raise SchemaVersionError(
            "the database has no adk-store schema; create it with `adk-store init`"
        )
    async with SessionService(database, pool_size=2) as service:
        yield service


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def stdout_console() -> Console:
    """Rich output on stdout; lines are not wrapped at 80 columns when it is not a terminal."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=4096)
    return console


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; otherwise nothing is shown.

    Yields ``advance(n)``, to call as work gets done.
    """
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda steps: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda steps: progress.advance(task, steps)
