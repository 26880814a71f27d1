"""Writing records into a google-adk ``DatabaseSessionService`` database of schema v1.

The tables are google-adk's own (see :mod:`._layouts`), with ``adk_internal_metadata`` saying
``schema_version`` 1, so google-adk's service opens the database as one of its own. Each event
is stored as google-adk stores it: its JSON document (``model_dump(exclude_none=True,
mode="json")``) plus its id, invocation id and time in columns of their own. Every statement
is built from those tables by the database's dialect.

A session already in the target is never changed: the writer reports whether it holds the
same content or other content.
"""

from __future__ import annotations

import datetime
import enum
import json
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from google.adk.events import Event as AdkEvent
from sqlalchemy.schema import CreateIndex, CreateTable

from ... import AppStateRecord, Event, InvalidArgumentError, SessionRecord, UserStateRecord
from ..._runtime import Connection
from ...dialects import Dialect
from .._convert import event_from_core
from ._database import AdkDatabase, fetch
from ._layouts import (
    INVOCATION_ID_LENGTH,
    KEY_LENGTH,
    SCHEMA_VERSION_KEY,
    V1_TABLES,
    StoreKind,
    detect_layout,
    v1_app_states,
    v1_events,
    v1_metadata,
    v1_sessions,
    v1_user_states,
)
from ._reading import SessionName
from ._values import epoch_seconds, naive_utc
from ._values import json_object as read_json_object


class Outcome(enum.Enum):
    """What writing one item did."""

    COPIED = "copied"
    UNCHANGED = "already there, same content"
    CONFLICT = "already there with other content; left as it was"


class _Statements:
    """The writer's statements, built from google-adk's v1 tables and compiled once."""

    def __init__(self, dialect: Dialect) -> None:
        ddl: list[sa.ClauseElement] = []
        for table in V1_TABLES:
            ddl.append(CreateTable(table))
            ddl.extend(CreateIndex(index) for index in table.indexes)
        self.create_tables = tuple(dialect.compile(statement) for statement in ddl)
        self.insert_metadata = dialect.compile(sa.insert(v1_metadata))
        self.insert_session = dialect.compile(
            sa.insert(v1_sessions).values(_row_params(v1_sessions, dialect, "state"))
        )
        self.insert_events = dialect.compile(
            sa.insert(v1_events).values(_row_params(v1_events, dialect, "event_data"))
        )
        self.select_session = dialect.compile(
            sa.select(v1_sessions.c.state, v1_sessions.c.create_time, v1_sessions.c.update_time)
            .where(*_key_matches(v1_sessions.c.app_name, v1_sessions.c.user_id))
            .where(v1_sessions.c.id == sa.bindparam("session_id"))
        )
        self.select_events = dialect.compile(
            sa.select(
                v1_events.c.id,
                v1_events.c.invocation_id,
                v1_events.c.timestamp,
                v1_events.c.event_data,
            ).where(
                *_key_matches(v1_events.c.app_name, v1_events.c.user_id, v1_events.c.session_id)
            )
        )
        self.select_state: dict[str, str] = {}
        self.update_state: dict[str, str] = {}
        self.insert_state: dict[str, str] = {}
        self.insert_empty_state: dict[str, str] = {}
        for table in (v1_app_states, v1_user_states):
            key = list(table.primary_key.columns)
            self.select_state[table.name] = dialect.compile(
                sa.select(table.c.state).where(*_key_matches(*key))
            )
            self.update_state[table.name] = dialect.compile(
                sa.update(table)
                .where(*_key_matches(*key))
                .values(state=dialect.json_param("state"), update_time=sa.bindparam("now"))
            )
            values = _state_params(table, dialect)
            self.insert_state[table.name] = dialect.compile(sa.insert(table).values(values))
            self.insert_empty_state[table.name] = dialect.compile(
                dialect.insert_unless_exists(table, values, key)
            )


def _row_params(table: sa.Table, dialect: Dialect, json_column: str) -> dict[str, Any]:
    """A parameter for each of ``table``'s columns, named as the column; ``json_column``'s
    carries JSON text."""
    return {
        column.name: dialect.json_param(column.name)
        if column.name == json_column
        else sa.bindparam(column.name)
        for column in table.columns
    }


