"""The other google-adk line's side of the mixed-version tests, run in its own virtualenv.

``python -m tests.adk._mixed_worker URL ACTION APP USER SESSION``: ``read`` prints the
session's events as JSON (without ``None`` fields: the two lines' google-genai differ in
which fields a ``Part`` has); ``append`` reads the session, appends :func:`rich_event` (every
field this google-adk has) to it and prints the events it read and the state after.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from google.adk.events import Event, EventActions
from google.genai import types

from adk_store.adk import AdkSessionService

from ._google_adk import GOOGLE_ADK_2, GOOGLE_ADK_VERSION


def rich_event(text: str) -> Event:
    """An event saying ``text`` with a state delta and, on google-adk 2.x, the fields 1.x
    does not know: ``output``, ``node_info``, ``isolation_scope`` and the actions' ``route``,
    ``transfer_reason`` and ``set_model_response``."""
    line = ".".join(map(str, GOOGLE_ADK_VERSION))
    actions: dict[str, Any] = {"state_delta": {f"said_on_{line[0]}": text, "user:last": text}}
    fields: dict[str, Any] = {}
    if GOOGLE_ADK_2:
        from google.adk.events.event import NodeInfo

        actions |= {
            "route": ["left", 2],
            "transfer_reason": "needs a specialist",
            "set_model_response": {"answer": 42},
        }
        fields = {
            "output": {"rows": [1, 2]},
            "node_info": NodeInfo(path="wf/a@1", output_for=["wf"]),
            "isolation_scope": "call-9",
        }
    return Event(
        author=f"agent-{line}",
        invocation_id=f"inv-{line}",
        content=types.Content(role="model", parts=[types.Part(text=text)]),
        actions=EventActions(**actions),
        **fields,
    )


async def main(url: str, action: str, app: str, user: str, session_id: str) -> None:
    async with AdkSessionService(url) as service:
        session = await service.get_session(app_name=app, user_id=user, session_id=session_id)
        assert session is not None, "the session was not stored"
        read = [event.model_dump(mode="json", exclude_none=True) for event in session.events]
        if action == "append":
            await service.append_event(session, rich_event(f"hello from {GOOGLE_ADK_VERSION}"))
        elif action != "read":
            raise SystemExit(f"unknown action {action!r}")
    print(json.dumps({"events": read, "state": session.state}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
