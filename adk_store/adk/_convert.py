"""google-adk objects to adk-store's framework-neutral ones and back, without loss.

An ADK event is dumped in pydantic's JSON mode (bytes become base64 text, enums their values,
sets sorted lists), fields equal to their default are left out, and what the core models gets
its own column; every other field (``output``, ``node_info``, ``actions.route``, fields a
later google-adk adds, …) travels in ``extra``. Reading back validates the same dict with
google-adk's own model, so the event ``model_dump``s equal to the one appended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from google.adk.events import Event as AdkEvent
from google.adk.sessions import Session as AdkSession
from pydantic_core import PydanticSerializationError, to_jsonable_python

from .._errors import StateSerializationError
from .._models import Event, EventActions, JsonDict, Session

AdkEventT = TypeVar("AdkEventT", bound=AdkEvent)

_REVISION_MARKER_PREFIX = "adk-store:"

_CORE_EVENT_FIELDS = frozenset(f.name for f in fields(Event)) - {"actions", "extra"}
_CORE_ACTION_FIELDS = frozenset(f.name for f in fields(EventActions)) - {"extra"}
_EVENT_FIELDS_READ_AS_ATTRIBUTES = frozenset({"id", "timestamp", "author", "invocation_id"})


def jsonable_state(state: Mapping[str, Any], where: str) -> JsonDict:
    """``state`` as JSON values, converted the way google-adk's database services do.

    >>> jsonable_state({"when": datetime.date(2026, 1, 2)}, "state")
    {'when': '2026-01-02'}
    """
    try:
        converted = to_jsonable_python(dict(state))
    except PydanticSerializationError as error:
        raise StateSerializationError(where, str(error)) from None
    return dict(converted)


def event_to_core(event: AdkEvent) -> Event:
    """The core :class:`~adk_store.Event` that stores ``event`` losslessly.

    >>> event_to_core(AdkEvent(author="user")).author
    'user'
    """
    try:
        dumped: JsonDict = event.model_dump(mode="json", exclude_defaults=True)
    except PydanticSerializationError as error:
        raise StateSerializationError(f"event {event.id!r}", str(error)) from None
    dumped_actions: JsonDict = dumped.pop("actions", {})
    for name in _EVENT_FIELDS_READ_AS_ATTRIBUTES:
        dumped.pop(name, None)
    core_fields = {name: dumped.pop(name) for name in _CORE_EVENT_FIELDS & dumped.keys()}
    action_fields = {
        name: dumped_actions.pop(name) for name in _CORE_ACTION_FIELDS & dumped_actions.keys()
    }
    return Event(
        id=event.id,
        timestamp=event.timestamp,
        author=event.author,
        invocation_id=event.invocation_id,
        actions=EventActions(**action_fields, extra=dumped_actions),
        extra=dumped,
        **core_fields,
    )


def event_from_core(event: Event, event_type: type[AdkEventT]) -> AdkEventT:
    """The google-adk event that ``event`` stores, validated as ``event_type``.

    >>> event_from_core(event_to_core(adk_event), AdkEvent) == adk_event
    True
    """
    actions: JsonDict = dict(event.actions.extra)
    for name in _CORE_ACTION_FIELDS:
        value = getattr(event.actions, name)
        if value is not None:
            actions[name] = value
    dumped: JsonDict = dict(event.extra)
    for name in _CORE_EVENT_FIELDS:
        value = getattr(event, name)
        if value is not None:
            dumped[name] = value
    dumped["actions"] = actions
    return event_type.model_validate(dumped)


def session_from_core(session: Session, event_type: type[AdkEvent]) -> AdkSession:
    """The google-adk session for a core session, remembering its revision.

    >>> session_from_core(core_session, AdkEvent).id == core_session.id
    True
    """
    adk_session = AdkSession(
        id=session.id,
        app_name=session.app_name,
        user_id=session.user_id,
        state=session.state,
        events=[event_from_core(event, event_type) for event in session.events],
        last_update_time=session.last_update_time,
    )
    remember_revision(adk_session, session.revision)
    return adk_session


def remember_revision(session: AdkSession, revision: int) -> None:
    """Record on ``session`` the stored revision it reflects.

    google-adk's ``Session`` keeps a private storage marker for exactly this purpose; it is
    carried along when the session is copied, so a copy is checked for staleness too.
    """
    session._storage_update_marker = f"{_REVISION_MARKER_PREFIX}{revision}"


def remembered_revision(session: AdkSession) -> int | None:
    """The revision :func:`remember_revision` recorded, or ``None`` for a session we did not
    produce (built by hand, or loaded by another session service)."""
    marker = session._storage_update_marker
    if marker is None or not marker.startswith(_REVISION_MARKER_PREFIX):
        return None
    digits = marker[len(_REVISION_MARKER_PREFIX) :]
    return int(digits) if digits.isdigit() else None
