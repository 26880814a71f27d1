"""The append algorithm, the heart of the library.

1. :func:`prepare_append` checks the arguments and turns the event into row values (no I/O).
2. :func:`write_append` tries the one-statement append (the dialect's, in autocommit mode);
   if the session moved on and stale appends are allowed, it falls back to an explicit
   transaction that appends after the others and reads back what the caller missed.
3. :func:`bring_up_to_date` then records the outcome on the caller's ``Session`` and
   ``Event``, with no ``await`` after the commit, so a caller cancelled once the commit was
   under way still finds its session matching what was stored.

Step 2 runs on a writer connection of the pool through ``_append_outcome``, which also finds
out whether an append whose reply was lost was committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ._codec import RowCodec, SharedStateJson, revision_from_row
from ._errors import (
    EventExistsError,
    InvalidArgumentError,
    SessionNotFoundError,
    StaleSessionError,
)
from ._models import Event, JsonDict, Session
from ._runtime import Connection
from ._state import TEMP_PREFIX, split_state_delta, without_temp
from ._store import Store
from ._telemetry import logger
from ._validate import check_id, check_timestamp


@dataclass(frozen=True)
class PreparedAppend:
    """An append checked and encoded, ready for the database."""

    key: dict[str, str]
    """``app_name``, ``user_id``, ``session_id``: the session's key as statement values."""
    event_id: str
    stored_event: Event
    """The event as it is stored (its delta without ``temp:`` keys)."""
    event_values: dict[str, Any]
    full_delta: JsonDict
    """The event's whole state delta, ``temp:`` keys included (applied in memory only)."""
    stored_delta: JsonDict
    """The part of the delta that is stored with the event (no ``temp:`` keys)."""
    session_delta: str
    shared: SharedStateJson
    expected_revision: int
    created: float | None
    allow_stale: bool

    @property
    def names(self) -> tuple[str, str, str]:
        return self.key["app_name"], self.key["user_id"], self.key["session_id"]

    @property
    def timestamp(self) -> float:
        return float(self.event_values["timestamp"])


@dataclass(frozen=True)
class AppendOutcome:
    """What was committed: the new revision, and for a stale caller what it missed."""

    revision: int
    missed_events: list[Event]
    stored_session: Session | None
    """The session as stored after the append, when the caller's copy was stale."""
    later_events: list[Event] = field(default_factory=list)
    """Events other writers appended after this one before it was known to be stored (only
    when the outcome of a failed append was looked up): ``stored_session`` includes them."""


def prepare_append(
    session: Session, event: Event, codec: RowCodec, *, allow_stale: bool
) -> PreparedAppend:
    """Check ``session`` and ``event`` and encode the event; raises before any I/O."""
    for value, name in (
        (session.app_name, "app_name"),
        (session.user_id, "user_id"),
        (session.id, "session_id"),
        (event.id, "event id"),
    ):
        check_id(value, name)
    if not event.id:
        raise InvalidArgumentError(f"event id must not be empty (session {session.id!r})")
    where = f"event {event.id!r} state_delta"
    full_delta = dict(event.actions.state_delta)
    scoped = split_state_delta(full_delta, where=where)
    stored_delta = without_temp(full_delta)
    stored_event = replace(event, actions=replace(event.actions, state_delta=stored_delta))
    event_values = codec.event_values(stored_event)
    session_delta = codec.state_json(scoped.session_state, where)
    shared = codec.shared_state_json(scoped, where)
    return PreparedAppend(
        key={"app_name": session.app_name, "user_id": session.user_id, "session_id": session.id},
        event_id=event.id,
        stored_event=stored_event,
        event_values=event_values,
        full_delta=full_delta,
        stored_delta=stored_delta,
        session_delta=session_delta,
        shared=shared,
        expected_revision=session.revision,
        created=check_timestamp(session.create_time, "session.create_time"),
        allow_stale=allow_stale,
    )


async def write_append(
    connection: Connection, append: PreparedAppend, store: Store
) -> AppendOutcome:
    """Store the event and apply its deltas; raise if the session is missing or (unless
    stale appends are allowed) has moved on since the caller loaded it."""
    revision = await _append_if_current(connection, append, store)
    if revision is not None:
        return AppendOutcome(revision, [], None)
    return await _append_after_the_others(connection, append, store)


