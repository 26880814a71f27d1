"""docs/howto/alembic.md, step by step: a real ``alembic init`` project, upgrade, use the store,
downgrade, the tables gone, upgrade again; with the sync and async templates, on SQLite and
PostgreSQL, and with the async template on MariaDB."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

import adk_store

from ..conftest import DATABASES, new_database
from ..docs._markdown import ROOT, examples_in, titled_block
from ._alembic_project import REPOSITORY, app_url
from ._objects import objects

GUIDE = ROOT / "docs" / "howto" / "alembic.md"
GUIDE_URL = "sqlite+aiosqlite:///app.db"
CASES = [
    case
    for case in (
        pytest.param("sqlite", "generic", id="sqlite-generic"),
        pytest.param("sqlite", "async", id="sqlite-async"),
        pytest.param(
            "postgresql", "generic", id="postgresql-generic", marks=pytest.mark.postgresql
        ),
        pytest.param("postgresql", "async", id="postgresql-async", marks=pytest.mark.postgresql),
        pytest.param("mysql", "generic", id="mysql-generic", marks=pytest.mark.mysql),
        pytest.param("mysql", "async", id="mysql-async", marks=pytest.mark.mysql),
    )
    if case.values[0] in DATABASES
]
"""Each database the run covers, with both templates."""


def run_block(title: str, folder: Path, template: str) -> None:
    """Run the ``alembic`` commands of a shell block of the guide in ``folder``."""
    for line in titled_block(GUIDE, title).splitlines():
        command = shlex.split(line)
        assert command[0] == "alembic"
        if command[1] == "init" and template == "async":
            command[2:2] = ["-t", "async"]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
        finished = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=folder,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert finished.returncode == 0, finished.stderr


def follow_steps_2_to_4(folder: Path, template: str, url: str) -> None:
    """``alembic init``, the URL in alembic.ini, env.py and the revision, as the guide says."""
    run_block("init.sh", folder, template)
    ini = folder / "alembic.ini"
    (setting,) = titled_block(GUIDE, "alembic.ini").splitlines()
    assert setting == f"sqlalchemy.url = {app_url(GUIDE_URL, 'generic')}"
    ini.write_text(
        re.sub(r"^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url}", ini.read_text(), flags=re.M)
    )
    env_py = folder / "alembic" / "env.py"
    guide_env = titled_block(GUIDE, "env.py")
    assert "from adk_store import migration" in guide_env
    assert "include_object=migration.include_object," in guide_env
    source = env_py.read_text().replace(
        "from alembic import context\n",
        "from alembic import context\n\nfrom adk_store import migration\n",
    )
    configured = source.replace(
        "target_metadata=target_metadata",
        "target_metadata=target_metadata, include_object=migration.include_object",
    )
    assert configured.count("include_object=migration.include_object") == 2
    env_py.write_text(configured)
    run_block("revision.sh", folder, template)
    (revision,) = (folder / "alembic" / "versions").glob("adk_store_1_*.py")
    header = revision.read_text().split("def upgrade()", 1)[0]
    revision.write_text(header + titled_block(GUIDE, "revision.py") + "\n")


def use_the_store(folder: Path, store_url: str) -> str:
    """Run the guide's Python example in ``folder`` against ``store_url``; what it printed."""
    (example,) = [found for found in examples_in(GUIDE) if found.skip_reason is None]
    finished = subprocess.run(
        [sys.executable, "-c", example.code.replace(GUIDE_URL, store_url)],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


@pytest.mark.parametrize(("database", "template"), CASES)
def test_the_alembic_guide_upgrades_uses_downgrades_and_upgrades_again(
    database: str, template: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store_url = new_database(database, request, tmp_path / "app.db")
    pinned = f"migration.up(version={adk_store.SCHEMA_VERSION})"
    assert pinned in titled_block(GUIDE, "revision.py"), (
        f"the guide's first revision must pin this release's schema version: {pinned}"
    )
    follow_steps_2_to_4(tmp_path, template, app_url(store_url, template))

    run_block("upgrade.sh", tmp_path, template)
    assert anyio.run(adk_store.schema_version, store_url) == adk_store.SCHEMA_VERSION
    assert use_the_store(tmp_path, store_url) == f"{adk_store.SCHEMA_VERSION}\n"
    run_block("downgrade.sh", tmp_path, template)
    assert anyio.run(objects, store_url) == set()
    run_block("upgrade.sh", tmp_path, template)
    assert anyio.run(adk_store.schema_version, store_url) == adk_store.SCHEMA_VERSION
