"""A separate process that runs load writers against a shared database.

    python -m tests.reliability._load_worker DB_URL BACKEND APPENDS WRITER[,WRITER...]

Prints one JSON line per acknowledged append (``{"ack": [session, event, revision]}``) as
soon as the service returns, then one summary line per writer. The lines let the parent
check the database against what this process was told, even if it is killed mid-run.
"""

from __future__ import annotations

import json
import sys

import anyio

import adk_store

from ._load import Ack, run_writer


def _print_ack(ack: Ack) -> None:
    print(json.dumps({"ack": [ack.session_id, ack.event_id, ack.revision]}), flush=True)


async def _main(db_url: str, appends: int, writers: list[int]) -> None:
    async with adk_store.SessionService(db_url) as service:
        logs = []
        async with anyio.create_task_group() as group:

            async def run(writer: int) -> None:
                logs.append(await run_writer(service, writer, appends, _print_ack))

            for writer in writers:
                group.start_soon(run, writer)
    for log in logs:
        print(log.summary(), flush=True)


if __name__ == "__main__":
    url, backend, count, writer_list = sys.argv[1:5]
    anyio.run(_main, url, int(count), [int(w) for w in writer_list.split(",")], backend=backend)
