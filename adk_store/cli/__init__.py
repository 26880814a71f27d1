"""The ``adk-store`` command line (also ``python -m adk_store``).

Each command group lives in its own module and lists its commands in ``COMMANDS``;
:mod:`adk_store.cli._app` registers them all in one place. Commands only call adk-store's
public API.
"""

from ._app import cli, main

__all__ = ["cli", "main"]
