"""Imports of files that are not exports, or that try to exhaust the reader: one line, exit 2,
the store as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from adk_store._jsonlines import header_line

from .._db import dump
from ._run import adk_store_command, cli_environment, filled_store
from .test_errors import assert_user_error

SESSION_START = '{"kind":"session","app_name":"a","user_id":"u","id":"s","create_time":1,'


@pytest.fixture
def store(db_url: str) -> str:
    filled_store(db_url, sessions_per_user=1, events_per_session=1)
    return db_url


def assert_refused_and_unchanged(url: str, source: Path | bytes, *words: str) -> None:
    """``import`` of the file ``source``, or of ``source`` on standard input, is refused."""
    before = anyio.run(dump, url)
    if isinstance(source, Path):
        finished = adk_store_command("import", str(source), url=url)
    else:
        finished = subprocess.run(
            [sys.executable, "-m", "adk_store", "import", "-", "--url", url],
            input=source,
            capture_output=True,
            env=cli_environment(),
            timeout=300,
            check=False,
        )
        finished = subprocess.CompletedProcess(
            finished.args, finished.returncode, finished.stdout.decode(), finished.stderr.decode()
        )
    assert_user_error(finished, *words)
    assert anyio.run(dump, url) == before


def test_a_link_to_an_endless_device_is_refused_at_the_header(store: str, tmp_path: Path) -> None:
    endless = tmp_path / "zero.jsonl"
    endless.symlink_to("/dev/zero")

    assert_refused_and_unchanged(store, endless, "line 1 is longer than the 1,024 characters")


def test_an_endless_record_on_standard_input_is_refused_at_the_bound(store: str) -> None:
    command = (
        f"(printf '%s\\n' '{header_line()}'; cat /dev/zero) | "
        f"{sys.executable} -m adk_store import - --url '{store}'"
    )

    finished = subprocess.run(
        command, shell=True, capture_output=True, text=True, env=cli_environment(), timeout=300
    )

    assert_user_error(finished, "line 2 is longer than the 134,217,728 characters")


@pytest.mark.parametrize("on", ["file", "standard input"])
def test_bytes_that_are_not_utf8_are_refused(store: str, tmp_path: Path, on: str) -> None:
    content = (header_line() + "\n").encode() + b'{"kind":"app_state","app_name":"\xff"}\n'
    path = tmp_path / "latin.jsonl"
    path.write_bytes(content)

    assert_refused_and_unchanged(store, path if on == "file" else content, "not UTF-8")


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (
            SESSION_START
            + '"update_time":1,"events":[],"state":{"x":'
            + "[" * 10_000
            + "]" * 10_000
            + "}}",
            ["line 2", "nested too deeply"],
        ),
        (
            SESSION_START + '"update_time":1,"state":{},'
            f'"events":[{{"id":"e","author":"u","timestamp":1{"0" * 400}}}]}}',
            ["line 2", "timestamp must be finite"],
        ),
        (
            SESSION_START + f'"update_time":1{"0" * 400},"state":{{}},"events":[]}}',
            ["line 2", "update_time must be finite"],
        ),
    ],
    ids=["nested 10,000 deep", "event timestamp 10**400", "update time 10**400"],
)
def test_records_no_float_or_parser_holds_are_refused(
    store: str, tmp_path: Path, line: str, words: list[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(header_line() + "\n" + line + "\n", encoding="utf-8")

    assert_refused_and_unchanged(store, path, *words)


def test_a_header_nested_100_000_deep_is_refused(store: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")

    assert_refused_and_unchanged(store, path, "line 1")


def test_a_prune_reaching_back_before_the_year_1_is_refused_before_it_runs(store: str) -> None:
    finished = adk_store_command("prune", "--older-than", "999999999d", url=store)

    assert_user_error(finished, "--older-than", "before the year 1")
    assert finished.stdout == ""
