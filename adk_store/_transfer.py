"""Streaming export and import in the JSON Lines format (see :mod:`adk_store._jsonlines`).

Both hold one session at a time, whatever the size of the store, and work through
:class:`SessionService`'s public API, so an application can run them without the CLI:

>>> with open("backup.jsonl", "w", encoding="utf-8") as file:
...     await export_jsonl(service, file, app_name="tutor")
>>> with open("backup.jsonl", encoding="utf-8") as file:
...     await import_jsonl(other_service, file)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from ._errors import InvalidArgumentError
from ._jsonlines import dump_record, header_line, is_header, load_record
from ._records import AppStateRecord, SessionRecord, StoredRecord, UserStateRecord

if TYPE_CHECKING:
    from ._service import SessionService

OnRecord = Callable[[StoredRecord], None]


@dataclass
class ImportCounts:
    """What an import did."""

    sessions: int = 0
    skipped_sessions: int = 0
    events: int = 0
    app_states: int = 0
    user_states: int = 0


async def export_jsonl(
    service: SessionService,
    stream: TextIO,
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    on_record: OnRecord | None = None,
) -> int:
    """Write the store's contents (or one app's, or one user's) to ``stream``; return the
    number of records written. ``on_record`` is called after each one (for progress)."""
    stream.write(header_line() + "\n")
    written = 0
    async for record in service.export_records(app_name=app_name, user_id=user_id):
        stream.write(dump_record(record) + "\n")
        written += 1
        if on_record is not None:
            on_record(record)
    stream.flush()
    return written


async def import_jsonl(
    service: SessionService,
    stream: TextIO,
    *,
    skip_existing: bool = False,
    on_record: OnRecord | None = None,
) -> ImportCounts:
    """Import an export read from ``stream``, one record at a time.

    A session that already exists raises :class:`SessionExistsError` (nothing of it is
    written; records before it stay imported) unless ``skip_existing``. App and user state
    is merged into what the store holds (see :meth:`SessionService.import_app_state`).
    """
    counts = ImportCounts()
    for record in read_jsonl(stream):
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
        if on_record is not None:
            on_record(record)
    return counts


def read_jsonl(stream: TextIO) -> Iterator[StoredRecord]:
    """The records of an export, one at a time; a bad line raises, naming its number."""
    header_seen = False
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if not header_seen:
            if not is_header(line):
                raise InvalidArgumentError(
                    f"line {number} is not an adk-store export header; "
                    "the file was not written by adk-store export"
                )
            header_seen = True
            continue
        yield load_record(line, f"line {number}")
    if not header_seen:
        raise InvalidArgumentError("the export is empty: it has no adk-store header line")
