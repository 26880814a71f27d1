"""A throwaway MariaDB server for the test suite, started from the system's binaries.

The server lets the ``root`` account in without a password, from 127.0.0.1 only, and runs
without durability (tests never need it across a power cut); where it lives and as whom it
runs: :mod:`tests._servers`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ._servers import ThrowawayServer, start_in_temporary_directory


def find_mariadbd() -> Path | None:
    """The ``mariadbd`` binary, or ``None`` if MariaDB is not installed."""
    for candidate in (shutil.which("mariadbd"), "/usr/sbin/mariadbd"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


class MariadbServer(ThrowawayServer):
    """One server: ``start()``, ``stop()``, ``sql()``, and ``url_for`` a database on it."""

    database = "MariaDB"
    system_user = "mysql"

    def __init__(self, server_binary: Path, base_dir: Path) -> None:
        super().__init__(base_dir)
        self.server_binary = server_binary
        self.socket = base_dir / "server.sock"
        self._process: subprocess.Popen[bytes] | None = None

    def url_for(self, database: str) -> str:
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self._own(self.base_dir, self.data_dir)
        self._run(
            "mariadb-install-db",
            *("--no-defaults", f"--datadir={self.data_dir}"),
            *("--auth-root-authentication-method=normal", "--skip-test-db"),
            timeout=300,
        )

    def start(self) -> None:
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                self._as_server_user(
                    [
                        str(self.server_binary),
                        "--no-defaults",
                        f"--datadir={self.data_dir}",
                        f"--port={self.port}",
                        "--bind-address=127.0.0.1",
                        f"--socket={self.socket}",
                        f"--log-error={self.log_file}",
                        "--innodb-flush-log-at-trx-commit=0",
                        "--innodb-doublewrite=0",
                        "--sync-binlog=0",
                        "--max-connections=400",
                        "--innodb-buffer-pool-size=128M",
                        "--skip-name-resolve",
                        "--character-set-server=utf8mb4",
                        "--collation-server=utf8mb4_general_ci",
                    ]
                ),
                stdout=log,
                stderr=log,
            )
        process = self._process
        self._wait_ready(60, exited=lambda: process.poll() is not None)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def sql(self, statement: str) -> str:
        """Run ``statement`` with the ``mariadb`` client as root; its rows, tab-separated."""
        result = subprocess.run(
            [
                *("mariadb", "--no-defaults", "--batch", "--skip-column-names"),
                *("-h", "127.0.0.1", "-P", str(self.port), "-u", "root", "-e", statement),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"mariadb -e {statement!r} failed:\n{result.stderr}")
        return result.stdout

    def create_database(self, name: str) -> str:
        self.sql(f"CREATE DATABASE `{name}`")
        return self.url_for(name)


def start_server() -> MariadbServer:
    """Initialise and start a new server in a fresh temporary directory."""
    binary = find_mariadbd()
    if binary is None:
        raise RuntimeError(
            "MariaDB is not installed: apt-get install mariadb-server "
            "(or set ADK_STORE_TEST_MYSQL_URL to a server's URL)"
        )
    return start_in_temporary_directory(
        lambda base_dir: MariadbServer(binary, base_dir), "adk-store-mariadb-"
    )
