"""A program that uses a service and never closes it (as google-adk's runner does).

python -m tests.reliability._never_closed DB_URL BACKEND
"""

from __future__ import annotations

import sys

import anyio

import adk_store


async def _main(db_url: str) -> None:
    service = adk_store.SessionService(db_url, create_schema=True)
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.append_event(session, adk_store.Event(author="user"))
    assert await service.get_session(app_name="a", user_id="u", session_id="s")
    print("finished without close()", flush=True)


if __name__ == "__main__":
    anyio.run(_main, sys.argv[1], backend=sys.argv[2])