async def _append_if_current(
    connection: Connection, append: PreparedAppend, store: Store
) -> int | None:
    """The one-statement append; ``None`` if the session moved on (nothing written)."""
    values = {
        **append.key,
        **append.event_values,
        "expected": append.expected_revision,
        "created": append.created,
        "session_delta": append.session_delta,
        "update_time": append.timestamp,
        "app_state_delta": append.shared.app_json,
        "user_state_delta": append.shared.user_json,
    }
    try:
        revision = await store.dialect.run_one_statement_append(
            connection, store.statements.one_statement_append, values
        )
    except Exception as error:
        raise _event_exists(error, append, store) or error from None
    if revision is not None:
        return revision
    stored = await connection.fetch_one(store.statements.select_revision, append.key)
    if stored is None:
        raise SessionNotFoundError(*append.names)
    stored_revision, stored_create_time = revision_from_row(stored)
    recreated = append.created is not None and stored_create_time != append.created
    if recreated or not append.allow_stale:
        # A session deleted and created again is another session: never append to it
        # through a copy of the old one, even when stale appends are allowed.
        raise _stale(append, stored_revision)
    return None


async def _append_after_the_others(
    connection: Connection, append: PreparedAppend, store: Store
) -> AppendOutcome:
    """The general append, in a transaction: it also reads back what a stale caller missed."""
    expected = append.expected_revision
    statements = store.statements
    async with store.write_transaction(connection):
        bump_values = {
            **append.key,
            "session_delta": append.session_delta,
            "update_time": append.timestamp,
            "created": append.created,
        }
        *bump, read_revision = statements.bump_session
        for statement in bump:
            await connection.execute(statement, bump_values)
        revision = await connection.fetch_val(read_revision, bump_values)
        if revision is None:
            raise SessionNotFoundError(*append.names)
        if revision != expected + 1 and not append.allow_stale:
            raise _stale(append, revision - 1)
        try:
            await connection.execute(
                statements.insert_event, {**append.key, **append.event_values, "seq": revision}
            )
        except Exception as error:
            raise _event_exists(error, append, store) or error from None
        await merge_shared_state(connection, store, append.key, append.shared, append.timestamp)
        if revision == expected + 1:
            return AppendOutcome(revision, [], None)
        missed = await connection.fetch_all(
            statements.select_events_between,
            {**append.key, "after_seq": expected, "before_seq": revision},
        )
        stored_row = await connection.fetch_one(statements.select_session, append.key)
        assert stored_row is not None, "the session row was just updated in this transaction"
    codec = store.codec
    return AppendOutcome(
        revision, codec.events_from_rows(missed), codec.session_from_row(stored_row, [])
    )


def bring_up_to_date(
    session: Session, event: Event, append: PreparedAppend, outcome: AppendOutcome
) -> None:
    """Record on the caller's objects what was just committed (no I/O)."""
    event.actions.state_delta = append.stored_delta
    stored = outcome.stored_session
    if stored is not None:
        temp_state = {
            key: value for key, value in session.state.items() if key.startswith(TEMP_PREFIX)
        }
        session.state = stored.state
        session.create_time = stored.create_time
        session.state.update(temp_state)
        session.events.extend(outcome.missed_events)
    if outcome.later_events:
        # The stored state already holds this delta, and later writers' deltas over it.
        session.state.update(
            {key: value for key, value in append.full_delta.items() if key.startswith(TEMP_PREFIX)}
        )
    else:
        session.state.update(append.full_delta)
    session.events.append(event)
    session.events.extend(outcome.later_events)
    # As stored: the later of the event's timestamp and the session's update time, which never
    # goes back (so a paged walk over sessions ordered by it never skips one).
    session.last_update_time = max(
        append.timestamp,
        session.last_update_time if stored is None else stored.last_update_time,
    )
    session.revision = outcome.revision
    session.last_event_time = append.timestamp


async def merge_shared_state(
    connection: Connection,
    store: Store,
    key: Mapping[str, str],
    shared: SharedStateJson,
    now: float,
) -> None:
    """Merge the app and user parts of a delta into their rows (only those that change)."""
    statements = store.statements
    if shared.app_json is not None:
        await connection.execute(
            statements.upsert_app_state,
            {"app_name": key["app_name"], "state_delta": shared.app_json, "now": now},
        )
    if shared.user_json is not None:
        await connection.execute(
            statements.upsert_user_state,
            {
                "app_name": key["app_name"],
                "user_id": key["user_id"],
                "state_delta": shared.user_json,
                "now": now,
            },
        )


def _event_exists(
    error: Exception, append: PreparedAppend, store: Store
) -> EventExistsError | None:
    if store.dialect.is_unique_violation(error):
        return EventExistsError(*append.names, append.event_id)
    return None


def _stale(append: PreparedAppend, stored_revision: int) -> StaleSessionError:
    """The refusal of a stale append, logged (ids and revisions only) at debug level."""
    app_name, user_id, session_id = append.names
    logger.debug(
        "stale append refused: session %r of user %r in app %r is at revision %d, "
        "the caller held %d",
        session_id,
        user_id,
        app_name,
        stored_revision,
        append.expected_revision,
    )
    return StaleSessionError(
        *append.names, expected_revision=append.expected_revision, stored_revision=stored_revision
    )
