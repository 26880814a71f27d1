"""Reading the pickled ``actions`` of google-adk's legacy (v0) event rows, safely.

A pickle is a small program: loading one may call any function it names, set attributes on
any object it reaches, and build a graph whose shared references expand exponentially when
it is later walked as a tree. The bytes in a source database are untrusted, so
:func:`load_actions` first reads the program without running it (:func:`_check_program`)
and refuses, with :class:`RefusedPickleError`, a pickle that:

* names anything but the types an ``EventActions`` can hold: the pydantic models and enums
  reachable from the fields of google-adk's ``EventActions`` and ``AuthConfig`` (with the
  subclasses and bases of those models that google-adk, google-genai and FastAPI's OpenAPI
  models define), the builtin containers and scalars, and a few stdlib value types (dates,
  decimals, UUIDs, paths, ordered and default dicts);
* sets state (the BUILD instruction) on anything but an instance the pickle itself just
  created of such a model or of ``UUID``: never on a class, an enum member or any other
  object that existed before;
* expands, shared references unfolded, to more than :data:`MAX_EXPANDED_VALUES` values or
  :data:`MAX_DEPTH` levels, or contains itself;
* uses an instruction google-adk's pickles never use (the protocol 0-2 class instructions,
  extension codes, persistent ids, out-of-band buffers).

Only then is it loaded, by an unpickler that resolves the same names and nothing else.
google-adk pickled with the highest protocol of its Python (3 and later are read here); the
older protocols need helper functions (``copyreg``, ``codecs``) that are not admitted. A
class is looked up only in a module that is already imported (the modules holding
google-adk's event types are imported here, up front): a pickle never causes an import, and
nothing it names is ever called before the whole program was checked.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import io
import pathlib
import pickle
import pickletools
import typing
import uuid
from collections.abc import Iterable
from typing import Any

from google.adk.auth.auth_tool import AuthConfig
from google.adk.events import EventActions
from pydantic import BaseModel

from ... import AdkStoreError

MAX_EXPANDED_VALUES = 1_000_000
"""The most values one event's actions may expand to, each shared reference counted every
time it is reached (as serialising them to JSON would)."""
MAX_DEPTH = 512
"""The deepest one event's actions may nest (stored state holds at most 256 levels)."""

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

_BUILDABLE = frozenset({uuid.UUID, *(kind for kind in _MODELS if not issubclass(kind, enum.Enum))})
"""The classes whose fresh instances a pickle may set state on (pydantic models and
``UUID`` pickle as a new empty instance, then its state)."""


class RefusedPickleError(AdkStoreError):
    """A pickled value adk-store will not load: it names something other than a type an
    ``EventActions`` holds, sets attributes on an object it did not create, or expands
    beyond the bounds. Nothing it names was called.

    ``module`` and ``name`` are set when a name was refused; the event it belongs to is
    named in the message when known.
    """

    def __init__(
        self, where: str, reason: str, *, module: str | None = None, name: str | None = None
    ) -> None:
        super().__init__(f"{where} {reason}; it was not loaded")
        self.where = where
        self.module = module
        self.name = name


class _Refusal(Exception):
    """Raised while a program is read; :func:`load_actions` adds the event it belongs to."""

    def __init__(self, reason: str, *, module: str | None = None, name: str | None = None):
        super().__init__(reason)
        self.module = module
        self.name = name


def _resolve(module: str, name: str) -> type:
    admitted = _ADMITTED.get((module, name))
    if admitted is None:
        raise _Refusal(
            f"names {module}.{name}, which is not a type google-adk's event actions hold. "
            "Only a database written by google-adk can be read",
            module=module,
            name=name,
        )
    return admitted


class _Value:
    """What the checked program would put on the unpickler's stack: which class it is (for
    a name), which text (for a name's parts), whether it is a fresh instance that state may
    be set on, and the values it holds."""

    __slots__ = ("fresh", "kind", "parts", "text")

    def __init__(
        self,
        parts: list[_Value] | None = None,
        *,
        kind: type | None = None,
        text: str | None = None,
        fresh: bool = False,
    ) -> None:
        self.parts = parts if parts is not None else []
        self.kind = kind
        self.text = text
        self.fresh = fresh


_REFUSED_OPCODES = frozenset(
    {
        "INST",
        "OBJ",
        "EXT1",
        "EXT2",
        "EXT4",
        "PERSID",
        "BINPERSID",
        "NEXT_BUFFER",
        "READONLY_BUFFER",
    }
)
_TEXT_OPCODES = frozenset(
    {
        "UNICODE",
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "STRING",
        "BINSTRING",
        "SHORT_BINSTRING",
    }
)
_GROWING_OPCODES = {"APPEND": 1, "SETITEM": 2}
_GROWING_FROM_MARK = frozenset({"APPENDS", "SETITEMS", "ADDITEMS"})
_BUILT_FROM_MARK = frozenset({"TUPLE", "LIST", "DICT", "FROZENSET"})
_BUILT_FROM = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}
_MEMO_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


