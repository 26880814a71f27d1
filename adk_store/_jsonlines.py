"""The export format: JSON Lines, one stored record per line, in canonical JSON.

The first line is a header naming the format and its version; the last is a trailer counting
what came before it; every line between is one record, tagged by ``"kind"``:
``"app_state"``, ``"user_state"``, ``"session"`` (a session line carries the session's own
state, its times and all its events, oldest first) or ``"memory"`` (one memory of a user,
with its source). Keys are sorted and separators compact,
so the same contents give the same bytes whichever database they came from. An export that
was cut short has no trailer, so a reader can tell it from a whole one.

>>> dump_record(AppStateRecord(app_name="tutor", state={"greeting": "hi"}))
'{"app_name":"tutor","kind":"app_state","state":{"greeting":"hi"}}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, NoReturn

from ._errors import InvalidArgumentError
from ._memory_models import Memory
from ._models import Event, EventActions, JsonDict
from ._records import AppStateRecord, SessionRecord, StoredRecord, UserStateRecord
from ._validate import check_seconds

FORMAT_NAME = "adk-store"
FORMAT_VERSION = 3
"""Version 3 adds memory records, counted in the trailer. Version 2 (no memories, a trailer
without their count) is read as well. Version 1 had no trailer, so a cut one cannot be told
from a whole one: it is refused."""
READ_VERSIONS = (2, 3)
"""The format versions this adk-store imports."""

MAX_HEADER_CHARS = 1_024
"""The most characters the header line may take (it takes about 50)."""
MAX_LINE_CHARS = 128 * 2**20
"""The most characters one record line may take, its newline included: a session with all its
events. Export refuses a session that would be longer; import refuses a longer line before
reading further."""

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


@dataclass
class RecordCounts:
    """How many records of each kind an export holds, and the events of its sessions."""

    app_states: int = 0
    user_states: int = 0
    sessions: int = 0
    events: int = 0
    memories: int = 0

    def add(self, record: StoredRecord) -> None:
        if isinstance(record, SessionRecord):
            self.sessions += 1
            self.events += len(record.events)
        elif isinstance(record, Memory):
            self.memories += 1
        elif isinstance(record, UserStateRecord):
            self.user_states += 1
        else:
            self.app_states += 1

    def __str__(self) -> str:
        return (
            f"{self.app_states} app states, {self.user_states} user states, "
            f"{self.sessions} sessions ({self.events} events), {self.memories} memories"
        )


_COUNT_NAMES = {
    2: ("app_states", "user_states", "sessions", "events"),
    3: ("app_states", "user_states", "sessions", "events", "memories"),
}
"""What the trailer of each format version counts."""


def trailer_line(counts: RecordCounts) -> str:
    """The last line of every export: what the lines before it hold."""
    names = _COUNT_NAMES[FORMAT_VERSION]
    return canonical_json({"kind": "trailer", **{name: getattr(counts, name) for name in names}})


def check_header(line: str, where: str) -> int:
    """The format version of the export ``line`` heads; raises unless this adk-store reads
    it."""
    not_an_export = InvalidArgumentError(
        f"{where} is not an adk-store export header; the file was not written by adk-store export"
    )
    try:
        document = parse_line(line, where)
    except InvalidArgumentError:
        raise not_an_export from None
    if document.get("kind") != "header" or document.get("format") != FORMAT_NAME:
        raise not_an_export
    version = document.get("version")
    if version == 1:
        raise InvalidArgumentError(
            "the export is format version 1, which has no trailer, so one cut short cannot be "
            "told from a whole one; export the store again with this adk-store"
        )
    if type(version) is not int or version not in READ_VERSIONS:
        raise InvalidArgumentError(
            f"the export is format version {version!r}, not one this adk-store reads "
            f"({', '.join(map(str, READ_VERSIONS))}); read it with the adk-store that wrote "
            "it, or a newer one"
        )
    return version


def is_trailer(document: JsonDict) -> bool:
    return document.get("kind") == "trailer"


def check_trailer(
    document: JsonDict, counts: RecordCounts, where: str, version: int = FORMAT_VERSION
) -> None:
    """Raise unless the trailer ``document`` (of an export of format ``version``) counts
    exactly the records read before it."""
    names = _COUNT_NAMES[version]
    stated = {name: document.get(name) for name in names}
    if set(document) != {"kind", *names} or not all(
        type(count) is int and count >= 0 for count in stated.values()
    ):
        raise InvalidArgumentError(
            f"{where} is not an adk-store trailer of format version {version}: it must hold "
            f"exactly the counts {', '.join(names)}"
        )
    trailer = RecordCounts(**{name: int(count or 0) for name, count in stated.items()})
    if trailer != counts:
        raise InvalidArgumentError(
            f"the trailer on {where} counts {trailer}, but the lines before it hold {counts}: "
            "the export was changed or cut; export the store again"
        )


def parse_line(line: str, where: str) -> JsonDict:
    """The JSON object on one line; anything else raises :class:`InvalidArgumentError`."""
    try:
        document = json.loads(line, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidArgumentError(f"{where} is nested too deeply to read") from None
    except ValueError as error:
        raise InvalidArgumentError(f"{where} is not an adk-store record: {error}") from None
    if not isinstance(document, dict):
        raise InvalidArgumentError(f"{where} is not an adk-store record: not a JSON object")
    return document


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


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
    elif isinstance(record, Memory):
        document = memory_json(record)
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


def memory_json(memory: Memory) -> JsonDict:
    """A memory as a JSON object: every field, ``null`` where it has none."""
    return {
        "kind": "memory",
        "app_name": memory.app_name,
        "user_id": memory.user_id,
        "id": memory.id,
        "text": memory.text,
        "content": memory.content,
        "custom_metadata": memory.custom_metadata,
        "session_id": memory.session_id,
        "event_id": memory.event_id,
        "author": memory.author,
        "timestamp": memory.timestamp,
    }


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
    if "timestamp" in known:
        known["timestamp"] = check_seconds(known["timestamp"], "event timestamp")
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


def load_record(line: str, where: str = "record") -> StoredRecord:
    """Parse one record line; a malformed one raises :class:`InvalidArgumentError`."""
    return record_from_json(parse_line(line, where), where)


def record_from_json(document: JsonDict, where: str) -> StoredRecord:
    """The record a parsed line holds; a malformed one raises :class:`InvalidArgumentError`."""
    try:
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
    if kind == "memory":
        content = document["content"]
        if content is not None and not isinstance(content, dict):
            raise ValueError("content must be an object or null")
        return Memory(
            app_name=_text(document, "app_name"),
            user_id=_text(document, "user_id"),
            id=_text(document, "id"),
            text=_text(document, "text"),
            content=content,
            custom_metadata=_object(document, "custom_metadata"),
            session_id=_optional_text(document, "session_id"),
            event_id=_optional_text(document, "event_id"),
            author=_optional_text(document, "author"),
            timestamp=_number(document, "timestamp"),
        )
    raise ValueError(f"unknown kind {kind!r}")


def _text(document: JsonDict, name: str) -> str:
    value = document[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _optional_text(document: JsonDict, name: str) -> str | None:
    value = document[name]
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null")
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
    return check_seconds(value, name)
