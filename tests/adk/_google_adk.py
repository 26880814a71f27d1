"""Which google-adk line the tests run on (1.x or 2.x), and the little that differs."""

from __future__ import annotations

from importlib.metadata import version

import pytest

GOOGLE_ADK_VERSION = tuple(int(part) for part in version("google-adk").split(".")[:2])
GOOGLE_ADK_2 = GOOGLE_ADK_VERSION >= (2, 0)

try:
    from google.adk.errors import StaleSessionError as AdkStaleSessionError
except ImportError:  # google-adk 1.x: its database service raises ValueError
    AdkStaleSessionError = ValueError  # type: ignore[misc,assignment]

only_google_adk_2 = pytest.mark.skipif(
    not GOOGLE_ADK_2, reason="google-adk 2.x only (1.x has no such field or method)"
)
