"""Every read comes from one snapshot, however fast the session under it is replaced.

One task churns a session id: delete it, create it again with ``state={"inc": k}``, append
three events whose content says ``k``. Another task reads it in a loop. Each read must be one
whole incarnation: as many events as its revision, all of them from the incarnation whose
state it carries.
"""

from __future__ import annotations

import anyio
import pytest

import adk_store
from adk_store import Event, EventActions, GetSessionConfig

pytestmark = pytest.mark.reliability

APP = "snapshot-app"
USER = "snapshot-user"
SESSION = "churned"
READS = 400
EVENTS_PER_INCARNATION = 3


async def _churn(service: adk_store.SessionService, done: anyio.Event, churned: list[int]) -> None:
    """Replace the session until ``done``, counting incarnations in ``churned[0]``."""
    incarnation = 0
    while not done.is_set():
        incarnation += 1
        churned[0] = incarnation
        await service.delete_session(app_name=APP, user_id=USER, session_id=SESSION)
        session = await service.create_session(
            app_name=APP, user_id=USER, session_id=SESSION, state={"inc": incarnation}
        )
        for index in range(EVENTS_PER_INCARNATION):
            await service.append_event(
                session,
                Event(
                    author="churn",
                    content={"inc": incarnation, "index": index},
                    actions=EventActions(state_delta={"last": index}),
                ),
            )


def _tears(session: adk_store.Session, config: GetSessionConfig | None) -> list[str]:
    """What is wrong with one read (nothing, for a read from one snapshot)."""
    problems = []
    incarnation = session.state["inc"]
    origins = {event.content["inc"] for event in session.events if event.content}
    if origins - {incarnation}:
        problems.append(f"state of incarnation {incarnation}, events of {sorted(origins)}")
    expected = session.revision
    if config is not None and config.num_recent_events is not None:
        expected = min(expected, config.num_recent_events)
    if len(session.events) != expected:
        problems.append(f"revision {session.revision} with {len(session.events)} events")
    if session.revision and session.state.get("last") != session.revision - 1:
        problems.append(f"revision {session.revision} with state {session.state}")
    return problems


@pytest.mark.parametrize("recent", [None, 2])
async def test_get_session_never_mixes_incarnations_or_loses_events(
    service: adk_store.SessionService, recent: int | None
) -> None:
    config = None if recent is None else GetSessionConfig(num_recent_events=recent)
    await service.create_session(app_name=APP, user_id=USER, session_id=SESSION, state={"inc": 0})
    torn: list[str] = []
    reads = found = 0
    done = anyio.Event()
    churned = [0]

    async with anyio.create_task_group() as group:
        group.start_soon(_churn, service, done, churned)
        # At least READS reads, and on until the session was replaced often enough (however
        # the two tasks happen to share a busy machine), within a bound.
        while (reads < READS or churned[0] <= 10) and reads < 50 * READS:
            reads += 1
            session = await service.get_session(
                app_name=APP, user_id=USER, session_id=SESSION, config=config
            )
            if session is not None:
                found += 1
                torn.extend(_tears(session, config))
            await anyio.lowlevel.checkpoint()
        done.set()
    assert churned[0] > 10, "the session was hardly replaced while it was read"
    assert found > READS // 10, "the reader hardly ever found the session"
    assert torn == [], f"{len(torn)} of {reads} reads were torn, e.g. {torn[:3]}"
