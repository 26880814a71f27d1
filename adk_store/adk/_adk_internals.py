"""The one module that touches google-adk's private parts; check it when google-adk changes.

google-adk's ``Session`` keeps a private storage marker (``_storage_update_marker``) that its
own database services use to detect stale sessions. adk-store records the stored revision in
it, because the marker is carried along when google-adk copies a session. google-adk has it
since 1.28, the oldest release adk-store supports (an older one would need another place).
"""

from __future__ import annotations

from google.adk.sessions import Session as AdkSession

from .. import Session

_REVISION_MARKER_PREFIX = "adk-store:"


def remember_revision(session: AdkSession, stored: Session) -> None:
    """Record on ``session`` the stored version (revision and create time) it reflects.

    google-adk's ``Session`` keeps a private storage marker for exactly this purpose; it is
    carried along when the session is copied, so a copy is checked for staleness too.
    """
    session._storage_update_marker = (
        f"{_REVISION_MARKER_PREFIX}{stored.revision}:{stored.create_time!r}"
    )


def remembered_revision(session: AdkSession) -> tuple[int, float | None] | None:
    """The revision and create time :func:`remember_revision` recorded, or ``None`` for a
    session we did not produce (built by hand, or loaded by another session service)."""
    marker = session._storage_update_marker
    if marker is None or not marker.startswith(_REVISION_MARKER_PREFIX):
        return None
    digits, _, create_time = marker[len(_REVISION_MARKER_PREFIX) :].partition(":")
    if not digits.isdigit():
        return None
    try:
        created = None if create_time in ("", "None") else float(create_time)
    except ValueError:
        return None
    return int(digits), created


def copy_revision(session: AdkSession, source: AdkSession) -> None:
    """Record on ``session`` the stored version ``source`` reflects."""
    session._storage_update_marker = source._storage_update_marker
