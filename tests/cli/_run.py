"""Running the real command line in a subprocess, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio

import adk_store

from .._db import raw_fetch
from ..operations._contents import fill_memories, fill_store

REPOSITORY = Path(__file__).resolve().parents[2]


def adk_store_command(
    *args: str, url: str | None = None, stdin: str | None = None, env_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m adk_store ARGS [--url URL]``; ``env_url`` goes in ``ADK_STORE_URL``."""
    env = cli_environment()
    if env_url is not None:
        env["ADK_STORE_URL"] = env_url
    command = [sys.executable, "-m", "adk_store", *args]
    if url is not None:
        command += ["--url", url]
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
    )


def cli_environment() -> dict[str, str]:
    """This environment, without ``ADK_STORE_URL``, importing this checkout's adk_store."""
    env = {key: value for key, value in os.environ.items() if key != "ADK_STORE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return env


def succeeded(*args: str, url: str | None = None, stdin: str | None = None) -> str:
    """The output of a command that must succeed."""
    finished = adk_store_command(*args, url=url, stdin=stdin)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def filled_store(url: str, **sizes: int) -> list[adk_store.Session]:
    """Create the schema at ``url`` and fill it with varied sessions."""

    async def fill() -> list[adk_store.Session]:
        async with adk_store.SessionService(url, create_schema=True) as service:
            return await fill_store(service, **sizes)

    return anyio.run(fill)


def remember(url: str, sessions: list[adk_store.Session]) -> int:
    """Add memories of ``sessions`` (the first then deleted) and of their users to the store
    at ``url``; returns how many."""

    async def add() -> int:
        async with adk_store.SessionService(url) as service:
            return await fill_memories(service, sessions)

    return anyio.run(add)


def fetch_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` read with the plain driver, bypassing adk-store."""
    return anyio.run(raw_fetch, url, sql)
