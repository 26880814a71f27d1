"""Continue a stored barista conversation in a fresh process; print what happened as JSON.

``python -m tests.adk.continue_conversation URL USER_ID SESSION_ID TEXT...``
"""

from __future__ import annotations

import asyncio
import json
import sys

from google.adk.runners import Runner

from adk_store.adk import AdkSessionService
from adk_store.demos.barista import APP_NAME, build_barista_agent, converse


async def continue_conversation(url: str, user_id: str, session_id: str, texts: list[str]) -> None:
    async with AdkSessionService(url) as service:
        before = await service.get_session(
            app_name=APP_NAME, user_id=user_id, session_id=session_id
        )
        assert before is not None, "the session was not stored"
        runner = Runner(agent=build_barista_agent(), app_name=APP_NAME, session_service=service)
        replies = []
        for text in texts:
            for event in await converse(runner, user_id=user_id, session_id=session_id, text=text):
                replies.extend(part.text for part in event.content.parts or [] if part.text)
        await runner.close()
        after = await service.get_session(
            app_name=APP_NAME, user_id=user_id, session_id=session_id
        )
        assert after is not None
    print(
        json.dumps(
            {
                "events_before": len(before.events),
                "events_after": len(after.events),
                "replies": replies,
                "state": after.state,
            }
        )
    )


if __name__ == "__main__":
    url, user_id, session_id, *texts = sys.argv[1:]
    asyncio.run(continue_conversation(url, user_id, session_id, texts))
