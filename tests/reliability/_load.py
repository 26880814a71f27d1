"""The load scenario: many writers appending to a few shared sessions, and its checks.

Writer ``w`` appends to session ``w % 4``; sessions 0 and 1 belong to user 0, 2 and 3 to
user 1, all in one app. Event ``i`` of writer ``w`` sets ``w<w> = i`` in the session, user and
app scopes, so after the run each scope must show every writer's last value. A writer whose
append is rejected as stale reloads the session and retries the same event.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import adk_store
from adk_store import Event, EventActions, GetSessionConfig, StaleSessionError

APP = "load-app"
USERS = ("user-0", "user-1")
SESSIONS = ("session-0", "session-1", "session-2", "session-3")
NO_EVENTS = GetSessionConfig(num_recent_events=0)


def worker_command(
    db_url: str, anyio_backend: str, appends: int, writers: Iterable[int]
) -> list[str]:
    """The command that runs ``writers`` (each ``appends`` times) in a process of their own."""
    return [
        sys.executable,
        "-m",
        "tests.reliability._load_worker",
        db_url,
        anyio_backend,
        str(appends),
        ",".join(str(writer) for writer in writers),
    ]


def load_appends() -> int:
    """Appends per writer: the issue's 200 unless ``ADK_STORE_LOAD_APPENDS`` says otherwise."""
    return int(os.environ.get("ADK_STORE_LOAD_APPENDS", "200"))


def session_of(writer: int) -> tuple[str, str]:
    """``(user_id, session_id)`` the writer appends to."""
    index = writer % len(SESSIONS)
    return USERS[index // 2], SESSIONS[index]


@dataclass
class Ack:
    """An append the service acknowledged: the event and the revision it was stored at."""

    session_id: str
    event_id: str
    revision: int


@dataclass
class WriterLog:
    writer: int
    acks: list[Ack] = field(default_factory=list)
    stale: int = 0
    unexpected: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return json.dumps(
            {"writer": self.writer, "stale": self.stale, "unexpected": self.unexpected}
        )


async def create_sessions(service: adk_store.SessionService) -> None:
    for index, session_id in enumerate(SESSIONS):
        await service.create_session(
            app_name=APP, user_id=USERS[index // 2], session_id=session_id
        )


def event_for(writer: int, index: int) -> Event:
    delta = {f"w{writer}": index, f"user:w{writer}": index, f"app:w{writer}": index}
    return Event(
        id=f"w{writer}-e{index}",
        author=f"writer-{writer}",
        invocation_id=f"w{writer}",
        actions=EventActions(state_delta=delta),
        custom_metadata={"writer": writer, "index": index},
    )


async def run_writer(
    service: adk_store.SessionService,
    writer: int,
    appends: int,
    on_ack: Callable[[Ack], None] | None = None,
) -> WriterLog:
    """Append ``appends`` events, retrying each stale rejection after a reload."""
    log = WriterLog(writer)
    user_id, session_id = session_of(writer)
    key = {"app_name": APP, "user_id": user_id, "session_id": session_id}
    session = await service.get_session(**key, config=NO_EVENTS)
    assert session is not None
    for index in range(appends):
        event = event_for(writer, index)
        while True:
            try:
                await service.append_event(session, event)
            except StaleSessionError:
                log.stale += 1
                session = await service.get_session(**key, config=NO_EVENTS)
                assert session is not None
                continue
            except Exception as error:
                log.unexpected.append(f"{type(error).__module__}.{type(error).__name__}: {error}")
                return log
            ack = Ack(session_id, event.id, session.revision)
            log.acks.append(ack)
            if on_ack is not None:
                on_ack(ack)
            break
    return log


@dataclass
class LoadResult:
    appended: int
    stale: int


async def verify_load(
    service: adk_store.SessionService, logs: Iterable[WriterLog], appends: int
) -> LoadResult:
    """Assert the stored sessions are exactly what the writers were told they appended."""
    logs = list(logs)
    unexpected = [error for log in logs for error in log.unexpected]
    assert unexpected == [], f"appends failed with something other than stale: {unexpected}"
    acks_by_session: dict[str, list[Ack]] = {session_id: [] for session_id in SESSIONS}
    for log in logs:
        assert len(log.acks) == appends
        for ack in log.acks:
            acks_by_session[ack.session_id].append(ack)
    writers = [log.writer for log in logs]
    last = appends - 1
    for index, session_id in enumerate(SESSIONS):
        user_id = USERS[index // 2]
        stored = await service.get_session(app_name=APP, user_id=user_id, session_id=session_id)
        assert stored is not None
        stored_ids = [event.id for event in stored.events]
        duplicates = [eid for eid, count in Counter(stored_ids).items() if count > 1]
        assert duplicates == [], f"{session_id}: stored more than once: {duplicates[:5]}"
        acks = sorted(acks_by_session[session_id], key=lambda ack: ack.revision)
        assert [ack.revision for ack in acks] == list(range(1, len(acks) + 1)), (
            f"{session_id}: acknowledged revisions are not 1..n without gaps"
        )
        assert stored_ids == [ack.event_id for ack in acks], (
            f"{session_id}: stored order differs from the order of acknowledged commits"
        )
        assert stored.revision == len(acks)
        for event in stored.events:
            assert event.custom_metadata is not None
            writer, position = event.custom_metadata["writer"], event.custom_metadata["index"]
            assert event.actions.state_delta == {
                f"w{writer}": position,
                f"user:w{writer}": position,
                f"app:w{writer}": position,
            }
        for writer in writers:
            writer_user, writer_session = session_of(writer)
            assert stored.state[f"app:w{writer}"] == last
            if writer_user == user_id:
                assert stored.state[f"user:w{writer}"] == last
            if writer_session == session_id:
                assert stored.state[f"w{writer}"] == last
            else:
                assert f"w{writer}" not in stored.state
    return LoadResult(
        appended=sum(len(log.acks) for log in logs), stale=sum(log.stale for log in logs)
    )
