"""Memories as values: what is stored (:class:`Memory`) and what a caller adds
(:class:`NewMemory`). Plain dataclasses, framework-neutral."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._models import JsonDict


@dataclass(frozen=True)
class Memory:
    """One stored memory: text an agent may recall, scoped to an app and a user.

    ``text`` is what a search reads; ``content`` the content it came with (a google-genai
    ``Content`` as JSON for memories of events; ``None`` when only text was given).
    ``session_id``, ``event_id``, ``author`` and ``timestamp`` say where and when it came
    from (``session_id`` and ``event_id`` are ``None`` for a memory added on its own).
    """

    app_name: str
    user_id: str
    id: str
    text: str
    content: JsonDict | None = None
    custom_metadata: JsonDict = field(default_factory=dict)
    session_id: str | None = None
    event_id: str | None = None
    author: str | None = None
    timestamp: float = 0.0


@dataclass(frozen=True)
class NewMemory:
    """A memory to add on its own (not from a session's events).

    Give ``text``, or ``content`` whose parts hold text (a google-genai ``Content`` as
    JSON), or both. Without ``id`` it gets one derived from its text, content and author, so
    that adding the same memory twice stores it once. ``timestamp`` defaults to now.

    >>> NewMemory(text="Ada prefers oat milk", author="user")
    """

    text: str | None = None
    content: JsonDict | None = None
    id: str | None = None
    author: str | None = None
    timestamp: float | None = None
    custom_metadata: JsonDict | None = None
