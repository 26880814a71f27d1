"""Export and import through the library: exact round trips, refusals that write nothing."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import adk_store
from adk_store import (
    AppStateRecord,
    ImportCounts,
    SessionRecord,
    UserStateRecord,
    export_jsonl,
    import_jsonl,
)

from .._db import dump, raw_fetch
from ._contents import fill_memories, fill_store


def session_scope(state: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in state.items() if ":" not in key}


async def memory_rows(db_url: str) -> list[tuple[object, ...]]:
    """The stored memories, read with the plain driver (search words aside)."""
    columns = "seq, app_name, user_id, id, session_id, event_id, author, timestamp, text"
    return await raw_fetch(db_url, f"SELECT {columns} FROM adk_memories ORDER BY seq")


async def dump_with_memories(db_url: str) -> dict[str, list[tuple[object, ...]]]:
    return {**await dump(db_url), "adk_memories": await memory_rows(db_url)}


async def exported(service: adk_store.SessionService, **filters: str) -> str:
    stream = io.StringIO()
    await export_jsonl(service, stream, **filters)
    return stream.getvalue()


def sqlite_store(path: Path) -> adk_store.SessionService:
    """A service on a new SQLite file beside the store under test."""
    return adk_store.SessionService(f"sqlite+aiosqlite:///{path}", create_schema=True)


@asynccontextmanager
async def imported_copy(
    export: str, tmp_path: Path
) -> AsyncIterator[tuple[adk_store.SessionService, ImportCounts]]:
    """A new SQLite store with ``export`` imported, and what the import counted."""
    async with sqlite_store(tmp_path / "copy.db") as copy:
        yield copy, await import_jsonl(copy, io.StringIO(export))


async def export_of_a_filled_store(tmp_path: Path, *, memories: bool = False) -> str:
    """The export of a new SQLite store holding ``fill_store``'s sessions (and
    ``fill_memories``'s memories)."""
    async with sqlite_store(tmp_path / "source.db") as source:
        sessions = await fill_store(source)
        if memories:
            await fill_memories(source, sessions)
        return await exported(source)


async def assert_import_refused(
    service: adk_store.SessionService,
    db_url: str,
    stream: io.StringIO,
    *,
    match: str,
    error: type[Exception] = adk_store.InvalidArgumentError,
) -> None:
    """Importing ``stream`` raises ``error`` and leaves every table as it was."""
    before = await dump_with_memories(db_url)
    with pytest.raises(error, match=match):
        await import_jsonl(service, stream)
    assert await dump_with_memories(db_url) == before


async def test_export_import_export_gives_the_same_bytes(
    service: adk_store.SessionService, tmp_path: Path
) -> None:
    remembered = await fill_memories(service, await fill_store(service))
    first = await exported(service)
    async with imported_copy(first, tmp_path) as (copy, counts):
        assert (counts.sessions, counts.events) == (11, 33)
        assert (counts.app_states, counts.user_states) == (2, 6)
        assert (counts.memories, counts.skipped_memories) == (remembered, 0)
        assert await exported(copy) == first


async def test_imported_session_keeps_ids_times_order_and_revision(
    service: adk_store.SessionService,
) -> None:
    [original, *_] = await fill_store(service, events_per_session=4)
    records = [record async for record in service.export_records(app_name="tutor")]
    await service.delete_session(
        app_name=original.app_name, user_id=original.user_id, session_id=original.id
    )
    [record] = [r for r in records if isinstance(r, SessionRecord) and r.id == original.id]

    assert await service.import_session(record) is True

    loaded = await service.get_session(
        app_name=original.app_name, user_id=original.user_id, session_id=original.id
    )
    assert loaded is not None
    assert [e.id for e in loaded.events] == [e.id for e in original.events]
    assert [e.timestamp for e in loaded.events] == [e.timestamp for e in original.events]
    assert loaded.revision == 4
    assert loaded.create_time == original.create_time
    assert loaded.last_update_time == original.last_update_time
    assert session_scope(loaded.state) == session_scope(original.state)
    # The imported session takes appends like any other.
    await service.append_event(loaded, adk_store.Event(author="user"))


