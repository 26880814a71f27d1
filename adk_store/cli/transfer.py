"""``export`` and ``import``: the store's contents as JSON Lines, streamed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click

from .. import ImportCounts, InvalidArgumentError, SessionExistsError, export_jsonl, import_jsonl
from .._transfer import CheckSession
from ..demos.optional import google_adk_installed
from ._common import example, existing_database, open_store, progress_bar, run, url_option
from ._output import output_file


@click.command(
    "export",
    epilog=example(
        "adk-store export backup.jsonl",
        "adk-store export --app tutor --user ada - | gzip > ada.jsonl.gz",
    ),
)
@url_option
@click.option("--app", "app_name", help="Only this app.")
@click.option("--user", "user_id", help="Only this user (needs --app).")
@click.argument("target", metavar="FILE|-")
def export_command(
    url: str | None, app_name: str | None, user_id: str | None, target: str
) -> None:
    """Write sessions, their events, app and user state, and memories as JSON Lines.

    The output is canonical: the same contents give the same bytes from SQLite or
    PostgreSQL. Memory stays flat however many sessions there are.
    """
    database = existing_database(url)
    if user_id is not None and app_name is None:
        raise InvalidArgumentError("--user needs --app")

    async def export(stream: TextIO) -> int:
        async with open_store(database) as service:
            with progress_bar("exporting", None) as advance:
                return await export_jsonl(
                    service,
                    stream,
                    app_name=app_name,
                    user_id=user_id,
                    on_record=lambda record: advance(1),
                )

    if target == "-":
        sys.stdout.reconfigure(encoding="utf-8", newline="\n")  # type: ignore[union-attr]
        run(lambda: export(sys.stdout))
        return
    with (
        output_file(target, overwrite=True) as partial,
        partial.open("w", encoding="utf-8", newline="\n") as stream,
    ):
        written = run(lambda: export(stream))
    click.echo(f"exported {written} records to {target}", err=True)


@click.command(
    "import",
    epilog=example("adk-store import backup.jsonl", "gunzip -c ada.jsonl.gz | adk-store import -"),
)
@url_option
@click.option(
    "--skip-existing", is_flag=True, help="Skip sessions already stored instead of stopping."
)
@click.option(
    "--no-adk-check",
    "skip_adk_check",
    is_flag=True,
    help="Store events google-adk's Event model refuses (checked when google-adk is installed).",
)
@click.argument("source", metavar="FILE|-")
def import_command(
    url: str | None, skip_existing: bool, skip_adk_check: bool, source: str
) -> None:
    """Read an export and store it: sessions, their events, app and user state, memories.

    A session that already exists stops the import (nothing of it is written) unless
    --skip-existing. App and user state are merged key by key into what is stored. A memory
    already stored (the same app, user and id) is left as it is.
    When google-adk is installed, an event its Event model refuses (which
    AdkSessionService could not read back) stops the import before anything is written,
    unless --no-adk-check.
    """
    database = existing_database(url)
    check_session = None if skip_adk_check else _adk_event_check()
    total = _line_count(source)

    async def import_all() -> ImportCounts:
        async with open_store(database) as service:
            with _input(source) as stream, progress_bar("importing", total) as advance:
                try:
                    return await import_jsonl(
                        service,
                        stream,
                        skip_existing=skip_existing,
                        on_record=lambda record: advance(1),
                        check_session=check_session,
                    )
                except SessionExistsError as error:
                    raise click.ClickException(
                        f"session {error.session_id!r} of user {error.user_id!r} in app "
                        f"{error.app_name!r} is already stored (nothing of it was written; "
                        "the records before it were imported); pass --skip-existing to skip "
                        "stored sessions"
                    ) from None

    counts = run(import_all)
    click.echo(
        f"imported {counts.sessions} sessions ({counts.events} events), "
        f"{counts.app_states} app states, {counts.user_states} user states, "
        f"{counts.memories} memories; skipped {counts.skipped_sessions} existing sessions, "
        f"{counts.skipped_memories} stored memories",
        err=True,
    )


def _adk_event_check() -> CheckSession | None:
    """google-adk's check of imported events, when google-adk is installed."""
    if not google_adk_installed():
        return None
    from ..adk import check_adk_events

    return check_adk_events


@contextmanager
def _input(source: str) -> Iterator[TextIO]:
    if source == "-":
        sys.stdin.reconfigure(encoding="utf-8", errors="strict")  # type: ignore[union-attr]
        yield sys.stdin
        return
    try:
        stream = open(source, encoding="utf-8", errors="strict")  # noqa: SIM115
    except OSError as error:
        raise click.BadParameter(f"cannot read {source}: {error.strerror}") from None
    with stream:
        yield stream


def _line_count(source: str) -> int | None:
    """Records in a file (its lines but the header and the trailer), for the progress bar
    (``None`` for standard input)."""
    if source == "-" or not sys.stderr.isatty():
        return None
    path = Path(source)
    if not path.is_file():
        return None
    with path.open("rb") as stream:
        return max(sum(1 for _ in stream) - 2, 0)


COMMANDS = [export_command, import_command]
