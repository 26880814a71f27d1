"""Moving sessions from google-adk's own databases into adk-store and back out.

The sources are written by google-adk itself (``_adk_sources``): its ``DatabaseSessionService``
(schema v1, and the legacy pickled v0 schema through google-adk's own v0 models) on SQLite and
PostgreSQL, and its ``SqliteSessionService``. What google-adk's service reads from a source is
what ``AdkSessionService`` must read after the import, and what google-adk must read again
after exporting the store.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from adk_store import SessionService, schema_version
from adk_store.adk import (
    AdkSessionService,
    RefusedPickleError,
    SourceFormatError,
    StoreKind,
    export_adk,
    import_adk,
)
from adk_store.adk._adk_stores._database import location_url

from .. import _db
from ..conftest import DATABASES
from . import _adk_sources as sources
from ._google_adk import GOOGLE_ADK_2


@dataclass(frozen=True)
class AdkSource:
    """A google-adk database built for the tests, and what google-adk reads from it."""

    layout: str
    location: str
    """As given to ``import_adk``: a URL, or a plain path for ``SqliteSessionService``."""
    adk_location: str
    """As google-adk's own service opens it."""
    view: dict[tuple[str, str, str], sources.SessionView]

    @property
    def event_count(self) -> int:
        return sum(len(session.events) for session in self.view.values())


_BUILDERS = {
    "v1": sources.build_database,
    "v0": sources.build_legacy_database,
    "sqlite-service": sources.build_sqlite_service_file,
}
_built: dict[tuple[str, str], AdkSource] = {}


def _source(request: pytest.FixtureRequest, layout: str, database: str) -> AdkSource:
    """The source of ``layout`` on ``database``, built once per test run (nothing writes it)."""
    if (layout, database) not in _built:
        if database != "sqlite":
            provider = request.getfixturevalue("postgres" if database == "postgresql" else "mysql")
            url = provider.new_database()
            location = adk_location = url
        else:
            factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
            path = factory.mktemp(f"adk-{layout}") / "sessions.db"
            adk_location = (
                str(path) if layout == "sqlite-service" else f"sqlite+aiosqlite:///{path}"
            )
            location = adk_location
        _BUILDERS[layout](adk_location)
        kind = "sqlite-service" if layout == "sqlite-service" else "database"
        view = sources.adk_view(kind, adk_location)
        _built[(layout, database)] = AdkSource(layout, location, adk_location, view)
    return _built[(layout, database)]


def _source_param(layout: str, database: str) -> Any:
    marks = {"postgresql": [pytest.mark.postgresql], "mysql": [pytest.mark.mysql]}.get(
        database, []
    )
    return pytest.param((layout, database), id=f"{layout}-{database}", marks=marks)


ALL_SOURCES = [
    _source_param(layout, database)
    for layout, database in (
        ("v1", "sqlite"),
        ("v1", "postgresql"),
        ("v0", "sqlite"),
        ("v0", "postgresql"),
        ("v1", "mysql"),
        ("v0", "mysql"),
        ("sqlite-service", "sqlite"),
    )
    # Sources on the databases this run covers. The google-adk 1.x run covers SQLite and
    # PostgreSQL: google-adk 1.x's own service, building a MySQL source, refuses its own
    # sessions as stale (it compares update times that MySQL rounded).
    if database in DATABASES
]
SOME_SOURCES = [_source_param("v0", "sqlite"), _source_param("v1", "postgresql")]


@pytest.fixture
def adk_source(request: pytest.FixtureRequest) -> AdkSource:
    layout, database = request.param
    return _source(request, layout, database)


async def _store_view(url: str) -> dict[tuple[str, str, str], sources.SessionView]:
    async with AdkSessionService(url) as service:
        return await sources.view_sessions(service)


