"""``prune``: delete sessions not updated for a while, with their events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import click

from .. import SessionKey
from ._common import example, open_store, progress_bar, run, url_option
from ._duration import cutoff_before_now, to_duration
from ._render import escaped, utc_time


@click.command(
    epilog=example(
        "adk-store prune --older-than 30d --dry-run",
        "adk-store prune --older-than 12h --app tutor",
    )
)
@url_option
@click.option(
    "--older-than",
    "older_than",
    metavar="DURATION",
    callback=to_duration,
    required=True,
    help="Delete sessions whose last update is older than this (30d, 12h, 90m, 45s, 2w).",
)
@click.option("--app", "app_name", help="Only this app's sessions.")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
def prune(url: str | None, older_than: timedelta, app_name: str | None, dry_run: bool) -> None:
    """Delete sessions last updated before a cut-off, with their events.

    App and user state stay, and so do memories, those of the deleted sessions too
    (adk-store memory delete removes them). Runs in small batches, so appends go on
    meanwhile; a session updated after the cut-off while pruning runs is kept.
    """
    cutoff = cutoff_before_now(older_than)
    verb = "would delete" if dry_run else "deleted"

    async def prune_sessions() -> int:
        async with open_store(url) as service:
            with progress_bar("pruning", None) as advance:

                def report(batch: Sequence[SessionKey]) -> None:
                    for key in batch:
                        # print(), not click.echo: on a terminal the progress bar's console
                        # takes over sys.stdout and keeps these lines above the bar.
                        print(
                            f"{verb} session {escaped(key.session_id)} of user "
                            f"{escaped(key.user_id)} in app {escaped(key.app_name)} "
                            f"(last update {utc_time(key.update_time)})"
                        )
                    advance(len(batch))

                return await service.prune(
                    updated_before=cutoff, app_name=app_name, dry_run=dry_run, on_batch=report
                )

    count = run(prune_sessions)
    click.echo(
        f"{verb} {count} sessions last updated before {utc_time(cutoff)}; their memories stay "
        "(delete them with adk-store memory delete)"
    )


COMMANDS = [prune]
