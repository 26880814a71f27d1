"""Upgrades beyond the shipped versions: a test-only version after this release's, applied
to a filled database.

The test-only migration (``tests/migrations_v2``, version 3) adds a column filled from
existing rows and an index, the kinds of change a real upgrade makes. Applying it keeps every
row, and two processes upgrading at once apply it exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import adk_store
from adk_store._migrations import migration_files

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


TEST_VERSION = adk_store.SCHEMA_VERSION + 1


def migrations_with_the_test_version(dialect_name: str, folder: Path) -> Path:
    """A migrations folder holding the shipped versions and the test's next one."""
    target = folder / dialect_name
    target.mkdir(parents=True)
    for shipped in migration_files(dialect_name).values():
        (target / shipped.name).write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    for fixture in (VERSION_2 / dialect_name).iterdir():
        shutil.copyfile(fixture, target / fixture.name)
    assert sorted(migration_files(dialect_name, folder)) == list(range(1, TEST_VERSION + 1))
    return folder


def start_upgrade(url: str, root: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "_migrate_worker.py"),
            url,
            str(root),
            str(TEST_VERSION),
        ],
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


async def test_a_next_version_keeps_every_row_when_two_processes_upgrade_at_once(
    db_url: str, tmp_path: Path
) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await fill_store(service, sessions_per_user=2, events_per_session=3)
        dialect_name = service.dialect_name
    before = await kept_rows(db_url)
    root = migrations_with_the_test_version(dialect_name, tmp_path / "migrations")

    workers = [start_upgrade(db_url, root) for _ in range(2)]
    outcomes = [worker.communicate(timeout=120) for worker in workers]

    for worker, (_, stderr) in zip(workers, outcomes, strict=True):
        assert worker.returncode == 0, stderr
    found = [str(adk_store.SCHEMA_VERSION), str(TEST_VERSION)]
    assert sorted(stdout.strip() for stdout, _ in outcomes) == found
    assert await raw_fetch(db_url, "SELECT version FROM adk_schema_versions ORDER BY version") == [
        (version,) for version in range(1, TEST_VERSION + 1)
    ]
    assert await kept_rows(db_url) == before
    labels = await raw_fetch(db_url, "SELECT app_name, user_id, labels FROM adk_sessions")
    assert len(labels) == 12
    assert all(_json_list(label) == [app, user] for app, user, label in labels)
    assert await adk_store.schema_version(db_url) == TEST_VERSION


def _json_list(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value
