"""A database URL names one file, and that file is the one used: by the service, the command
line, ``backup`` and ``import-adk`` alike. ``#``, ``?`` and ``%`` in a SQLite file name are
percent-encoded; bare, they are refused before any file is touched."""

from __future__ import annotations

import doctest
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest

import adk_store
from adk_store import AdkStoreError, InvalidArgumentError, SessionService, _locations
from adk_store.dialects import SqliteOptions, dialect_for

from .cli._run import adk_store_command

AWKWARD_NAMES = ["a#b.db", "q x.db", "h?x.db", "50%.db", "q%20x.db", "é ü.db"]


def _url(directory: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{quote(str(directory / name))}"


def _database_files(directory: Path) -> set[str]:
    return {name for name in os.listdir(directory) if not name.endswith(("-wal", "-shm"))}


async def _store_one_session(url: str) -> None:
    async with SessionService(url) as service:
        await service.create_session(app_name="app", user_id="u", session_id="s")


async def _read_the_session(url: str) -> adk_store.Session | None:
    async with SessionService(url) as service:
        return await service.get_session(app_name="app", user_id="u", session_id="s")


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(_locations).failed == 0


@pytest.mark.anyio
@pytest.mark.parametrize("name", AWKWARD_NAMES)
async def test_the_service_stores_in_exactly_the_file_its_percent_encoded_url_names(
    tmp_path: Path, name: str
) -> None:
    url = _url(tmp_path, name)

    await _store_one_session(url)

    assert _database_files(tmp_path) == {name}
    assert await _read_the_session(url) is not None


@pytest.mark.anyio
async def test_a_relative_url_names_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    await _store_one_session("sqlite+aiosqlite:///a%23b.db")

    assert _database_files(tmp_path) == {"a#b.db"}


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("a#b.db", "'#'"),
        ("h?x.db", "'x.db'"),
        ("app.db?mode=memory", "'mode'"),
        ("100%.db", "'%'"),
        ("bad%zz.db", "'%'"),
        ("bad%FF.db", "not UTF-8"),
        ("nul%00.db", "NUL"),
    ],
)
def test_a_url_that_could_name_another_file_is_refused_saying_why(
    tmp_path: Path, path: str, named: str
) -> None:
    url = f"sqlite+aiosqlite:///{quote(str(tmp_path))}/{path}"

    with pytest.raises(InvalidArgumentError) as refused:
        SessionService(url)

    assert named in str(refused.value)
    assert os.listdir(tmp_path) == []


def test_a_relative_name_sqlite_could_read_as_a_uri_is_refused_with_its_spelling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(InvalidArgumentError, match=re.escape("sqlite+aiosqlite:///./file:app.db")):
        SessionService("sqlite+aiosqlite:///file:app.db")

    assert os.listdir(tmp_path) == []


def test_a_sqlite_url_with_a_host_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="three slashes"):
        dialect_for("sqlite+aiosqlite://app.db/x", SqliteOptions())


@pytest.mark.parametrize("parameter", ["sslmode", "password", "max_size"])
def test_a_postgresql_parameter_the_connection_would_ignore_is_refused_by_name(
    parameter: str,
) -> None:
    url = f"postgresql+asyncpg://app@db/app?ssl=require&{parameter}=x"

    with pytest.raises(InvalidArgumentError, match=f"'{parameter}'") as refused:
        dialect_for(url, SqliteOptions())

    assert "=x" not in str(refused.value)


def test_postgresql_parameters_the_connection_honours_are_accepted() -> None:
    url = "postgresql+asyncpg://app@/app?host=/run/postgresql&ssl=require"

    assert dialect_for(url, SqliteOptions()).name == "postgresql"


@pytest.mark.parametrize(
    "url",
    ["postgresql+aiopg://app@db/app", "postgres+psycopg://app@db/app", "sqlite+pysqlite:///a.db"],
)
def test_a_driver_adk_store_does_not_run_on_is_refused_by_name(url: str) -> None:
    # Not a ModuleNotFoundError from inside the connection library: one line naming both.
    with pytest.raises(InvalidArgumentError, match=r"asyncpg|aiosqlite") as refused:
        SessionService(url)

    assert url.partition(":")[0] in str(refused.value)


def test_an_unknown_scheme_is_still_an_adk_store_error() -> None:
    with pytest.raises(AdkStoreError, match="unsupported database URL scheme 'oracle'"):
        _locations.parse_location("oracle://u@h/db")


def test_backup_copies_exactly_the_file_the_url_names(tmp_path: Path) -> None:
    url = _url(tmp_path, "a#b.db")
    assert adk_store_command("init", url=url).returncode == 0
    target = tmp_path / "copy#1.db"

    finished = adk_store_command("backup", str(target), url=url)

    assert finished.returncode == 0, finished.stderr
    assert _database_files(tmp_path) == {"a#b.db", "copy#1.db"}
    copied = adk_store_command("status", "--json", url=_url(tmp_path, "copy#1.db"))
    assert copied.returncode == 0, copied.stderr
    assert '"schema_version"' in copied.stdout


def test_a_bare_hash_in_the_cli_url_is_one_line_and_touches_nothing(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"")
    url = f"sqlite+aiosqlite:///{tmp_path}/a#b.db"

    finished = adk_store_command("backup", str(tmp_path / "copy.db"), url=url)

    assert finished.returncode == 2
    assert finished.stderr.count("\n") == 1
    assert "%23" in finished.stderr
    assert _database_files(tmp_path) == {"a"}
    assert (tmp_path / "a").read_bytes() == b""
