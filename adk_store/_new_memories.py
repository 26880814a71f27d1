"""Memories made from what a caller hands over (a session's events, :class:`NewMemory`
values, an imported :class:`Memory`), checked before anything is written.

Nothing here does I/O: :class:`MemoryService` stores what these functions return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import InvalidArgumentError
from ._memory_models import Memory, NewMemory
from ._memory_text import content_text, derived_memory_id
from ._models import Event, JsonDict
from ._state import check_json_value
from ._validate import check_id, check_seconds


def memories_of_events(
    app_name: str,
    user_id: str,
    events: Sequence[Event],
    session_id: str | None,
    metadata: JsonDict,
) -> list[Memory]:
    """The memories of the events that hold text (partial ones and thoughts are left out),
    each with an id derived from its session and event ids."""
    found: list[Memory] = []
    for event in events:
        if not isinstance(event, Event):
            raise InvalidArgumentError(f"events must be Events, not {type(event).__name__}")
        check_id(event.id, "event id")
        text = content_text(event.content)
        if event.partial or not text:
            continue
        found.append(
            Memory(
                app_name=app_name,
                user_id=user_id,
                id=derived_memory_id("event", session_id, event.id),
                text=text,
                content=event.content,
                custom_metadata=metadata,
                session_id=session_id,
                event_id=event.id,
                author=event.author,
                timestamp=check_seconds(event.timestamp, f"event {event.id!r} timestamp"),
            )
        )
    return found


def memory_of(app_name: str, user_id: str, new: NewMemory, shared: JsonDict, now: float) -> Memory:
    """The memory ``new`` describes, with ``shared`` metadata under its own and an id
    derived from its text, content and author unless it has one."""
    if not isinstance(new, NewMemory):
        raise InvalidArgumentError(f"memories must be NewMemory, not {type(new).__name__}")
    if new.content is not None and not isinstance(new.content, dict):
        raise InvalidArgumentError(
            f"a memory's content must be a dict, not {type(new.content).__name__}"
        )
    if new.text is not None and not isinstance(new.text, str):
        raise InvalidArgumentError(f"a memory's text must be a str, not {type(new.text).__name__}")
    text = new.text if new.text is not None else content_text(new.content)
    if not text.strip():
        raise InvalidArgumentError("a memory needs text: give text, or content with text parts")
    if new.author is not None:
        check_id(new.author, "author")
    if new.content is not None:
        check_json_value(new.content, "memory content")
    memory_id = new.id
    if memory_id is None:
        memory_id = derived_memory_id("memory", text, new.content, new.author)
    check_id(memory_id, "memory id")
    timestamp = now if new.timestamp is None else check_seconds(new.timestamp, "timestamp")
    return Memory(
        app_name=app_name,
        user_id=user_id,
        id=memory_id,
        text=text,
        content=new.content,
        custom_metadata={**shared, **checked_metadata(new.custom_metadata)},
        author=new.author,
        timestamp=timestamp,
    )


def check_memory(memory: Memory) -> None:
    """What :meth:`MemoryService.import_memory` checks of ``memory`` before it writes:
    its ids, text, content, metadata and time."""
    if not isinstance(memory, Memory):
        raise InvalidArgumentError(f"memory must be a Memory, not {type(memory).__name__}")
    check_owner(memory.app_name, memory.user_id)
    check_id(memory.id, "memory id")
    for name in ("session_id", "event_id", "author"):
        value = getattr(memory, name)
        if value is not None:
            check_id(value, name)
    if not isinstance(memory.text, str) or not memory.text.strip():
        raise InvalidArgumentError(f"memory {memory.id!r} has no text")
    if memory.content is not None and not isinstance(memory.content, dict):
        raise InvalidArgumentError(f"memory {memory.id!r}: content must be a dict")
    checked_metadata(memory.custom_metadata)
    check_seconds(memory.timestamp, f"memory {memory.id!r} timestamp")


def check_owner(app_name: str, user_id: str) -> None:
    """Check the app and user a memory belongs to."""
    check_id(app_name, "app_name")
    check_id(user_id, "user_id")


def checked_metadata(custom_metadata: Mapping[str, Any] | None) -> JsonDict:
    """``custom_metadata`` as a dict of JSON values (``{}`` for ``None``)."""
    if custom_metadata is None:
        return {}
    if not isinstance(custom_metadata, Mapping):
        raise InvalidArgumentError(
            f"custom_metadata must be a mapping, not {type(custom_metadata).__name__}"
        )
    metadata = dict(custom_metadata)
    check_json_value(metadata, "custom_metadata")
    return metadata
