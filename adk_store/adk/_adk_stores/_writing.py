"""Writing records into a google-adk ``DatabaseSessionService`` database of schema v1.

The tables are google-adk's own (described here from its v1 schema: same names, columns,
types, key widths and index), with ``adk_internal_metadata`` saying ``schema_version`` 1, so
google-adk's service opens the database as one of its own. Each event is stored as google-adk
stores it: its JSON document (``model_dump(exclude_none=True, mode="json")``) plus its id,
invocation id and time in columns of their own.

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
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from ... import AppStateRecord, Event, InvalidArgumentError, SessionRecord, UserStateRecord
from ..._runtime import Connection
from .._convert import event_from_core
from ._database import (
    SCHEMA_VERSION_KEY,
    AdkDatabase,
    StoreKind,
    epoch_seconds,
    fetch,
    naive_utc,
)
from ._database import json_object as read_json_object
from ._reading import SessionName

KEY_LENGTH = 128
"""google-adk's width for app names, user ids, session ids and event ids."""
INVOCATION_ID_LENGTH = 256

_metadata = sa.MetaData()
_Json = (
    sa.Text()
    .with_variant(postgresql.JSONB(), "postgresql")
    .with_variant(mysql.LONGTEXT(), "mysql")
)
_Time = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")
"""As google-adk's types: MySQL's TEXT holds only 64 KB, its DATETIME only whole seconds."""
_MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
"""google-adk's tables take the database's character set; these hold any text and compare
ids exactly whatever it is."""


def _key(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(KEY_LENGTH), primary_key=True)


_TABLES = (
    sa.Table(
        "adk_internal_metadata",
        _metadata,
        _key("key"),
        sa.Column("value", sa.String(256), nullable=False),
        **_MYSQL_TABLE,
    ),
    sa.Table(
        "sessions",
        _metadata,
        _key("app_name"),
        _key("user_id"),
        _key("id"),
        sa.Column("state", _Json, nullable=False),
        sa.Column("create_time", _Time, nullable=False),
        sa.Column("update_time", _Time, nullable=False),
        **_MYSQL_TABLE,
    ),
    sa.Table(
        "app_states",
        _metadata,
        _key("app_name"),
        sa.Column("state", _Json, nullable=False),
        sa.Column("update_time", _Time, nullable=False),
        **_MYSQL_TABLE,
    ),
    sa.Table(
        "user_states",
        _metadata,
        _key("app_name"),
        _key("user_id"),
        sa.Column("state", _Json, nullable=False),
        sa.Column("update_time", _Time, nullable=False),
        **_MYSQL_TABLE,
    ),
    sa.Table(
        "events",
        _metadata,
        _key("id"),
        _key("app_name"),
        _key("user_id"),
        _key("session_id"),
        sa.Column("invocation_id", sa.String(INVOCATION_ID_LENGTH), nullable=False),
        sa.Column("timestamp", _Time, nullable=False),
        sa.Column("event_data", _Json, nullable=True),
        sa.ForeignKeyConstraint(
            ["app_name", "user_id", "session_id"],
            ["sessions.app_name", "sessions.user_id", "sessions.id"],
            ondelete="CASCADE",
        ),
        sa.Index(
            "idx_events_app_user_session_ts_id",
            "app_name",
            "user_id",
            "session_id",
            sa.desc("timestamp"),
            sa.desc("id"),
        ),
        **_MYSQL_TABLE,
    ),
)


class Outcome(enum.Enum):
    """What writing one item did."""

    COPIED = "copied"
    UNCHANGED = "already there, same content"
    CONFLICT = "already there with other content; left as it was"


