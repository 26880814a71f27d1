"""Upgrade a database with a given migrations folder, in its own process.

    python tests/_migrate_worker.py URL MIGRATIONS_ROOT TARGET_VERSION

Prints the version found before the upgrade.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import databases

from adk_store._migrations import upgrade
from adk_store._runtime.compiled import Connection
from adk_store._statements import Statements
from adk_store.dialects import SqliteOptions, dialect_for


async def main(url: str, root: Path, target: int) -> None:
    dialect = dialect_for(url, SqliteOptions())
    database = databases.Database(url)
    await database.connect()
    try:
        async with Connection(database.connection()) as connection:
            await dialect.prepare_connection(connection)
            found = await upgrade(
                connection, dialect, Statements(dialect), root=root, target=target
            )
    finally:
        await database.disconnect()
    print(found)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
