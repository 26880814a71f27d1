"""The ``adk-store`` command line (also ``python -m adk_store``).

Each command group lives in its own module and lists its commands in ``COMMANDS``;
:mod:`adk_store.cli._app` registers them all in one place. Commands do their work through
adk-store's public API (imported from ``adk_store``); from private modules they take only
what exists for the command line itself: reading a database location, writing an output
file whole, the export format's event text, the dump command a backup prints.
"""

from ._app import cli, main

__all__ = ["cli", "main"]
