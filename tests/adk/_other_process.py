"""Change a stored session from another process, through the core only.

``python -m tests.adk._other_process URL ACTION APP USER SESSION [TEXT]``, where ACTION is
``append`` (one event saying TEXT, with a state delta), ``recreate`` (delete the session and
create it again with one event saying TEXT), ``reimport`` (delete it and import it again with
its create time, every event but the last, and a new last event saying TEXT) or ``prune``
(prune every session updated before now).
"""

from __future__ import annotations

import asyncio
import sys
import time

from adk_store import Event, EventActions, SessionRecord, SessionService


def said(text: str, **fields: object) -> Event:
    content = {"role": "model", "parts": [{"text": text}]}
    return Event(author="other", content=content, **fields)  # type: ignore[arg-type]


async def change(url: str, action: str, app: str, user: str, session_id: str, text: str) -> None:
    async with SessionService(url) as service:
        key = {"app_name": app, "user_id": user, "session_id": session_id}
        if action == "append":
            session = await service.get_session(**key)
            assert session is not None
            delta = EventActions(state_delta={"said": text, "user:heard": text})
            await service.append_event(session, said(text, actions=delta))
        elif action == "recreate":
            await service.delete_session(**key)
            session = await service.create_session(
                app_name=app, user_id=user, session_id=session_id
            )
            await service.append_event(session, said(text))
        elif action == "reimport":
            stored = await service.get_session(**key)
            assert stored is not None
            assert stored.create_time is not None
            await service.delete_session(**key)
            events = [*stored.events[:-1], said(text, timestamp=stored.events[-1].timestamp)]
            record = SessionRecord(
                app,
                user,
                session_id,
                create_time=stored.create_time,
                update_time=stored.last_update_time,
                events=events,
            )
            await service.import_session(record)
        elif action == "prune":
            await service.prune(updated_before=time.time() + 1)
        else:
            raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    url, action, app, user, session_id, *text = sys.argv[1:]
    asyncio.run(change(url, action, app, user, session_id, " ".join(text)))