class AdkStoreWriter:
    """Writes records into a google-adk v1 database, never changing what it already holds.

    >>> writer = await AdkStoreWriter.open(target)  # creates the tables in an empty database
    >>> await writer.write_session(record)
    <Outcome.COPIED: 'copied'>
    """

    def __init__(self, database: AdkDatabase) -> None:
        self.database = database

    @classmethod
    async def open(cls, database: AdkDatabase) -> AdkStoreWriter:
        """A writer for ``database``: google-adk's v1 tables are created if it has none; a
        database of another layout is refused."""
        kind = await database.kind()
        writer = cls(database)
        if kind is None:
            await database.run_write("create_tables", writer._create_tables)
        elif kind is not StoreKind.DATABASE_V1:
            raise InvalidArgumentError(
                f"{database.location} is a {kind}; sessions are written only into "
                "google-adk's current schema (v1): give a new database or a v1 one"
            )
        return writer

    async def _create_tables(self, connection: Connection) -> None:
        dialect = self.database.flavour.sqlalchemy
        for table in _TABLES:
            await connection.execute(str(CreateTable(table).compile(dialect=dialect)))
            for index in table.indexes:
                await connection.execute(str(CreateIndex(index).compile(dialect=dialect)))
        await connection.execute(
            'INSERT INTO adk_internal_metadata ("key", value) VALUES (:key, :value)',
            {"key": SCHEMA_VERSION_KEY, "value": "1"},
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
        flavour = self.database.flavour
        json_state = flavour.json_param("state")

        async def write(connection: Connection) -> Outcome:
            stored = await self._stored_session(connection, key)
            if stored is not None:
                expected = self._normalised(session_row, event_rows)
                return Outcome.UNCHANGED if stored == expected else Outcome.CONFLICT
            await connection.execute(
                "INSERT INTO sessions (app_name, user_id, id, state, create_time, update_time) "
                f"VALUES (:app_name, :user_id, :id, {json_state}, :create_time, :update_time)",
                session_row,
            )
            now = flavour.time_param(naive_utc(time.time()))
            await connection.execute(
                "INSERT INTO app_states (app_name, state, update_time) "
                f"VALUES (:app_name, {json_state}, :now) {flavour.unless_exists('app_name')}",
                {"app_name": record.app_name, "state": "{}", "now": now},
            )
            await connection.execute(
                "INSERT INTO user_states (app_name, user_id, state, update_time) "
                f"VALUES (:app_name, :user_id, {json_state}, :now) "
                f"{flavour.unless_exists('app_name', 'user_id')}",
                {
                    "app_name": record.app_name,
                    "user_id": record.user_id,
                    "state": "{}",
                    "now": now,
                },
            )
            if event_rows:
                await connection.executemany(
                    "INSERT INTO events (id, app_name, user_id, session_id, invocation_id, "
                    "timestamp, event_data) VALUES (:id, :app_name, :user_id, :session_id, "
                    f":invocation_id, :timestamp, {flavour.json_param('event_data')})",
                    event_rows,
                )
            return Outcome.COPIED

        return await self.database.run_write("write_session", write)

    def _session_row(self, record: SessionRecord, key: SessionName) -> dict[str, Any]:
        for name, value in (
            ("app name", key.app_name),
            ("user id", key.user_id),
            ("session id", key.session_id),
        ):
            _check_width(value, KEY_LENGTH, f"the {name} of {key}")
        flavour = self.database.flavour
        return {
            "app_name": record.app_name,
            "user_id": record.user_id,
            "id": record.id,
            "state": json.dumps(record.state),
            "create_time": flavour.time_param(naive_utc(record.create_time)),
            "update_time": flavour.time_param(naive_utc(record.update_time)),
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
            "timestamp": self.database.flavour.time_param(moment),
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
        rows = await fetch(
            connection,
            "SELECT state, create_time, update_time FROM sessions "
            "WHERE app_name = :app_name AND user_id = :user_id AND id = :session_id",
            values,
        )
        if not rows:
            return None
        state, create_time, update_time = rows[0]
        events = await fetch(
            connection,
            "SELECT id, invocation_id, timestamp, event_data FROM events "
            "WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id",
            values,
        )
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
            "app_states",
            {"app_name": record.app_name},
            record.state,
            f"the state of app {record.app_name!r}",
        )

    async def write_user_state(self, record: UserStateRecord) -> Outcome:
        """Set a user's state where the target has none (or an empty one)."""
        return await self._write_state(
            "user_states",
            {"app_name": record.app_name, "user_id": record.user_id},
            record.state,
            f"the state of user {record.user_id!r} in app {record.app_name!r}",
        )

    async def _write_state(
        self, table: str, key: dict[str, str], state: dict[str, Any], where: str
    ) -> Outcome:
        for value in key.values():
            _check_width(value, KEY_LENGTH, where)
        flavour = self.database.flavour
        match = " AND ".join(f"{column} = :{column}" for column in key)
        columns = ", ".join(key)
        placeholders = ", ".join(f":{column}" for column in key)
        now = flavour.time_param(naive_utc(time.time()))
        values = {**key, "state": json.dumps(state), "now": now}

        async def write(connection: Connection) -> Outcome:
            rows = await fetch(connection, f"SELECT state FROM {table} WHERE {match}", key)
            if rows:
                stored = read_json_object(rows[0][0], where)
                if stored == state:
                    return Outcome.UNCHANGED
                if stored:
                    return Outcome.CONFLICT
                await connection.execute(
                    f"UPDATE {table} SET state = {flavour.json_param('state')}, "
                    f"update_time = :now WHERE {match}",
                    values,
                )
                return Outcome.COPIED
            await connection.execute(
                f"INSERT INTO {table} ({columns}, state, update_time) "
                f"VALUES ({placeholders}, {flavour.json_param('state')}, :now)",
                values,
            )
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
