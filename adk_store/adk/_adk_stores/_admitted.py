"""The names a pickled ``EventActions`` may use, and nothing else.

Admitted are the types an ``EventActions`` can hold: the pydantic models and enums reachable
from the fields of google-adk's ``EventActions`` and ``AuthConfig`` (with the subclasses and
bases of those models that google-adk, google-genai and FastAPI's OpenAPI models define), the
builtin containers and scalars, and a few stdlib value types (dates, decimals, UUIDs, paths,
ordered and default dicts). A class is looked up only among these, all imported here up
front: a pickle never causes an import.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import pathlib
import typing
import uuid
from collections.abc import Iterable
from typing import Any

from google.adk.auth.auth_tool import AuthConfig
from google.adk.events import EventActions
from pydantic import BaseModel

_MODEL_MODULE_PREFIXES = ("google.adk.", "google.genai.", "fastapi.openapi.")

_PATH_TYPES = (
    pathlib.PurePosixPath,
    pathlib.PureWindowsPath,
    pathlib.PosixPath,
    pathlib.WindowsPath,
)
_VALUE_TYPES: tuple[type, ...] = (
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
    *_PATH_TYPES,
)
"""Builtin and stdlib types that rebuild from plain values."""


def _classes_in(annotation: Any) -> Iterable[type]:
    """The classes an annotation names, inside ``Optional``, ``list[...]``, unions, ...."""
    pending = [annotation]
    while pending:
        current = pending.pop()
        arguments = typing.get_args(current)
        if arguments:
            pending.extend(arguments)
        elif isinstance(current, type):
            yield current


def _event_action_models() -> set[type]:
    """The models and enums an ``EventActions`` can hold: those its fields (and an
    ``AuthConfig``'s, which it types as ``Any``) name, recursively, with the subclasses
    of each such model and its bases (but not the bases' other subclasses) that google-adk,
    google-genai and FastAPI define."""
    found: set[type] = set()
    pending: list[tuple[type, bool]] = [(EventActions, True), (AuthConfig, True)]
    while pending:
        kind, with_subclasses = pending.pop()
        if kind in found or not kind.__module__.startswith(_MODEL_MODULE_PREFIXES):
            continue
        if issubclass(kind, enum.Enum):
            found.add(kind)
        elif issubclass(kind, BaseModel) and kind.__new__ is object.__new__:
            found.add(kind)
            for field in kind.model_fields.values():
                pending.extend((named, True) for named in _classes_in(field.annotation))
            if with_subclasses:
                pending.extend((subclass, True) for subclass in kind.__subclasses__())
                pending.extend((base, False) for base in kind.__bases__)
    return found


_MODELS = _event_action_models()
_ADMITTED: dict[tuple[str, str], type] = {
    (kind.__module__, kind.__qualname__): kind for kind in (*_VALUE_TYPES, *_MODELS)
}
# pathlib's concrete classes are recorded under either module name, by Python version.
_ADMITTED.update({("pathlib._local", path.__name__): path for path in _PATH_TYPES})
_ADMITTED.update({("pathlib", path.__name__): path for path in _PATH_TYPES})

BUILDABLE = frozenset({uuid.UUID, *(kind for kind in _MODELS if not issubclass(kind, enum.Enum))})
"""The classes whose fresh instances a pickle may set state on (pydantic models and
``UUID`` pickle as a new empty instance, then its state)."""


class Refusal(Exception):
    """Raised while a pickle is checked or loaded; ``load_actions`` adds the event it belongs
    to."""

    def __init__(self, reason: str, *, module: str | None = None, name: str | None = None):
        super().__init__(reason)
        self.module = module
        self.name = name


def resolve(module: str, name: str) -> type:
    """The admitted class ``module.name``; any other name raises :class:`Refusal`."""
    admitted = _ADMITTED.get((module, name))
    if admitted is None:
        raise Refusal(
            f"names {module}.{name}, which is not a type google-adk's event actions hold. "
            "Only a database written by google-adk can be read",
            module=module,
            name=name,
        )
    return admitted
