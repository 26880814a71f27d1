"""The command line: ``python -m adk_store migrate URL`` and ``python -m adk_store demo``.

Kept thin: the demos live in :mod:`adk_store.demos`, the schema work in ``_setup``.
"""

from __future__ import annotations

import argparse
import sys

import anyio

from ._errors import AdkStoreError
from .demos import run_demo


def _migrate(url: str, check_only: bool) -> int:
    from ._migrations import UPGRADE_HINT
    from ._schema import SCHEMA_VERSION
    from ._setup import create_schema, schema_version

    async def run() -> int:
        found = await schema_version(url)
        if check_only:
            print(f"schema version {found}; this adk-store needs {SCHEMA_VERSION}")
            if found != SCHEMA_VERSION:
                print(f"upgrade with: {UPGRADE_HINT}")
            return 0 if found == SCHEMA_VERSION else 1
        await create_schema(url)
        if found == SCHEMA_VERSION:
            print(f"schema already at version {SCHEMA_VERSION}; nothing to do")
        else:
            print(f"schema upgraded from version {found} to {SCHEMA_VERSION}")
        return 0

    return anyio.run(run)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="adk-store", description="Session storage for AI agents on SQLite or PostgreSQL."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser(
        "migrate", help="create or upgrade adk-store's tables in a database"
    )
    migrate.add_argument(
        "url", help="sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db"
    )
    migrate.add_argument(
        "--check", action="store_true", help="only report the version; exit 1 if outdated"
    )
    commands.add_parser(
        "demo",
        help="an agent conversation stored in ./adk_store_demo.db; run it again to resume "
        "(--fresh starts over, --core shows the core API without Google ADK)",
    )
    try:
        if args[:1] == ["demo"]:
            return run_demo(args[1:])
        arguments = parser.parse_args(args)
        return _migrate(arguments.url, arguments.check)
    except AdkStoreError as error:
        print(f"adk-store: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
