"""Whether the optional google-adk dependency is installed, asked without importing it."""

from __future__ import annotations

import importlib.util


def google_adk_installed() -> bool:
    """Whether ``google.adk`` can be imported; ``False`` also when no ``google`` package is."""
    try:
        return importlib.util.find_spec("google.adk") is not None
    except ModuleNotFoundError:
        return False
