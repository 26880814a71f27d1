"""Export and import of large stores through the command line: time, peak memory, exactness.

    python benchmarks/export_import.py POSTGRES_SERVER_URL [SESSIONS ...]

POSTGRES_SERVER_URL names a server where databases may be created
(``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``). For each size (default 1000 and
10000 sessions of 4 events each) it imports a generated export into a new SQLite file,
exports it, imports that into a new PostgreSQL database, exports again, and checks that the
two exports are byte-identical. Each command runs as its own process; its peak memory is
that process's maximum resident set size.
"""

from __future__ import annotations

import asyncio
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.operations._contents import write_generated_export


def run_cli(*args: str) -> tuple[float, float]:
    """Run ``adk-store ARGS``; its wall time in seconds and peak memory in MiB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "adk_store", *args], stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"adk-store {' '.join(args)} failed ({process.returncode})")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def new_postgres_database(server_url: str, name: str) -> str:
    import asyncpg

    async def create() -> None:
        dsn = server_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return urlunsplit(urlsplit(server_url)._replace(path="/" + name))


def measure(server_url: str, sessions: int, directory: Path) -> None:
    generated = directory / f"generated-{sessions}.jsonl"
    write_generated_export(generated, sessions)
    sqlite_url = f"sqlite+aiosqlite:///{directory / f'bench-{sessions}.db'}"
    postgres_url = new_postgres_database(server_url, f"adk_bench_{sessions}")
    from_sqlite = directory / f"sqlite-{sessions}.jsonl"
    from_postgres = directory / f"postgresql-{sessions}.jsonl"
    steps = [
        (
            "import into SQLite",
            ["init", "--url", sqlite_url],
            ["import", "--url", sqlite_url, str(generated)],
        ),
        ("export from SQLite", None, ["export", "--url", sqlite_url, str(from_sqlite)]),
        (
            "import into PostgreSQL",
            ["init", "--url", postgres_url],
            ["import", "--url", postgres_url, str(from_sqlite)],
        ),
        ("export from PostgreSQL", None, ["export", "--url", postgres_url, str(from_postgres)]),
    ]
    for label, setup, command in steps:
        if setup:
            run_cli(*setup)
        seconds, peak = run_cli(*command)
        print(f"{sessions:>6} sessions  {label:<24} {seconds:7.1f} s  peak {peak:6.1f} MiB")
    same = filecmp.cmp(from_sqlite, from_postgres, shallow=False)
    size = from_sqlite.stat().st_size / 2**20
    print(
        f"{sessions:>6} sessions  export {size:.1f} MiB, byte-identical across databases: {same}"
    )
    if not same:
        raise SystemExit(1)


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    sizes = [int(size) for size in sys.argv[2:]] or [1000, 10_000]
    with tempfile.TemporaryDirectory() as directory:
        for sessions in sizes:
            measure(sys.argv[1], sessions, Path(directory))


if __name__ == "__main__":
    main()
