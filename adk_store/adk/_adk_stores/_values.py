"""Values as google-adk's tables hold them: times and JSON, read defensively.

The values come from a database adk-store did not write, so any of them may be damaged:
whatever cannot be read raises :class:`SourceFormatError`.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from ... import AdkStoreError


class SourceFormatError(AdkStoreError):
    """The database is not one google-adk's session services wrote, or not a version known."""


def naive_utc(timestamp: float) -> datetime.datetime:
    """Epoch seconds as the naive UTC time (to the microsecond) google-adk stores."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).replace(tzinfo=None)


def epoch_seconds(value: Any) -> float:
    """A time read from google-adk's tables as float epoch seconds.

    DATETIME columns hold naive UTC (text on SQLite, ``timestamp`` on PostgreSQL);
    ``SqliteSessionService`` stores REAL epoch seconds. Anything else, and a time that is
    not finite, raises :class:`SourceFormatError`.
    """
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value) if abs(value) < _LATEST_TIME else math.nan
    elif isinstance(value, (str, datetime.datetime)):
        seconds = _datetime_seconds(value)
    if seconds is None or not math.isfinite(seconds):
        raise SourceFormatError(f"cannot read {_shortened(value)} as a time")
    return seconds


_LATEST_TIME = 1e15
"""Epoch seconds beyond any date (about 30 million years): a time this large is damage."""


def _datetime_seconds(value: str | datetime.datetime) -> float | None:
    try:
        moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return float(moment.timestamp())
    except (ValueError, OverflowError):
        return None


def _shortened(value: Any) -> str:
    """``repr(value)``, cut to a length a one-line message can hold."""
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def json_value(value: Any, where: str) -> Any:
    """A JSON column's value: decoded text (SQLite, raw JSONB) or what the driver decoded."""
    if not isinstance(value, (str, bytes, bytearray)):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as error:
        raise SourceFormatError(f"{where} is not JSON ({type(error).__name__}: {error})") from None


def json_object(value: Any, where: str) -> dict[str, Any]:
    """A JSON column that must hold an object (state); NULL reads as ``{}``."""
    decoded = {} if value is None else json_value(value, where)
    if not isinstance(decoded, dict):
        raise SourceFormatError(f"{where} is not a JSON object: {_shortened(decoded)}")
    return decoded
