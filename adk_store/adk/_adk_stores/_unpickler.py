"""Reading the pickled ``actions`` of google-adk's legacy (v0) event rows, safely.

A pickle is a small program: loading one may call any function it names. The bytes in a
source database are untrusted, so :func:`load_actions` resolves only data types:

* pydantic models and enums defined by google-adk (``google.adk.*``) and google-genai
  (``google.genai.*``), plus the OpenAPI security-scheme models (``fastapi.openapi.models``)
  that google-adk's auth configs are built from;
* the builtin containers and scalars, and a few stdlib value types (dates, decimals, UUIDs,
  paths, ordered and default dicts).

google-adk pickled with the highest protocol of its Python (3 and later are read here); the
older protocols need helper functions (``copyreg``, ``codecs``) that are not admitted.

A class is looked up only in a module that is already imported (the modules holding
google-adk's event types are imported here, up front): a pickle never causes an import. Any
other name is refused with :class:`RefusedPickleError`, which names it; nothing it names is
ever called.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import io
import pathlib
import pickle
import sys
import uuid
from typing import Any

import google.adk.auth.auth_tool
import google.adk.events
import google.adk.tools.tool_confirmation
import google.genai.types
from pydantic import BaseModel

from ... import AdkStoreError

_MODEL_MODULE_PREFIXES = ("google.adk.", "google.genai.", "fastapi.openapi.")

_VALUE_TYPES: dict[tuple[str, str], type] = {
    (kind.__module__, kind.__qualname__): kind
    for kind in (
        dict,
        list,
        set,
        frozenset,
        tuple,
        str,
        bytes,
        bytearray,
        int,
        float,
        bool,
        complex,
        collections.OrderedDict,
        collections.defaultdict,
        datetime.date,
        datetime.datetime,
        datetime.time,
        datetime.timedelta,
        datetime.timezone,
        decimal.Decimal,
        uuid.UUID,
        pathlib.PurePosixPath,
        pathlib.PureWindowsPath,
        pathlib.PosixPath,
        pathlib.WindowsPath,
    )
}
"""Builtin and stdlib types that rebuild from plain values (``pathlib``'s under either name
a Python version records them by)."""
_VALUE_TYPES.update(
    {
        ("pathlib._local", path.__name__): path
        for path in (
            pathlib.PurePosixPath,
            pathlib.PureWindowsPath,
            pathlib.PosixPath,
            pathlib.WindowsPath,
        )
    }
)

PICKLED_TYPE_MODULES = (
    google.adk.events,
    google.adk.auth.auth_tool,
    google.adk.tools.tool_confirmation,
    google.genai.types,
)
"""The modules whose classes google-adk pickles, imported up front (a pickle never imports)."""


class RefusedPickleError(AdkStoreError):
    """A pickled value names something other than a google-adk or google-genai data type.

    Nothing it names was called. The event it belongs to is named when known.
    """

    def __init__(self, module: str, name: str, where: str = "a pickled value") -> None:
        super().__init__(
            f"{where} names {module}.{name}, which is not a google-adk or google-genai data "
            "type; it was not loaded. Only a database written by google-adk can be read"
        )
        self.module = module
        self.name = name
        self.where = where


class _DataTypesOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        resolved = _resolve(module, name)
        if resolved is None:
            raise RefusedPickleError(module, name)
        return resolved


def _resolve(module: str, name: str) -> type | None:
    """The class ``module.name`` if it is one this module admits, else ``None``."""
    value_type = _VALUE_TYPES.get((module, name))
    if value_type is not None:
        return value_type
    if not module.startswith(_MODEL_MODULE_PREFIXES) or "." in name:
        return None
    loaded = sys.modules.get(module)
    candidate = getattr(loaded, name, None) if loaded is not None else None
    if isinstance(candidate, type) and issubclass(candidate, (BaseModel, enum.Enum)):
        return candidate
    return None


def load_actions(data: bytes, where: str) -> Any:
    """The object pickled in ``data``, loaded with only data types resolvable.

    >>> load_actions(row_bytes, "event 'e1' of session 's1'")
    EventActions(...)
    """
    try:
        return _DataTypesOnly(io.BytesIO(data)).load()
    except RefusedPickleError as refused:
        raise RefusedPickleError(refused.module, refused.name, where) from None
    except Exception as error:
        raise AdkStoreError(
            f"{where}: cannot read its pickled actions ({type(error).__name__}: {error})"
        ) from None
