"""The command line: ``python -m benchmarks --help``."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import click

from .floor import Floor
from .implementations import Adapter, Core, GoogleAdk, Implementation
from .report import Report
from .servers import TARGETS, Target
from .turns import run_turns
from .workloads import FULL, SMOKE, Sizes, Workloads

GROUPS = {"all": ("sqlite", "postgresql", "mysql"), "both": ("sqlite", "postgresql")}
"""``--db`` names of several databases; ``both`` is from before MariaDB joined."""
IMPLEMENTATIONS: tuple[type[Implementation], ...] = (GoogleAdk, Adapter, Core)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def _run_on(target: Target, sizes: Sizes, report: Report, workloads: str) -> None:
    if workloads in ("turns", "all"):
        report.measurements.extend(
            await run_turns(target.name, target.url, sizes.turn_histories, sizes.turns, _progress)
        )
    if workloads in ("operations", "all"):
        await _run_operations(target, sizes, report)


async def _run_operations(target: Target, sizes: Sizes, report: Report) -> None:
    implementations: list[Implementation] = [
        kind(target.url(kind.name)) for kind in IMPLEMENTATIONS
    ]
    floor = Floor(target.url(Floor.name))
    opened: list[Implementation | Floor] = []
    try:
        for store in (*implementations, floor):
            await store.open()
            opened.append(store)
        workloads = Workloads(target.name, implementations, floor, sizes, _progress)
        report.measurements.extend(await workloads.run())
    finally:
        for store in reversed(opened):
            await store.close()


@click.command()
@click.option("--smoke", is_flag=True, help="Small counts: seconds, not minutes (for CI).")
@click.option(
    "--db",
    "database",
    type=click.Choice([*TARGETS, *GROUPS]),
    default="all",
    show_default=True,
    help="Which database to run on (all: the three; both: SQLite and PostgreSQL). PostgreSQL "
    "and MariaDB (mysql) are throwaway local servers.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every measurement to this JSON file.",
)
@click.option(
    "--workloads",
    type=click.Choice(["all", "turns", "operations"]),
    default="all",
    show_default=True,
    help="Whole agent turns through google-adk's Runner, single operations, or both.",
)
def main(smoke: bool, database: str, json_path: Path | None, workloads: str) -> None:
    """Time whole google-adk agent turns on google-adk's in-memory and database services and
    adk-store's AdkSessionService; then single operations on google-adk's
    DatabaseSessionService, adk-store's AdkSessionService and SessionService, and the floor
    (the core's append SQL on the raw driver), on the same databases, checking every result."""
    sizes = SMOKE if smoke else FULL
    report = Report(sizes.as_json())
    started = time.monotonic()
    for name in GROUPS.get(database, (database,)):
        with TARGETS[name]() as target:
            report.databases[target.name] = target.description
            asyncio.run(_run_on(target, sizes, report, workloads))
    for name, description in report.databases.items():
        click.echo(f"{name}: {description}")
    for store in (*IMPLEMENTATIONS, Floor):
        click.echo(f"{store.name}: {store.description}")
    click.echo("memory: google-adk InMemorySessionService, deep copies (turns only)")
    click.echo("memory-light: the same, light copies: events shared between reads (turns only)")
    turns = report.turn_summary()
    if turns:
        click.echo(turns + "\n")
    click.echo(report.summary() + "\n")
    click.echo(report.table())
    click.echo(f"\n{'smoke' if smoke else 'full'} run: {time.monotonic() - started:.0f} s")
    if json_path is not None:
        report.write_json(json_path)
        click.echo(f"written to {json_path}")


if __name__ == "__main__":
    main()
