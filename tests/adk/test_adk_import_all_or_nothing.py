"""``import_adk`` reads and checks the whole source before it writes: a source it refuses
anywhere leaves the destination exactly as it was.

Each case damages the last session of a small source written by google-adk itself, so that
everything before it (app and user state, earlier sessions) would be copied by an importer
that writes as it reads.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from adk_store import AdkStoreError, SessionService
from adk_store.adk import SourceFormatError, import_adk

from .. import _db
from . import _adk_sources as sources

LAST_SESSION = "session-002"
"""The last of the source's sessions in the order they are copied."""


def _cyclic_actions() -> bytes:
    from google.adk.events import EventActions

    delta: dict[str, Any] = {"step": 1}
    delta["self"] = delta
    return pickle.dumps(EventActions(state_delta=delta))


@dataclass(frozen=True)
class Damage:
    layout: str
    """``v1`` or ``v0`` (google-adk's ``DatabaseSessionService`` schemas)."""
    statements: Callable[[str], list[str]]
    """The SQL that damages the source, given its URL."""
    pickled_actions: bytes | None = None
    """When set, the actions of the last session's first event become these bytes."""


DAMAGES = {
    "state-not-json": Damage(
        "v1",
        lambda url: [f"UPDATE sessions SET state = 'not json {{' WHERE id = '{LAST_SESSION}'"],
    ),
    "state-not-an-object": Damage(
        "v1", lambda url: [f"UPDATE sessions SET state = '[1, 2]' WHERE id = '{LAST_SESSION}'"]
    ),
    "state-with-an-app-key": Damage(
        "v1",
        lambda url: [
            f"UPDATE sessions SET state = '{{\"app:leak\": 1}}' WHERE id = '{LAST_SESSION}'"
        ],
    ),
    "create-time-garbage": Damage(
        "v1",
        lambda url: [f"UPDATE sessions SET create_time = 'yesterday' WHERE id = '{LAST_SESSION}'"],
    ),
    "create-time-infinite": Damage(
        "v1", lambda url: [f"UPDATE sessions SET create_time = 9e999 WHERE id = '{LAST_SESSION}'"]
    ),
    "cyclic-state-delta": Damage("v0", lambda url: [], pickled_actions=_cyclic_actions()),
}
ON_SQLITE = list(DAMAGES)
ON_POSTGRESQL = ["state-not-an-object", "state-with-an-app-key", "cyclic-state-delta"]
"""PostgreSQL's column types hold no text where JSON or a time belongs."""


async def _damaged_source(
    damage: Damage, database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> str:
    """A google-adk database of 3 sessions, built by google-adk, then damaged."""
    if database == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'adk.db'}"
    else:
        url = await anyio.to_thread.run_sync(request.getfixturevalue("postgres").new_database)
    build = sources.build_database if damage.layout == "v1" else sources.build_legacy_database
    await anyio.to_thread.run_sync(lambda: build(url, sessions=3, events=4))
    await _db.raw_script(url, damage.statements(url))
    if damage.pickled_actions is not None:
        placeholder = "?" if _db.is_sqlite(url) else "$1"
        await _db.raw_executemany(
            url,
            f"UPDATE events SET actions = {placeholder} WHERE id = (SELECT id FROM events "
            f"WHERE session_id = '{LAST_SESSION}' ORDER BY id LIMIT 1)",
            [(damage.pickled_actions,)],
        )
    return url


async def _store_with_content(db_url: str) -> None:
    async with SessionService(db_url, create_schema=True) as service:
        await service.create_session(
            app_name="weather", user_id="alice", session_id="kept", state={"app:theme": "light"}
        )


async def _assert_refused_and_untouched(source: str, db_url: str) -> None:
    await _store_with_content(db_url)
    before = await _db.dump(db_url)

    with pytest.raises(AdkStoreError) as refused:
        await import_adk(source, db_url)

    assert f"session {LAST_SESSION!r}" in str(refused.value)
    assert await _db.dump(db_url) == before


@pytest.mark.parametrize("damage", ON_SQLITE)
async def test_a_damaged_sqlite_source_writes_nothing(
    damage: str, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = await _damaged_source(DAMAGES[damage], "sqlite", tmp_path, request)

    await _assert_refused_and_untouched(source, db_url)


@pytest.mark.postgresql
@pytest.mark.parametrize("damage", ON_POSTGRESQL)
async def test_a_damaged_postgresql_source_writes_nothing(
    damage: str, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = await _damaged_source(DAMAGES[damage], "postgresql", tmp_path, request)

    await _assert_refused_and_untouched(source, db_url)


@pytest.mark.databases("sqlite")
async def test_a_dry_run_reports_the_same_refusal(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = await _damaged_source(DAMAGES["create-time-garbage"], "sqlite", tmp_path, request)

    with pytest.raises(SourceFormatError, match="'yesterday' as a time"):
        await import_adk(source, db_url, dry_run=True)
