"""State scopes: routing a delta by key prefix and merging the scopes back. No I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import StateSerializationError
from ._models import JsonDict

APP_PREFIX = "app:"
USER_PREFIX = "user:"
TEMP_PREFIX = "temp:"


@dataclass(frozen=True)
class ScopedDelta:
    """A state delta split by scope; ``app_state`` and ``user_state`` keys have no prefix."""

    app_state: JsonDict
    user_state: JsonDict
    session_state: JsonDict
    temp_state: JsonDict

    @property
    def persistent(self) -> bool:
        """Whether any scope that is stored changes."""
        return bool(self.app_state or self.user_state or self.session_state)


def split_state_delta(state_delta: Mapping[str, Any], *, where: str = "state") -> ScopedDelta:
    """Route each key of ``state_delta`` to its scope, checking it can be stored as JSON.

    >>> split_state_delta({"app:theme": "dark", "step": 2}).app_state
    {'theme': 'dark'}
    """
    app_state: JsonDict = {}
    user_state: JsonDict = {}
    session_state: JsonDict = {}
    temp_state: JsonDict = {}
    for key, value in state_delta.items():
        if not isinstance(key, str):
            raise StateSerializationError(
                f"{where} key {key!r}", f"keys must be str, not {type(key).__name__}"
            )
        if key.startswith(TEMP_PREFIX):
            temp_state[key] = value
            continue
        check_json_value(value, f"{where}[{key!r}]")
        if key.startswith(APP_PREFIX):
            app_state[key[len(APP_PREFIX) :]] = value
        elif key.startswith(USER_PREFIX):
            user_state[key[len(USER_PREFIX) :]] = value
        else:
            session_state[key] = value
    return ScopedDelta(app_state, user_state, session_state, temp_state)


def merge_scopes(app_state: JsonDict, user_state: JsonDict, session_state: JsonDict) -> JsonDict:
    """The single state dict a session exposes: session keys plus prefixed app and user keys."""
    merged = dict(session_state)
    merged.update(prefixed(APP_PREFIX, app_state))
    merged.update(prefixed(USER_PREFIX, user_state))
    return merged


def prefixed(prefix: str, scope_state: JsonDict) -> JsonDict:
    """``scope_state`` with ``prefix`` (``app:`` or ``user:``) on every key."""
    return {prefix + key: value for key, value in scope_state.items()}


def without_temp(state_delta: Mapping[str, Any]) -> JsonDict:
    """The part of a delta that is persisted: every key but ``temp:`` ones."""
    return {
        key: value
        for key, value in state_delta.items()
        if not (isinstance(key, str) and key.startswith(TEMP_PREFIX))
    }


def check_state_values(state: Mapping[str, Any], where: str) -> None:
    """The rule ``create_session`` applies to a scope's state, and import to a recorded one:
    ``str`` keys, each value as :func:`check_json_value` admits it (at most 256 levels deep).

    >>> check_state_values({"step": [1, 2]}, "state")
    """
    for key, value in state.items():
        if not isinstance(key, str):
            raise StateSerializationError(
                f"{where} key {key!r}", f"keys must be str, not {type(key).__name__}"
            )
        check_json_value(value, f"{where}[{key!r}]")


def check_json_value(value: Any, where: str) -> None:
    """Raise :class:`StateSerializationError` unless ``value`` reads back from JSON unchanged.

    Allowed: ``None``, ``bool``, ``int``, finite ``float``, ``str``, ``list`` and ``dict`` with
    ``str`` keys, nested. Tuples, sets, bytes, datetimes, NaN and cycles are refused, because
    JSON would change them or cannot hold them.
    """
    _check(value, where, set(), 0)


_MAX_DEPTH = 256


def _check(value: Any, where: str, path_ids: set[int], depth: int) -> None:
    if value is None or type(value) in (str, bool, int):
        return
    if type(value) is float:
        if not math.isfinite(value):
            raise StateSerializationError(where, f"{value!r} is not a finite number")
        return
    if depth >= _MAX_DEPTH:
        raise StateSerializationError(where, f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, (dict, list)):
        if id(value) in path_ids:
            raise StateSerializationError(where, "it contains itself (a circular reference)")
        path_ids.add(id(value))
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise StateSerializationError(
                        f"{where}[{key!r}]", f"keys must be str, not {type(key).__name__}"
                    )
                _check(item, f"{where}[{key!r}]", path_ids, depth + 1)
        else:
            for index, item in enumerate(value):
                _check(item, f"{where}[{index}]", path_ids, depth + 1)
        path_ids.discard(id(value))
        return
    raise StateSerializationError(
        where,
        f"a {type(value).__name__} is not JSON (use str, int, float, bool, None, list, dict)",
    )
