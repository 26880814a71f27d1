"""Deleting a session: its events and its row in one transaction.

When the connection fails after the ``COMMIT`` was sent, the session is looked up on a new
connection (see :func:`~adk_store._append_outcome.sent_once`): gone, or another session (with
another create time) in its place, the delete succeeded; still there, the failure is raised.
"""

from __future__ import annotations

from ._append_outcome import sent_once
from ._codec import revision_from_row, row_values
from ._errors import OutcomeUnknownError
from ._runtime import Connection, ConnectionPool
from ._store import Store


async def write_delete(
    pool: ConnectionPool, key: dict[str, str], store: Store, *, find_out_within: float
) -> None:
    """Delete the session under ``key`` (``app_name``, ``user_id``, ``session_id``) and its
    events; a missing session is not an error."""
    statements = store.statements
    deleted: list[float] = []
    """The create time of the session the delete removed, once its statement answered."""
    committing = False

    async def write(connection: Connection) -> bool:
        nonlocal committing
        async with store.write_transaction(connection):
            await connection.execute(statements.delete_events, key)
            rows = await connection.fetch_all(statements.delete_session, key)
            deleted.extend(row_values(row)[0] for row in rows)
            committing = True
        return True

    async def look_up(connection: Connection) -> bool | None:
        row = await connection.fetch_one(statements.select_revision, key)
        if row is None or not deleted:
            return True  # gone; or there was none to delete
        _, create_time = revision_from_row(row)
        return None if create_time == deleted[0] else True

    def unknown(reason: str) -> OutcomeUnknownError:
        names = key["app_name"], key["user_id"], key["session_id"]
        return OutcomeUnknownError(*names, event_id=None, reason=reason, deleting=True)

    await sent_once(
        pool,
        store,
        write,
        look_up,
        unknown,
        find_out_within=find_out_within,
        committing=lambda: committing,
    )
