"""``init``, ``migrate``, ``status`` and ``uninstall``: the schema and what the store holds."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click
from rich.table import Table

from .. import (
    SCHEMA_VERSION,
    InvalidArgumentError,
    SchemaVersionError,
    SessionService,
    StoreNotEmptyError,
    StoreStatus,
    create_schema,
    drop_schema,
    schema_version,
)
from .._migrations import UPGRADE_HINT
from ._common import (
    example,
    existing_database,
    json_option,
    open_store,
    print_json,
    require_url,
    run,
    schema_option,
    stdout_console,
    url_option,
)
from ._render import utc_time


@click.command(epilog=example("adk-store init --url sqlite+aiosqlite:///sessions.db"))
@url_option
@schema_option
def init(url: str | None, schema: str | None) -> None:
    """Create adk-store's tables in a database (a new SQLite file is created)."""
    database = require_url(url)

    async def create() -> str:
        found = await schema_version(database, schema=schema)
        if found == SCHEMA_VERSION:
            return f"schema already at version {SCHEMA_VERSION}; nothing to do"
        if found:
            raise SchemaVersionError(
                f"the database already has schema version {found}; upgrade it with "
                "`adk-store migrate`"
            )
        await create_schema(database, schema=schema)
        return f"created schema version {SCHEMA_VERSION}"

    click.echo(run(create))


@click.command(
    epilog=example(
        "adk-store migrate --url postgresql+asyncpg://app@localhost/app",
        "adk-store migrate --check   # exit status 1 if an upgrade is due",
    )
)
@click.argument("positional_url", metavar="[URL]", required=False)
@url_option
@schema_option
@click.option("--check", is_flag=True, help="Only report the version; exit 1 if outdated.")
def migrate(positional_url: str | None, url: str | None, schema: str | None, check: bool) -> int:
    """Create or upgrade adk-store's tables in a database.

    Safe while the store is in use and when several processes run it at once.
    """
    database = require_url(positional_url or url)

    async def upgrade() -> int:
        found = await schema_version(database, schema=schema)
        if check:
            click.echo(f"schema version {found}; this adk-store needs {SCHEMA_VERSION}")
            if found != SCHEMA_VERSION:
                click.echo(f"upgrade with: {UPGRADE_HINT}")
            return 0 if found == SCHEMA_VERSION else 1
        await create_schema(database, schema=schema)
        if found == SCHEMA_VERSION:
            click.echo(f"schema already at version {SCHEMA_VERSION}; nothing to do")
        else:
            click.echo(f"schema upgraded from version {found} to {SCHEMA_VERSION}")
        return 0

    return run(upgrade)


@click.command(epilog=example("adk-store status --url sqlite+aiosqlite:///sessions.db --json"))
@url_option
@json_option
def status(url: str | None, as_json: bool) -> None:
    """Schema version, database kind, and how many apps, users, sessions, events and
    memories."""

    async def read() -> StoreStatus:
        async with open_store(url) as service:
            return await service.status()

    found = run(read)
    if as_json:
        print_json(asdict(found))
        return
    table = Table(show_header=False, box=None)
    for label, value in (
        ("schema version", str(found.schema_version)),
        ("database", found.database),
        ("apps", str(found.apps)),
        ("users", str(found.users)),
        ("sessions", str(found.sessions)),
        ("events", str(found.events)),
        ("memories", str(found.memories)),
        ("oldest update", utc_time(found.oldest_update_time)),
        ("newest update", utc_time(found.newest_update_time)),
    ):
        table.add_row(label, value)
    stdout_console().print(table)


@click.command(
    epilog=example(
        "adk-store uninstall --url sqlite+aiosqlite:///sessions.db",
        "adk-store uninstall --force --yes   # also when sessions or memories are stored",
    )
)
@url_option
@schema_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--force", is_flag=True, help="Drop the tables even while they hold sessions or memories."
)
def uninstall(url: str | None, schema: str | None, yes: bool, force: bool) -> None:
    """Drop adk-store's tables, views, triggers and indexes from a database.

    Refused while sessions or memories are stored, unless --force. A PostgreSQL --schema
    stays, empty.
    """
    database = existing_database(url)

    async def stored() -> tuple[int, int, int]:
        found = await schema_version(database, schema=schema)
        if not found:
            return 0, 0, 0
        async with SessionService(database, schema=schema, pool_size=1) as service:
            held = await service.status()
        return found, held.sessions, held.memories

    found, sessions, memories = run(stored)
    if not found:
        click.echo("no adk-store schema in this database; nothing to do")
        return
    if (sessions or memories) and not force:
        raise StoreNotEmptyError(sessions, memories)
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidArgumentError("pass --yes to uninstall without a terminal to confirm on")
        click.confirm(
            f"drop adk-store's tables (schema version {found}) and the {sessions} sessions "
            f"and {memories} memories they hold?",
            abort=True,
        )

    async def drop() -> int:
        return await drop_schema(database, schema=schema, force=force)

    dropped = run(drop)
    click.echo(f"dropped adk-store's schema (version {dropped})")


COMMANDS = [init, migrate, status, uninstall]
