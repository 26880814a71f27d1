"""Without the ``alembic`` extra, importing ``adk_store.migration`` says how to install it."""

from __future__ import annotations

import subprocess
import sys

from ..cli._run import cli_environment

IMPORT_WITHOUT_ALEMBIC = """
import sys
sys.modules["alembic"] = None
try:
    import adk_store.migration
except ImportError as error:
    print(error)
"""


def test_importing_the_alembic_helper_without_alembic_names_the_extra() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", IMPORT_WITHOUT_ALEMBIC],
        capture_output=True,
        text=True,
        env=cli_environment(),
        timeout=60,
        check=True,
    )

    assert finished.stdout == (
        "adk_store.migration needs Alembic; install it with: pip install 'adk-store[alembic]'\n"
    )
