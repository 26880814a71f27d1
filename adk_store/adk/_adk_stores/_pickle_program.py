"""Reading a pickle's program without running it: what it would build, not the objects.

:func:`check_program` follows every instruction on stand-in values and refuses
(:class:`~._admitted.Refusal`) a pickle that:

* names anything but an admitted type (see :mod:`._admitted`);
* sets state (the BUILD instruction) on anything but an instance the pickle itself just
  created of an admitted model or of ``UUID``: never on a class, an enum member or any other
  object that existed before;
* expands, shared references unfolded, to more than :data:`MAX_EXPANDED_VALUES` values or
  :data:`MAX_DEPTH` levels, or contains itself;
* uses an instruction google-adk's pickles never use (the protocol 0-2 class instructions,
  extension codes, persistent ids, out-of-band buffers).
"""

from __future__ import annotations

import pickletools
from typing import Any

from ._admitted import BUILDABLE, Refusal, resolve

MAX_EXPANDED_VALUES = 1_000_000
"""The most values one event's actions may expand to, each shared reference counted every
time it is reached (as serialising them to JSON would)."""
MAX_DEPTH = 512
"""The deepest one event's actions may nest (stored state holds at most 256 levels)."""


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
            raise Refusal("is not a well-formed pickle")
        taken = self.stack[at:]
        del self.stack[at:]
        return taken

    def pop_to_mark(self) -> list[_Value]:
        if not self.marks:
            raise Refusal("is not a well-formed pickle")
        at = self.marks.pop()
        taken = self.stack[at:]
        del self.stack[at:]
        return taken

    def top(self) -> _Value:
        if len(self.stack) <= (self.marks[-1] if self.marks else 0):
            raise Refusal("is not a well-formed pickle")
        return self.stack[-1]

    def step(self, opcode: pickletools.OpcodeInfo, argument: Any) -> None:
        name = opcode.name
        if name in _REFUSED_OPCODES:
            raise Refusal(f"uses the pickle instruction {name}, which google-adk never writes")
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
            self.stack.append(_Value(kind=resolve(module, qualname)))
        elif name == "STACK_GLOBAL":
            module_value, name_value = self.pop(2)
            if module_value.text is None or name_value.text is None:
                raise Refusal("names a class by something other than text")
            self.stack.append(_Value(kind=resolve(module_value.text, name_value.text)))
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = self.top()
        elif name in _MEMO_PUTS:
            self.memo[argument] = self.top()
        elif name in _MEMO_GETS:
            if argument not in self.memo:
                raise Refusal("is not a well-formed pickle")
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
                raise Refusal(f"sets attributes on {_described(target)}")
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
            raise Refusal(f"uses the pickle instruction {name}, which google-adk never writes")

    @staticmethod
    def _instance(kind: _Value, arguments: list[_Value]) -> _Value:
        if kind.kind is None:
            raise Refusal("calls something that is not a class")
        return _Value(arguments, fresh=kind.kind in BUILDABLE)


def _described(target: _Value) -> str:
    if target.kind is not None:
        return f"the class {target.kind.__module__}.{target.kind.__qualname__}"
    return "an object it did not create (an existing instance or enum member)"


def check_program(data: bytes) -> None:
    """Read the pickle in ``data`` without running it; raise :class:`Refusal` for what
    ``load_actions`` refuses."""
    program = _Program()
    for opcode, argument, _ in pickletools.genops(data):
        program.step(opcode, argument)
    if program.result is None:
        raise Refusal("is not a well-formed pickle")
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
                raise Refusal(
                    f"expands to more than {MAX_EXPANDED_VALUES:,} values through shared "
                    "references"
                )
            if depth > MAX_DEPTH:
                raise Refusal(f"nests deeper than {MAX_DEPTH} levels")
            sizes[id(value)] = (size, depth)
            continue
        if id(value) in sizes:
            continue
        if id(value) in on_path:
            raise Refusal("contains itself (a circular reference)")
        on_path.add(id(value))
        pending.append((value, True))
        pending.extend((part, False) for part in value.parts if id(part) not in sizes)