class _Program:
    """Follows a pickle's instructions on stand-in values, without creating any object."""

    def __init__(self) -> None:
        self.stack: list[_Value] = []
        self.marks: list[int] = []
        """Where each open MARK is on the stack; nothing below the last is taken but by
        the instructions that take everything above it."""
        self.memo: dict[Any, _Value] = {}
        self.result: _Value | None = None

    def pop(self, count: int = 1) -> list[_Value]:
        at = len(self.stack) - count
        if at < (self.marks[-1] if self.marks else 0):
            raise _Refusal("is not a well-formed pickle")
        taken = self.stack[at:]
        del self.stack[at:]
        return taken

    def pop_to_mark(self) -> list[_Value]:
        if not self.marks:
            raise _Refusal("is not a well-formed pickle")
        at = self.marks.pop()
        taken = self.stack[at:]
        del self.stack[at:]
        return taken

    def top(self) -> _Value:
        if len(self.stack) <= (self.marks[-1] if self.marks else 0):
            raise _Refusal("is not a well-formed pickle")
        return self.stack[-1]

    def step(self, opcode: pickletools.OpcodeInfo, argument: Any) -> None:
        name = opcode.name
        if name in _REFUSED_OPCODES:
            raise _Refusal(f"uses the pickle instruction {name}, which google-adk never writes")
        if name in ("PROTO", "FRAME"):
            return
        if name == "STOP":
            (self.result,) = self.pop()
        elif name == "MARK":
            self.marks.append(len(self.stack))
        elif name in _TEXT_OPCODES:
            self.stack.append(_Value(text=str(argument)))
        elif name == "GLOBAL":
            module, _, qualname = str(argument).partition(" ")
            self.stack.append(_Value(kind=_resolve(module, qualname)))
        elif name == "STACK_GLOBAL":
            module_value, name_value = self.pop(2)
            if module_value.text is None or name_value.text is None:
                raise _Refusal("names a class by something other than text")
            self.stack.append(_Value(kind=_resolve(module_value.text, name_value.text)))
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = self.top()
        elif name in _MEMO_PUTS:
            self.memo[argument] = self.top()
        elif name in _MEMO_GETS:
            if argument not in self.memo:
                raise _Refusal("is not a well-formed pickle")
            self.stack.append(self.memo[argument])
        elif name == "DUP":
            self.stack.append(self.top())
        elif name == "POP":
            if self.marks and self.marks[-1] == len(self.stack):
                self.marks.pop()
            else:
                self.pop()
        elif name == "POP_MARK":
            self.pop_to_mark()
        elif name in ("REDUCE", "NEWOBJ"):
            kind, arguments = self.pop(2)
            self.stack.append(self._instance(kind, [arguments]))
        elif name == "NEWOBJ_EX":
            kind, arguments, keywords = self.pop(3)
            self.stack.append(self._instance(kind, [arguments, keywords]))
        elif name == "BUILD":
            (state,) = self.pop()
            target = self.top()
            if not target.fresh:
                raise _Refusal(f"sets attributes on {_described(target)}")
            target.parts.append(state)
        elif name in _GROWING_OPCODES:
            added = self.pop(_GROWING_OPCODES[name])
            self.top().parts.extend(added)
        elif name in _GROWING_FROM_MARK:
            added = self.pop_to_mark()
            self.top().parts.extend(added)
        elif name in _BUILT_FROM_MARK:
            self.stack.append(_Value(self.pop_to_mark()))
        elif name in _BUILT_FROM:
            self.stack.append(_Value(self.pop(_BUILT_FROM[name])))
        elif not opcode.stack_before and len(opcode.stack_after) == 1:
            self.stack.append(_Value())
        else:
            raise _Refusal(f"uses the pickle instruction {name}, which google-adk never writes")

    @staticmethod
    def _instance(kind: _Value, arguments: list[_Value]) -> _Value:
        if kind.kind is None:
            raise _Refusal("calls something that is not a class")
        return _Value(arguments, fresh=kind.kind in _BUILDABLE)


def _described(target: _Value) -> str:
    if target.kind is not None:
        return f"the class {target.kind.__module__}.{target.kind.__qualname__}"
    return "an object it did not create (an existing instance or enum member)"


def _check_program(data: bytes) -> None:
    """Read the pickle in ``data`` without running it; raise :class:`_Refusal` for what
    :func:`load_actions` refuses."""
    program = _Program()
    for opcode, argument, _ in pickletools.genops(data):
        program.step(opcode, argument)
    if program.result is None:
        raise _Refusal("is not a well-formed pickle")
    _check_expansion(program.result)


def _check_expansion(root: _Value) -> None:
    """Count the values ``root`` expands to with every shared reference unfolded, and its
    depth, without unfolding it (each value is visited once)."""
    sizes: dict[int, tuple[int, int]] = {}
    on_path: set[int] = set()
    pending: list[tuple[_Value, bool]] = [(root, False)]
    while pending:
        value, children_done = pending.pop()
        if children_done:
            on_path.discard(id(value))
            counted = [sizes[id(part)] for part in value.parts]
            size = 1 + sum(count for count, _ in counted)
            depth = 1 + max((levels for _, levels in counted), default=0)
            if size > MAX_EXPANDED_VALUES:
                raise _Refusal(
                    f"expands to more than {MAX_EXPANDED_VALUES:,} values through shared "
                    "references"
                )
            if depth > MAX_DEPTH:
                raise _Refusal(f"nests deeper than {MAX_DEPTH} levels")
            sizes[id(value)] = (size, depth)
            continue
        if id(value) in sizes:
            continue
        if id(value) in on_path:
            raise _Refusal("contains itself (a circular reference)")
        on_path.add(id(value))
        pending.append((value, True))
        pending.extend((part, False) for part in value.parts if id(part) not in sizes)


class _AdmittedTypesOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return _resolve(module, name)


def load_actions(data: bytes, where: str) -> Any:
    """The object pickled in ``data``, once the pickle was checked (see the module).

    >>> load_actions(row_bytes, "event 'e1' of session 's1'")
    EventActions(...)
    """
    try:
        _check_program(data)
        return _AdmittedTypesOnly(io.BytesIO(data)).load()
    except _Refusal as refused:
        raise RefusedPickleError(
            where, str(refused), module=refused.module, name=refused.name
        ) from None
    except Exception as error:
        raise AdkStoreError(
            f"{where}: cannot read its pickled actions ({type(error).__name__}: {error})"
        ) from None
