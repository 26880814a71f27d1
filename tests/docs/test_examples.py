"""Every Python example in README.md and docs/ runs, so a renamed argument fails here first.

Each page's examples run in order in one namespace (as a reader would paste them), in a fresh
working directory, so relative SQLite URLs land in a temp dir. Top-level ``await`` works. A
PostgreSQL URL in an example is replaced by a new database on the test server (each distinct
URL by its own database), so examples written for PostgreSQL run on a real one. Whatever
service or database the examples leave open is closed afterwards.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import os
import re
import types
from pathlib import Path
from typing import Any

import databases
import pytest

import adk_store

from ._markdown import ROOT, Example, documentation_pages, examples_in

_POSTGRES_URL = re.compile(r"postgresql(?:\+asyncpg)?://[^\s\"'`]+")


def _pages_with_examples() -> list[Any]:
    params = []
    for page in documentation_pages():
        runnable = [example for example in examples_in(page) if example.skip_reason is None]
        if not runnable:
            continue
        marks = [pytest.mark.postgresql] if _needs_postgres(runnable) else []
        params.append(pytest.param(page, marks=marks, id=str(page.relative_to(ROOT))))
    return params


def _needs_postgres(examples: list[Example]) -> bool:
    return any(_POSTGRES_URL.search(example.code) for example in examples)


def _needs_google_adk(examples: list[Example]) -> bool:
    return any(
        "google.adk" in example.code or "adk_store.adk" in example.code for example in examples
    )


@pytest.mark.parametrize("page", _pages_with_examples())
def test_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    runnable = [example for example in examples_in(page) if example.skip_reason is None]
    if _needs_google_adk(runnable) and importlib.util.find_spec("google.adk") is None:
        message = "these examples need google-adk: pip install 'adk-store[adk]'"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    postgres_urls: dict[str, str] = {}
    if _needs_postgres(runnable):
        provider = request.getfixturevalue("postgres")

        def test_database(match: re.Match[str]) -> str:
            if match.group(0) not in postgres_urls:
                postgres_urls[match.group(0)] = provider.new_database()
            return postgres_urls[match.group(0)]

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", [page.name])
    namespace: dict[str, Any] = {"__name__": "__main__"}
    loop = asyncio.new_event_loop()
    try:
        for example in runnable:
            source = example.code
            if _POSTGRES_URL.search(source):
                source = _POSTGRES_URL.sub(test_database, source)
            _run(example, source, namespace, loop)
        loop.run_until_complete(_close_what_is_left_open(namespace))
    finally:
        loop.close()


def test_skipped_examples_say_why() -> None:
    skipped = [
        example
        for page in documentation_pages()
        for example in examples_in(page)
        if example.skip_reason is not None
    ]
    assert all(len(example.skip_reason or "") >= 10 for example in skipped), [
        example.where for example in skipped
    ]


def _run(
    example: Example, source: str, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop
) -> None:
    # Blank lines in front make tracebacks point at the line in the Markdown file.
    padded = "\n" * (example.first_line - 1) + source
    code = compile(
        padded, str(example.page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    if code.co_flags & inspect.CO_COROUTINE:
        loop.run_until_complete(types.FunctionType(code, namespace)())
    else:
        exec(code, namespace)


async def _close_what_is_left_open(namespace: dict[str, Any]) -> None:
    closable: tuple[type, ...] = (adk_store.SessionService,)
    try:
        from adk_store.adk import AdkSessionService
    except ImportError:
        pass
    else:
        closable = (AdkSessionService, *closable)
    for value in list(namespace.values()):
        if isinstance(value, closable):
            await value.close()
    for value in list(namespace.values()):
        if isinstance(value, databases.Database) and value.is_connected:
            await value.disconnect()
