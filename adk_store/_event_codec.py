"""Events to column values, and columns back to events or to JSON documents: the event
half of :class:`~adk_store._codec.RowCodec`, which calls these with its dialect.

An event's modelled fields that have a column of their own are stored there; ``content``,
``actions`` and the other fields (``extra_fields``) are JSON. What the dialect escapes to
store it (NUL on PostgreSQL) is restored on the way out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Container, Sequence
from dataclasses import fields
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from ._errors import InvalidArgumentError
from ._json_text import check_encodable, dumps
from ._models import Event, EventActions, JsonDict
from ._schema import EVENT_COLUMNS
from ._state import check_json_value
from .dialects import Dialect

_ACTION_FIELDS = tuple(f.name for f in fields(EventActions) if f.name != "extra")
_ACTION_DEFAULTS = {name: EventActions().__dict__[name] for name in _ACTION_FIELDS}

_EVENT_COLUMN_FIELDS = frozenset(EVENT_COLUMNS) - {"seq", "extra_fields"}
"""Event fields stored in a column of their own; the others go to ``extra_fields``."""
_EXTRA_EVENT_FIELDS = tuple(
    f.name for f in fields(Event) if f.name not in _EVENT_COLUMN_FIELDS and f.name != "extra"
)
_TEXT_COLUMNS = ("id", "invocation_id", "author", "branch", "error_code", "error_message")


def event_values(event: Event, dialect: Dialect) -> dict[str, Any]:
    """Column values for ``event`` (the caller adds the session key and ``seq``)."""
    timestamp = event.timestamp
    if type(timestamp) is not float:
        if not isinstance(timestamp, (int, float)) or isinstance(timestamp, bool):
            raise InvalidArgumentError(
                f"event {event.id!r}: timestamp must be a float, not {timestamp!r}"
            )
        try:
            timestamp = float(timestamp)
        except OverflowError:
            raise InvalidArgumentError(
                f"event {event.id!r}: timestamp must be finite, not an integer too large "
                "for a float"
            ) from None
    if not math.isfinite(timestamp):
        raise InvalidArgumentError(
            f"event {event.id!r}: timestamp must be finite, not {timestamp!r}"
        )
    values: dict[str, Any] = {"timestamp": timestamp}
    for name in _TEXT_COLUMNS:
        text = getattr(event, name)
        if text is not None:
            if not isinstance(text, str):
                raise InvalidArgumentError(
                    f"event {event.id!r}: {name} must be a str, not {type(text).__name__}"
                )
            check_encodable(text, f"event {event.id!r} {name}")
            text = dialect.encode_text(text)
        values[name] = text
    where = f"event {event.id!r}"
    values["content"] = (
        None if event.content is None else _json(event.content, f"{where} content", dialect)
    )
    values["actions"] = _json(_actions_dict(event.actions), f"{where} actions", dialect)
    values["extra_fields"] = _json(_extra_fields(event), where, dialect)
    return values


def _json(value: Any, where: str, dialect: Dialect) -> str:
    # The same strict check as state: JSON would turn a tuple into a list or an int key
    # into a str, and the event would no longer read back as it was appended.
    check_json_value(value, where)
    return dialect.adapt_json(dumps(value, where), where)


def events_from_values(values: Sequence[tuple[Any, ...]], dialect: Dialect) -> list[Event]:
    """:class:`Event` objects from the values of rows in ``EVENT_COLUMNS`` order.

    The three JSON columns of every row are parsed in one ``json.loads`` call over a single
    array: the parser's per-call cost, not the text, dominates for typical events.
    """
    if not values:
        return []
    documents = json.loads(
        dialect.restore_json(
            "["
            + ",".join(
                f"{'null' if row[8] is None else row[8]},{row[9]},{row[10]}" for row in values
            )
            + "]"
        )
    )
    escape = dialect.text_escape
    if escape is not None and escape in "".join(
        text for row in values for text in row[2:8] if type(text) is str
    ):
        values = [_restore_text_columns(row, dialect) for row in values]
    return [
        _event(row, documents[3 * index], documents[3 * index + 1], documents[3 * index + 2])
        for index, row in enumerate(values)
    ]


def event_documents(values: Sequence[tuple[Any, ...]], dialect: Dialect) -> list[str]:
    """The values of each row of ``EVENT_COLUMNS`` as one event's JSON document, without
    parsing it.

    The document holds the modelled fields under their names, ``content`` and
    ``actions`` as stored, and the stored extra fields at the top level: what a reader
    with a model of its own (google-adk's ``Event``) validates in one step. The stored
    JSON is spliced in as text; what the dialect escaped is restored only in a document
    that holds its marker.
    """
    restore = dialect.restore_json
    return [restore(_event_document(EventColumns(*row))) for row in values]


def _restore_text_columns(row: tuple[Any, ...], dialect: Dialect) -> tuple[Any, ...]:
    restore = dialect.restore_text
    return (
        *row[:2],
        *(None if text is None else restore(text) for text in row[2:5]),
        row[5],
        *(None if text is None else restore(text) for text in row[6:8]),
        *row[8:],
    )


def _actions_dict(actions: EventActions) -> JsonDict:
    stored = {
        name: value
        for name in _ACTION_FIELDS
        if (value := getattr(actions, name)) != _ACTION_DEFAULTS[name]
    }
    _refuse_shadowing(actions.extra, stored.keys() | set(_ACTION_FIELDS), "actions.extra")
    stored.update(actions.extra)
    return stored


def _extra_fields(event: Event) -> JsonDict:
    stored = {
        name: value for name in _EXTRA_EVENT_FIELDS if (value := getattr(event, name)) is not None
    }
    _refuse_shadowing(event.extra, set(_EXTRA_EVENT_FIELDS) | _EVENT_COLUMN_FIELDS, "extra")
    stored.update(event.extra)
    return stored


def _refuse_shadowing(extra: JsonDict, modelled: set[str], where: str) -> None:
    clash = sorted(modelled.intersection(extra))
    if clash:
        raise InvalidArgumentError(
            f"{where} repeats modelled field(s) {', '.join(clash)}: set the field itself"
        )


class EventColumns(NamedTuple):
    """A row of ``EVENT_COLUMNS``, in their order."""

    seq: int
    id: str
    invocation_id: str
    author: str
    branch: str | None
    timestamp: float
    error_code: str | None
    error_message: str | None
    content: str | None
    actions: str
    extra_fields: str


def _json_string(text: str | None) -> str:
    return "null" if text is None else encode_basestring(text)


def _event_document(columns: EventColumns) -> str:
    extra = columns.extra_fields.strip()[1:-1].strip()
    return (
        f'{{"id":{encode_basestring(columns.id)},'
        f'"invocation_id":{encode_basestring(columns.invocation_id)},'
        f'"author":{encode_basestring(columns.author)},'
        f'"branch":{_json_string(columns.branch)},'
        f'"timestamp":{float(columns.timestamp)!r},'
        f'"error_code":{_json_string(columns.error_code)},'
        f'"error_message":{_json_string(columns.error_message)},'
        f'"content":{"null" if columns.content is None else columns.content},'
        f'"actions":{columns.actions}{"," + extra if extra else ""}}}'
    )


def _event(
    row: tuple[Any, ...], content: JsonDict | None, actions: JsonDict, extra_fields: JsonDict
) -> Event:
    _seq, event_id, invocation_id, author, branch, timestamp, error_code, error_message = row[:8]
    fields, extra = _split_modelled(extra_fields, _EXTRA_EVENT_FIELDS)
    action_fields, action_extra = _split_modelled(actions, _ACTION_DEFAULTS)
    return Event(
        id=event_id,
        invocation_id=invocation_id,
        author=author,
        branch=branch,
        timestamp=timestamp,
        error_code=error_code,
        error_message=error_message,
        content=content,
        actions=EventActions(**action_fields, extra=action_extra),
        **fields,
        extra=extra,
    )


def _split_modelled(stored: JsonDict, modelled: Container[str]) -> tuple[JsonDict, JsonDict]:
    """``stored`` split into the fields a dataclass models and the rest (its ``extra``)."""
    if all(name in modelled for name in stored):
        return stored, {}
    known = {name: value for name, value in stored.items() if name in modelled}
    return known, {name: value for name, value in stored.items() if name not in modelled}
