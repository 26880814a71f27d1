"""``python -m adk_store demo`` converses, stores, and resumes on the next run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adk_store.demos import cafe


def run_demo(cwd: Path, *args: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "adk_store", "demo", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_demo_starts_then_resumes_then_starts_fresh(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    assert "Starting a new conversation" in first
    assert "barista > Nice to meet you, Ada!" in first
    assert '"orders_served": 1' in first
    assert (tmp_path / cafe.DEFAULT_DB).exists()

    second = run_demo(tmp_path)
    assert "Resuming the conversation" in second
    assert "You're Ada, your usual is flat white. You have sent me 4 messages" in second
    assert '"orders_served": 2' in second
    assert '"orders_this_visit": ["flat white", "green tea"]' in second

    fresh = run_demo(tmp_path, "--fresh")
    assert "Starting a new conversation" in fresh
    assert '"orders_served": 1' in fresh


def test_demo_without_google_adk_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "google.adk", None)
    assert cafe.main(["--db", str(tmp_path / "x.db")]) == 2
    assert "pip install 'adk-store[adk]'" in capsys.readouterr().out
    assert not (tmp_path / "x.db").exists()
