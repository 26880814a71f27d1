"""Switching from google-adk's database services: one changed line, nothing else.

A new user replaces ``DatabaseSessionService(db_url=url)`` with ``AdkSessionService(url)`` in
an existing ``Runner`` on a brand-new database, with no other argument and no ``async with``;
or starts google-adk's web server with an adk-store URI registered in ``services.py``.
google-adk's Runner is asyncio-only, so these tests run under asyncio alone.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from google.adk.runners import Runner

from adk_store.adk import AdkSessionService
from adk_store.demos.barista import APP_NAME, build_barista_agent, converse

from .._db import database_name, is_mysql, raw_script

pytestmark = pytest.mark.parametrize("anyio_backend", ["asyncio"])

PASSWORD = "pw-that-must-not-be-logged"

SERVICES_PY = """\
from adk_store.adk import register_session_services

register_session_services()
"""


def texts_of(events: list) -> list[str]:  # type: ignore[type-arg]
    return [part.text for event in events for part in event.content.parts or [] if part.text]


async def test_a_runner_works_on_a_new_database_with_only_the_url(db_url: str) -> None:
    session_service = AdkSessionService(db_url)
    try:
        runner = Runner(
            agent=build_barista_agent(), app_name=APP_NAME, session_service=session_service
        )
        session = await session_service.create_session(app_name=APP_NAME, user_id="ada")
        replies = await converse(
            runner, user_id="ada", session_id=session.id, text="Hi! My name is Ada."
        )
        await runner.close()

        assert texts_of(replies) == ["Nice to meet you, Ada! I'll remember you."]
        stored = await session_service.get_session(
            app_name=APP_NAME, user_id="ada", session_id=session.id
        )
        assert stored is not None
        assert [event.id for event in stored.events][1:] == [event.id for event in replies]
        assert stored.state["user:name"] == "Ada"
    finally:
        await session_service.close()


@pytest.fixture
def agents_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder as passed to ``adk web``, holding the ``services.py`` from the docs."""
    folder = tmp_path / "agents"
    folder.mkdir()
    (folder / "services.py").write_text(SERVICES_PY)
    sys.modules.pop("services", None)
    yield folder
    sys.modules.pop("services", None)
    if str(folder) in sys.path:
        sys.path.remove(str(folder))


async def with_password(url: str) -> str:
    """``url`` with a password added: PostgreSQL's test server trusts local connections,
    and on MariaDB's a user with that password is made for the database."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return url
    user = parts.username or "postgres"
    if is_mysql(url):
        user = "swap"
        account = f"'{user}'@'{parts.hostname}'"
        await raw_script(
            url,
            [
                f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY '{PASSWORD}'",
                f"GRANT ALL ON `{database_name(url)}`.* TO {account}",
            ],
        )
    netloc = f"{user}:{PASSWORD}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.mark.parametrize("form", ["adk-store+{url}", "adk-store:{url}"])
async def test_adk_web_server_serves_both_uri_forms_and_logs_no_password(
    db_url: str, agents_dir: Path, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    from google.adk.cli.service_registry import load_services_module
    from google.adk.cli.utils.service_factory import create_session_service_from_options

    uri = form.format(url=await with_password(db_url))
    caplog.set_level(logging.DEBUG)
    load_services_module(str(agents_dir))
    built = create_session_service_from_options(base_dir=agents_dir, session_service_uri=uri)

    assert isinstance(built, AdkSessionService)
    try:
        created = await built.create_session(app_name=APP_NAME, user_id="ada")
        listed = await built.list_sessions(app_name=APP_NAME, user_id="ada")
        assert [session.id for session in listed.sessions] == [created.id]
    finally:
        await built.close()
    logged = [record.getMessage() for record in caplog.records]
    assert any("Using session service URI" in message for message in logged)
    assert not any(PASSWORD in message for message in logged)
