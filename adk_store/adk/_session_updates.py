"""What an append does to the caller's google-adk ``Session`` object, in memory (no I/O).

:class:`~adk_store.adk.AdkSessionService` stores the event, then brings the ``Session`` it
was handed to what google-adk's own services leave it as: the event added and its state
delta applied, or, when the session was behind the stored one, the stored events and state
(its ``temp:`` keys kept).
"""

from __future__ import annotations

from typing import Any

from google.adk.events import Event as AdkEvent
from google.adk.sessions import Session as AdkSession
from google.adk.sessions.state import State

from .. import Event as CoreEvent
from .. import Session
from ._adk_internals import copy_revision
from ._convert import event_from_core


def apply_append(session: AdkSession, event: AdkEvent) -> None:
    """Apply ``event``'s (already trimmed) state delta to ``session`` and add the event, as
    google-adk's ``BaseSessionService.append_event`` does (2.x names this step; 1.x does it
    inline); the session's update time becomes the event's, as google-adk's services report
    it."""
    if event.actions and event.actions.state_delta:
        session.state.update(event.actions.state_delta)
    session.events.append(event)
    session.last_update_time = event.timestamp


def bring_up_to_date(session: AdkSession, stored: AdkSession, event: AdkEvent) -> None:
    """Make ``session`` what a successful append of ``event`` would have made it, from the
    ``stored`` session that holds the event (an append retried after its reply was lost).

    A session that already holds the event is left as it is. One that held exactly the
    events stored before it gets the event and its delta, as from a successful append;
    one that is further behind gets the stored events (``event`` itself in its place),
    the stored state and its ``temp:`` keys.
    """
    if any(held.id == event.id for held in session.events):
        return
    if [held.id for held in stored.events] == [
        *(held.id for held in session.events),
        event.id,
    ]:
        apply_append(session, event)
    else:
        temp_state = _temp_state(session)
        session.events[:] = [
            event if stored_event.id == event.id else stored_event
            for stored_event in stored.events
        ]
        session.state = {**stored.state, **temp_state}
        session.last_update_time = stored.last_update_time
    copy_revision(session, stored)


def catch_up(
    session: AdkSession,
    core_session: Session,
    event: AdkEvent,
    stored_event: CoreEvent,
    event_type: type[AdkEvent],
) -> None:
    """Bring ``session`` up to date after an append that allowed a stale session: the stored
    state (its ``temp:`` keys kept) and the stored events around ``event`` (those it missed
    before it and, after an append retried when its reply was lost, those later writers
    appended after it), read back as ``event_type``, with ``event`` itself where the core
    placed ``stored_event``."""
    session.state = {**core_session.state, **_temp_state(session)}
    session.events.extend(
        event if held is stored_event else event_from_core(held, event_type)
        for held in core_session.events
    )
    session.last_update_time = session.events[-1].timestamp


def _temp_state(session: AdkSession) -> dict[str, Any]:
    return {
        key: value for key, value in session.state.items() if key.startswith(State.TEMP_PREFIX)
    }
