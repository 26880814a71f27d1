"""The roles and grants of the PostgreSQL production guide are enough, and no more.

The guide's SQL runs as written (role and database names made unique). Before the owner
migrates, the application role's first call fails (it may not create the tables); after, it
does every operation of the service, but still cannot create a table.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from adk_store import DatabaseError, Event, EventActions, SessionService, create_schema

from ._markdown import ROOT, titled_block

GUIDE = ROOT / "docs" / "howto" / "postgresql-production.md"

pytestmark = pytest.mark.postgresql


def _statements(script: str) -> list[str]:
    without_comments = "\n".join(
        line for line in script.splitlines() if not line.lstrip().startswith("--")
    )
    return [statement.strip() for statement in without_comments.split(";") if statement.strip()]


async def _execute(dsn: str, statements: list[str]) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _as(url: str, role: str, database: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}", path=f"/{database}"))


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.mark.parametrize("schema", [None, "agents"])
def test_the_application_role_can_do_everything_the_service_does_and_no_ddl(
    postgres: Any, schema: str | None
) -> None:
    suffix = f"_{os.getpid()}"
    names = {name: f"{name}{suffix}" for name in ("adk_owner", "adk_app", "agents")}

    def unique(sql: str) -> str:
        return re.sub(r"\b(adk_owner|adk_app|agents)\b", lambda name: names[name.group(1)], sql)

    admin_url = postgres.url_for("postgres")
    owner_url = _as(admin_url, names["adk_owner"], names["agents"])
    app_url = _as(admin_url, names["adk_app"], names["agents"])
    schema_name = None if schema is None else names[schema]
    asyncio.run(_execute(_dsn(admin_url), _statements(unique(titled_block(GUIDE, "roles.sql")))))
    try:
        grants = titled_block(GUIDE, "grants.sql" if schema is None else "schema-grants.sql")
        asyncio.run(_execute(_dsn(owner_url), _statements(unique(grants))))
        # Before the deploy step, the application role may not create the tables itself.
        with pytest.raises(DatabaseError, match="permission denied"):
            asyncio.run(_use_every_call(app_url, schema_name))
        asyncio.run(create_schema(owner_url, schema=schema_name))
        asyncio.run(_use_every_call(app_url, schema_name))
        with pytest.raises(Exception, match="permission denied"):
            asyncio.run(_execute(_dsn(app_url), ["CREATE TABLE intruder (id int)"]))
    finally:
        asyncio.run(
            _execute(
                _dsn(admin_url),
                [
                    f'DROP DATABASE IF EXISTS "{names["agents"]}" WITH (FORCE)',
                    f'DROP ROLE IF EXISTS "{names["adk_app"]}"',
                    f'DROP ROLE IF EXISTS "{names["adk_owner"]}"',
                ],
            )
        )


async def _use_every_call(app_url: str, schema: str | None) -> None:
    async with SessionService(app_url, schema=schema) as service:
        session = await service.create_session(
            app_name="tutor", user_id="ada", state={"app:a": 1, "user:u": 1, "s": 1}
        )
        delta = {"app:a": 2, "user:u": 2, "s": 2}
        await service.append_event(session, Event(actions=EventActions(state_delta=delta)))
        loaded = await service.get_session(app_name="tutor", user_id="ada", session_id=session.id)
        assert loaded is not None
        assert loaded.state == {"app:a": 2, "user:u": 2, "s": 2}
        listed = await service.list_sessions(app_name="tutor", limit=10)
        assert [found.id for found in listed.sessions] == [session.id]
        await service.delete_session(app_name="tutor", user_id="ada", session_id=session.id)
        assert (
            await service.get_session(app_name="tutor", user_id="ada", session_id=session.id)
            is None
        )
