"""Detecting google-adk never raises, whatever is (not) installed."""

from __future__ import annotations

import sys

import pytest

from adk_store.demos.optional import google_adk_installed


def test_no_google_package_at_all_means_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "google.adk", raising=False)
    monkeypatch.setitem(sys.modules, "google", None)
    assert google_adk_installed() is False


def test_google_without_adk_means_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.adk", None)
    assert google_adk_installed() is False