async def test_import_refuses_an_existing_session_and_writes_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    [session, *_] = await fill_store(service)
    record = SessionRecord(
        app_name=session.app_name,
        user_id=session.user_id,
        id=session.id,
        state={"other": 1},
        events=[adk_store.Event(author="user")],
    )
    before = await dump(db_url)

    with pytest.raises(adk_store.SessionExistsError) as refused:
        await service.import_session(record)

    assert refused.value.session_id == session.id
    assert await dump(db_url) == before
    assert await service.import_session(record, skip_existing=True) is False
    assert await dump(db_url) == before


async def test_import_of_repeated_event_ids_writes_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    event = adk_store.Event(author="user")
    record = SessionRecord(app_name="app", user_id="u", id="s", events=[event, event])
    before = await dump(db_url)

    with pytest.raises(adk_store.EventExistsError):
        await service.import_session(record)

    assert await dump(db_url) == before


async def test_import_refuses_prefixed_keys_in_session_state(
    service: adk_store.SessionService, db_url: str
) -> None:
    record = SessionRecord(app_name="app", user_id="u", id="s", state={"app:x": 1})
    with pytest.raises(adk_store.InvalidArgumentError, match="session scope only"):
        await service.import_session(record)
    assert (await dump(db_url))["adk_sessions"] == []


async def test_imported_app_and_user_state_merge_into_what_is_stored(
    service: adk_store.SessionService,
) -> None:
    await service.create_session(
        app_name="app", user_id="u", state={"app:kept": 1, "app:set": 1, "user:kept": 2}
    )

    await service.import_app_state(AppStateRecord("app", {"set": 2, "new": 3}))
    await service.import_user_state(UserStateRecord("app", "u", {"new": 4}))

    assert await service.get_app_state(app_name="app") == {"kept": 1, "set": 2, "new": 3}
    assert await service.get_user_state(app_name="app", user_id="u") == {"kept": 2, "new": 4}


async def test_export_of_one_app_or_one_user(service: adk_store.SessionService) -> None:
    await fill_store(service)

    of_app = [record async for record in service.export_records(app_name="barista")]
    of_user = [
        record async for record in service.export_records(app_name="barista", user_id="ada")
    ]

    assert {r.app_name for r in of_app} == {"barista"}
    assert sum(isinstance(r, SessionRecord) for r in of_app) == 6
    assert sum(isinstance(r, UserStateRecord) for r in of_app) == 3
    assert sum(isinstance(r, AppStateRecord) for r in of_app) == 1
    assert {(r.app_name, getattr(r, "user_id", "ada")) for r in of_user} == {("barista", "ada")}
    assert sum(isinstance(r, SessionRecord) for r in of_user) == 2


async def test_export_carries_app_and_user_state_once_in_key_order(
    service: adk_store.SessionService,
) -> None:
    await fill_store(service, sessions_per_user=3)

    kinds = [type(record).__name__ async for record in service.export_records()]
    keys = [
        (record.app_name, record.user_id, record.id)
        async for record in service.export_records()
        if isinstance(record, SessionRecord)
    ]

    assert kinds == ["AppStateRecord"] * 2 + ["UserStateRecord"] * 6 + ["SessionRecord"] * 18
    assert keys == sorted(keys, key=lambda key: [part.encode() for part in key])


async def test_export_pages_through_more_sessions_than_a_page(
    service: adk_store.SessionService,
) -> None:
    for number in range(250):
        await service.create_session(app_name="app", user_id="u", session_id=f"s{number:03}")

    ids = [
        record.id async for record in service.export_records() if isinstance(record, SessionRecord)
    ]

    assert ids == [f"s{number:03}" for number in range(250)]


async def test_export_of_a_user_needs_the_app(service: adk_store.SessionService) -> None:
    with pytest.raises(adk_store.InvalidArgumentError, match="app_name"):
        [record async for record in service.export_records(user_id="u")]


async def test_empty_ids_export_and_import_like_any_other(
    service: adk_store.SessionService, tmp_path: Path
) -> None:
    await service.create_session(
        app_name="", user_id="", session_id="", state={"app:a": 1, "user:u": 2, "s": 3}
    )
    await service.create_session(app_name="", user_id="", session_id="x")

    first = await exported(service)
    async with imported_copy(first, tmp_path) as (copy, counts):
        assert (counts.sessions, counts.app_states, counts.user_states) == (2, 1, 1)
        assert await exported(copy) == first