async def _source_fingerprint(source: AdkSource) -> Any:
    """Everything in the source database: its bytes (SQLite) or all its rows."""
    url = location_url(source.location)
    if url.startswith("sqlite"):
        path = anyio.Path(url.split(":///", 1)[1])
        names = sorted([entry.name async for entry in path.parent.iterdir()])
        return names, hashlib.sha256(await path.read_bytes()).hexdigest()
    tables = ("adk_internal_metadata", "sessions", "events", "app_states", "user_states")
    list_tables = (
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        if _db.is_mysql(url)
        else "SELECT tablename FROM pg_tables"
    )
    present = {row[0] for row in await _db.raw_fetch(url, list_tables)}
    return {
        table: sorted(map(repr, await _db.raw_fetch(url, f"SELECT * FROM {table}")))
        for table in tables
        if table in present
    }


@pytest.mark.parametrize("adk_source", ALL_SOURCES, indirect=True)
async def test_imported_sessions_read_back_as_google_adk_read_them(
    adk_source: AdkSource, db_url: str
) -> None:
    report = await import_adk(adk_source.location, db_url)

    assert await _store_view(db_url) == adk_source.view
    assert report.sessions == len(adk_source.view)
    assert report.events == adk_source.event_count
    assert report.conflicts == []


@pytest.mark.parametrize(
    ("adk_source", "kind"),
    [
        (_source_param("v1", "sqlite").values[0], StoreKind.DATABASE_V1),
        (_source_param("v0", "sqlite").values[0], StoreKind.DATABASE_V0),
        (_source_param("sqlite-service", "sqlite").values[0], StoreKind.SQLITE_SERVICE),
    ],
    indirect=["adk_source"],
)
@pytest.mark.databases("sqlite")
async def test_the_report_names_the_layout_it_detected(
    adk_source: AdkSource, kind: StoreKind, db_url: str
) -> None:
    report = await import_adk(adk_source.location, db_url, dry_run=True)

    assert report.source == str(kind)


@pytest.mark.parametrize("adk_source", SOME_SOURCES, indirect=True)
async def test_importing_again_copies_nothing(adk_source: AdkSource, db_url: str) -> None:
    first = await import_adk(adk_source.location, db_url)
    stored = await _db.dump(db_url)

    second = await import_adk(adk_source.location, db_url)

    assert (second.sessions, second.events, second.app_states, second.user_states) == (0,) * 4
    assert second.unchanged == first.sessions + first.app_states + first.user_states
    assert second.conflicts == []
    assert await _db.dump(db_url) == stored


@pytest.mark.parametrize("adk_source", SOME_SOURCES, indirect=True)
async def test_a_dry_run_writes_nothing_and_reports_what_it_would_copy(
    adk_source: AdkSource, db_url: str
) -> None:
    report = await import_adk(adk_source.location, db_url, dry_run=True)

    assert report.dry_run
    assert report.sessions == len(adk_source.view)
    assert report.events == adk_source.event_count
    assert "would copy" in report.summary()
    if db_url.startswith("sqlite"):
        assert not await anyio.Path(db_url.split(":///", 1)[1]).exists()
    else:
        assert await schema_version(db_url) == 0


@pytest.mark.parametrize("adk_source", SOME_SOURCES, indirect=True)
async def test_a_dry_run_into_a_store_counts_only_what_is_missing(
    adk_source: AdkSource, db_url: str
) -> None:
    await import_adk(adk_source.location, db_url, app_name="travel")

    report = await import_adk(adk_source.location, db_url, dry_run=True)

    weather = [key for key in adk_source.view if key[0] == "weather"]
    assert report.sessions == len(weather)
    assert report.conflicts == []


@pytest.mark.parametrize("adk_source", ALL_SOURCES, indirect=True)
@pytest.mark.databases("sqlite")
async def test_the_source_is_never_written(adk_source: AdkSource, db_url: str) -> None:
    before = await _source_fingerprint(adk_source)

    await import_adk(adk_source.location, db_url, dry_run=True)
    await import_adk(adk_source.location, db_url)

    assert await _source_fingerprint(adk_source) == before


