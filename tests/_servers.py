"""What the suite's throwaway database servers share, whichever database they run.

Each lives in a fresh temporary directory (data, socket and log), listens on 127.0.0.1 on a
free port, and is removed with its directory by ``cleanup()``. As root, its commands run as
the database's own system user (``postgres``, ``mysql``), since the servers refuse to run as
root. A subclass says how to initialise, start and stop its database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

Server = TypeVar("Server", bound="ThrowawayServer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayServer(ABC):
    """One server in ``base_dir``: ``init()``, ``start()``, ``stop()``, ``cleanup()``."""

    database: str
    """The database's name, for messages."""
    system_user: str
    """The user its commands run as when the tests run as root."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.log_file = base_dir / "server.log"
        self.port = free_port()
        self._as_system_user = os.geteuid() == 0

    @abstractmethod
    def init(self) -> None:
        """Create the data directory's first contents."""

    @abstractmethod
    def start(self) -> None:
        """Start the server and return once it accepts connections."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def url_for(self, database: str) -> str:
        """The URL adk-store takes for ``database`` on this server."""

    def halt(self) -> None:
        """Stop at once, for ``cleanup()``; by default as ``stop()`` does."""
        self.stop()

    def cleanup(self) -> None:
        """Stop the server at once and remove its directory."""
        self.halt()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def _as_server_user(self, command: list[str]) -> list[str]:
        return (
            ["runuser", "-u", self.system_user, "--", *command]
            if self._as_system_user
            else command
        )

    def _own(self, *directories: Path) -> None:
        """Create ``directories`` for the server's user."""
        for directory in directories:
            directory.mkdir(parents=True, exist_ok=True)
            if self._as_system_user:
                shutil.chown(directory, self.system_user, self.system_user)

    def _run(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run a command as the server's user; with ``check``, a failure raises with its
        output and the end of the server's log."""
        result = subprocess.run(
            self._as_server_user(list(args)), capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "server log:\n" + "\n".join(text.splitlines()[-lines:])

    def _wait_ready(self, seconds: float, *, exited: Callable[[], bool] = lambda: False) -> None:
        """Return once the port accepts connections; raise after ``seconds`` or as soon as
        ``exited()`` says the server process ended."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not exited():
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.database} did not accept connections\n{self.log_tail()}")


def start_in_temporary_directory(make: Callable[[Path], Server], prefix: str) -> Server:
    """``make(directory)`` in a fresh temporary directory, initialised and started; removed
    again if either step fails."""
    server = make(Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        server.init()
        server.start()
    except BaseException:
        server.cleanup()
        raise
    return server
