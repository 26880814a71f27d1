"""An export killed mid-way never passes for a whole one, on a pipe or in a file."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

import adk_store

from .._db import dump
from ..operations._contents import write_generated_export
from ._run import adk_store_command, cli_environment, filled_store, succeeded
from .test_errors import assert_user_error


def generated_store(url: str, tmp_path: Path, sessions: int) -> None:
    """A store of ``sessions`` generated sessions (about 1.7 KB of export each)."""
    generated = tmp_path / "generated.jsonl"
    write_generated_export(generated, sessions)

    async def fill() -> None:
        async with adk_store.SessionService(url, create_schema=True) as service:
            with generated.open(encoding="utf-8") as stream:
                await adk_store.import_jsonl(service, stream)

    anyio.run(fill)


def started(*args: str, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "adk_store", *args, "--url", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=cli_environment(),
    )


def test_an_export_killed_mid_pipe_is_refused_by_import(db_url: str, tmp_path: Path) -> None:
    generated_store(db_url, tmp_path, sessions=300)
    export = started("export", "-", url=db_url)
    assert export.stdout is not None
    head = export.stdout.read(20_000)
    export.send_signal(signal.SIGKILL)
    cut = (head + export.stdout.read()).decode("utf-8", "replace")
    export.wait()
    whole_lines = cut.count("\n")
    copy = f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    succeeded("init", url=copy)
    before = anyio.run(dump, copy)

    finished = adk_store_command("import", "-", url=copy, stdin=cut)

    assert '"kind":"trailer"' not in cut
    assert whole_lines > 1
    assert_user_error(finished, "cut short")
    assert anyio.run(dump, copy) == before


@pytest.mark.databases("sqlite")
def test_an_export_killed_before_its_end_leaves_the_previous_file(
    db_url: str, tmp_path: Path
) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=1)
    target = tmp_path / "export.jsonl"
    succeeded("export", str(target), url=db_url)
    previous = target.read_bytes()

    export = started("export", str(target), url=db_url)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".export.jsonl.*.partial")) and time.monotonic() < deadline:
        time.sleep(0.001)
    export.send_signal(signal.SIGKILL)
    export.wait()

    assert target.read_bytes() == previous
    [partial] = tmp_path.glob(".export.jsonl.*.partial")
    assert not partial.read_text(encoding="utf-8").endswith('"user_states":6}\n')