class Unseekable(io.StringIO):
    """Text that can be read once only, as from a pipe."""

    def seekable(self) -> bool:
        return False


def cut_after_records(export: str, records: int) -> str:
    """The export as a process killed after writing ``records`` records leaves it."""
    return "".join(export.splitlines(keepends=True)[: 1 + records])


@pytest.mark.parametrize("stream", [io.StringIO, Unseekable], ids=["file", "pipe"])
@pytest.mark.parametrize("records", [0, 5, 19])
async def test_an_export_cut_short_is_refused_before_anything_is_written(
    service: adk_store.SessionService,
    db_url: str,
    tmp_path: Path,
    stream: type[io.StringIO],
    records: int,
) -> None:
    cut = cut_after_records(await export_of_a_filled_store(tmp_path), records)

    await assert_import_refused(service, db_url, stream(cut), match="without its trailer")


async def test_an_export_that_fails_midway_is_refused_on_import(
    service: adk_store.SessionService, db_url: str, tmp_path: Path
) -> None:
    class Interrupted(Exception):
        pass

    def interrupt_at_the_tenth(record: adk_store.StoredRecord) -> None:
        nonlocal written
        written += 1
        if written == 10:
            raise Interrupted

    written = 0
    partial = io.StringIO()
    async with sqlite_store(tmp_path / "source.db") as source:
        await fill_store(source)
        with pytest.raises(Interrupted):
            await export_jsonl(source, partial, on_record=interrupt_at_the_tenth)

    await assert_import_refused(
        service, db_url, io.StringIO(partial.getvalue()), match="cut short"
    )


@pytest.mark.parametrize("stream", [io.StringIO, Unseekable], ids=["file", "pipe"])
async def test_a_bad_session_at_the_end_of_an_export_is_refused_before_anything_is_written(
    service: adk_store.SessionService, db_url: str, tmp_path: Path, stream: type[io.StringIO]
) -> None:
    lines = (await export_of_a_filled_store(tmp_path)).splitlines(keepends=True)
    last_session = json.loads(lines[-2])
    last_session["state"]["app:sneaked"] = 1
    lines[-2] = json.dumps(last_session) + "\n"

    await assert_import_refused(
        service, db_url, stream("".join(lines)), match="session scope only"
    )


async def test_an_import_from_a_pipe_writes_what_it_checked(
    service: adk_store.SessionService, tmp_path: Path
) -> None:
    whole = await export_of_a_filled_store(tmp_path)

    counts = await import_jsonl(service, Unseekable(whole))

    assert (counts.sessions, counts.app_states, counts.user_states) == (12, 2, 6)
    assert await exported(service) == whole


async def test_memories_are_exported_last_by_key_and_filtered_with_the_sessions(
    service: adk_store.SessionService,
) -> None:
    remembered = await fill_memories(service, await fill_store(service))

    records = [record async for record in service.export_records()]
    of_user = [
        record async for record in service.export_records(app_name="barista", user_id="ada")
    ]

    kinds = [type(record).__name__ for record in records]
    assert kinds == (
        ["AppStateRecord"] * 2
        + ["UserStateRecord"] * 6
        + ["SessionRecord"] * 11
        + ["Memory"] * remembered
    )
    keys = [(r.app_name, r.user_id, r.id) for r in records if isinstance(r, adk_store.Memory)]
    assert keys == sorted(keys, key=lambda key: [part.encode() for part in key])
    memory = adk_store.MemoryService(service)
    assert sum(isinstance(r, adk_store.Memory) for r in of_user) == await memory.count(
        app_name="barista", user_id="ada"
    )
    assert {(r.app_name, getattr(r, "user_id", "ada")) for r in of_user} == {("barista", "ada")}


