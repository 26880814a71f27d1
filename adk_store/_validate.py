"""Argument checks and page tokens: pure functions, no I/O.

Every public method of :class:`~adk_store.SessionService` checks its arguments here before it
touches the database, so a bad argument raises :class:`InvalidArgumentError` and changes
nothing.

>>> check_id("app", "app_name")
>>> decode_page_token(encode_page_token(1.5, "u1", "s1", with_user_id=False), with_user_id=False)
{'after_time': 1.5, 'after_id': 's1'}
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from ._errors import InvalidArgumentError
from ._models import SessionVersion, new_id

MAX_ROWS = 2**62
"""Counts above this (a row limit must fit a signed 64-bit integer) mean "all"."""

MAX_ID_CHARS = 255
MAX_ID_BYTES = 640
"""Ids are bounded so that the four-part event key fits PostgreSQL's b-tree entry limit."""


def check_id(value: object, name: str) -> None:
    """Raise unless ``value`` is a str a database can store as a key, exactly as given.

    Every str google-adk accepts is accepted, the empty one and padded ones included; refused
    are only what no database keys on: NUL, lone surrogates, and more than
    :data:`MAX_ID_CHARS` characters or :data:`MAX_ID_BYTES` bytes of UTF-8.
    """
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a str, not {type(value).__name__}")
    if len(value) > MAX_ID_CHARS or len(value.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        raise InvalidArgumentError(
            f"{name} {value[:40]!r}… is too long: at most {MAX_ID_CHARS} characters "
            f"and {MAX_ID_BYTES} bytes of UTF-8"
        )
    if "\x00" in value:
        raise InvalidArgumentError(f"{name} {value!r} contains a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError(f"{name} {value!r} contains a lone surrogate") from None


MAX_SCHEMA_NAME_BYTES = 63
"""PostgreSQL truncates longer identifiers."""


def check_schema_name(schema: object) -> None:
    """Raise unless ``schema`` can name a PostgreSQL schema exactly (it is quoted as given)."""
    if not isinstance(schema, str) or not schema:
        raise InvalidArgumentError(f"schema must be a non-empty str or None, not {schema!r}")
    encoded = schema.encode("utf-8", "surrogatepass")
    if (
        "\x00" in schema
        or len(encoded) > MAX_SCHEMA_NAME_BYTES
        or encoded != schema.encode("utf-8", "replace")
    ):
        raise InvalidArgumentError(
            f"schema {schema[:70]!r} cannot name a PostgreSQL schema: at most "
            f"{MAX_SCHEMA_NAME_BYTES} bytes of UTF-8, without NUL or lone surrogates"
        )


def check_session_key(app_name: object, user_id: object, session_id: object) -> None:
    check_id(app_name, "app_name")
    check_id(user_id, "user_id")
    check_id(session_id, "session_id")


def new_session_id(session_id: object) -> str:
    """The id ``create_session`` stores: ``session_id`` exactly as given, or a new uuid4 for
    ``None``."""
    if session_id is None:
        return new_id()
    if not isinstance(session_id, str):
        raise InvalidArgumentError(
            f"session_id must be a str or None, not {type(session_id).__name__}"
        )
    check_id(session_id, "session_id")
    return session_id


def check_pool_size(pool_size: int) -> None:
    if pool_size < 1:
        raise InvalidArgumentError(f"pool_size must be at least 1, not {pool_size}")


def check_timeout(value: object, name: str) -> float:
    """A number of seconds: finite and positive."""
    seconds = check_seconds(value, name)
    if seconds <= 0:
        raise InvalidArgumentError(f"{name} must be a positive number of seconds, not {value}")
    return seconds


def check_recent(value: object) -> int | None:
    """``num_recent_events``: ``None`` (all), or a count capped at :data:`MAX_ROWS`."""
    if value is None:
        return None
    if type(value) is not int:
        raise InvalidArgumentError(f"num_recent_events must be an int or None, not {value!r}")
    if value < 0:
        raise InvalidArgumentError(f"num_recent_events must not be negative, not {value}")
    return min(value, MAX_ROWS)


def check_timestamp(value: object, name: str) -> float | None:
    """A finite number of seconds as a float, or ``None``."""
    if value is None:
        return None
    return check_seconds(value, name)


def check_seconds(value: object, name: str) -> float:
    """A finite number of seconds as a float; an int too large for a float is refused too
    (its repr alone could be thousands of digits, so the message leaves it out)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{name} must be a number of seconds, not {value!r}")
    try:
        seconds = float(value)
    except OverflowError:
        raise InvalidArgumentError(
            f"{name} must be finite, not an integer too large for a float"
        ) from None
    if not math.isfinite(seconds):
        raise InvalidArgumentError(f"{name} must be finite, not {value!r}")
    return seconds


def check_page(limit: object, page_token: object) -> None:
    """``list_sessions``'s ``limit`` and ``page_token`` (a token needs a limit)."""
    if limit is not None and (type(limit) is not int or limit < 1):
        raise InvalidArgumentError(f"limit must be a positive int or None, not {limit!r}")
    if page_token is not None and limit is None:
        raise InvalidArgumentError("page_token needs a limit")


NEWEST_FIRST = "newest_first"


def encode_page_token(
    last_update_time: float,
    user_id: str,
    session_id: str,
    *,
    with_user_id: bool,
    newest_first: bool = False,
) -> str:
    """The token for the page after the session with this update time and key."""
    position: list[Any] = [last_update_time, session_id]
    if with_user_id:
        position.insert(1, user_id)
    if newest_first:
        # The order travels in the token, so a call in the other order refuses it.
        position.append(NEWEST_FIRST)
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode_page_token(
    token: str, *, with_user_id: bool, newest_first: bool = False
) -> dict[str, Any]:
    """The query values a token stands for; any other text raises InvalidArgumentError."""
    refused = InvalidArgumentError(
        f"page_token {str(token)[:40]!r} is not a token list_sessions returned"
    )
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError, AttributeError, binascii.Error):
        raise refused from None
    expected_length = (3 if with_user_id else 2) + newest_first
    if not isinstance(position, list) or len(position) != expected_length:
        raise refused
    if newest_first and position.pop() != NEWEST_FIRST:
        raise refused
    after_time, *ids = position
    if (
        isinstance(after_time, bool)
        or not isinstance(after_time, (int, float))
        or not all(isinstance(part, str) for part in ids)
    ):
        raise refused
    try:
        after_time = float(after_time)
    except OverflowError:
        raise refused from None
    if not math.isfinite(after_time):
        raise refused
    values: dict[str, Any] = {"after_time": after_time, "after_id": ids[-1]}
    if with_user_id:
        values["after_user_id"] = ids[0]
    return values


def check_known_version(known: object) -> None:
    """A ``SessionVersion`` a reader passes back: a revision of 0 or more, a finite create time,
    and the id of the event at that revision (``None`` only at revision 0)."""
    if not isinstance(known, SessionVersion):
        raise InvalidArgumentError(f"known must be a SessionVersion or None, not {known!r}")
    if type(known.revision) is not int or known.revision < 0:
        raise InvalidArgumentError(f"known.revision must be an int >= 0, not {known.revision!r}")
    check_seconds(known.create_time, "known.create_time")
    if (known.last_event_id is None) != (known.revision == 0):
        raise InvalidArgumentError(
            "known.last_event_id must be the id of the event at known.revision "
            "(None only at revision 0)"
        )
    if known.last_event_id is not None:
        check_id(known.last_event_id, "known.last_event_id")
