"""google-adk objects to adk-store's framework-neutral ones and back, without loss.

An ADK event is dumped in pydantic's JSON mode under its JSON names, as google-genai's JSON
API spells them (bytes become base64 text, enums their values, sets sorted lists); what the
core models gets its own column, and every other field (``output``, ``nodeInfo``,
``actions.route``, fields a later google-adk adds, …) travels in ``extra``. Reading back
validates the same dict with google-adk's own model, so the event ``model_dump``s equal to
the one appended. ``None`` fields are left out, unless leaving them out would change what
comes back (a field whose default is not ``None``, say).
"""

from __future__ import annotations

import copy
import functools
import json
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from google.adk.events import Event as AdkEvent
from google.adk.sessions import Session as AdkSession
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from .. import Event, EventActions, Session, StateSerializationError, StoredEventError
from ._adk_internals import remember_revision

AdkEventT = TypeVar("AdkEventT", bound=AdkEvent)

_CORE_EVENT_FIELDS = frozenset(f.name for f in fields(Event)) - {"actions", "extra"}
_CORE_ACTION_FIELDS = frozenset(f.name for f in fields(EventActions)) - {"extra"}
_EVENT_FIELDS_READ_AS_ATTRIBUTES = frozenset({"id", "timestamp", "author", "invocation_id"})


def jsonable_state(state: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``state`` as JSON values, converted the way google-adk's database services do.

    >>> jsonable_state({"when": datetime.date(2026, 1, 2)}, "state")
    {'when': '2026-01-02'}
    """
    try:
        converted = to_jsonable_python(dict(state))
    except (PydanticSerializationError, ValueError) as error:
        # ValueError: bytes that are not UTF-8 (UnicodeDecodeError), among others.
        raise StateSerializationError(where, _first_line(error)) from None
    _refuse_non_finite(converted, where)
    return dict(converted)


def _first_line(error: Exception) -> str:
    return (str(error) or type(error).__name__).splitlines()[0]


def _refuse_non_finite(value: Any, where: str) -> None:
    """NaN and infinity have no JSON form: google-adk's serializer writes them as ``null``,
    which would store another value than the caller's."""
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is float:
            if not math.isfinite(item):
                raise StateSerializationError(where, f"{item!r} has no JSON form")
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            pending.extend(item)


def event_to_core(event: AdkEvent) -> Event:
    """The core :class:`~adk_store.Event` that stores ``event`` losslessly.

    >>> event_to_core(AdkEvent(author="user")).author
    'user'

    A value google-adk's serializer would store as something else (an object as its
    ``repr``, NaN as ``null``) raises :class:`~adk_store.StateSerializationError` instead.
    """
    where = f"event {event.id!r}"
    jsonable_state(event.actions.state_delta, f"{where} state_delta")
    _refuse_non_finite(event.model_dump(exclude_none=True), where)
    dumped = _json_dump(event)
    actions_alias = _aliases(type(event.actions))
    event_alias = _aliases(type(event))
    dumped_actions: dict[str, Any] = dumped.pop(event_alias["actions"], {})
    _take(dumped, _EVENT_FIELDS_READ_AS_ATTRIBUTES, event_alias)
    core_fields = _take(dumped, _CORE_EVENT_FIELDS, event_alias)
    action_fields = _take(dumped_actions, _CORE_ACTION_FIELDS, actions_alias)
    return Event(
        id=event.id,
        timestamp=event.timestamp,
        author=event.author,
        invocation_id=event.invocation_id,
        actions=EventActions(**action_fields, extra=dumped_actions),
        extra=dumped,
        **core_fields,
    )


def _json_dump(event: AdkEvent) -> dict[str, Any]:
    """``event`` as JSON under its JSON names; without ``None`` fields where that is lossless."""
    try:
        compact: dict[str, Any] = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        if _none_is_always_the_default(type(event)):
            return compact
        full: dict[str, Any] = event.model_dump(mode="json", by_alias=True)
    except PydanticSerializationError as error:
        raise StateSerializationError(f"event {event.id!r}", str(error)) from None
    reread = type(event).model_validate(compact).model_dump(mode="json", by_alias=True)
    return compact if reread == full else full


@functools.cache
def _none_is_always_the_default(model: type[BaseModel]) -> bool:
    """Whether leaving out ``None`` fields is lossless for every ``model``: no field of it, or
    of a model it can hold, accepts ``None`` while defaulting to something else."""
    seen: set[type[BaseModel]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for field in current.model_fields.values():
            default_is_none = field.default is None and field.default_factory is None
            if not default_is_none and _admits_none(field.annotation):
                return False
            pending.extend(_models_in(field.annotation))
    return True


def _admits_none(annotation: Any) -> bool:
    if annotation is None or annotation is type(None) or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _admits_none(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_admits_none(argument) for argument in typing.get_args(annotation))
    return False


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation names, at any depth (``list[Part] | None``: Part)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in typing.get_args(annotation) for model in _models_in(argument)]


def _take(dumped: dict[str, Any], names: frozenset[str], alias: dict[str, str]) -> dict[str, Any]:
    """Remove the fields ``names`` from ``dumped`` and return them under their field names."""
    return {
        name: dumped.pop(alias.get(name, name))
        for name in names
        if alias.get(name, name) in dumped
    }


@functools.cache
def _aliases(model: type[BaseModel]) -> dict[str, str]:
    """Each field's name in JSON, by field name."""
    return {name: field.alias or name for name, field in model.model_fields.items()}


def event_from_core(event: Event, event_type: type[AdkEventT]) -> AdkEventT:
    """The google-adk event that ``event`` stores, validated as ``event_type``.

    >>> event_from_core(event_to_core(adk_event), AdkEvent) == adk_event
    True
    """
    actions: dict[str, Any] = dict(event.actions.extra)
    for name in _CORE_ACTION_FIELDS:
        value = getattr(event.actions, name)
        if value is not None:
            actions[name] = value
    dumped: dict[str, Any] = dict(event.extra)
    for name in _CORE_EVENT_FIELDS:
        value = getattr(event, name)
        if value is not None:
            dumped[name] = value
    dumped["actions"] = actions
    return _validate_ignoring_unknown_fields(event_type, dumped)


def events_from_documents(
    documents: Sequence[str], event_type: type[AdkEventT], names: tuple[str, str, str]
) -> list[AdkEventT]:
    """google-adk events from the core's event documents, each validated once.

    ``names`` (app, user, session) name the session in the :class:`StoredEventError` raised
    for an event ``event_type`` refuses.

    >>> events_from_documents(snapshot.event_documents, AdkEvent, ("app", "ada", "s1"))
    """
    if not documents:
        return []
    try:
        return _list_of(event_type).validate_json("[" + ",".join(documents) + "]")
    except ValidationError:
        return [_event_from_document(document, event_type, names) for document in documents]


@functools.cache
def _list_of(event_type: type[AdkEventT]) -> TypeAdapter[list[AdkEventT]]:
    return TypeAdapter(list[event_type])  # type: ignore[valid-type]


def _event_from_document(
    document: str, event_type: type[AdkEventT], names: tuple[str, str, str]
) -> AdkEventT:
    try:
        return event_type.model_validate_json(document)
    except ValidationError:
        pass
    dumped = json.loads(document)
    try:
        return _validate_ignoring_unknown_fields(event_type, dumped)
    except ValidationError as error:
        raise StoredEventError(
            *names, str(dumped.get("id")), f"{event_type.__name__} refuses it ({_problems(error)})"
        ) from None


def _validate_ignoring_unknown_fields(
    event_type: type[AdkEventT], dumped: dict[str, Any]
) -> AdkEventT:
    """Validate ``dumped``, leaving out fields this google-adk does not know.

    A newer google-adk may have stored fields in models that refuse unknown fields (such as
    ``EventActions``); an older reader drops them rather than failing to load the session.
    """
    try:
        return event_type.model_validate(dumped)
    except ValidationError as error:
        unknown = [
            problem["loc"] for problem in error.errors() if problem["type"] == "extra_forbidden"
        ]
        if not unknown or len(unknown) != error.error_count():
            raise
        pruned = copy.deepcopy(dumped)
        for location in unknown:
            if not _remove(pruned, location):
                raise
        return event_type.model_validate(pruned)


def _remove(container: Any, location: tuple[int | str, ...]) -> bool:
    """Delete the item at ``location`` inside nested dicts and lists; whether it was there."""
    *parents, last = location
    for step in parents:
        try:
            container = container[step]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(container, dict) or last not in container:
        return False
    del container[last]
    return True


def _readable(event: Event, event_type: type[AdkEventT], session: Session) -> AdkEventT:
    try:
        return event_from_core(event, event_type)
    except ValidationError as error:
        raise StoredEventError(
            session.app_name,
            session.user_id,
            session.id,
            event.id,
            f"{event_type.__name__} refuses it ({_problems(error)})",
        ) from None


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(step) for step in problem['loc'])}: {problem['msg']}"
        for problem in error.errors(include_url=False)[:3]
    )