def _state_params(table: sa.Table, dialect: Dialect) -> dict[str, Any]:
    """A state row's parameters: its key by column name, ``:state`` and ``:now``."""
    return {
        **{column.name: sa.bindparam(column.name) for column in table.primary_key.columns},
        "state": dialect.json_param("state"),
        "update_time": sa.bindparam("now"),
    }


def _key_matches(*columns: sa.Column[Any]) -> list[sa.ColumnElement[bool]]:
    return [column == sa.bindparam(column.name) for column in columns]


class AdkStoreWriter:
    """Writes records into a google-adk v1 database, never changing what it already holds.

    >>> writer = await AdkStoreWriter.open(target)  # creates the tables in an empty database
    >>> await writer.write_session(record)
    <Outcome.COPIED: 'copied'>
    """

    def __init__(self, database: AdkDatabase) -> None:
        self.database = database
        self._dialect = database.dialect
        self._statements = _Statements(database.dialect)

    @classmethod
    async def open(cls, database: AdkDatabase) -> AdkStoreWriter:
        """A writer for ``database``: google-adk's v1 tables are created if it has none; a
        database of another layout is refused."""
        kind = await detect_layout(database)
        writer = cls(database)
        if kind is None:
            await database.run_write("create_tables", writer.create_tables)
        elif kind is not StoreKind.DATABASE_V1:
            raise InvalidArgumentError(
                f"{database.location} is a {kind}; sessions are written only into "
                "google-adk's current schema (v1): give a new database or a v1 one"
            )
        return writer

    async def create_tables(self, connection: Connection) -> None:
        """Create google-adk's v1 tables on ``connection``, in an empty database."""
        for statement in self._statements.create_tables:
            await connection.execute(statement)
        await connection.execute(
            self._statements.insert_metadata, {"key": SCHEMA_VERSION_KEY, "value": "1"}
        )

    async def write_session(self, record: SessionRecord) -> Outcome:
        """Write ``record`` and its events in one transaction, unless the session exists.

        The app and user state rows google-adk expects beside every session are created
        (empty) when missing.
        """
        key = SessionName(record.app_name, record.user_id, record.id)
        session_row = self._session_row(record, key)
        event_rows = [
            self._event_row(record, event, moment)
            for event, moment in zip(record.events, _ordering_times(record.events), strict=True)
        ]
        statements = self._statements

        async def write(connection: Connection) -> Outcome:
            stored = await self._stored_session(connection, key)
            if stored is not None:
                expected = self._normalised(session_row, event_rows)
                return Outcome.UNCHANGED if stored == expected else Outcome.CONFLICT
            await connection.execute(statements.insert_session, session_row)
            now = self._dialect.naive_utc_param(naive_utc(time.time()))
            await connection.execute(
                statements.insert_empty_state[v1_app_states.name],
                {"app_name": record.app_name, "state": "{}", "now": now},
            )
            await connection.execute(
                statements.insert_empty_state[v1_user_states.name],
                {
                    "app_name": record.app_name,
                    "user_id": record.user_id,
                    "state": "{}",
                    "now": now,
                },
            )
            if event_rows:
                await connection.executemany(statements.insert_events, event_rows)
            return Outcome.COPIED

        return await self.database.run_write("write_session", write)

    def _session_row(self, record: SessionRecord, key: SessionName) -> dict[str, Any]:
        for name, value in (
            ("app name", key.app_name),
            ("user id", key.user_id),
            ("session id", key.session_id),
        ):
            _check_width(value, KEY_LENGTH, f"the {name} of {key}")
        return {
            "app_name": record.app_name,
            "user_id": record.user_id,
            "id": record.id,
            "state": json.dumps(record.state),
            "create_time": self._dialect.naive_utc_param(naive_utc(record.create_time)),
            "update_time": self._dialect.naive_utc_param(naive_utc(record.update_time)),
        }

    def _event_row(
        self, record: SessionRecord, event: Event, moment: datetime.datetime
    ) -> dict[str, Any]:
        where = f"event {event.id!r} of session {record.id!r}"
        _check_width(event.id, KEY_LENGTH, f"the id of {where}")
        _check_width(event.invocation_id, INVOCATION_ID_LENGTH, f"the invocation id of {where}")
        document = event_from_core(event, AdkEvent).model_dump(exclude_none=True, mode="json")
        return {
            "id": event.id,
            "app_name": record.app_name,
            "user_id": record.user_id,
            "session_id": record.id,
            "invocation_id": event.invocation_id,
            "timestamp": self._dialect.naive_utc_param(moment),
            "event_data": json.dumps(document),
        }

    @staticmethod
    def _normalised(
        session_row: dict[str, Any], event_rows: Sequence[dict[str, Any]]
    ) -> tuple[Any, ...]:
        """What :meth:`_stored_session` would read back after writing these rows."""
        return (
            json.loads(session_row["state"]),
            epoch_seconds(session_row["create_time"]),
            epoch_seconds(session_row["update_time"]),
            sorted(
                (
                    row["id"],
                    row["invocation_id"],
                    epoch_seconds(row["timestamp"]),
                    json.loads(row["event_data"]),
                )
                for row in event_rows
            ),
        )

    async def _stored_session(self, connection: Connection, key: SessionName) -> Any:
        values = {"app_name": key.app_name, "user_id": key.user_id, "session_id": key.session_id}
        rows = await fetch(connection, self._statements.select_session, values)
        if not rows:
            return None
        state, create_time, update_time = rows[0]
        events = await fetch(connection, self._statements.select_events, values)
        return (
            read_json_object(state, f"the state of {key}"),
            epoch_seconds(create_time),
            epoch_seconds(update_time),
            sorted(
                (
                    event_id,
                    invocation_id,
                    epoch_seconds(timestamp),
                    read_json_object(event_data, f"event {event_id!r}"),
                )
                for event_id, invocation_id, timestamp, event_data in events
            ),
        )

    async def write_app_state(self, record: AppStateRecord) -> Outcome:
        """Set an app's state where the target has none (or an empty one)."""
        return await self._write_state(
            v1_app_states,
            {"app_name": record.app_name},
            record.state,
            f"the state of app {record.app_name!r}",
        )

    async def write_user_state(self, record: UserStateRecord) -> Outcome:
        """Set a user's state where the target has none (or an empty one)."""
        return await self._write_state(
            v1_user_states,
            {"app_name": record.app_name, "user_id": record.user_id},
            record.state,
            f"the state of user {record.user_id!r} in app {record.app_name!r}",
        )

    async def _write_state(
        self, table: sa.Table, key: dict[str, str], state: dict[str, Any], where: str
    ) -> Outcome:
        for value in key.values():
            _check_width(value, KEY_LENGTH, where)
        statements = self._statements
        now = self._dialect.naive_utc_param(naive_utc(time.time()))
        values = {**key, "state": json.dumps(state), "now": now}

        async def write(connection: Connection) -> Outcome:
            rows = await fetch(connection, statements.select_state[table.name], key)
            if rows:
                stored = read_json_object(rows[0][0], where)
                if stored == state:
                    return Outcome.UNCHANGED
                if stored:
                    return Outcome.CONFLICT
                await connection.execute(statements.update_state[table.name], values)
                return Outcome.COPIED
            await connection.execute(statements.insert_state[table.name], values)
            return Outcome.COPIED

        return await self.database.run_write("write_state", write)


def _ordering_times(events: Sequence[Event]) -> list[datetime.datetime]:
    """The ``timestamp`` column of each event: google-adk reads events ordered by it (ties
    by event id), so each is its event's time to the microsecond, raised just enough (one
    microsecond past the previous one) to keep the events in their stored order. The exact
    time stays in the event's JSON document, which is what google-adk returns."""
    moments: list[datetime.datetime] = []
    for event in events:
        moment = naive_utc(event.timestamp)
        if moments and moment <= moments[-1]:
            moment = moments[-1] + datetime.timedelta(microseconds=1)
        moments.append(moment)
    return moments


def _check_width(value: str, width: int, where: str) -> None:
    if len(value) > width:
        raise InvalidArgumentError(
            f"{where} is {len(value)} characters long; google-adk's tables hold {width}"
        )
