"""``30d``, ``12h``, ``90m``: durations on the command line."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import click

_PART = re.compile(r"(\d+)([wdhms])")
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """A duration such as ``30d``, ``12h``, ``90m``, ``45s``, ``2w`` or ``1d12h``.

    >>> parse_duration("1d12h")
    datetime.timedelta(days=1, seconds=43200)
    """
    compact = text.strip().lower()
    parts = _PART.findall(compact)
    if not compact or "".join(number + unit for number, unit in parts) != compact:
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit (w, d, h, m, s), "
            "for example 30d, 12h or 90m"
        )
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a duration: it must be longer than zero")
    return timedelta(seconds=seconds)


def to_duration(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    """An option callback: the option's text as a :class:`timedelta` (a bad one is a usage
    error naming the option)."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except (ValueError, OverflowError) as error:
        raise click.BadParameter(str(error), ctx, param) from None


_EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc).timestamp()
"""Cut-offs before this have no date: they cannot be printed, and no session is that old."""


def cutoff_before_now(older_than: timedelta) -> float:
    """Epoch seconds ``older_than`` ago; one reaching back before the year 1 is a usage error
    of ``--older-than`` (raised before anything is done)."""
    cutoff = time.time() - older_than.total_seconds()
    if cutoff < _EARLIEST:
        raise click.BadParameter(
            f"{older_than.days} days reaches back before the year 1; no session is that old",
            param_hint="'--older-than'",
        )
    return cutoff
