"""Misconfiguration fails at once with a message that says what is wrong, instead of looking
like success (acknowledged writes that vanish) or failing late with an empty message."""

from __future__ import annotations

import anyio
import pytest
from anyio.abc import SocketStream

import adk_store

pytestmark = pytest.mark.reliability


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///", "sqlite://"])
async def test_an_empty_sqlite_path_is_refused(url: str) -> None:
    with pytest.raises(adk_store.InvalidArgumentError, match="names no database file"):
        adk_store.SessionService(url)


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), "1"])
async def test_a_nonsense_connect_timeout_is_refused(seconds: object) -> None:
    with pytest.raises(adk_store.InvalidArgumentError, match="connect_timeout"):
        adk_store.SessionService("sqlite+aiosqlite:///app.db", connect_timeout=seconds)  # type: ignore[arg-type]


async def test_a_server_that_never_answers_fails_after_connect_timeout_naming_it() -> None:
    """A PostgreSQL address where something accepts TCP connections and never says a word."""
    accepted: list[SocketStream] = []

    async def hold(stream: SocketStream) -> None:
        accepted.append(stream)
        await anyio.sleep_forever()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, hold)
        service = adk_store.SessionService(
            f"postgresql+asyncpg://app@127.0.0.1:{port}/app", connect_timeout=0.3
        )
        with anyio.fail_after(60), pytest.raises(adk_store.DatabaseError) as raised:
            await service.create_session(app_name="a", user_id="u")
        await service.close()
        group.cancel_scope.cancel()
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message
    assert "0.3 s (connect_timeout)" in message
    assert accepted, "the service never reached the silent server"
