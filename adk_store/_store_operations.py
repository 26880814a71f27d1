"""Store-wide operations of :class:`SessionService`: status, export, import and pruning.

They work on many sessions at once, for operators and for moving sessions between stores;
the per-session API (google-adk's methods) stays in ``_service``. Each one reads as the rest
of the service does: validate, run compiled statements (``_store_statements``) on a held
connection, turn rows into values (``_codec``), all through the service's
:class:`~adk_store._store.Store`. The page, import and batch steps live in ``_export``,
``_import`` and ``_prune``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from . import _migrations
from ._codec import row_values
from ._errors import InvalidArgumentError, SessionExistsError
from ._export import ExportWalk, read_page
from ._import import check_state_record, prepare_session_import, store_session_import
from ._operations import SessionKey, StoreStatus
from ._prune import BATCH_SIZE, delete_batch, prunable_page
from ._records import AppStateRecord, SessionRecord, StoredRecord, UserStateRecord
from ._runtime import ConnectionPool
from ._store import Store
from ._validate import check_id, check_timestamp


class StoreOperations:
    """What :class:`SessionService` offers beyond google-adk's session methods."""

    @property
    def store(self) -> Store:
        """The store these operations run on (:class:`SessionService` holds one)."""
        raise NotImplementedError

    async def status(self) -> StoreStatus:
        """Schema version, database kind, and counts of what the store holds.

        >>> (await service.status()).sessions
        10000
        """
        store = self.store

        async def read(pool: ConnectionPool) -> StoreStatus:
            async with pool.reader() as connection:
                version = await _migrations.stored_version(
                    connection, store.dialect, store.statements
                )
                row = await connection.fetch_one(store.store_statements.status)
            assert row is not None
            apps, users, sessions, events, oldest, newest, memories = row_values(row)
            return StoreStatus(
                schema_version=version,
                database=store.dialect.name,
                apps=int(apps),
                users=int(users),
                sessions=int(sessions),
                events=int(events),
                memories=int(memories),
                oldest_update_time=oldest,
                newest_update_time=newest,
            )

        return await store.connector.call("status", read)

    async def list_app_names(self) -> list[str]:
        """The names of the apps that have sessions, in byte order."""

        async def read(pool: ConnectionPool) -> list[str]:
            async with pool.reader() as connection:
                rows = await connection.fetch_all(self.store.store_statements.app_names)
            return sorted((row_values(row)[0] for row in rows), key=lambda name: name.encode())

        return await self.store.connector.call("list_app_names", read)

    async def export_records(
        self, *, app_name: str | None = None, user_id: str | None = None
    ) -> AsyncIterator[StoredRecord]:
        """Every app state, user state, session (with its events) and memory of the store,
        or of one app, or of one user of an app, as plain records (memories as
        :class:`Memory` values); the process's memory stays flat.

        Records come in a fixed order (app states, user states, sessions, memories, each by
        key in byte order), so the same contents give the same sequence on any database.
        Pages are short reads, one after the other: a session appended to during the export
        comes out as its page found it (state and events matching), one deleted meanwhile is
        left out.

        >>> async for record in service.export_records(app_name="tutor"):
        ...     print(record)
        """
        if app_name is not None:
            check_id(app_name, "app_name")
        if user_id is not None:
            if app_name is None:
                raise InvalidArgumentError("exporting one user's sessions needs its app_name")
            check_id(user_id, "user_id")
        walk = ExportWalk(app_name, user_id)
        store = self.store

        async def page(pool: ConnectionPool) -> list[StoredRecord]:
            async with pool.reader() as connection:
                return await read_page(connection, walk, store)

        while not walk.done:
            for record in await store.connector.call("export_records", page, app_name=app_name):
                yield record

    async def import_session(self, record: SessionRecord, *, skip_existing: bool = False) -> bool:
        """Store a session exactly as recorded: its state, times and events (ids, timestamps
        and order kept; its revision is its number of events), in one transaction.

        If the session already exists, nothing is written and :class:`SessionExistsError` is
        raised, or ``False`` returned when ``skip_existing``. Returns ``True`` once stored.
        ``record.state`` holds the session scope only; import app and user state with
        :meth:`import_app_state` and :meth:`import_user_state`.

        >>> await service.import_session(SessionRecord("tutor", "ada", "s1", events=[...]))
        True
        """
        for value, name in (
            (record.app_name, "app_name"),
            (record.user_id, "user_id"),
            (record.id, "session_id"),
        ):
            check_id(value, name)
        for event in record.events:
            check_id(event.id, "event id")
        store = self.store
        prepared = prepare_session_import(record, store.codec)

        async def write(pool: ConnectionPool) -> None:
            await store_session_import(pool, prepared, store)

        try:
            await store.connector.call("import_session", write, app_name=record.app_name)
        except SessionExistsError:
            if skip_existing:
                return False
            raise
        return True

    async def import_app_state(self, record: AppStateRecord) -> None:
        """Merge ``record.state`` into the app's state: its keys are set, others are kept.

        >>> await service.import_app_state(AppStateRecord("tutor", {"greeting": "hi"}))
        """
        check_id(record.app_name, "app_name")
        check_state_record(record)
        state_json = self.store.codec.state_json(record.state, f"app {record.app_name!r} state")
        values = {"app_name": record.app_name, "state_delta": state_json, "now": time.time()}
        await self._write_state("import_app_state", self.store.statements.upsert_app_state, values)

    async def import_user_state(self, record: UserStateRecord) -> None:
        """Merge ``record.state`` into the user's state: its keys are set, others are kept.

        >>> await service.import_user_state(UserStateRecord("tutor", "ada", {"name": "Ada"}))
        """
        check_id(record.app_name, "app_name")
        check_id(record.user_id, "user_id")
        check_state_record(record)
        where = f"user {record.user_id!r} of app {record.app_name!r} state"
        values = {
            "app_name": record.app_name,
            "user_id": record.user_id,
            "state_delta": self.store.codec.state_json(record.state, where),
            "now": time.time(),
        }
        statement = self.store.statements.upsert_user_state
        await self._write_state("import_user_state", statement, values)

    async def _write_state(self, what: str, statement: str, values: dict[str, Any]) -> None:
        store = self.store

        async def write(pool: ConnectionPool) -> None:
            async with pool.writer() as connection, store.write_transaction(connection):
                await connection.execute(statement, values)

        await store.connector.call(what, write, app_name=values["app_name"])

    async def prune(
        self,
        *,
        updated_before: float,
        app_name: str | None = None,
        dry_run: bool = False,
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[Sequence[SessionKey]], None] | None = None,
    ) -> int:
        """Delete the sessions last updated before ``updated_before`` (epoch seconds), with
        their events; app and user state stay, and so do memories (of these sessions too:
        remembering what was said is what they are for). Returns how many were deleted.

        Runs in batches of at most ``batch_size`` sessions, each its own short transaction,
        so appends go on meanwhile; a session updated after the cut-off is kept.
        ``on_batch`` is called with the sessions of each batch. With ``dry_run`` nothing is
        deleted: the sessions that would be are counted (and reported) instead.

        >>> await service.prune(updated_before=time.time() - 30 * 86400)
        42
        """
        cutoff = check_timestamp(updated_before, "updated_before")
        assert cutoff is not None
        if app_name is not None:
            check_id(app_name, "app_name")
        if type(batch_size) is not int or batch_size < 1:
            raise InvalidArgumentError(f"batch_size must be a positive int, not {batch_size!r}")
        last: SessionKey | None = None
        store = self.store

        async def next_batch(pool: ConnectionPool) -> list[SessionKey]:
            if dry_run:
                async with pool.reader() as connection:
                    return await prunable_page(
                        connection, store, cutoff, app_name, last, batch_size
                    )
            async with pool.writer() as connection, store.write_transaction(connection):
                return await delete_batch(connection, store, cutoff, app_name, batch_size)

        count = 0
        while True:
            batch = await store.connector.call("prune", next_batch, app_name=app_name)
            count += len(batch)
            if batch and on_batch is not None:
                on_batch(batch)
            if len(batch) < batch_size:
                return count
            last = batch[-1]
