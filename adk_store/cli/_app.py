"""The root ``adk-store`` group, the one place commands are registered, and the error boundary.

A user error (a bad URL, an unknown session, a bad duration, a missing schema) prints one
line on stderr and exits with status 2; a traceback means a bug in adk-store.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

import click

from .. import AdkStoreError
from . import adk, backup, demo, memory, prune, schema, sessions, transfer

COMMAND_MODULES: tuple[ModuleType, ...] = (
    schema,
    sessions,
    memory,
    transfer,
    adk,
    prune,
    backup,
    demo,
)
"""Every module whose ``COMMANDS`` the root group offers, in help order."""

EXIT_USER_ERROR = 2


class _Root(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        # Help lists commands in registration order (by group), not alphabetically.
        return list(self.commands)


@click.group(
    cls=_Root,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="\b\nExample:\n  export ADK_STORE_URL=sqlite+aiosqlite:///sessions.db\n"
    "  adk-store init\n  adk-store status",
)
@click.version_option(package_name="adk-store", prog_name="adk-store")
def cli() -> None:
    """Operate an adk-store database (SQLite or PostgreSQL).

    Every command takes --url URL, or reads ADK_STORE_URL when --url is absent.
    """


for _module in COMMAND_MODULES:
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return its exit status instead of raising."""
    try:
        outcome = cli.main(args=argv, prog_name="adk-store", standalone_mode=False)
    except click.exceptions.Abort:
        _error("aborted")
        return 1
    except click.ClickException as error:
        _error(error.format_message())
        return EXIT_USER_ERROR
    except AdkStoreError as error:
        _error(str(error))
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader of our output went away (``adk-store export - | head``): not an error.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return outcome if isinstance(outcome, int) else 0


def _error(message: str) -> None:
    one_line = " ".join(message.split())
    print(f"adk-store: {one_line}", file=sys.stderr)
