"""A throwaway PostgreSQL cluster for the test suite, started from the system's binaries.

The cluster trusts local connections and runs with ``fsync=off`` (tests never need durability
across a power cut); where it lives and as whom it runs: :mod:`tests._servers`.
"""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

from ._servers import ThrowawayServer, start_in_temporary_directory

DATABASE = "adk_store_test"


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or ``None`` if PostgreSQL is absent."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for directory in reversed(candidates):
        if (Path(directory) / "initdb").exists():
            return Path(directory)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class PostgresServer(ThrowawayServer):
    """One cluster: ``start()``, ``stop()``, ``restart()``, ``psql()``, and ``url_for`` a
    database on it."""

    database = "PostgreSQL"
    system_user = "postgres"

    def __init__(self, bin_dir: Path, base_dir: Path) -> None:
        super().__init__(base_dir)
        self.bin_dir = bin_dir
        self.socket_dir = base_dir / "socket"

    @property
    def url(self) -> str:
        return self.url_for(DATABASE)

    def url_for(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self._own(self.base_dir, self.socket_dir)
        self._run(
            str(self.bin_dir / "initdb"),
            *("-D", str(self.data_dir), "--auth=trust", "-U", "postgres"),
            *("--encoding=UTF8", "--no-locale"),
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.socket_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            *("-D", str(self.data_dir), "-l", str(self.log_file), "-o", options),
            *("-w", "-t", "60", "start"),
        )
        self._wait_ready(30)

    def stop(self, mode: str = "fast") -> None:
        self._run(
            str(self.bin_dir / "pg_ctl"),
            *("-D", str(self.data_dir), "-m", mode, "-w", "stop"),
            check=False,
        )

    def halt(self) -> None:
        self.stop("immediate")

    def restart(self) -> None:
        self.stop()
        self.start()

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = self._run(
            str(self.bin_dir / "psql"),
            *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database),
            *("-v", "ON_ERROR_STOP=1", "-At", "-c", sql),
        )
        return result.stdout

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server() -> PostgresServer:
    """Initialise and start a new cluster in a fresh temporary directory."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL is not installed: apt-get install postgresql "
            "(or set ADK_STORE_TEST_POSTGRES_URL to a server's URL)"
        )
    return start_in_temporary_directory(
        lambda base_dir: PostgresServer(bin_dir, base_dir), "adk-store-pg-"
    )
