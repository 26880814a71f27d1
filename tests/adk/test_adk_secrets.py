"""No error or log line of ``import_adk``/``export_adk`` (Python or command line) holds the
password of a database URL it was given."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from adk_store import AdkStoreError, SessionService
from adk_store.adk import export_adk, import_adk
from adk_store.adk._uri import hide_password, hide_secrets

from ..cli._run import adk_store_command
from ..conftest import PostgresProvider

SECRET = "s3cret-Pa55"

pytestmark = pytest.mark.postgresql


def _url_with_password(provider: PostgresProvider, database: str) -> str:
    """A URL to ``database`` (which does not exist) on the test server, with a password."""
    parts = urlsplit(provider.url_for(database))
    user = parts.username or "postgres"
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return urlunsplit(parts._replace(netloc=f"{user}:{SECRET}@{host}"))


@pytest.fixture
def missing_database(postgres: PostgresProvider) -> str:
    return _url_with_password(postgres, "no_such_database")


async def test_an_import_error_does_not_hold_the_source_password(
    missing_database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AdkStoreError) as failed:
        await import_adk(missing_database, f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")

    assert "no_such_database" in str(failed.value)
    assert SECRET not in str(failed.value)
    assert all(SECRET not in record.getMessage() for record in caplog.records)


async def test_an_export_error_does_not_hold_the_target_password(
    missing_database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    async with SessionService(store, create_schema=True):
        pass

    with pytest.raises(AdkStoreError) as failed:
        await export_adk(store, missing_database)

    assert "no_such_database" in str(failed.value)
    assert SECRET not in str(failed.value)
    assert all(SECRET not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("command", ["import-adk", "export-adk"])
def test_the_command_line_error_does_not_hold_the_password(
    command: str, missing_database: str, tmp_path: Path
) -> None:
    store = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    if command == "export-adk":
        assert adk_store_command("init", url=store).returncode == 0

    finished = adk_store_command(command, missing_database, url=store)

    assert finished.returncode == 2, finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1, finished.stderr
    assert "no_such_database" in finished.stderr
    assert SECRET not in finished.stderr + finished.stdout


def test_passwords_are_hidden_in_urls_and_wherever_a_driver_quotes_them() -> None:
    url = "postgresql+asyncpg://app:p%40ss@db:5432/app"

    assert (
        hide_password(f"cannot open {url}")
        == "cannot open postgresql+asyncpg://app:***@db:5432/app"
    )
    assert hide_secrets("login as app with p@ss failed", [url]) == "login as app with *** failed"
