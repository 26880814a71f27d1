"""Concurrent writers on shared sessions lose nothing, duplicate nothing, reorder nothing.

16 writers append ``ADK_STORE_LOAD_APPENDS`` events each (200 by default) to 4 sessions of 2
users of 1 app, once as tasks of one service and once spread over 4 processes with a service
each. Every rejection must be a :class:`StaleSessionError` (the writer reloads and retries),
and the stored history must be exactly the acknowledged appends in revision order.
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

import adk_store

from ._load import (
    Ack,
    WriterLog,
    create_sessions,
    load_appends,
    run_writer,
    verify_load,
    worker_command,
)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

WRITERS = 16
PROCESSES = 4
REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_concurrent_tasks_keep_every_acknowledged_append(
    service: adk_store.SessionService,
) -> None:
    appends = load_appends()
    await create_sessions(service)
    logs: list[WriterLog] = []

    async def write(writer: int) -> None:
        logs.append(await run_writer(service, writer, appends))

    async with anyio.create_task_group() as group:
        for writer in range(WRITERS):
            group.start_soon(write, writer)

    result = await verify_load(service, logs, appends)
    assert result.appended == WRITERS * appends
    print(f"\n{service.dialect_name}: {result.appended} appends, {result.stale} stale retries")


def _parse_worker_output(stdout: str) -> list[WriterLog]:
    acks: list[Ack] = []
    logs: list[WriterLog] = []
    for line in stdout.splitlines():
        record = json.loads(line)
        if "ack" in record:
            acks.append(Ack(*record["ack"]))
        else:
            logs.append(WriterLog(record["writer"], [], record["stale"], record["unexpected"]))
    for log in logs:
        log.acks = [ack for ack in acks if ack.event_id.startswith(f"w{log.writer}-")]
    return logs


async def test_concurrent_processes_keep_every_acknowledged_append(
    service: adk_store.SessionService, db_url: str, anyio_backend: str
) -> None:
    appends = load_appends()
    await create_sessions(service)
    outputs: list[str] = []

    async def worker(process: int) -> None:
        writers = range(process, WRITERS, PROCESSES)
        command = worker_command(db_url, anyio_backend, appends, writers)
        finished = await anyio.run_process(command, cwd=REPO_ROOT, check=False)
        stderr = finished.stderr.decode(errors="replace")
        assert finished.returncode == 0, f"worker {process} failed:\n{stderr}"
        outputs.append(finished.stdout.decode())

    async with anyio.create_task_group() as group:
        for process in range(PROCESSES):
            group.start_soon(worker, process)

    logs = [log for output in outputs for log in _parse_worker_output(output)]
    assert sorted(log.writer for log in logs) == list(range(WRITERS))
    result = await verify_load(service, logs, appends)
    assert result.appended == WRITERS * appends
    print(f"\n{service.dialect_name}: {result.appended} appends, {result.stale} stale retries")
