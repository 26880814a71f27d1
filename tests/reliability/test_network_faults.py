"""Network faults between the service and PostgreSQL (and MariaDB), through a proxy on
127.0.0.1.

A reply lost after the server committed an append, a create or a delete: the service finds
out on a new connection that it is stored, and reports success (an append with the caller's
session up to date); when it
cannot find out, it raises :class:`OutcomeUnknownError`, never an error that says nothing was
written. A network that falls silent (the sockets stay open) holds no append, no deadline and
no ``close()`` longer than ``write_timeout`` and ``connect_timeout``. A server that is down
is one warning in the log, not a traceback every few seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import anyio
import pytest

import adk_store
from adk_store import Event, EventActions, SessionService

from ._proxy import Proxy, proxy_for

pytestmark = [pytest.mark.reliability, pytest.mark.databases("postgresql")]

KEY = {"app_name": "net-app", "user_id": "net-user", "session_id": "net-session"}
SHORT = {"connect_timeout": 0.5, "write_timeout": 0.5}
"""Bounds short enough for a test; a silent network is given up on after about a second."""
HEAL_AFTER = 6.0
"""Seconds after which a silent proxy heals by itself, so that a hang fails the test
instead of stopping the suite."""


@pytest.fixture
def proxy(db_url: str) -> AsyncIterator[Proxy]:
    with proxy_for(db_url) as opened:
        yield opened


async def _session_with_one_event(service: SessionService) -> adk_store.Session:
    """A session whose append statement has been sent on the held connection once already,
    so that the next append is a single request and reply."""
    session = await service.create_session(**KEY)
    await service.append_event(session, Event(author="user", actions=EventActions({"n": 1})))
    return session


async def _stored_event_ids(db_url: str) -> list[str]:
    async with SessionService(db_url) as direct:
        stored = await direct.get_session(**KEY)
    assert stored is not None
    return [event.id for event in stored.events]


async def test_an_append_whose_reply_was_lost_succeeds_and_brings_the_session_up_to_date(
    db_url: str, proxy: Proxy
) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True) as service:
        session = await _session_with_one_event(service)
        event = Event(author="user", actions=EventActions({"n": 2, "temp:scratch": "x"}))

        proxy.drop_next_reply()
        returned = await service.append_event(session, event)

        assert proxy.replies_dropped == 1
        assert returned is event
        assert session.revision == 2
        assert session.events[-1] is event
        assert session.state == {"n": 2, "temp:scratch": "x"}
        assert await _stored_event_ids(db_url) == [stored.id for stored in session.events]
        await service.append_event(session, Event(author="user"))
        assert session.revision == 3


async def test_a_stale_append_whose_reply_was_lost_brings_in_what_the_caller_missed(
    db_url: str, proxy: Proxy
) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True) as service:
        session = await _session_with_one_event(service)
        other = await service.get_session(**KEY)
        assert other is not None
        await service.append_event(other, Event(author="other", actions=EventActions({"o": 1})))
        event = Event(author="user", actions=EventActions({"n": 2}))

        proxy.drop_next_reply(after=b"COMMIT\x00")
        await service.append_event(session, event, allow_stale=True)

        assert proxy.replies_dropped == 1
        assert session.revision == 3
        assert [stored.author for stored in session.events] == ["user", "other", "user"]
        assert session.events[-1] is event
        assert session.state == {"n": 2, "o": 1}
        assert await _stored_event_ids(db_url) == [stored.id for stored in session.events]


async def test_an_append_whose_outcome_cannot_be_found_out_raises_outcome_unknown(
    db_url: str, proxy: Proxy
) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True, **SHORT) as service:
        session = await _session_with_one_event(service)
        event = Event(author="user", actions=EventActions({"n": 2}))

        proxy.drop_next_reply()
        proxy.refuse()
        with anyio.fail_after(10), pytest.raises(adk_store.OutcomeUnknownError) as raised:
            await service.append_event(session, event)
        proxy.heal()

        assert raised.value.event_id == event.id
        assert "get_session()" in str(raised.value)
        assert session.revision == 1
        assert event.id in await _stored_event_ids(db_url)
        with pytest.raises(adk_store.StaleSessionError):
            await service.append_event(session, Event(author="user"))


async def _heal_later(proxy: Proxy) -> None:
    await anyio.sleep(HEAL_AFTER)
    proxy.heal()


async def test_a_silent_network_holds_an_append_under_a_deadline_only_for_write_timeout(
    db_url: str, proxy: Proxy
) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True, **SHORT) as service:
        session = await _session_with_one_event(service)
        async with anyio.create_task_group() as group:
            proxy.fall_silent()
            group.start_soon(_heal_later, proxy)
            started = time.monotonic()
            with anyio.move_on_after(0.2) as deadline:
                await service.append_event(session, Event(author="user"))
            waited = time.monotonic() - started
            group.cancel_scope.cancel()
        proxy.heal()

        assert deadline.cancelled_caught
        assert waited < 2.0, f"the append held its caller {waited:.1f} s past its deadline"
        assert session.revision == 1


async def test_a_silent_network_makes_an_append_raise_outcome_unknown(
    db_url: str, proxy: Proxy
) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True, **SHORT) as service:
        session = await _session_with_one_event(service)
        async with anyio.create_task_group() as group:
            proxy.fall_silent()
            group.start_soon(_heal_later, proxy)
            started = time.monotonic()
            with pytest.raises(adk_store.OutcomeUnknownError, match="write_timeout"):
                await service.append_event(session, Event(author="user"))
            waited = time.monotonic() - started
            group.cancel_scope.cancel()
        proxy.heal()

        assert waited < 3.0, f"the append waited {waited:.1f} s"
        assert session.revision == 1
        await service.get_session(**KEY)


async def test_close_returns_on_a_silent_network(db_url: str, proxy: Proxy) -> None:
    service = SessionService(proxy.url(db_url), create_schema=True, pool_size=3, **SHORT)
    await _session_with_one_event(service)
    async with anyio.create_task_group() as group:
        proxy.fall_silent()
        group.start_soon(_heal_later, proxy)
        started = time.monotonic()
        await service.close()
        waited = time.monotonic() - started
        group.cancel_scope.cancel()

    assert waited < 3.0, f"close() waited {waited:.1f} s"


async def test_a_database_that_is_down_is_one_warning_not_a_traceback_every_few_seconds(
    db_url: str, proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with SessionService(proxy.url(db_url), create_schema=True, **SHORT) as service:
        await _session_with_one_event(service)
        proxy.refuse()
        proxy.cut_all()
        failures = 0
        with anyio.move_on_after(2.5):
            while True:
                with pytest.raises(adk_store.DatabaseError):
                    await service.get_session(**KEY)
                failures += 1
                await anyio.sleep(0.1)
        proxy.heal()
        assert await service.get_session(**KEY) is not None

    assert failures > 5
    from_asyncpg = [record for record in caplog.records if record.name.startswith("asyncpg")]
    assert [record.getMessage() for record in from_asyncpg] == []
    ours = [record.getMessage() for record in caplog.records if record.name == "adk_store"]
    assert len(ours) == 2, ours
    assert ours[0].startswith("cannot open a database connection")
    assert ours[1].startswith("a database connection opened again")


OTHER = {**KEY, "session_id": "warm-up"}
"""A session created and deleted first, so that the statements under test have been sent on
the held connection once already (the next one is a single request and reply)."""


def _drop_the_reply_that_commits(proxy: Proxy, db_url: str) -> None:
    """Drop the reply to the statement that commits a create or a delete: PostgreSQL creates
    in one statement and delete's ``COMMIT`` is a simple query (text, then NUL); MariaDB
    sends ``COMMIT`` as a query command (byte 3, then the text)."""
    if db_url.startswith("postgresql"):
        proxy.drop_next_reply(after=b"COMMIT\x00")
    else:
        proxy.drop_next_reply(after=b"\x03COMMIT")


def _drop_the_create_reply(proxy: Proxy, db_url: str) -> None:
    if db_url.startswith("postgresql"):
        proxy.drop_next_reply()  # one statement, its own transaction
    else:
        _drop_the_reply_that_commits(proxy, db_url)


@pytest.mark.databases("postgresql", "mysql")
async def test_a_create_whose_reply_was_lost_returns_the_session_it_stored(
    db_url: str, proxy: Proxy
) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True) as service:
        await service.create_session(**OTHER)

        _drop_the_create_reply(proxy, db_url)
        created = await service.create_session(**KEY, state={"n": 1, "app:a": 2})

        assert proxy.replies_dropped == 1
        assert created.state == {"n": 1, "app:a": 2}
        assert created.revision == 0
        stored = await service.get_session(**KEY)
        assert stored is not None
        assert (stored.state, stored.create_time) == (created.state, created.create_time)
        await service.append_event(created, Event(author="user"))


@pytest.mark.databases("postgresql", "mysql")
async def test_a_create_whose_outcome_cannot_be_found_out_raises_outcome_unknown(
    db_url: str, proxy: Proxy
) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True, **SHORT) as service:
        await service.create_session(**OTHER)

        _drop_the_create_reply(proxy, db_url)
        proxy.refuse()
        with anyio.fail_after(10), pytest.raises(adk_store.OutcomeUnknownError) as raised:
            await service.create_session(**KEY)
        proxy.heal()

        assert "creating session 'net-session'" in str(raised.value)
        assert "get_session()" in str(raised.value)


@pytest.mark.databases("postgresql", "mysql")
async def test_a_delete_whose_commit_reply_was_lost_succeeds(db_url: str, proxy: Proxy) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True) as service:
        await _session_with_one_event(service)
        await service.create_session(**OTHER)
        await service.delete_session(**OTHER)

        _drop_the_reply_that_commits(proxy, db_url)
        await service.delete_session(**KEY)

        assert proxy.replies_dropped == 1
        assert await service.get_session(**KEY) is None


@pytest.mark.databases("postgresql", "mysql")
async def test_a_lost_delete_succeeds_though_another_caller_created_the_session_again(
    db_url: str, proxy: Proxy
) -> None:
    service = SessionService(proxy.url(db_url), create_schema=True, pool_size=1)
    async with service, SessionService(db_url) as direct:
        await _session_with_one_event(service)
        await service.create_session(**OTHER)
        await service.delete_session(**OTHER)

        async def create_again_then_heal() -> None:
            await anyio.sleep(0.3)
            await direct.create_session(**KEY)
            proxy.heal()

        _drop_the_reply_that_commits(proxy, db_url)
        proxy.refuse()  # the look-up waits until the other caller has created it again
        async with anyio.create_task_group() as group:
            group.start_soon(create_again_then_heal)
            with anyio.fail_after(10):
                await service.delete_session(**KEY)

        assert proxy.replies_dropped == 1
        stored = await direct.get_session(**KEY)
        assert stored is not None
        assert stored.events == []  # the other caller's session, not the one deleted


@pytest.mark.databases("postgresql", "mysql")
async def test_an_import_whose_commit_reply_was_lost_reports_it_stored(
    db_url: str, proxy: Proxy
) -> None:
    async with SessionService(proxy.url(db_url), create_schema=True) as service:
        await service.import_session(adk_store.SessionRecord(**_record_key(OTHER)))
        record = adk_store.SessionRecord(
            **_record_key(KEY),
            state={"k": 1},
            create_time=1_700_000_000.5,
            update_time=1_700_000_001.5,
            events=[Event(id="e1", author="user", timestamp=1_700_000_001.5)],
        )

        _drop_the_reply_that_commits(proxy, db_url)
        assert await service.import_session(record) is True

        assert proxy.replies_dropped == 1
        stored = await service.get_session(**KEY)
        assert stored is not None
        assert (stored.state, stored.create_time) == ({"k": 1}, 1_700_000_000.5)
        assert [event.id for event in stored.events] == ["e1"]
        assert await service.import_session(record, skip_existing=True) is False


def _record_key(key: dict[str, str]) -> dict[str, str]:
    return {"app_name": key["app_name"], "user_id": key["user_id"], "id": key["session_id"]}
