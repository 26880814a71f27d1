"""Streaming export and import in the JSON Lines format (see :mod:`adk_store._jsonlines`).

Both hold one session at a time, whatever the size of the store, and work through
:class:`SessionService`'s public API, so an application can run them without the CLI:

>>> with open("backup.jsonl", "w", encoding="utf-8") as file:
...     await export_jsonl(service, file, app_name="tutor")
>>> with open("backup.jsonl", encoding="utf-8") as file:
...     await import_jsonl(other_service, file)

An export ends with a trailer counting its records, so one cut short (a killed process, a
server gone mid-way) lacks it; import reads and checks the whole export before it writes
anything, and refuses a cut one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from ._errors import InvalidArgumentError
from ._import import check_state_record, prepare_session_import
from ._jsonlines import (
    MAX_HEADER_CHARS,
    MAX_LINE_CHARS,
    RecordCounts,
    check_header,
    check_trailer,
    dump_record,
    header_line,
    is_trailer,
    parse_line,
    record_from_json,
    trailer_line,
)
from ._memory import MemoryService
from ._memory_models import Memory
from ._new_memories import check_memory
from ._records import AppStateRecord, SessionRecord, StoredRecord, UserStateRecord

if TYPE_CHECKING:
    from ._service import SessionService
    from ._store import Store

OnRecord = Callable[[StoredRecord], None]
CheckSession = Callable[[SessionRecord], None]
"""Called on every session of an export while it is checked, before anything is written;
raises (an :class:`~adk_store.AdkStoreError`) to refuse the import. The command line passes
:func:`adk_store.adk.check_session_record` when google-adk is installed."""
ReadLine = Callable[[int], str]
"""``readline(limit)`` of a text stream: at most ``limit`` characters, up to a newline."""


@dataclass
class ImportCounts:
    """What an import did."""

    sessions: int = 0
    skipped_sessions: int = 0
    events: int = 0
    app_states: int = 0
    user_states: int = 0
    memories: int = 0
    skipped_memories: int = 0
    """Memories stored already (the same app, user and id): left as they are."""


async def export_jsonl(
    service: SessionService,
    stream: TextIO,
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    on_record: OnRecord | None = None,
) -> int:
    """Write the store's contents (or one app's, or one user's), memories included, to
    ``stream``; return the number of records written. ``on_record`` is called after each
    one (for progress).

    The trailer, the last line, is written only once every record is: if the export fails
    or is cancelled, what ``stream`` holds is refused by :func:`import_jsonl`.
    """
    stream.write(header_line() + "\n")
    counts = RecordCounts()
    async for record in service.export_records(app_name=app_name, user_id=user_id):
        line = dump_record(record)
        if len(line) >= MAX_LINE_CHARS:
            raise InvalidArgumentError(
                f"{_describe(record)} takes {len(line):,} characters as JSON, more than the "
                f"{MAX_LINE_CHARS - 1:,} an export line may hold; the export was not finished"
            )
        stream.write(line + "\n")
        counts.add(record)
        if on_record is not None:
            on_record(record)
    stream.write(trailer_line(counts) + "\n")
    stream.flush()
    return counts.app_states + counts.user_states + counts.sessions + counts.memories


async def import_jsonl(
    service: SessionService,
    stream: TextIO,
    *,
    skip_existing: bool = False,
    on_record: OnRecord | None = None,
    check_session: CheckSession | None = None,
) -> ImportCounts:
    """Import an export read from ``stream``.

    The whole export is read and checked first: one that is cut short (no trailer, or a
    trailer that counts other records), goes on after its trailer or holds a bad line raises
    :class:`InvalidArgumentError` before anything is written, and so does a session the store
    would refuse (state or event values nested deeper than 256 levels raise
    :class:`StateSerializationError`, as ``create_session`` does) or ``check_session``
    refuses, or a memory :meth:`MemoryService.import_memory` would refuse. A stream that
    cannot seek (a pipe) is copied to a temporary file as it is checked, to be read again
    from there; either way memory holds one record at a time.

    Then each record is written. A session that already exists raises
    :class:`SessionExistsError` (nothing of it is written; records before it stay imported)
    unless ``skip_existing``. App and user state is merged into what the store holds (see
    :meth:`SessionService.import_app_state`). A memory already stored (the same app, user
    and id) is left as it is and counted in ``skipped_memories``, as every memory write is
    idempotent: an id is derived from the memory's source or text, so the same id is the
    same memory.
    """
    counts = ImportCounts()
    memory = MemoryService(service)
    # Each record is checked by encoding it with the store's codecs, as its write will.
    with _checked(stream, service.store, check_session) as checked:
        for record in read_jsonl(checked):
            if isinstance(record, SessionRecord):
                if await service.import_session(record, skip_existing=skip_existing):
                    counts.sessions += 1
                    counts.events += len(record.events)
                else:
                    counts.skipped_sessions += 1
            elif isinstance(record, UserStateRecord):
                await service.import_user_state(record)
                counts.user_states += 1
            elif isinstance(record, AppStateRecord):
                await service.import_app_state(record)
                counts.app_states += 1
            elif await memory.import_memory(record):
                counts.memories += 1
            else:
                counts.skipped_memories += 1
            if on_record is not None:
                on_record(record)
    return counts


def read_jsonl(stream: TextIO) -> Iterator[StoredRecord]:
    """The records of an export, one at a time, up to its trailer.

    A bad line raises :class:`InvalidArgumentError` naming its number, and so does an export
    that ends without its trailer, whose trailer counts other records than came before it, or
    that goes on after it: those raise after the records before them were yielded, so read to
    the end before acting on a whole export (:func:`import_jsonl` does).
    """
    return _records(stream.readline)


@contextmanager
def _checked(stream: TextIO, store: Store, check_session: CheckSession | None) -> Iterator[TextIO]:
    """Read and check all of ``stream``, then yield it again from where it started."""
    if stream.seekable():
        start = stream.tell()
        _check_all(stream.readline, store, check_session)
        stream.seek(start)
        yield stream
        return
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n") as spool:

        def read_and_keep(limit: int) -> str:
            line = stream.readline(limit)
            spool.write(line)
            return line

        _check_all(read_and_keep, store, check_session)
        spool.seek(0)
        yield spool


def _check_all(readline: ReadLine, store: Store, check_session: CheckSession | None) -> None:
    for record in _records(readline):
        if isinstance(record, SessionRecord):
            prepare_session_import(record, store.codec)
            if check_session is not None:
                check_session(record)
        elif isinstance(record, Memory):
            check_memory(record)
            store.memory_codec.memory_values(record)
        else:
            check_state_record(record)


def _records(readline: ReadLine) -> Iterator[StoredRecord]:
    lines = _lines(readline)
    first = next(lines, None)
    if first is None:
        raise InvalidArgumentError("the export is empty: it has no adk-store header line")
    version = check_header(first[1], f"line {first[0]}")
    counts = RecordCounts()
    for number, line in lines:
        where = f"line {number}"
        document = parse_line(line, where)
        if is_trailer(document):
            check_trailer(document, counts, where, version)
            for after, _ in lines:
                raise InvalidArgumentError(
                    f"line {after} follows the trailer on {where}: an export ends with its "
                    "trailer (were two files joined?)"
                )
            return
        record = record_from_json(document, where)
        if isinstance(record, Memory) and version < 3:
            raise InvalidArgumentError(
                f"{where} is a memory, which an export of format version {version} cannot "
                "hold (memories came with version 3): the export was changed"
            )
        counts.add(record)
        yield record
    raise InvalidArgumentError(
        f"the export ends without its trailer, after {counts}: it was cut short (the export "
        "was interrupted or failed); export the store again"
    )


def _lines(readline: ReadLine) -> Iterator[tuple[int, str]]:
    """The numbered lines that are not blank, each checked for length, encoding and its end."""
    limit = MAX_HEADER_CHARS
    number = 0
    while True:
        number += 1
        try:
            line = readline(limit + 1)
        except UnicodeDecodeError as error:
            raise InvalidArgumentError(
                f"the export is not UTF-8 text: {error.reason} at line {number} or soon after"
            ) from None
        if not line:
            return
        if len(line) > limit:
            what = "an adk-store export header" if number == 1 else "an export line"
            raise InvalidArgumentError(
                f"line {number} is longer than the {limit:,} characters {what} may take"
            )
        if not line.endswith("\n"):
            raise InvalidArgumentError(
                f"the export ends inside line {number}, without its newline: it was cut short"
            )
        limit = MAX_LINE_CHARS
        if number == 1 or line.strip():
            yield number, line


def _describe(record: StoredRecord) -> str:
    if isinstance(record, SessionRecord):
        return f"session {record.id!r} of user {record.user_id!r} in app {record.app_name!r}"
    if isinstance(record, Memory):
        return f"memory {record.id!r} of user {record.user_id!r} in app {record.app_name!r}"
    if isinstance(record, UserStateRecord):
        return f"the state of user {record.user_id!r} in app {record.app_name!r}"
    return f"the state of app {record.app_name!r}"
