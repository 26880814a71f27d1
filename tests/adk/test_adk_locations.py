"""``import-adk`` and ``export-adk`` read and write exactly the files their URLs name, as the
service does: ``#``, ``?`` and ``%`` in a file name are percent-encoded in a URL, and a plain
path is the file name as written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

import pytest

from adk_store.adk._adk_stores._database import location_url

from ..cli._run import adk_store_command
from . import _adk_sources as sources


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{quote(str(path))}"


def _database_files(directory: Path) -> set[str]:
    return {name for name in os.listdir(directory) if not name.endswith(("-wal", "-shm"))}


@pytest.fixture
def awkward_source(tmp_path: Path) -> Path:
    """A google-adk database of 3 sessions in a file named ``a#b?.db``."""
    built = tmp_path / "built.db"
    sources.build_database(f"sqlite+aiosqlite:///{built}", sessions=3, events=4)
    source = tmp_path / "a#b?.db"
    built.rename(source)
    return source


def _sessions_in(url: str) -> int:
    finished = adk_store_command("status", "--json", url=url)
    assert finished.returncode == 0, finished.stderr
    return int(json.loads(finished.stdout)["sessions"])


@pytest.mark.parametrize("spelled", ["as a URL", "as a plain path"])
def test_import_adk_reads_the_file_named_and_writes_the_store_named(
    awkward_source: Path, tmp_path: Path, spelled: str
) -> None:
    source = _url(awkward_source) if spelled == "as a URL" else str(awkward_source)
    store = _url(tmp_path / "store 100%.db")

    finished = adk_store_command("import-adk", source, url=store)

    assert finished.returncode == 0, finished.stderr
    assert _database_files(tmp_path) == {"a#b?.db", "store 100%.db"}
    assert _sessions_in(store) == 3


def test_export_adk_writes_the_file_its_url_names(awkward_source: Path, tmp_path: Path) -> None:
    store = _url(tmp_path / "store.db")
    assert adk_store_command("import-adk", str(awkward_source), url=store).returncode == 0

    finished = adk_store_command("export-adk", _url(tmp_path / "back#1.db"), url=store)

    assert finished.returncode == 0, finished.stderr
    assert _database_files(tmp_path) == {"a#b?.db", "store.db", "back#1.db"}
    assert len(sources.adk_view("database", _url(tmp_path / "back#1.db"))) == 3


def test_import_adk_from_a_bare_hash_is_refused_and_opens_nothing(
    awkward_source: Path, tmp_path: Path
) -> None:
    store = _url(tmp_path / "store.db")

    finished = adk_store_command("import-adk", f"sqlite+aiosqlite:///{awkward_source}", url=store)

    assert finished.returncode == 2
    assert "%23" in finished.stderr
    assert _database_files(tmp_path) == {"a#b?.db"}


@pytest.mark.parametrize(
    ("given", "read_with"),
    [
        ("postgresql+psycopg2://app@db/adk", "postgresql+asyncpg://app@db/adk"),
        ("mysql+pymysql://app@db/adk", "mysql+asyncmy://app@db/adk"),
        ("mariadb+mariadbconnector://app@db/adk", "mysql+asyncmy://app@db/adk"),
        ("sqlite:///adk.db", "sqlite+aiosqlite:///adk.db"),
    ],
)
def test_google_adks_own_url_is_read_with_adk_stores_driver(given: str, read_with: str) -> None:
    assert location_url(given) == read_with
