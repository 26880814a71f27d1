"""A throwaway MariaDB server for the test suite, started from the system's binaries.

The server lives in a temporary directory, listens on 127.0.0.1 on a free port, lets the
``root`` account in without a password from there only, and runs without durability
(tests never need it across a power cut). As root, the server runs as the ``mysql`` user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_mariadbd() -> Path | None:
    """The ``mariadbd`` binary, or ``None`` if MariaDB is not installed."""
    for candidate in (shutil.which("mariadbd"), "/usr/sbin/mariadbd"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MariadbServer:
    """One server: ``start()``, ``stop()``, and ``url_for`` a database on it."""

    def __init__(self, server_binary: Path, base_dir: Path) -> None:
        self.server_binary = server_binary
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.socket = base_dir / "server.sock"
        self.log_file = base_dir / "server.log"
        self.port = _free_port()
        self._as_mysql = os.geteuid() == 0
        self._process: subprocess.Popen[bytes] | None = None

    def url_for(self, database: str) -> str:
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/{database}"

    def _as_server_user(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "mysql", "--", *command] if self._as_mysql else command

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "server log:\n" + "\n".join(text.splitlines()[-lines:])

    def init(self) -> None:
        self.data_dir.mkdir(parents=True)
        if self._as_mysql:
            for path in (self.base_dir, self.data_dir):
                shutil.chown(path, "mysql", "mysql")
        result = subprocess.run(
            self._as_server_user(
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={self.data_dir}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ]
            ),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"mariadb-install-db failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}"
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
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.1)
        raise RuntimeError(f"MariaDB did not accept connections\n{self.log_tail()}")

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

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)


def start_server() -> MariadbServer:
    """Initialise and start a new server in a fresh temporary directory."""
    binary = find_mariadbd()
    if binary is None:
        raise RuntimeError("MariaDB is not installed: apt-get install mariadb-server")
    base_dir = Path(tempfile.mkdtemp(prefix="adk-store-mariadb-"))
    server = MariadbServer(binary, base_dir)
    try:
        server.init()
        server.start()
    except BaseException:
        server.cleanup()
        raise
    return server
