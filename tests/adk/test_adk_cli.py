"""``adk-store import-adk`` and ``adk-store export-adk`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from adk_store.cli import main

from . import _adk_sources as sources


@pytest.fixture(scope="module")
def legacy_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A google-adk database of the legacy (pickled) schema with 4 sessions."""
    path = tmp_path_factory.mktemp("cli") / "adk.db"
    sources.build_legacy_database(f"sqlite+aiosqlite:///{path}", sessions=4, events=6)
    return path


def _events_in(path: Path) -> int:
    view = sources.adk_view("database", f"sqlite+aiosqlite:///{path}")
    return sum(len(session.events) for session in view.values())


def test_dry_run_prints_what_would_be_copied_and_writes_nothing(
    legacy_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store.db"

    status = main(
        ["import-adk", str(legacy_source), "--url", f"sqlite+aiosqlite:///{store}", "--dry-run"]
    )

    output = capsys.readouterr().out
    assert status == 0
    assert "legacy schema v0" in output
    assert f"would copy 4 sessions ({_events_in(legacy_source)} events)" in output
    assert main(["status", "--url", f"sqlite+aiosqlite:///{store}"]) == 2


def test_import_then_import_again_copies_once(
    legacy_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"

    first = main(["import-adk", str(legacy_source), "--url", url])
    first_output = capsys.readouterr().out
    second = main(["import-adk", f"sqlite+aiosqlite:///{legacy_source}", "--url", url])
    second_output = capsys.readouterr().out

    assert (first, second) == (0, 0)
    assert "copied 4 sessions" in first_output
    assert "copied 0 sessions (0 events), 0 app states, 0 user states" in second_output
    assert "already there" in second_output


def test_app_option_limits_the_import(
    legacy_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"

    status = main(["import-adk", str(legacy_source), "--url", url, "--app", "travel"])

    assert status == 0
    assert "copied 2 sessions" in capsys.readouterr().out


def test_export_writes_a_database_google_adk_reads(
    legacy_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    target = tmp_path / "back.db"
    assert main(["import-adk", str(legacy_source), "--url", url]) == 0
    capsys.readouterr()

    status = main(["export-adk", "--url", url, str(target)])

    assert status == 0
    assert "copied 4 sessions" in capsys.readouterr().out
    assert _events_in(target) == _events_in(legacy_source)


def test_a_source_that_is_not_google_adk_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_adk = tmp_path / "notes.txt"
    not_adk.write_text("hello")

    status = main(
        ["import-adk", str(not_adk), "--url", f"sqlite+aiosqlite:///{tmp_path / 's.db'}"]
    )

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("adk-store: ")
    assert len(error.strip().splitlines()) == 1
