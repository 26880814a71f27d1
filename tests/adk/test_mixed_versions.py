"""One database shared by google-adk 1.x and 2.x processes, as during an upgrade.

Each test runs the other google-adk line in a subprocess of its own virtualenv (``.venv``
holds 2.x, ``.venv-adk1`` 1.x; ``scripts/test`` builds both), so the 2.x suite checks a 1.x
process against what 2.x wrote and the 1.x suite the other way round. A 1.x reader drops the
fields it does not know; they stay stored, and the 2.x reader gets them back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from google.adk.runners import Runner

import adk_store
from adk_store.adk import AdkSessionService
from adk_store.demos.barista import APP_NAME, build_barista_agent, converse

from ._google_adk import GOOGLE_ADK_2, AdkStaleSessionError
from ._mixed_worker import rich_event

REPOSITORY = Path(__file__).resolve().parents[2]
OTHER_LINE = "1.x" if GOOGLE_ADK_2 else "2.x"
OTHER_PYTHON = Path(
    os.environ.get("ADK_STORE_TEST_OTHER_GOOGLE_ADK_PYTHON")
    or REPOSITORY / (".venv-adk1" if GOOGLE_ADK_2 else ".venv") / "bin" / "python"
)

pytestmark = pytest.mark.parametrize("anyio_backend", ["asyncio"])


@pytest.fixture(autouse=True)
def other_python() -> Path:
    if OTHER_PYTHON.exists():
        return OTHER_PYTHON
    message = f"no google-adk {OTHER_LINE} environment at {OTHER_PYTHON} (scripts/test builds it)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


async def _other_process(*arguments: str) -> dict[str, Any]:
    """Run ``arguments`` as a module under the other google-adk line; its last line as JSON."""
    finished = await anyio.run_process(
        [str(OTHER_PYTHON), "-m", *arguments], cwd=REPOSITORY, check=False
    )
    assert finished.returncode == 0, finished.stderr.decode()
    result: dict[str, Any] = json.loads(finished.stdout.decode().strip().splitlines()[-1])
    return result


async def test_each_line_reads_and_extends_what_the_other_wrote(db_url: str) -> None:
    key = {"app_name": "app", "user_id": "ada", "session_id": "s1"}
    ours = rich_event("hello from here")
    appended = ours.model_dump(mode="json", exclude_none=True)
    async with AdkSessionService(db_url, create_schema=True) as service:
        session = await service.create_session(**key, state={"topic": "upgrade"})
        await service.append_event(session, ours)

        other = await _other_process("tests.adk._mixed_worker", db_url, "append", *key.values())

        [seen] = other["events"]
        assert seen["content"]["parts"][0]["text"] == "hello from here"
        assert seen["actions"]["state_delta"] == appended["actions"]["state_delta"]
        assert _as_read_by_each_line(appended, seen)
        loaded = await service.get_session(**key)
        assert loaded is not None
        first, theirs = loaded.events
        assert first.model_dump(mode="json", exclude_none=True) == appended  # nothing erased
        assert theirs.author != ours.author
        assert loaded.state == {
            "topic": "upgrade",
            **ours.actions.state_delta,
            **theirs.actions.state_delta,
        }
        with pytest.raises(AdkStaleSessionError) as caught:
            await service.append_event(session, rich_event("from a stale copy"))
        assert isinstance(caught.value, adk_store.StaleSessionError)

    again = await _other_process("tests.adk._mixed_worker", db_url, "read", *key.values())
    assert [event["id"] for event in again["events"]] == [ours.id, theirs.id]
    assert _as_read_by_each_line(
        theirs.model_dump(mode="json", exclude_none=True), again["events"][1]
    )


def _as_read_by_each_line(here: dict[str, Any], there: dict[str, Any]) -> bool:
    """Whether an event read here and in the other process is the same event: what 1.x read
    is all 2.x read, less the fields 1.x does not know (and 2.x's defaults for them)."""
    older, newer = (there, here) if GOOGLE_ADK_2 else (here, there)
    return _holds(newer, older)


def _holds(whole: Any, part: Any) -> bool:
    """Whether ``whole`` has every item of ``part``, at every depth, with the same value."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            name in whole and _holds(whole[name], value) for name, value in part.items()
        )
    return bool(whole == part)


async def test_a_conversation_continues_on_the_other_line(db_url: str) -> None:
    async with AdkSessionService(db_url, create_schema=True) as service:
        session = await service.create_session(app_name=APP_NAME, user_id="ada")
        runner = Runner(agent=build_barista_agent(), app_name=APP_NAME, session_service=service)
        for text in ["My name is Ada.", "I'd like a flat white."]:
            await converse(runner, user_id="ada", session_id=session.id, text=text)
        await runner.close()

    report = await _other_process(
        "tests.adk.continue_conversation", db_url, "ada", session.id, "Remember me?"
    )

    assert report["events_before"] == 4 + 4
    assert report["replies"] == [
        "You're Ada, your usual is flat white. You have sent me 3 messages in this "
        "conversation, and the café's order count stands at 1.",
    ]
    async with AdkSessionService(db_url) as service:
        here = await service.get_session(app_name=APP_NAME, user_id="ada", session_id=session.id)
    assert here is not None
    assert len(here.events) == report["events_after"] == 4 + 4 + 2
    assert here.state == report["state"]
