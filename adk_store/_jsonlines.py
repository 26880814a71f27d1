"""The export format: JSON Lines, one stored record per line, in canonical JSON.

The first line is a header naming the format and its version; every other line is one
record, tagged by ``"kind"``: ``"app_state"``, ``"user_state"`` or ``"session"`` (a session
line carries the session's own state, its times and all its events, oldest first). Keys are
sorted and separators compact, so the same contents give the same bytes whichever database
they came from.

>>> dump_record(AppStateRecord(app_name="tutor", state={"greeting": "hi"}))
'{"app_name":"tutor","kind":"app_state","state":{"greeting":"hi"}}'
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from ._errors import InvalidArgumentError
from ._models import Event, EventActions, JsonDict
from ._records import AppStateRecord, SessionRecord, StoredRecord, UserStateRecord

FORMAT_NAME = "adk-store"
FORMAT_VERSION = 1

_EVENT_FIELDS = frozenset(f.name for f in fields(Event)) - {"actions", "extra"}
_ACTION_FIELDS = frozenset(f.name for f in fields(EventActions)) - {"extra"}
_ACTION_DEFAULTS = {name: getattr(EventActions(), name) for name in _ACTION_FIELDS}


def canonical_json(value: Any) -> str:
    """``value`` as JSON with sorted keys, compact separators and UTF-8 text unescaped."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


def header_line() -> str:
    """The first line of every export."""
    return canonical_json({"kind": "header", "format": FORMAT_NAME, "version": FORMAT_VERSION})


def dump_record(record: StoredRecord) -> str:
    """One record as one line of canonical JSON (without the newline)."""
    if isinstance(record, SessionRecord):
        document: JsonDict = {
            "kind": "session",
            "app_name": record.app_name,
            "user_id": record.user_id,
            "id": record.id,
            "state": record.state,
            "create_time": record.create_time,
            "update_time": record.update_time,
            "events": [event_json(event) for event in record.events],
        }
    elif isinstance(record, UserStateRecord):
        document = {
            "kind": "user_state",
            "app_name": record.app_name,
            "user_id": record.user_id,
            "state": record.state,
        }
    else:
        document = {"kind": "app_state", "app_name": record.app_name, "state": record.state}
    return canonical_json(document)


def event_json(event: Event) -> JsonDict:
    """An event as a JSON object: fields that are set, actions that differ from their
    defaults, and unmodelled fields (``extra``) beside the modelled ones, as google-adk
    spells an event."""
    document: JsonDict = {
        name: value for name in _EVENT_FIELDS if (value := getattr(event, name)) is not None
    }
    actions = {
        name: value
        for name in _ACTION_FIELDS
        if (value := getattr(event.actions, name)) != _ACTION_DEFAULTS[name]
    }
    actions.update(event.actions.extra)
    document["actions"] = actions
    document.update(event.extra)
    return document


def event_from_json(document: JsonDict) -> Event:
    """The inverse of :func:`event_json`: unknown fields go back to ``extra``."""
    known = {name: value for name, value in document.items() if name in _EVENT_FIELDS}
    extra = {
        name: value
        for name, value in document.items()
        if name not in _EVENT_FIELDS and name != "actions"
    }
    actions_document = document.get("actions") or {}
    if not isinstance(actions_document, dict):
        raise ValueError("actions must be an object")
    actions = EventActions(
        **{name: value for name, value in actions_document.items() if name in _ACTION_FIELDS},
        extra={
            name: value for name, value in actions_document.items() if name not in _ACTION_FIELDS
        },
    )
    return Event(**known, actions=actions, extra=extra)


def is_header(line: str) -> bool:
    """Whether ``line`` is an export header this version can read (raises if too new)."""
    try:
        document = json.loads(line)
    except ValueError:
        return False
    if not isinstance(document, dict) or document.get("kind") != "header":
        return False
    if document.get("format") != FORMAT_NAME:
        return False
    version = document.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InvalidArgumentError(
            f"the export is format version {version!r}, newer than the {FORMAT_VERSION} this "
            "adk-store reads; upgrade adk-store"
        )
    return True


def load_record(line: str, where: str = "record") -> StoredRecord:
    """Parse one record line; a malformed one raises :class:`InvalidArgumentError`."""
    try:
        document = json.loads(line)
        if not isinstance(document, dict):
            raise ValueError("a record must be a JSON object")
        return _record(document)
    except (ValueError, TypeError, KeyError) as error:
        reason = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise InvalidArgumentError(f"{where} is not an adk-store record: {reason}") from None


def _record(document: JsonDict) -> StoredRecord:
    kind = document["kind"]
    if kind == "session":
        events = document["events"]
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise ValueError("events must be a list of objects")
        return SessionRecord(
            app_name=_text(document, "app_name"),
            user_id=_text(document, "user_id"),
            id=_text(document, "id"),
            state=_object(document, "state"),
            create_time=_number(document, "create_time"),
            update_time=_number(document, "update_time"),
            events=[event_from_json(event) for event in events],
        )
    if kind == "user_state":
        return UserStateRecord(
            app_name=_text(document, "app_name"),
            user_id=_text(document, "user_id"),
            state=_object(document, "state"),
        )
    if kind == "app_state":
        return AppStateRecord(
            app_name=_text(document, "app_name"), state=_object(document, "state")
        )
    raise ValueError(f"unknown kind {kind!r}")


def _text(document: JsonDict, name: str) -> str:
    value = document[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _object(document: JsonDict, name: str) -> JsonDict:
    value = document[name]
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    return value


def _number(document: JsonDict, name: str) -> float:
    value = document[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    return float(value)
