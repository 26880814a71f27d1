"""Ids, authors and text come from clients: the command line prints them literally, never as
rich markup, with control characters escaped, so none can crash a command, clear the screen,
set the terminal's title or fake a line of output."""

from __future__ import annotations

import anyio
import pytest

from adk_store import Event, SessionRecord, SessionService

from ._run import adk_store_command

MARKUP_ID = "[/]"
ESCAPES_ID = "s\x1b[2J\x1b]0;pwned\x07"
NEWLINE_ID = "ok\nadk-store: forged line"
AUTHOR = "[bold red]agent[/]\x1b[31m"


def _store_with_hostile_ids(url: str) -> None:
    async def fill() -> None:
        async with SessionService(url, create_schema=True) as service:
            for session_id in (MARKUP_ID, ESCAPES_ID, NEWLINE_ID):
                await service.import_session(
                    SessionRecord(
                        app_name=MARKUP_ID,
                        user_id=NEWLINE_ID,
                        id=session_id,
                        state={"note": "[/]\x1b[2J"},
                        create_time=1000.0,
                        update_time=1000.0,
                        events=[
                            Event(
                                author=AUTHOR,
                                timestamp=1000.0,
                                content={"parts": [{"text": "[/] \x1b]0;title\x07"}]},
                            )
                        ],
                    )
                )

    anyio.run(fill)


@pytest.fixture
def url(db_url: str) -> str:
    _store_with_hostile_ids(db_url)
    return db_url


def _printed(*args: str, url: str) -> str:
    finished = adk_store_command(*args, url=url)
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    assert "\x1b" not in finished.stdout
    assert "\x07" not in finished.stdout
    return finished.stdout


def test_sessions_list_prints_ids_literally(url: str) -> None:
    output = _printed("sessions", "list", url=url)

    assert MARKUP_ID in output
    assert "s\\x1b[2J\\x1b]0;pwned\\x07" in output
    assert "ok\\nadk-store: forged line" in output
    assert not any(line.startswith("adk-store:") for line in output.splitlines())


@pytest.mark.parametrize("session_id", [MARKUP_ID, ESCAPES_ID, NEWLINE_ID])
def test_sessions_show_prints_ids_authors_and_text_literally(url: str, session_id: str) -> None:
    output = _printed("sessions", "show", MARKUP_ID, NEWLINE_ID, session_id, url=url)

    assert "in app [/]" in output
    assert "[bold red]agent[/]\\x1b[31m" in output
    assert "[/] \\x1b]0;title\\x07" in output
    assert "of user ok\\nadk-store: forged line" in output
    assert not any(line.startswith("adk-store:") for line in output.splitlines())


def test_prune_prints_ids_literally(url: str) -> None:
    output = _printed("prune", "--older-than", "1d", "--dry-run", url=url)

    assert "would delete session [/] of user ok\\nadk-store: forged line in app [/]" in output
    assert "would delete session s\\x1b[2J\\x1b]0;pwned\\x07 of user" in output
    assert not any(line.startswith("adk-store:") for line in output.splitlines())
