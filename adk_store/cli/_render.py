"""How sessions and events read on a terminal: times, text, tool calls, state deltas.

Ids, authors, text and state come from clients (google-adk's web server takes ids from
requests), so they are printed literally: never read as rich markup, and with control
characters (escape sequences, newlines) shown as escapes, so that a value cannot clear the
screen, set the terminal's title or fake a line of output.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from rich.text import Text

from .. import Event
from .._models import JsonDict

TEXT_WIDTH = 120

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls, DEL, line and paragraph separators and bidirectional overrides."""
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(text: str) -> str:
    """``text`` with each control character written as an escape (``\\x1b``, ``\\n``).

    >>> escaped("a\\x1b[2Jb")
    'a\\\\x1b[2Jb'
    """
    return _CONTROL.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    character = found.group()
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def literal(text: str) -> Text:
    """``text`` for a rich table or console: escaped, and never read as markup."""
    return Text(escaped(text))


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
