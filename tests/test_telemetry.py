"""Logging and tracing: spans per operation when OpenTelemetry is there, logs without values."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import adk_store
from adk_store import Event, EventActions

sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

SECRET = "do-not-log-7f3a"


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    span_exporter.clear()
    yield span_exporter
    span_exporter.clear()


async def test_each_operation_is_a_span_with_database_and_app(
    service: adk_store.SessionService, spans: InMemorySpanExporter
) -> None:
    session = await service.create_session(app_name="tutor", user_id="ada")
    await service.append_event(session, Event(author="user"))
    await service.get_session(app_name="tutor", user_id="ada", session_id=session.id)

    finished = {span.name: span for span in spans.get_finished_spans()}

    for name in ("create_session", "append_event", "get_session"):
        span = finished[f"adk_store.{name}"]
        assert span.attributes is not None
        assert span.attributes["db.system"] == service.dialect_name
        assert span.attributes["adk_store.app_name"] == "tutor"
        assert span.status.is_ok


async def test_a_failed_operation_is_recorded_on_its_span(
    service: adk_store.SessionService, spans: InMemorySpanExporter
) -> None:
    await service.create_session(app_name="tutor", user_id="ada", session_id="s1")
    spans.clear()

    with pytest.raises(adk_store.SessionExistsError):
        await service.create_session(app_name="tutor", user_id="ada", session_id="s1")

    [span] = spans.get_finished_spans()
    assert span.name == "adk_store.create_session"
    assert span.status.status_code == trace.StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


async def test_logs_name_stale_appends_but_never_values(
    service: adk_store.SessionService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="adk_store")
    session = await service.create_session(
        app_name="tutor", user_id="ada", state={"secret": SECRET}
    )
    copy = await service.get_session(app_name="tutor", user_id="ada", session_id=session.id)
    assert copy is not None
    secret_event = Event(
        author="user",
        content={"parts": [{"text": SECRET}]},
        actions=EventActions(state_delta={"user:secret": SECRET}),
    )
    await service.append_event(session, secret_event)

    with pytest.raises(adk_store.StaleSessionError):
        await service.append_event(copy, Event(author="user"))

    messages = [
        record.getMessage() for record in caplog.records if record.name.startswith("adk_store")
    ]
    assert any("stale append refused" in message and session.id in message for message in messages)
    assert not any(SECRET in message for message in messages)


async def test_schema_upgrades_are_logged(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="adk_store")

    await adk_store.create_schema(db_url)

    messages = [record.getMessage() for record in caplog.records]
    assert any("upgrading the" in message and "version 1" in message for message in messages)
    assert any("opened the" in message for message in messages)


def test_without_opentelemetry_nothing_is_imported_and_operations_work(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["opentelemetry"] = None  # as if it were not installed
        import anyio, adk_store

        async def main():
            url = "sqlite+aiosqlite:///{tmp_path / "plain.db"}"
            async with adk_store.SessionService(url, create_schema=True) as service:
                await service.create_session(app_name="a", user_id="u")

        anyio.run(main)
        loaded = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
        print(loaded)
        """
    )
    root = Path(__file__).resolve().parents[1]
    finished = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=root,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "['opentelemetry']"