@pytest.mark.databases("sqlite")
async def test_the_store_can_share_the_sqlite_file_google_adk_uses(tmp_path: Path) -> None:
    shared = tmp_path / "sessions.db"
    url = f"sqlite+aiosqlite:///{shared}"
    await anyio.to_thread.run_sync(lambda: sources.build_database(url, sessions=4, events=6))
    google_adk_view = await anyio.to_thread.run_sync(sources.adk_view, "database", url)

    report = await import_adk(str(shared), url)
    again = await import_adk(str(shared), url)

    assert report.sessions == 4
    assert again.sessions == 0
    assert await _store_view(url) == google_adk_view
    assert await anyio.to_thread.run_sync(sources.adk_view, "database", url) == google_adk_view


@pytest.mark.parametrize("adk_source", SOME_SOURCES, indirect=True)
async def test_a_session_changed_in_the_store_is_reported_and_left_alone(
    adk_source: AdkSource, db_url: str
) -> None:
    from google.adk.events import Event, EventActions

    await import_adk(adk_source.location, db_url)
    app_name, user_id, session_id = key = sorted(adk_source.view)[0]
    async with AdkSessionService(db_url) as service:
        session = await service.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id
        )
        assert session is not None
        await service.append_event(
            session,
            Event(author="user", actions=EventActions(state_delta={"app:theme": "changed"})),
        )

    report = await import_adk(adk_source.location, db_url)

    assert len(report.conflicts) == 2
    assert (
        f"session {session_id!r} of user {user_id!r} in app {app_name!r}" in (report.conflicts[1])
    )
    assert f"the state of app {app_name!r}" in report.conflicts[0]
    assert "left as it was" in report.summary()
    after = await _store_view(db_url)
    assert len(after[key].events) == len(adk_source.view[key].events) + 1
    assert after[key].state["app:theme"] == "changed"


@pytest.mark.parametrize("adk_source", SOME_SOURCES, indirect=True)
async def test_app_option_copies_one_app(adk_source: AdkSource, db_url: str) -> None:
    report = await import_adk(adk_source.location, db_url, app_name="travel")

    travel = {key: view for key, view in adk_source.view.items() if key[0] == "travel"}
    assert report.app_states == 1
    assert await _store_view(db_url) == travel
    async with SessionService(db_url) as service:
        assert await service.get_app_state(app_name="weather") == {}


@pytest.mark.parametrize("adk_source", SOME_SOURCES, indirect=True)
async def test_an_existing_store_service_can_be_the_destination(
    adk_source: AdkSource, service: SessionService, db_url: str
) -> None:
    progress: list[tuple[int, int | None]] = []

    report = await import_adk(
        adk_source.location, service, progress=lambda done, total: progress.append((done, total))
    )

    assert report.sessions == len(adk_source.view)
    steps = 2 * len(adk_source.view)
    assert progress == [(done, steps) for done in range(1, steps + 1)]
    assert await _store_view(db_url) == adk_source.view


# -- refused sources -----------------------------------------------------------------------


class _RunsCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        import os

        return (os.system, (self.command,))


@pytest.mark.databases("sqlite")
async def test_a_foreign_pickle_is_refused_by_name_and_nothing_is_written(
    tmp_path: Path, db_url: str
) -> None:
    from google.adk.events import EventActions

    source = tmp_path / "legacy.db"
    await anyio.to_thread.run_sync(
        lambda: sources.build_legacy_database(
            f"sqlite+aiosqlite:///{source}", sessions=3, events=4
        )
    )
    marker = tmp_path / "ran"
    hostile = pickle.dumps(EventActions(state_delta={"x": _RunsCommand(f"touch {marker}")}))
    with sqlite3.connect(source) as connection:
        connection.execute(
            "UPDATE events SET actions = ? WHERE id = "
            "(SELECT id FROM events WHERE session_id = 'session-002' ORDER BY id LIMIT 1)",
            (hostile,),
        )

    with pytest.raises(RefusedPickleError) as refused:
        await import_adk(str(source), db_url)

    assert refused.value.name == "system"
    assert "session 'session-002'" in str(refused.value)
    assert not marker.exists()
    assert await schema_version(db_url) == 0