async def test_export_pages_through_more_memories_than_a_page(
    service: adk_store.SessionService,
) -> None:
    memory = adk_store.MemoryService(service)
    await memory.add_memories(
        app_name="app",
        user_id="u",
        memories=[adk_store.NewMemory(text=f"fact {n}", id=f"m{n:03}") for n in range(250)],
    )

    ids = [r.id async for r in service.export_records() if isinstance(r, adk_store.Memory)]

    assert ids == [f"m{n:03}" for n in range(250)]


async def test_imported_memories_keep_their_source_and_are_found_by_search(
    service: adk_store.SessionService, tmp_path: Path
) -> None:
    sessions = await fill_store(service, sessions_per_user=1)
    await fill_memories(service, sessions)
    source = adk_store.MemoryService(service)
    expected = await source.list_memories(app_name="tutor", user_id="łukasz")

    async with imported_copy(await exported(service), tmp_path) as (copy, _):
        memory = adk_store.MemoryService(copy)
        assert await memory.list_memories(app_name="tutor", user_id="łukasz") == expected
        found = await memory.search(app_name="tutor", user_id="łukasz", query="潮汐")
        assert [m.text for m in found] == ["łukasz likes tides 潮汐 😀"]


async def test_importing_an_export_again_leaves_stored_memories_as_they_are(
    service: adk_store.SessionService, db_url: str
) -> None:
    remembered = await fill_memories(service, await fill_store(service))
    whole = await exported(service)
    before = await memory_rows(db_url)

    counts = await import_jsonl(service, io.StringIO(whole), skip_existing=True)

    assert (counts.memories, counts.skipped_memories) == (0, remembered)
    assert await memory_rows(db_url) == before
    assert await exported(service) == whole


async def test_memories_whose_sessions_are_stored_already_still_import(
    service: adk_store.SessionService, db_url: str
) -> None:
    await fill_memories(service, await fill_store(service))
    whole = await exported(service)
    memory = adk_store.MemoryService(service)
    gone = await memory.delete_user_memories(app_name="tutor", user_id="ada")

    counts = await import_jsonl(service, io.StringIO(whole), skip_existing=True)

    assert counts.memories == gone > 0
    assert await exported(service) == whole


def memory_line_changed(export: str, **changes: object) -> str:
    """The export with its last memory changed (its trailer kept)."""
    lines = export.splitlines(keepends=True)
    last = json.loads(lines[-2])
    assert last["kind"] == "memory"
    last.update(changes)
    lines[-2] = json.dumps(last) + "\n"
    return "".join(lines)


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"text": "  "}, adk_store.InvalidArgumentError, "has no text"),
        ({"user_id": "x" * 300}, adk_store.InvalidArgumentError, "user_id"),
        ({"author": "bad\ud800"}, adk_store.InvalidArgumentError, "author"),
        (
            {"custom_metadata": {"deep": nested(300)}},
            adk_store.StateSerializationError,
            "custom_metadata",
        ),
        ({"content": {"parts": nested(300)}}, adk_store.StateSerializationError, "content"),
    ],
    ids=["blank text", "id too long", "lone surrogate", "metadata too deep", "content too deep"],
)
@pytest.mark.parametrize("stream", [io.StringIO, Unseekable], ids=["file", "pipe"])
async def test_a_bad_memory_at_the_end_of_an_export_is_refused_before_anything_is_written(
    service: adk_store.SessionService,
    db_url: str,
    tmp_path: Path,
    stream: type[io.StringIO],
    changes: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    export = await export_of_a_filled_store(tmp_path, memories=True)
    changed = memory_line_changed(export, **changes)

    await assert_import_refused(service, db_url, stream(changed), match=message, error=error)


async def test_an_export_made_before_memories_still_imports(
    service: adk_store.SessionService, tmp_path: Path
) -> None:
    current = await export_of_a_filled_store(tmp_path)
    lines = current.splitlines()
    trailer = json.loads(lines[-1])
    assert trailer.pop("memories") == 0
    version_2 = (
        "\n".join(
            [
                '{"format":"adk-store","kind":"header","version":2}',
                *lines[1:-1],
                json.dumps(trailer, sort_keys=True, separators=(",", ":")),
            ]
        )
        + "\n"
    )

    counts = await import_jsonl(service, io.StringIO(version_2))

    assert (counts.sessions, counts.memories) == (12, 0)
    assert await exported(service) == current
