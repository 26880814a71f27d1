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
from ._codec import RowCodec, SharedStateJson
from ._errors import SessionExistsError
from ._models import JsonDict, Session
from ._runtime import Connection, ConnectionPool, run_to_completion
from ._state import merge_scopes, split_state_delta
from ._store import Store


@dataclass(frozen=True)
class PreparedCreate:
    """A new session checked and encoded, ready for the database."""

    key: dict[str, str]
    """``app_name``, ``user_id``, ``session_id``: the session's key as statement values."""
    session_state: JsonDict
    session_json: str
    shared: SharedStateJson
    now: float

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


async def write_create(pool: ConnectionPool, create: PreparedCreate, store: Store) -> Any:
    """Store the session and merge its shared state; the ``Statements.select_scopes`` row
    after it. A session stored under the key already raises :class:`SessionExistsError`."""
    sql = store.statements
    async with pool.writer() as connection:
        if sql.one_statement_create is not None:
            return await _create_in_one_statement(connection, create, store)
        async with store.write_transaction(connection):
            try:
                await connection.execute(
                    sql.insert_session,
                    {**create.key, "session_state": create.session_json, "now": create.now},
                )
            except Exception as error:
                raise _exists(error, create, store) from None
            await merge_shared_state(connection, store, create.key, create.shared, create.now)
            row = await connection.fetch_one(
                sql.select_scopes,
                {"app_name": create.key["app_name"], "user_id": create.key["user_id"]},
            )
            assert row is not None
            return row


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
