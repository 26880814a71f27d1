"""Fixtures for the google-adk integration; these tests need the ``adk`` extra.

Without google-adk the test modules are not collected and ``test_google_adk_is_installed``
reports a skip, or, under ``CI=true``, a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adk_store.demos.optional import google_adk_installed

GOOGLE_ADK_INSTALLED = google_adk_installed()

if not GOOGLE_ADK_INSTALLED:
    collect_ignore = [
        path.name
        for path in Path(__file__).parent.glob("test_*.py")
        if path.name != "test_requirements.py"
    ]
else:
    from adk_store.adk import AdkSessionService

    @pytest.fixture
    async def adk_service(db_url: str) -> AsyncIterator[AdkSessionService]:
        """An ``AdkSessionService`` on a new database with the schema created."""
        async with AdkSessionService(db_url, create_schema=True) as opened:
            yield opened
