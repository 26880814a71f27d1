"""Moving sessions between google-adk's own databases and adk-store, in either direction.

:func:`import_adk` copies a google-adk database (any of its layouts, on SQLite, PostgreSQL
or MariaDB/MySQL) into adk-store; :func:`export_adk` copies adk-store into a google-adk v1
database. Both copy sessions (with every event, in order, and their times), and app and user
state; both only add: an item the destination already holds is left alone, and reported when
its content differs. Running either twice therefore copies nothing the second time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from google.adk.sessions.state import State

from ... import (
    AdkStoreError,
    AppStateRecord,
    Session,
    SessionRecord,
    SessionService,
    StoredRecord,
    UserStateRecord,
    schema_version,
)
from ..._codec import RowCodec
from ..._import import prepare_session_import
from ..._validate import check_id
from ...dialects.postgresql import PostgresDialect
from .._service import AdkSessionService
from .._uri import hide_secrets
from ._database import AdkDatabase, database_missing
from ._reading import AdkStoreReader, SessionName
from ._writing import AdkStoreWriter, Outcome

ProgressCallback = Callable[[int, "int | None"], None]
"""Called after each session with the number done so far and the total (``None`` when not
known in advance)."""


@dataclass
class TransferReport:
    """What :func:`import_adk` or :func:`export_adk` copied (in a dry run: would copy).

    >>> print(report.summary())
    copied 12 sessions (301 events), 2 app states, 3 user states; 0 already there
    """

    source: str
    """What was read: a google-adk layout, or adk-store."""
    dry_run: bool = False
    sessions: int = 0
    events: int = 0
    app_states: int = 0
    user_states: int = 0
    unchanged: int = 0
    """Items the destination already held with the same content."""
    conflicts: list[str] = field(default_factory=list)
    """Items the destination holds with other content (left as they were), one line each."""

    def count(self, outcome: Outcome, record: StoredRecord) -> None:
        """Count the outcome of copying ``record``."""
        if outcome is Outcome.UNCHANGED:
            self.unchanged += 1
        elif outcome is Outcome.CONFLICT:
            self.conflicts.append(f"{_describe(record)}: {outcome.value}")
        elif isinstance(record, SessionRecord):
            self.sessions += 1
            self.events += len(record.events)
        elif isinstance(record, AppStateRecord):
            self.app_states += 1
        else:
            self.user_states += 1

    def summary(self) -> str:
        """A few lines for people: what was copied, what was there, what differs."""
        verb = "would copy" if self.dry_run else "copied"
        lines = [
            f"{verb} {self.sessions} sessions ({self.events} events), {self.app_states} app "
            f"states, {self.user_states} user states; {self.unchanged} already there",
        ]
        if self.conflicts:
            lines.append(f"{len(self.conflicts)} differ in the destination and were left alone:")
            lines.extend(f"  {conflict}" for conflict in self.conflicts)
        return "\n".join(lines)


def _describe(record: StoredRecord) -> str:
    if isinstance(record, SessionRecord):
        return str(SessionName(record.app_name, record.user_id, record.id))
    if isinstance(record, AppStateRecord):
        return f"the state of app {record.app_name!r}"
    return f"the state of user {record.user_id!r} in app {record.app_name!r}"


async def import_adk(
    source: str,
    destination: str | SessionService | AdkSessionService,
    *,
    app_name: str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> TransferReport:
    """Copy a google-adk session database into adk-store.

    >>> report = await import_adk("sessions.db", "postgresql+asyncpg://app@db/app")
    >>> print(report.summary())

    ``source`` is a database URL (``sqlite+aiosqlite:///…``, ``postgresql+asyncpg://…``,
    ``mysql+asyncmy://…``) or a SQLite file path; which google-adk layout it holds is
    detected. It is only read.
    ``destination`` is an adk-store URL (adk-store's tables are created in a database without
    them) or an open service. ``app_name`` limits the copy to one app. ``dry_run`` writes
    nothing and reports what would be copied.
    """
    with _passwords_hidden(source, destination):
        async with AdkDatabase(source, read_only=True) as database:
            return await _import(database, destination, app_name, dry_run, progress)


async def _import(
    database: AdkDatabase,
    destination: str | SessionService | AdkSessionService,
    app_name: str | None,
    dry_run: bool,
    progress: ProgressCallback | None,
) -> TransferReport:
    """Read and check the whole source, then copy it: a source adk-store refuses anywhere
    (a damaged row, a foreign pickle, a value a store cannot hold) leaves the destination as
    it was. The check holds one session at a time; the copy reads each session again."""
    reader = await AdkStoreReader.open(database)
    report = TransferReport(source=str(reader.kind), dry_run=dry_run)
    app_states = await reader.app_states(app_name)
    user_states = await reader.user_states(app_name)
    shared_states: list[AppStateRecord | UserStateRecord] = [*app_states, *user_states]
    for state_record in shared_states:
        check_importable(state_record)
    keys = await reader.session_keys(app_name)
    steps = len(keys) if dry_run else 2 * len(keys)
    if not dry_run:
        for done, key in enumerate(keys, start=1):
            await _checked_session(reader, key)
            if progress is not None:
                progress(done, steps)
    async with _adk_store(destination, dry_run=dry_run) as service:
        for app_state in app_states:
            report.count(await _import_app_state(service, app_state, dry_run), app_state)
        for user_state in user_states:
            report.count(await _import_user_state(service, user_state, dry_run), user_state)
        for done, key in enumerate(keys, start=steps - len(keys) + 1):
            record = await _checked_session(reader, key)
            if record is not None:
                report.count(await _import_session(service, record, dry_run), record)
            if progress is not None:
                progress(done, steps)
    return report


async def _checked_session(reader: AdkStoreReader, key: SessionName) -> SessionRecord | None:
    record = await reader.session(key)
    if record is not None:
        check_importable(record)
    return record


def check_importable(record: SessionRecord | AppStateRecord | UserStateRecord) -> None:
    """Raise what importing ``record`` into a store would raise, without a store: the same
    checks of ids, state, times and events, before anything is written."""
    check_id(record.app_name, "app_name")
    if isinstance(record, (SessionRecord, UserStateRecord)):
        check_id(record.user_id, "user_id")
    if isinstance(record, SessionRecord):
        check_id(record.id, "session_id")
        for event in record.events:
            check_id(event.id, "event id")
        prepare_session_import(record, _CHECKING_CODEC)
    else:
        _CHECKING_CODEC.state_json(record.state, _describe(record))


_CHECKING_CODEC = RowCodec(PostgresDialect())
"""Encodes records only to check them. What a store refuses does not depend on its database;
PostgreSQL's encoding is the one that rewrites values (NUL, large floats), so it is used."""


@contextmanager
def _passwords_hidden(*locations: object) -> Iterator[None]:
    """Errors raised inside name the databases in ``locations`` without their passwords."""
    try:
        yield
    except AdkStoreError as error:
        urls = [location for location in locations if isinstance(location, str)]
        error.args = tuple(
            hide_secrets(arg, urls) if isinstance(arg, str) else arg for arg in error.args
        )
        raise


@asynccontextmanager
async def _adk_store(
    destination: str | SessionService | AdkSessionService, *, dry_run: bool
) -> AsyncIterator[SessionService | None]:
    """The destination service; ``None`` in a dry run into a database without adk-store's
    tables (which holds nothing yet, and must not get its tables from a dry run)."""
    if isinstance(destination, AdkSessionService):
        destination = destination.core
    if isinstance(destination, SessionService):
        yield destination
        return
    if dry_run and (database_missing(destination) or await schema_version(destination) == 0):
        yield None
        return
    async with SessionService(destination, pool_size=2) as service:
        yield service


async def _import_app_state(
    service: SessionService | None, record: AppStateRecord, dry_run: bool
) -> Outcome:
    stored = {} if service is None else await service.get_app_state(app_name=record.app_name)
    outcome = _compare_state(stored, record.state)
    if outcome is Outcome.COPIED and not dry_run and service is not None:
        await service.import_app_state(record)
    return outcome


async def _import_user_state(
    service: SessionService | None, record: UserStateRecord, dry_run: bool
) -> Outcome:
    stored = (
        {}
        if service is None
        else await service.get_user_state(app_name=record.app_name, user_id=record.user_id)
    )
    outcome = _compare_state(stored, record.state)
    if outcome is Outcome.COPIED and not dry_run and service is not None:
        await service.import_user_state(record)
    return outcome


def _compare_state(stored: dict[str, object], incoming: dict[str, object]) -> Outcome:
    if stored == incoming:
        return Outcome.UNCHANGED
    return Outcome.CONFLICT if stored else Outcome.COPIED


async def _import_session(
    service: SessionService | None, record: SessionRecord, dry_run: bool
) -> Outcome:
    if service is None:
        return Outcome.COPIED
    if not dry_run and await service.import_session(record, skip_existing=True):
        return Outcome.COPIED
    stored = await service.get_session(
        app_name=record.app_name, user_id=record.user_id, session_id=record.id
    )
    if stored is None:
        return Outcome.COPIED
    return Outcome.UNCHANGED if _same_session(stored, record) else Outcome.CONFLICT


def _same_session(stored: Session, record: SessionRecord) -> bool:
    session_state = {
        key: value
        for key, value in stored.state.items()
        if not key.startswith((State.APP_PREFIX, State.USER_PREFIX))
    }
    return (
        session_state == record.state
        and stored.events == record.events
        and stored.last_update_time == record.update_time
        and stored.create_time in (None, record.create_time)
    )


async def export_adk(
    source: str | SessionService | AdkSessionService,
    target: str,
    *,
    app_name: str | None = None,
    progress: ProgressCallback | None = None,
) -> TransferReport:
    """Copy adk-store's sessions and app and user state into a google-adk v1 database.

    >>> report = await export_adk("sqlite+aiosqlite:///store.db", "sqlite+aiosqlite:///adk.db")

    ``target`` is a database URL or a SQLite file path: a new database (google-adk's tables
    are created in it) or one google-adk's ``DatabaseSessionService`` already uses with schema
    v1. google-adk reads the sessions back as adk-store holds them. Memories stay behind:
    google-adk's session database has no place for them.
    """
    if isinstance(source, AdkSessionService):
        source = source.core
    with _passwords_hidden(source, target):
        return await _export(source, target, app_name, progress)


async def _export(
    source: str | SessionService,
    target: str,
    app_name: str | None,
    progress: ProgressCallback | None,
) -> TransferReport:
    async with _opened(source) as service, AdkDatabase(target, read_only=False) as database:
        writer = await AdkStoreWriter.open(database)
        report = TransferReport(source="adk-store")
        total = None if app_name is not None else (await service.status()).sessions
        done = 0
        async for record in service.export_records(app_name=app_name):
            if isinstance(record, AppStateRecord):
                report.count(await writer.write_app_state(record), record)
            elif isinstance(record, UserStateRecord):
                report.count(await writer.write_user_state(record), record)
            elif isinstance(record, SessionRecord):
                report.count(await writer.write_session(record), record)
                done += 1
                if progress is not None:
                    progress(done, total)
    return report


@asynccontextmanager
async def _opened(source: str | SessionService) -> AsyncIterator[SessionService]:
    if isinstance(source, SessionService):
        yield source
        return
    async with SessionService(source, pool_size=2) as service:
        yield service
