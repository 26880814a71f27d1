"""MkDocs hook: reference sections generated from the program itself, so they cannot drift.

* ``<!-- generated: adk-store --help -->``: one section per command with the exact text
  ``--help`` prints for it.
* ``<!-- generated: migrations -->``: every versioned migration shipped in ``migrations/``,
  per database, with its SQL.
* ``<!-- generated: append statement -->``: the one-statement append as the service compiles
  it for each database.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CLI_MARKER = "<!-- generated: adk-store --help -->"
MIGRATIONS_MARKER = "<!-- generated: migrations -->"
APPEND_MARKER = "<!-- generated: append statement -->"
PROGRAM = "adk-store"
ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    # Document the adk-store of this checkout, also when the ``mkdocs`` script runs (its own
    # directory, not the working directory, starts ``sys.path``), as mkdocstrings'
    # ``paths: [.]`` does. Done per page: the build resets ``sys.path`` after loading hooks.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if MIGRATIONS_MARKER in markdown:
        markdown = markdown.replace(MIGRATIONS_MARKER, migrations_reference())
    if APPEND_MARKER in markdown:
        markdown = markdown.replace(APPEND_MARKER, append_statements())
    return markdown


def append_statements() -> str:
    from adk_store._statements import Statements
    from adk_store.dialects import SqliteOptions, dialect_for

    sections = []
    for title, url in (
        ("PostgreSQL", "postgresql+asyncpg://localhost/app"),
        ("SQLite", "sqlite+aiosqlite:///app.db"),
        ("MariaDB", "mysql+asyncmy://localhost/app"),
    ):
        statement = Statements(dialect_for(url, SqliteOptions())).one_statement_append
        lines = [line.rstrip() for line in statement.strip().splitlines()]
        sections.append(f"### As sent to {title}\n\n```sql\n" + "\n".join(lines) + "\n```\n")
    return "\n".join(sections)


def cli_reference() -> str:
    return "\n".join(
        f"## `{command}`\n\n```text\n{help_text.rstrip()}\n```\n"
        for command, help_text in command_help()
    )


def migrations_reference() -> str:
    sections = []
    for dialect_dir in sorted(MIGRATIONS.iterdir()):
        sections.append(f"## {dialect_dir.name}\n")
        for script in sorted(dialect_dir.glob("*.sql")):
            sections.append(
                f"### `{dialect_dir.name}/{script.name}`\n\n"
                f"```sql\n{script.read_text().rstrip()}\n```\n"
            )
    return "\n".join(sections)


def command_help() -> Iterator[tuple[str, str]]:
    """``(command line, help text)`` for the program and each of its commands."""
    try:
        from adk_store.cli import cli
    except ImportError:
        yield from _argparse_help()
    else:
        yield from _click_help(cli, [PROGRAM], None)


def _click_help(command: Any, path: list[str], parent: Any) -> Iterator[tuple[str, str]]:
    import click

    settings = {"terminal_width": 100, **command.context_settings}
    context = click.Context(command, info_name=path[-1], parent=parent, **settings)
    yield " ".join(path), command.get_help(context)
    if isinstance(command, click.Group):
        for name in command.list_commands(context):
            subcommand = command.get_command(context, name)
            if subcommand is not None and not subcommand.hidden:
                yield from _click_help(subcommand, [*path, name], context)


def _argparse_help() -> Iterator[tuple[str, str]]:
    from adk_store.__main__ import main

    def help_of(arguments: list[str]) -> str:
        printed = io.StringIO()
        # argparse wraps help to the terminal's width: fix it, so every build is the same.
        os.environ["COLUMNS"] = "100"
        with contextlib.redirect_stdout(printed), contextlib.suppress(SystemExit):
            main([*arguments, "--help"])
        return printed.getvalue()

    top = help_of([])
    yield PROGRAM, top
    listed = re.search(r"\{([\w,-]+)\}", top)
    for name in listed.group(1).split(",") if listed else []:
        yield f"{PROGRAM} {name}", help_of([name])
