"""Logging and tracing: what adk-store tells an operator, and never what it stores.

Logs go to ``logging.getLogger("adk_store")``: connecting, schema checks and upgrades and
dropped dead connections (debug, upgrades at info), stale appends refused (debug). Ids and
counts appear in messages; state values and event content never do.

When ``opentelemetry-api`` is importable, every public operation is a span named
``adk_store.<operation>`` (``adk_store.append_event``, …) carrying ``db.system`` (``sqlite`` or
``postgresql``) and, when the operation has one, ``adk_store.app_name``; an error is recorded
on its span, which is marked failed. Without it nothing is imported and a span costs nothing.

>>> with operation_span("append_event", "sqlite", "tutor"):
...     ...
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

logger = logging.getLogger("adk_store")

try:
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - depends on the environment
    _trace = None  # type: ignore[assignment]

SPAN_PREFIX = "adk_store."


def operation_span(
    operation: str, database: str, app_name: str | None = None
) -> AbstractContextManager[Any]:
    """A span around one public operation, or nothing when OpenTelemetry is absent."""
    if _trace is None:
        return nullcontext()
    return _span(operation, database, app_name)


@contextmanager
def _span(operation: str, database: str, app_name: str | None) -> Iterator[Any]:
    assert _trace is not None
    attributes = {"db.system": database}
    if app_name is not None:
        attributes["adk_store.app_name"] = app_name
    tracer = _trace.get_tracer("adk_store")
    # An exception escaping the block is recorded on the span, which is marked failed.
    with tracer.start_as_current_span(SPAN_PREFIX + operation, attributes=attributes) as span:
        yield span
