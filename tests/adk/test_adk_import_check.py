"""With google-adk installed, ``adk-store import`` refuses an event google-adk's ``Event``
model refuses, before anything is written: ``AdkSessionService`` could never read its session
back. ``--no-adk-check`` stores it anyway."""

from __future__ import annotations

import io
from pathlib import Path

import anyio
import pytest

import adk_store
from adk_store import Event, SessionRecord, import_jsonl
from adk_store._jsonlines import RecordCounts, dump_record, header_line, trailer_line
from adk_store.adk import check_adk_events

from .._db import dump
from ..cli._run import adk_store_command

REFUSED = Event(id="bad-event", author="user", timestamp=1.0, content={"parts": 5})


def _export(path: Path) -> Path:
    counts = RecordCounts()
    lines = [header_line()]
    for record in (
        SessionRecord("app", "ada", "fine", create_time=1.0, update_time=2.0),
        SessionRecord(
            "app", "ada", "poisoned", create_time=1.0, update_time=2.0, events=[REFUSED]
        ),
    ):
        lines.append(dump_record(record))
        counts.add(record)
    lines.append(trailer_line(counts))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _initialised(db_url: str) -> str:
    assert adk_store_command("init", url=db_url).returncode == 0
    return db_url


def test_import_refuses_an_event_google_adk_refuses_and_writes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    url = _initialised(db_url)
    before = anyio.run(dump, url)

    finished = adk_store_command("import", str(_export(tmp_path / "x.jsonl")), url=url)

    assert finished.returncode == 2
    assert finished.stderr.count("\n") == 1
    assert "'poisoned'" in finished.stderr
    assert "'bad-event'" in finished.stderr
    assert anyio.run(dump, url) == before


def test_no_adk_check_stores_it_anyway(db_url: str, tmp_path: Path) -> None:
    url = _initialised(db_url)

    finished = adk_store_command(
        "import", "--no-adk-check", str(_export(tmp_path / "x.jsonl")), url=url
    )

    assert finished.returncode == 0, finished.stderr
    assert "imported 2 sessions (1 events)" in finished.stderr


async def test_import_jsonl_takes_the_check_as_its_session_hook(
    service: adk_store.SessionService, db_url: str, tmp_path: Path
) -> None:
    text = _export(tmp_path / "x.jsonl").read_text(encoding="utf-8")
    before = await dump(db_url)

    with pytest.raises(adk_store.InvalidArgumentError, match="'bad-event'"):
        await import_jsonl(service, io.StringIO(text), check_session=check_adk_events)

    assert await dump(db_url) == before
