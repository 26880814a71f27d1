"""Benchmarks: google-adk's DatabaseSessionService, adk-store's adapter and core, and a floor.

    python -m benchmarks [--smoke] [--db sqlite|postgresql|mysql|all|both] [--json results.json]

Module by concern: ``servers`` (where the databases live), ``implementations`` and ``floor``
(what is measured, behind one interface), ``workloads`` (what is timed and checked), ``report``
(the table and the JSON).
"""
