"""User errors: one line on stderr, exit status 2, no traceback, nothing written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .._db import dump
from ._run import adk_store_command, filled_store


def assert_user_error(finished: subprocess.CompletedProcess[str], *words: str) -> None:
    assert finished.returncode == 2, (finished.stdout, finished.stderr)
    assert "Traceback" not in finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("adk-store: ")
    for word in words:
        assert word in lines[0]


def test_no_url_given() -> None:
    assert_user_error(adk_store_command("status"), "--url", "ADK_STORE_URL")


def test_unsupported_url_scheme() -> None:
    assert_user_error(adk_store_command("init", url="mysql://localhost/x"), "mysql")


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    assert_user_error(
        adk_store_command("status", url=f"sqlite+aiosqlite:///{path}"), str(path), "init"
    )
    assert not path.exists()


def test_unreachable_postgresql() -> None:
    finished = adk_store_command("status", url="postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    assert_user_error(finished, "postgresql")


def test_schema_missing(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        Path(db_url.split(":///", 1)[1]).touch()
    assert_user_error(adk_store_command("status", url=db_url), "no adk-store schema")


def test_unknown_session(db_url: str) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=1)
    for command in (["sessions", "show"], ["sessions", "delete", "--yes"]):
        finished = adk_store_command(*command, "tutor", "ada", "nope", url=db_url)
        assert_user_error(finished, "'nope'", "does not exist")


@pytest.mark.parametrize("duration", ["30", "30x", "0d", "-1d", "1.5h", "d"])
def test_bad_duration(duration: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    assert_user_error(
        adk_store_command("prune", "--older-than", duration, url=url), "not a duration"
    )


def test_export_of_a_user_needs_the_app(db_url: str, tmp_path: Path) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=1)
    target = tmp_path / "out.jsonl"

    assert_user_error(
        adk_store_command("export", "--user", "ada", str(target), url=db_url), "--user", "--app"
    )
    assert not target.exists()


def test_import_of_a_file_that_is_not_an_export(db_url: str, tmp_path: Path) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=1)
    before = _dump(db_url)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hello": 1}\n', encoding="utf-8")

    assert_user_error(adk_store_command("import", str(bad), url=db_url), "line 1")
    assert _dump(db_url) == before


def test_import_of_a_malformed_record_names_its_line(db_url: str, tmp_path: Path) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"format":"adk-store","kind":"header","version":2}\n{"kind":"session"}\n',
        encoding="utf-8",
    )
    assert_user_error(adk_store_command("import", str(bad), url=db_url), "line 2")


def _dump(url: str) -> object:
    import anyio

    return anyio.run(dump, url)
