"""Upgrades beyond version 1: a test-only version 2 applied to a filled version-1 database.

The version-2 migration (``tests/migrations_v2``) adds a column filled from existing rows and
an index, the kinds of change a real upgrade makes. Applying it keeps every row, and two
processes upgrading at once apply it exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import adk_store
from adk_store._migrations import migrations_root

from ._db import raw_fetch
from .operations._contents import fill_store

ROOT = Path(__file__).resolve().parents[1]
VERSION_2 = Path(__file__).resolve().parent / "migrations_v2"

KEPT = {
    "adk_sessions": "app_name, user_id, id, state, revision, create_time, update_time",
    "adk_events": "*",
    "adk_app_states": "*",
    "adk_user_states": "*",
}


def migrations_up_to_2(dialect_name: str, folder: Path) -> Path:
    """A migrations folder holding the shipped version 1 and the test's version 2."""
    target = folder / dialect_name
    target.mkdir(parents=True)
    shipped = migrations_root() / dialect_name / "0001_initial.sql"
    (target / "0001_initial.sql").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    for fixture in (VERSION_2 / dialect_name).iterdir():
        shutil.copyfile(fixture, target / fixture.name)
    return folder


def start_upgrade(url: str, root: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "_migrate_worker.py"), url, str(root), "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


async def kept_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: sorted(await raw_fetch(url, f"SELECT {columns} FROM {table}"), key=repr)
        for table, columns in KEPT.items()
    }


async def test_version_2_keeps_every_row_when_two_processes_upgrade_at_once(
    db_url: str, tmp_path: Path
) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await fill_store(service, sessions_per_user=2, events_per_session=3)
        dialect_name = service.dialect_name
    before = await kept_rows(db_url)
    root = migrations_up_to_2(dialect_name, tmp_path / "migrations")

    workers = [start_upgrade(db_url, root) for _ in range(2)]
    outcomes = [worker.communicate(timeout=120) for worker in workers]

    for worker, (_, stderr) in zip(workers, outcomes, strict=True):
        assert worker.returncode == 0, stderr
    assert sorted(stdout.strip() for stdout, _ in outcomes) == ["1", "2"]
    assert await raw_fetch(db_url, "SELECT version FROM adk_schema_versions ORDER BY version") == [
        (1,),
        (2,),
    ]
    assert await kept_rows(db_url) == before
    labels = await raw_fetch(db_url, "SELECT app_name, user_id, labels FROM adk_sessions")
    assert len(labels) == 12
    assert all(_json_list(label) == [app, user] for app, user, label in labels)
    assert await adk_store.schema_version(db_url) == 2


def _json_list(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value
