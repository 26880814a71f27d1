"""``backup``: a consistent copy of a SQLite store taken while it is in use; for a database
server, the dump command that takes one."""

from __future__ import annotations

import shlex
from pathlib import Path

import anyio
import click

from .._backup import backup_sqlite, has_password, mariadb_dump_command, pg_dump_command
from .._locations import MysqlLocation, parse_location
from ._common import example, existing_database, run, sqlite_path, url_option
from ._output import writing_to


@click.command(
    epilog=example(
        "adk-store backup --url sqlite+aiosqlite:///sessions.db sessions-backup.db",
    )
)
@url_option
@click.argument("target", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
def backup(url: str | None, target: Path) -> int:
    """Copy a SQLite store to FILE, consistently, while it is in use.

    Uses SQLite's online backup API, so the copy includes what is still in the -wal file.
    For PostgreSQL it prints the pg_dump command for adk-store's tables instead, for
    MariaDB/MySQL the mariadb-dump command for its tables and routines (and exits 1: no
    backup was written); the command leaves out the URL's password.
    """
    database = existing_database(url)
    source = sqlite_path(database)
    if source is None:
        if isinstance(parse_location(database), MysqlLocation):
            tool, command = "mariadb-dump", mariadb_dump_command(database, target)
            password_hint = "add --password to be asked for it, or put it in ~/.my.cnf"
        else:
            tool, command = "pg_dump", pg_dump_command(database, target)
            password_hint = "give it to pg_dump in PGPASSWORD or ~/.pgpass"
        click.echo(f"Stores on this database are backed up with {tool}; run:", err=True)
        click.echo(shlex.join(command))
        if has_password(database):
            click.echo(f"The password is left out: {password_hint}.", err=True)
        return 1
    with writing_to(target):
        run(lambda: anyio.to_thread.run_sync(backup_sqlite, source, target))
    click.echo(f"backed up {source} to {target}")
    return 0


COMMANDS = [backup]
