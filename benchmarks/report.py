"""Measurements, the table printed at the end of a run, and its JSON form."""

from __future__ import annotations

import json
import platform
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASELINE = "adk"
FLOOR = "floor"


@dataclass
class Measurement:
    """One implementation on one workload: a latency per operation, in seconds.

    Sequential workloads rate operations against the sum of their latencies (work between
    operations, such as binding the floor's values, is left out); concurrent ones against the
    wall-clock time of the whole run (``wall_seconds``).
    """

    database: str
    workload: str
    implementation: str
    latencies: list[float]
    wall_seconds: float | None = None
    errors: int = 0
    note: str = ""

    @property
    def operations(self) -> int:
        return len(self.latencies)

    @property
    def ops_per_second(self) -> float:
        elapsed = self.wall_seconds if self.wall_seconds is not None else sum(self.latencies)
        return self.operations / elapsed if elapsed else float("inf")

    def percentile_ms(self, percent: int) -> float:
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[percent - 1] * 1000

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "workload": self.workload,
            "implementation": self.implementation,
            "operations": self.operations,
            "ops_per_second": round(self.ops_per_second, 1),
            "p50_ms": round(self.percentile_ms(50), 3),
            "p99_ms": round(self.percentile_ms(99), 3),
            "errors": self.errors,
            "note": self.note,
        }


@dataclass
class Report:
    sizes: dict[str, int]
    databases: dict[str, str] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)

    def _peer(self, measurement: Measurement, implementation: str) -> Measurement | None:
        for other in self.measurements:
            if (other.database, other.workload, other.implementation) == (
                measurement.database,
                measurement.workload,
                implementation,
            ):
                return other
        return None

    def ratios(self, measurement: Measurement) -> tuple[float | None, float | None]:
        """(ops/s over google-adk's, time per operation over the floor's)."""
        baseline = self._peer(measurement, BASELINE)
        floor = self._peer(measurement, FLOOR)
        return (
            None if baseline is None else measurement.ops_per_second / baseline.ops_per_second,
            None if floor is None else floor.ops_per_second / measurement.ops_per_second,
        )

    def turn_summary(self) -> str:
        """A Markdown table of the agent turns: median and p99 per store, the adapter's turn
        over the in-memory service's, and storage time per turn (a turn's median minus the
        light-copy in-memory turn's) of google-adk's database service over the adapter's."""
        rows = []
        turns = [m for m in self.measurements if m.workload.startswith("turn, ")]
        for database, workload in dict.fromkeys((m.database, m.workload) for m in turns):
            found = {
                m.implementation: m
                for m in turns
                if (m.database, m.workload) == (database, workload)
            }
            if not {"memory-light", "memory", "adk", "adapter"} <= found.keys():
                continue
            p50 = {name: found[name].percentile_ms(50) for name in found}
            storage = {name: p50[name] - p50["memory-light"] for name in ("adk", "adapter")}
            cells = " | ".join(
                f"{p50[name]:.1f} · {found[name].percentile_ms(99):.1f}"
                for name in ("memory-light", "memory", "adk", "adapter")
            )
            storage_ratio = (
                f"{storage['adk'] / storage['adapter']:.1f}×" if storage["adapter"] > 0 else "∞"
            )
            rows.append(
                f"| {database} | {workload.removeprefix('turn, ')} | {cells} "
                f"| {p50['adapter'] / p50['memory']:.2f}× "
                f"| {storage['adk']:.1f} / {storage['adapter']:.1f} | {storage_ratio} |"
            )
        if not rows:
            return ""
        header = [
            "| turn (ms, p50 · p99) | history | memory-light | memory | adk | adapter "
            "| adapter / memory | storage ms: adk / adapter | storage adk / adapter |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        return "\n".join(header + rows)

    def summary(self) -> str:
        """A Markdown table per database: ops/s of each implementation, side by side."""
        implementations = list(dict.fromkeys(m.implementation for m in self.measurements))
        tables = []
        for database in dict.fromkeys(m.database for m in self.measurements):
            lines = [
                f"| {database}: ops/s | " + " | ".join(implementations) + " |",
                "|---|" + "---:|" * len(implementations),
            ]
            for workload in dict.fromkeys(
                m.workload for m in self.measurements if m.database == database
            ):
                cells = []
                for implementation in implementations:
                    found = [
                        m
                        for m in self.measurements
                        if (m.database, m.workload, m.implementation)
                        == (database, workload, implementation)
                    ]
                    cells.append(f"{found[0].ops_per_second:,.1f}" if found else "—")
                lines.append(f"| {workload} | " + " | ".join(cells) + " |")
            tables.append("\n".join(lines))
        return "\n\n".join(tables)

    def table(self) -> str:
        """A Markdown table: one row per database, workload and implementation."""
        header = (
            "| database | workload | implementation | ops/s | p50 ms | p99 ms "
            "| speed vs adk | time vs floor | errors |"
        )
        lines = [header, "|" + "---|" * 9]
        for measurement in self.measurements:
            versus_adk, versus_floor = self.ratios(measurement)
            name = measurement.implementation
            if measurement.note:
                name += f" ({measurement.note})"
            lines.append(
                f"| {measurement.database} | {measurement.workload} | {name} "
                f"| {measurement.ops_per_second:,.1f} | {measurement.percentile_ms(50):.2f} "
                f"| {measurement.percentile_ms(99):.2f} | {_times(versus_adk)} "
                f"| {_times(versus_floor)} | {measurement.errors} |"
            )
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "sizes": self.sizes,
            "databases": self.databases,
            "results": [
                {
                    **measurement.as_json(),
                    "speed_vs_adk": _rounded(self.ratios(measurement)[0]),
                    "time_vs_floor": _rounded(self.ratios(measurement)[1]),
                }
                for measurement in self.measurements
            ],
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n")


def _times(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}×"


def _rounded(ratio: float | None) -> float | None:
    return None if ratio is None else round(ratio, 3)