@pytest.mark.databases("sqlite")
async def test_a_database_without_google_adk_tables_is_refused(
    tmp_path: Path, db_url: str
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")

    with pytest.raises(SourceFormatError, match="no google-adk sessions"):
        await import_adk(str(other), db_url)

    assert await schema_version(db_url) == 0


@pytest.mark.databases("sqlite")
async def test_an_unknown_google_adk_schema_version_is_refused(
    tmp_path: Path, db_url: str
) -> None:
    future = tmp_path / "future.db"
    with sqlite3.connect(future) as connection:
        connection.execute("CREATE TABLE adk_internal_metadata (key TEXT, value TEXT)")
        connection.execute("INSERT INTO adk_internal_metadata VALUES ('schema_version', '7')")

    with pytest.raises(SourceFormatError, match="version '7'"):
        await import_adk(str(future), db_url)


@pytest.mark.parametrize("adk_source", [_source_param("v0", "sqlite")], indirect=True)
@pytest.mark.databases("sqlite")
async def test_file_names_with_url_characters_are_read_where_they_are(
    adk_source: AdkSource, db_url: str, tmp_path: Path
) -> None:
    folder = anyio.Path(tmp_path / "a b#c")
    await folder.mkdir()
    odd = folder / "sessions %20?.db"
    await odd.write_bytes(
        await anyio.Path(adk_source.adk_location.split(":///", 1)[1]).read_bytes()
    )

    report = await import_adk(str(odd), db_url)

    assert report.sessions == len(adk_source.view)
    assert [entry.name async for entry in folder.iterdir()] == ["sessions %20?.db"]
    # Beside the folder, only the destination store (db_url) was created.
    assert sorted([entry.name async for entry in anyio.Path(tmp_path).iterdir()]) == [
        "a b#c",
        "sessions.db",
    ]


@pytest.mark.databases("sqlite")
async def test_a_missing_source_file_is_refused_and_not_created(
    tmp_path: Path, db_url: str
) -> None:
    from adk_store import InvalidArgumentError

    missing = tmp_path / "missing.db"

    with pytest.raises(InvalidArgumentError, match="no SQLite database"):
        await import_adk(f"sqlite+aiosqlite:///{missing}", db_url)

    assert not missing.exists()


# -- back out to google-adk ------------------------------------------------------------------


async def _exported_view(target: str) -> dict[tuple[str, str, str], sources.SessionView]:
    return await anyio.to_thread.run_sync(sources.adk_view, "database", target)


async def _target_url(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A new, empty database for google-adk, of the same kind as the store."""
    if db_kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'exported.db'}"
    provider = request.getfixturevalue("postgres" if db_kind == "postgresql" else "mysql")
    return str(await anyio.to_thread.run_sync(provider.new_database))


def _without_times(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**event, "timestamp": None} for event in events]


def _same_up_to_a_microsecond(
    read: dict[tuple[str, str, str], sources.SessionView],
    expected: dict[tuple[str, str, str], sources.SessionView],
) -> None:
    """google-adk's v1 tables keep session times to the microsecond; all else is exact.

    Event times too on google-adk 1.x, which reads them from the ``timestamp`` column: there
    events that share a time are a microsecond apart, the order the column keeps them in.
    """
    assert read.keys() == expected.keys()
    for key, session in expected.items():
        if GOOGLE_ADK_2:
            assert read[key].events == session.events
        else:
            assert _without_times(read[key].events) == _without_times(session.events)
            assert [event["timestamp"] for event in read[key].events] == pytest.approx(
                [event["timestamp"] for event in session.events], abs=1.5e-6
            )
        assert read[key].state == session.state
        assert read[key].last_update_time == pytest.approx(session.last_update_time, abs=1e-6)


@pytest.mark.parametrize("adk_source", ALL_SOURCES, indirect=True)
async def test_google_adk_reads_exported_sessions_as_it_read_them_before(
    adk_source: AdkSource,
    db_url: str,
    db_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    await import_adk(adk_source.location, db_url)
    target = await _target_url(db_kind, tmp_path, request)

    report = await export_adk(db_url, target)

    assert report.sessions == len(adk_source.view)
    assert report.events == adk_source.event_count
    _same_up_to_a_microsecond(await _exported_view(target), adk_source.view)


@pytest.mark.parametrize("adk_source", SOME_SOURCES, indirect=True)
async def test_exporting_again_copies_nothing(
    adk_source: AdkSource,
    db_url: str,
    db_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    await import_adk(adk_source.location, db_url)
    target = await _target_url(db_kind, tmp_path, request)
    first = await export_adk(db_url, target)

    second = await export_adk(db_url, target)

    assert second.sessions == 0
    assert second.unchanged == first.sessions + first.app_states + first.user_states
    assert second.conflicts == []


def _append_with_google_adk(target: str, key: tuple[str, str, str]) -> sources.SessionView:
    """Append one event to a session through google-adk's own service; the session after."""
    import asyncio

    from google.adk.events import Event, EventActions
    from google.adk.sessions import DatabaseSessionService

    app_name, user_id, session_id = key

    async def append() -> sources.SessionView:
        async with DatabaseSessionService(target) as service:
            session = await service.get_session(
                app_name=app_name, user_id=user_id, session_id=session_id
            )
            assert session is not None
            await service.append_event(
                session, Event(author="user", actions=EventActions(state_delta={"user:after": 1}))
            )
        return (await sources.view_sessions_of(target))[key]

    return asyncio.run(append())


@pytest.mark.parametrize("adk_source", [_source_param("sqlite-service", "sqlite")], indirect=True)
async def test_google_adk_keeps_working_on_an_exported_database(
    adk_source: AdkSource,
    db_url: str,
    db_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    await import_adk(adk_source.location, db_url)
    target = await _target_url(db_kind, tmp_path, request)
    await export_adk(db_url, target)
    key = sorted(adk_source.view)[0]

    after = await anyio.to_thread.run_sync(_append_with_google_adk, target, key)

    assert len(after.events) == len(adk_source.view[key].events) + 1
    assert after.state["user:after"] == 1


@pytest.mark.parametrize("adk_source", [_source_param("v1", "sqlite")], indirect=True)
@pytest.mark.databases("sqlite")
async def test_a_session_google_adk_changed_after_export_is_reported_and_kept(
    adk_source: AdkSource, db_url: str, tmp_path: Path
) -> None:
    await import_adk(adk_source.location, db_url)
    target = f"sqlite+aiosqlite:///{tmp_path / 'exported.db'}"
    await export_adk(db_url, target)
    app_name, user_id, session_id = key = sorted(adk_source.view)[0]
    changed = await anyio.to_thread.run_sync(_append_with_google_adk, target, key)

    report = await export_adk(db_url, target)

    assert report.sessions == 0
    assert f"the state of user {user_id!r} in app {app_name!r}" in report.conflicts[0]
    assert f"session {session_id!r} of user {user_id!r}" in report.conflicts[1]
    assert len(report.conflicts) == 2
    assert (await _exported_view(target))[key] == changed


@pytest.mark.parametrize("adk_source", [_source_param("v0", "sqlite")], indirect=True)
@pytest.mark.databases("sqlite")
async def test_export_refuses_a_legacy_target(
    adk_source: AdkSource, db_url: str, tmp_path: Path
) -> None:
    from adk_store import InvalidArgumentError

    await import_adk(adk_source.location, db_url)
    legacy_file = anyio.Path(adk_source.adk_location.split(":///", 1)[1])
    before = await legacy_file.read_bytes()

    with pytest.raises(InvalidArgumentError, match="legacy schema v0"):
        await export_adk(db_url, adk_source.location)

    assert await legacy_file.read_bytes() == before
