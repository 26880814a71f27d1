"""Checking sessions against google-adk's ``Event`` model before a store holds them.

The core stores any event its own model admits; google-adk's ``Event`` admits fewer (its
content must be a ``Content``, an author a string, and so on). An event it refuses would make
every later ``AdkSessionService.get_session`` of its session raise ``StoredEventError``, so
``adk-store import`` refuses such an event before anything is written: it passes
:func:`check_adk_events` to :func:`adk_store.import_jsonl` as ``check_session``.

>>> await import_jsonl(service, stream, check_session=check_adk_events)
"""

from __future__ import annotations

from google.adk.events import Event as AdkEvent
from pydantic import ValidationError

from .. import InvalidArgumentError, SessionRecord
from ._convert import event_from_core


def check_adk_events(record: SessionRecord) -> None:
    """Raise :class:`InvalidArgumentError` naming the session and the event if google-adk's
    ``Event`` refuses an event of ``record``."""
    for event in record.events:
        try:
            event_from_core(event, AdkEvent)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(step) for step in problem['loc'])}: {problem['msg']}"
                for problem in error.errors(include_url=False)[:3]
            )
            raise InvalidArgumentError(
                f"session {record.id!r} of user {record.user_id!r} in app "
                f"{record.app_name!r}: google-adk's Event refuses event {event.id!r} "
                f"({problems}); AdkSessionService could not read the session back"
            ) from None
