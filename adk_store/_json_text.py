"""Values to the compact JSON text every stored document is, refused with a message naming
where the value came from when JSON or UTF-8 cannot hold it."""

from __future__ import annotations

import json
from typing import Any

from ._errors import StateSerializationError


def dumps(value: Any, where: str) -> str:
    """Compact JSON text for ``value``; a value JSON cannot hold raises, naming ``where``."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as error:
        raise StateSerializationError(where, str(error) or type(error).__name__) from None
    check_encodable(text, where)
    return text


def check_encodable(text: str, where: str) -> None:
    """Refuse ``text`` when UTF-8 cannot encode it (a lone surrogate), naming ``where``."""
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise StateSerializationError(
            where, "it contains a lone surrogate, which no database can store as UTF-8"
        ) from None
