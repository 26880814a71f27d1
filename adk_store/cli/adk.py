"""``import-adk`` and ``export-adk``: move sessions in from google-adk's own database, and back.

Both need the ``adk`` extra (``pip install 'adk-store[adk]'``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import AdkStoreError
from ._common import example, existing_database, require_url, run, url_option


def _adk_extra() -> Any:
    """:mod:`adk_store.adk`, or an error saying how to install it."""
    try:
        from .. import adk
    except ImportError as error:
        raise AdkStoreError(
            f"this command needs google-adk ({error}); install it with "
            "pip install 'adk-store[adk]'"
        ) from None
    return adk


@contextmanager
def _session_progress(description: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar over sessions on stderr when it is a terminal; otherwise nothing."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda done, total: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@click.command(
    "import-adk",
    epilog=example(
        "adk-store import-adk sessions.db --url sqlite+aiosqlite:///store.db --dry-run",
        "adk-store import-adk postgresql+asyncpg://app@db/adk --url postgresql+asyncpg://app@db/store",
    ),
)
@click.argument("source", metavar="SOURCE_URL")
@url_option
@click.option("--app", "app_name", help="Only this app.")
@click.option("--dry-run", is_flag=True, help="Write nothing; print what would be copied.")
def import_adk_command(source: str, url: str | None, app_name: str | None, dry_run: bool) -> None:
    """Copy sessions, events and app and user state from a google-adk database.

    SOURCE_URL is a database URL or a SQLite file path written by google-adk's
    DatabaseSessionService (current or legacy pickled schema) or SqliteSessionService;
    which one is detected. The source is only read. Sessions already in the store are
    skipped, and reported when their content differs, so running it again is safe.
    """
    destination = require_url(url)
    adk = _adk_extra()

    async def copy() -> Any:
        with _session_progress("checking and copying sessions") as progress:
            return await adk.import_adk(
                source, destination, app_name=app_name, dry_run=dry_run, progress=progress
            )

    report = run(copy)
    click.echo(f"source: {report.source}")
    click.echo(report.summary())


@click.command(
    "export-adk",
    epilog=example("adk-store export-adk --url sqlite+aiosqlite:///store.db back_to_adk.db"),
)
@url_option
@click.option("--app", "app_name", help="Only this app.")
@click.argument("target", metavar="TARGET_URL")
def export_adk_command(url: str | None, app_name: str | None, target: str) -> None:
    """Copy the store's sessions into a database google-adk's DatabaseSessionService reads.

    TARGET_URL is a database URL or a SQLite file path: a new database, or one google-adk
    already uses (current schema). Sessions it already holds are left alone, and reported
    when their content differs.
    """
    database = existing_database(url)
    adk = _adk_extra()

    async def copy() -> Any:
        with _session_progress("exporting sessions") as progress:
            return await adk.export_adk(database, target, app_name=app_name, progress=progress)

    click.echo(run(copy).summary())


COMMANDS = [import_adk_command, export_adk_command]
