"""Framework-neutral session objects, named and shaped like google-adk's.

They are plain dataclasses: the service fills them from rows, callers read and build them.
Fields adk-store does not model travel in ``extra`` and survive a store/load round trip.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


def new_id() -> str:
    """A fresh random id (uuid4), as google-adk uses for sessions and events."""
    return str(uuid.uuid4())


@dataclass
class EventActions:
    """What an event asks the runtime to do: state changes, transfers, escalation, …"""

    state_delta: JsonDict = field(default_factory=dict)
    artifact_delta: dict[str, int] = field(default_factory=dict)
    skip_summarization: bool | None = None
    transfer_to_agent: str | None = None
    escalate: bool | None = None
    requested_auth_configs: JsonDict = field(default_factory=dict)
    requested_tool_confirmations: JsonDict = field(default_factory=dict)
    compaction: JsonDict | None = None
    end_of_agent: bool | None = None
    agent_state: JsonDict | None = None
    rewind_before_invocation_id: str | None = None
    extra: JsonDict = field(default_factory=dict)
    """Action fields this version does not model; stored and returned untouched."""


@dataclass
class Event:
    """One entry of a session's history.

    >>> Event(author="user", content={"role": "user", "parts": [{"text": "hi"}]})
    """

    author: str = ""
    content: JsonDict | None = None
    actions: EventActions = field(default_factory=EventActions)
    id: str = field(default_factory=new_id)
    invocation_id: str = ""
    branch: str | None = None
    timestamp: float = field(default_factory=time.time)
    partial: bool | None = None
    turn_complete: bool | None = None
    interrupted: bool | None = None
    finish_reason: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    long_running_tool_ids: list[str] | None = None
    custom_metadata: JsonDict | None = None
    usage_metadata: JsonDict | None = None
    grounding_metadata: JsonDict | None = None
    citation_metadata: JsonDict | None = None
    model_version: str | None = None
    extra: JsonDict = field(default_factory=dict)
    """Event fields this version does not model; stored and returned untouched."""


@dataclass
class Session:
    """A conversation: its merged state and (some of) its events, oldest first.

    ``state`` holds the three persistent scopes merged into one dict (``app:`` and ``user:``
    keys carry their prefix) plus any ``temp:`` keys set during the current invocation.
    ``revision`` counts the events stored so far; ``append_event`` uses it to detect that
    another writer got there first.
    """

    id: str
    app_name: str
    user_id: str
    state: JsonDict = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    last_update_time: float = 0.0
    revision: int = 0
    create_time: float | None = None
    """When the stored session was created. With ``revision`` it names the stored version this
    object reflects: a session deleted and created again under the same id is another one.
    ``None`` (a session built by hand) skips that check."""
    last_event_time: float | None = None
    """The timestamp of the last stored event (``None`` while there is none). Unlike
    ``last_update_time``, which never goes back, it follows the events: an event appended
    with an earlier timestamp makes it earlier (google-adk reports this as the update time)."""


@dataclass(frozen=True)
class SessionVersion:
    """What a reader already holds of a stored session: its create time, its revision and the
    id of the event at that revision (``None`` at revision 0).

    Stored events never change once written (a session only grows, until it is deleted), so
    a reader holding them needs only the events after ``revision``, as long as the session
    is still the same incarnation.
    """

    revision: int
    create_time: float
    last_event_id: str | None


@dataclass
class SessionDocuments:
    """A session (state and times, without events) and its events as JSON documents.

    Returned by ``SessionService.get_session_documents``: each document is one event as a
    JSON object (its fields under their names, ``content`` and ``actions`` as stored, fields
    this version does not model at the top level), for readers that build their own event
    objects, such as google-adk's ``Event.model_validate_json``.
    """

    session: Session
    after_revision: int
    """The documents are the events after this revision: the ``SessionVersion`` passed in
    when it still matched what is stored, otherwise ``0`` (every event)."""
    event_documents: list[str]
    """JSON text of the events, oldest first (``session.revision - after_revision`` of them)."""


@dataclass(frozen=True)
class GetSessionConfig:
    """Which events ``get_session`` loads.

    ``num_recent_events``: ``None`` loads all, ``0`` none, ``N`` the N most recent.
    ``after_timestamp``: only events with ``timestamp >= after_timestamp``.
    """

    num_recent_events: int | None = None
    after_timestamp: float | None = None


@dataclass
class ListSessionsResponse:
    """One page of sessions (without events); pass ``next_page_token`` to get the next."""

    sessions: list[Session] = field(default_factory=list)
    next_page_token: str | None = None
