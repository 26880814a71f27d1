"""Demo programs: ``python -m adk_store demo`` (a Google ADK agent) and ``demo --core``.

They use only the public API (``adk_store`` and ``adk_store.adk``), as an application would.

>>> run_demo(["--core"])
0
"""

from __future__ import annotations

from .optional import google_adk_installed

__all__ = ["google_adk_installed", "run_demo"]


def run_demo(demo_args: list[str]) -> int:
    """Run the demo named by ``demo_args`` (``--core`` for the core tour); the exit status."""
    if "--core" in demo_args:
        from .core_tour import main as core_tour_main

        return core_tour_main([arg for arg in demo_args if arg != "--core"])
    from .cafe import main as cafe_main

    return cafe_main(demo_args)
