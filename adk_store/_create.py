"""Creating a session: its row, and the app and user state its ``app:``/``user:`` keys go to.

1. :func:`prepare_create` splits the state into its scopes and encodes them (no I/O).
2. :func:`write_create` stores the session and merges the shared state: in one statement
   where the dialect has one (in autocommit mode, its own transaction, as an append's), else
   in a write transaction. Either way it returns the row of the app and user state as they
   are after it, which :meth:`PreparedCreate.session` merges into the new session's state.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._append import merge_shared_state
from ._append_outcome import sent_once
from ._codec import RowCodec, SharedStateJson, revision_from_row
from ._errors import OutcomeUnknownError, SessionExistsError
from ._models import JsonDict, Session
from ._runtime import Connection, ConnectionPool, run_to_completion
from ._state import merge_scopes, split_state_delta
from ._store import Store
from ._telemetry import logger


@dataclass(frozen=True)
class PreparedCreate:
    """A new session checked and encoded, ready for the database."""

    key: dict[str, str]
    """``app_name``, ``user_id``, ``session_id``: the session's key as statement values."""
    session_state: JsonDict
    session_json: str
    shared: SharedStateJson
    now: float

    @property
    def names(self) -> tuple[str, str, str]:
        """App name, user id and session id, for messages."""
        return self.key["app_name"], self.key["user_id"], self.key["session_id"]

    def session(self, app_state: JsonDict, user_state: JsonDict) -> Session:
        """The session as created, with the app and user state stored after it."""
        return Session(
            id=self.key["session_id"],
            app_name=self.key["app_name"],
            user_id=self.key["user_id"],
            state=merge_scopes(app_state, user_state, self.session_state),
            last_update_time=self.now,
            revision=0,
            create_time=self.now,
        )


def prepare_create(
    key: dict[str, str], state: Mapping[str, Any] | None, codec: RowCodec
) -> PreparedCreate:
    """Split ``state`` into its scopes and encode them; raises before any I/O."""
    scoped = split_state_delta(state or {})
    now = time.time()
    session_json = codec.state_json(scoped.session_state, "state")
    shared = codec.shared_state_json(scoped, "state")
    return PreparedCreate(key, scoped.session_state, session_json, shared, now)


async def write_create(
    pool: ConnectionPool, create: PreparedCreate, store: Store, *, find_out_within: float
) -> Any:
    """Store the session and merge its shared state; the ``Statements.select_scopes`` row
    after it. A session stored under the key already raises :class:`SessionExistsError`.

    When the connection fails after the create was sent, the session is looked up on a new
    connection (see :func:`~adk_store._append_outcome.sent_once`)."""
    committing = False

    async def write(connection: Connection) -> Any:
        nonlocal committing
        if store.statements.one_statement_create is not None:
            committing = True  # the one statement commits on its own
            return await _create_in_one_statement(connection, create, store)
        async with store.write_transaction(connection):
            row = await _create_in_transaction(connection, create, store)
            committing = True
        return row

    async def look_up(connection: Connection) -> Any:
        return await _created(connection, create, store)

    def unknown(reason: str) -> OutcomeUnknownError:
        return OutcomeUnknownError(*create.names, event_id=None, reason=reason)

    return await sent_once(
        pool,
        store,
        write,
        look_up,
        unknown,
        find_out_within=find_out_within,
        committing=lambda: committing,
    )


async def _create_in_transaction(
    connection: Connection, create: PreparedCreate, store: Store
) -> Any:
    sql = store.statements
    try:
        await connection.execute(
            sql.insert_session,
            {**create.key, "session_state": create.session_json, "now": create.now},
        )
    except Exception as error:
        raise _exists(error, create, store) from None
    await merge_shared_state(connection, store, create.key, create.shared, create.now)
    return await _scopes(connection, create, store)


async def _scopes(connection: Connection, create: PreparedCreate, store: Store) -> Any:
    row = await connection.fetch_one(
        store.statements.select_scopes,
        {"app_name": create.key["app_name"], "user_id": create.key["user_id"]},
    )
    assert row is not None
    return row


async def _created(connection: Connection, create: PreparedCreate, store: Store) -> Any | None:
    """What a successful create would have returned, if this create's session is stored;
    ``None`` if it is not, and nothing else of it could be either."""
    row = await connection.fetch_one(store.statements.select_revision, create.key)
    if row is None:
        if create.shared.app_json is None and create.shared.user_json is None:
            # Not stored; or stored and deleted since, which leaves the same data behind.
            return None
        reason = "the connection failed after it was sent, and its session is not stored"
        raise OutcomeUnknownError(
            *create.names,
            event_id=None,
            reason=f"{reason} (its app: and user: state may have been, if it was deleted since)",
        )
    _, create_time = revision_from_row(row)
    if create_time != create.now:
        # Another caller's session: this create failed on it, or was committed and then
        # deleted before the other was created.
        raise OutcomeUnknownError(
            *create.names,
            event_id=None,
            reason="the connection failed after it was sent, and another session was created "
            "under its key since",
        )
    logger.debug("a failed create was committed after all")
    return await _scopes(connection, create, store)


async def _create_in_one_statement(
    connection: Connection, create: PreparedCreate, store: Store
) -> Any:
    statement = store.statements.one_statement_create
    assert statement is not None
    values = {
        **create.key,
        "session_state": create.session_json,
        "now": create.now,
        "update_time": create.now,
        "app_state_delta": create.shared.app_json,
        "user_state_delta": create.shared.user_json,
    }
    try:
        # Autocommit: the statement is its own transaction (see _append).
        return await run_to_completion(connection, connection.fetch_one(statement, values))
    except Exception as error:
        raise _exists(error, create, store) from None


def _exists(error: Exception, create: PreparedCreate, store: Store) -> Exception:
    if store.dialect.is_unique_violation(error):
        return SessionExistsError(
            create.key["app_name"], create.key["user_id"], create.key["session_id"]
        )
    return error
