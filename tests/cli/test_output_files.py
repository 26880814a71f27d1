"""Output files of ``export`` and ``backup``: whole or not at all, refusals in one line."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ._run import cli_environment, filled_store, succeeded
from .test_errors import assert_user_error

FILE_SIZE_LIMIT = 40_000
"""Bytes a file may grow to in :func:`with_file_size_limit`: less than the export, more than
what opening a store writes (SQLite's 32 KiB shared-memory file)."""


def with_file_size_limit(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    """Run the command where no file may grow beyond :data:`FILE_SIZE_LIMIT` bytes: writing
    more fails as it does on a full file system."""

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "adk_store", *args, "--url", url],
        capture_output=True,
        text=True,
        env=cli_environment(),
        preexec_fn=limit_file_size,
        timeout=300,
        check=False,
    )


def run_command(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adk_store", *args, "--url", url],
        capture_output=True,
        text=True,
        env=cli_environment(),
        timeout=300,
        check=False,
    )


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder where no file can be created."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() != 0:
        return folder
    # Permissions do not stop root; sysfs refuses new files to everyone.
    return Path("/sys")


def partial_files(folder: Path) -> list[Path]:
    return list(folder.glob(".*.partial"))


@pytest.fixture
def store(db_url: str) -> str:
    filled_store(db_url, sessions_per_user=8, events_per_session=4)
    return db_url


def test_a_failed_export_leaves_the_previous_file_whole(store: str, tmp_path: Path) -> None:
    target = tmp_path / "export.jsonl"
    target.write_text("the previous export\n", encoding="utf-8")
    assert len(succeeded("export", "-", url=store).encode()) > FILE_SIZE_LIMIT

    finished = with_file_size_limit("export", str(target), url=store)

    assert_user_error(finished, f"cannot write {target}", "too large")
    assert target.read_text(encoding="utf-8") == "the previous export\n"
    assert partial_files(tmp_path) == []


def test_export_to_a_directory_is_refused(store: str, tmp_path: Path) -> None:
    assert_user_error(run_command("export", str(tmp_path), url=store), "is a directory")
    assert partial_files(tmp_path) == []


def test_export_to_a_missing_folder_is_refused(store: str, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "export.jsonl"

    assert_user_error(run_command("export", str(target), url=store), "no folder")
    assert not target.parent.exists()


def test_export_to_a_folder_that_cannot_be_written_is_refused(store: str, tmp_path: Path) -> None:
    target = unwritable_folder(tmp_path) / "export.jsonl"

    assert_user_error(run_command("export", str(target), url=store), f"cannot write {target}")
    assert not target.exists()


def test_export_to_an_empty_name_is_refused(store: str) -> None:
    assert_user_error(run_command("export", "", url=store), "file name is empty")


@pytest.mark.databases("sqlite")
def test_a_failed_backup_leaves_no_file(store: str, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"

    finished = with_file_size_limit("backup", str(target), url=store)

    assert_user_error(finished, f"to {target} failed", "nothing was written")
    assert not target.exists()
    assert partial_files(tmp_path) == []


@pytest.mark.databases("sqlite")
@pytest.mark.parametrize("where", ["missing folder", "unwritable folder", "empty name"])
def test_backup_to_a_place_that_cannot_be_written_is_refused(
    store: str, tmp_path: Path, where: str
) -> None:
    target = {
        "missing folder": str(tmp_path / "missing" / "backup.db"),
        "unwritable folder": str(unwritable_folder(tmp_path) / "backup.db"),
        "empty name": "",
    }[where]

    finished = run_command("backup", target, url=store)

    assert_user_error(finished)
    assert target == "" or not Path(target).exists()
