from __future__ import annotations

import os

import pytest

from .conftest import GOOGLE_ADK_INSTALLED


def test_google_adk_is_installed() -> None:
    if GOOGLE_ADK_INSTALLED:
        return
    message = "google-adk is not installed: pip install -e '.[test,adk]'"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)