_MICROSECOND = 1e-6


def adk_update_time(session: Session) -> float:
    """google-adk's ``last_update_time``: the timestamp of the last event, or the creation
    time while there is none. (The core's own update time never goes back, so that lists
    paged by it skip nothing; an event with an earlier timestamp does not lower it.)"""
    last_event = session.last_event_time
    if last_event is None or abs(session.last_update_time - last_event) < _MICROSECOND:
        # The same instant to the microsecond, which is all google-adk's databases keep of
        # an update time: the stored one is what google-adk itself read (an import keeps it).
        return session.last_update_time
    return last_event


def session_from_core(session: Session, event_type: type[AdkEvent]) -> AdkSession:
    """The google-adk session for a core session, remembering its revision.

    >>> session_from_core(core_session, AdkEvent).id == core_session.id
    True
    """
    # Every value is already of the field's type (str, a fresh state dict, validated events,
    # float): constructing skips a second validation that would only copy the state (the
    # same object as validating it; a test compares the two).
    adk_session = AdkSession.model_construct(
        id=session.id,
        app_name=session.app_name,
        user_id=session.user_id,
        state=session.state,
        events=[_readable(event, event_type, session) for event in session.events],
        last_update_time=adk_update_time(session),
    )
    remember_revision(adk_session, session)
    return adk_session
