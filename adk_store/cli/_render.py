"""How sessions and events read on a terminal: times, text, tool calls, state deltas."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from .._models import Event, JsonDict

TEXT_WIDTH = 120


def utc_time(seconds: float | None) -> str:
    """``2026-11-27 10:42:05Z`` for epoch seconds (``-`` for none)."""
    if seconds is None:
        return "-"
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def event_text(event: Event) -> str:
    """The text parts of an event's content, joined and shortened."""
    parts = _parts(event)
    text = " ".join(str(part["text"]) for part in parts if isinstance(part.get("text"), str))
    return _shorten(" ".join(text.split()))


def event_tool_calls(event: Event) -> str:
    """Function calls (``name(args)``) and responses (``name → result``) in the content."""
    described = []
    for part in _parts(event):
        call = part.get("function_call") or part.get("functionCall")
        response = part.get("function_response") or part.get("functionResponse")
        if isinstance(call, dict):
            described.append(f"{call.get('name')}({_compact(call.get('args', {}))})")
        if isinstance(response, dict):
            described.append(f"{response.get('name')} → {_compact(response.get('response'))}")
    return _shorten("; ".join(described))


def state_delta_text(event: Event) -> str:
    delta = event.actions.state_delta
    return _shorten(_compact(delta)) if delta else ""


def _parts(event: Event) -> list[JsonDict]:
    content = event.content or {}
    parts = content.get("parts") if isinstance(content, dict) else None
    return [part for part in parts or [] if isinstance(part, dict)]


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _shorten(text: str) -> str:
    return text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "…"
