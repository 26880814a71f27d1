"""Writing records from an export (or another store) into this one.

A session is written with its times and all its events in one transaction; its revision is
its number of events, and event ``seq`` numbers follow the record's order. App and user state
are merged key by key into what the store holds, as a state delta would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._append_outcome import sent_once
from ._codec import RowCodec, revision_from_row
from ._errors import (
    EventExistsError,
    InvalidArgumentError,
    OutcomeUnknownError,
    SessionExistsError,
)
from ._records import AppStateRecord, SessionRecord, UserStateRecord
from ._runtime import Connection, ConnectionPool
from ._state import check_state_values
from ._store import Store
from ._validate import check_seconds

_SHARED_PREFIXES = ("app:", "user:", "temp:")


@dataclass(frozen=True)
class SessionImport:
    """A session record checked and encoded into row values, ready to write."""

    session_values: dict[str, Any]
    event_values: list[dict[str, Any]]


def check_session_record(record: SessionRecord) -> None:
    """What can be checked of ``record`` without a database: scopes, state values (as
    ``create_session`` checks them), times, event ids."""
    where = _where(record)
    prefixed = sorted(
        key for key in record.state if isinstance(key, str) and key.startswith(_SHARED_PREFIXES)
    )
    if prefixed:
        raise InvalidArgumentError(
            f"{where}: session state holds the session scope only, not {', '.join(prefixed)}; "
            "import app and user state as their own records"
        )
    check_state_values(record.state, f"{where} state")
    check_seconds(record.create_time, f"{where} create_time")
    check_seconds(record.update_time, f"{where} update_time")
    seen: set[str] = set()
    for event in record.events:
        if event.id in seen:
            raise EventExistsError(record.app_name, record.user_id, record.id, event.id)
        seen.add(event.id)


def check_state_record(record: AppStateRecord | UserStateRecord) -> None:
    """Check an app's or a user's recorded state as ``create_session`` checks state."""
    if isinstance(record, UserStateRecord):
        where = f"user {record.user_id!r} of app {record.app_name!r} state"
    else:
        where = f"app {record.app_name!r} state"
    check_state_values(record.state, where)


def prepare_session_import(record: SessionRecord, codec: RowCodec) -> SessionImport:
    """Check ``record`` and encode its rows; raises before anything is written."""
    check_session_record(record)
    where = _where(record)
    key = {"app_name": record.app_name, "user_id": record.user_id, "session_id": record.id}
    session_values = {
        **key,
        "session_state": codec.state_json(record.state, f"{where} state"),
        "revision": len(record.events),
        "create_time": float(record.create_time),
        "update_time": float(record.update_time),
    }
    event_values = [
        {**key, **codec.event_values(event), "seq": seq}
        for seq, event in enumerate(record.events, start=1)
    ]
    return SessionImport(session_values, event_values)


async def write_session_import(
    connection: Connection, prepared: SessionImport, store: Store
) -> None:
    """Insert the session and its events (call inside a write transaction)."""
    try:
        await connection.execute(store.store_statements.import_session, prepared.session_values)
    except Exception as error:
        if store.dialect.is_unique_violation(error):
            values = prepared.session_values
            raise SessionExistsError(
                values["app_name"], values["user_id"], values["session_id"]
            ) from None
        raise
    if prepared.event_values:
        await store.dialect.insert_rows(
            connection, store.statements.insert_event, prepared.event_values
        )


async def store_session_import(
    pool: ConnectionPool, prepared: SessionImport, store: Store
) -> None:
    """:func:`write_session_import` in a write transaction on a writer connection; when the
    connection fails after its ``COMMIT`` was sent, the session is looked up on a new one
    (see :func:`~adk_store._append_outcome.sent_once`): stored with the recorded create time,
    the import succeeded."""
    values = prepared.session_values
    names = values["app_name"], values["user_id"], values["session_id"]
    key = {"app_name": names[0], "user_id": names[1], "session_id": names[2]}
    committing = False

    async def write(connection: Connection) -> bool:
        nonlocal committing
        async with store.write_transaction(connection):
            await write_session_import(connection, prepared, store)
            committing = True
        return True

    async def look_up(connection: Connection) -> bool | None:
        row = await connection.fetch_one(store.statements.select_revision, key)
        if row is None:
            return None  # not stored (or stored and deleted since, which leaves nothing)
        _, create_time = revision_from_row(row)
        if create_time != values["create_time"]:
            raise OutcomeUnknownError(*names, event_id=None, reason=_replaced)
        return True

    def unknown(reason: str) -> OutcomeUnknownError:
        return OutcomeUnknownError(*names, event_id=None, reason=reason)

    await sent_once(
        pool,
        store,
        write,
        look_up,
        unknown,
        find_out_within=store.find_out_within,
        committing=lambda: committing,
    )


_replaced = (
    "the connection failed after it was sent, and another session was created under its key since"
)


def _where(record: SessionRecord) -> str:
    return f"session {record.id!r} of user {record.user_id!r} in app {record.app_name!r}"
