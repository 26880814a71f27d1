"""``demo``: an agent conversation stored in SQLite (``--core``: without Google ADK)."""

from __future__ import annotations

import click

from ._common import example


@click.command(
    context_settings={"ignore_unknown_options": True},
    epilog=example("adk-store demo          # run again to resume", "adk-store demo --core"),
)
@click.argument("demo_args", nargs=-1, type=click.UNPROCESSED)
def demo(demo_args: tuple[str, ...]) -> int:
    """An agent conversation in ./adk_store_demo.db; run it again to resume.

    --fresh starts over; --core shows the core API without Google ADK; --db PATH stores
    the conversation in another SQLite file.
    """
    from ..demos import run_demo

    return run_demo(list(demo_args))


COMMANDS = [demo]
