"""The writes of an append (and of a create), each stated once as SQLAlchemy Core fragments.

An append bumps the session if it is still at ``expected`` (and, when ``created`` is not null,
still the incarnation created then), inserts the event with the new revision as its ``seq``,
merges ``session_delta`` into the session state and ``app_state_delta`` and
``user_state_delta`` (``NULL`` for none) into their rows, and moves the session's update time
to the later of the stored one and ``update_time``. A create inserts the session and merges the
same two deltas. Every form those writes take is built from the fragments below:

* the general append, a transaction of ``Statements.bump_session``, ``insert_event``,
  ``upsert_app_state`` and ``upsert_user_state``, and PostgreSQL's one-statement append and
  create (data-modifying CTEs), whose input values are bound parameters (:class:`BoundInputs`);
* SQLite's ``adk_appends`` trigger and MariaDB's ``adk_append`` procedure, whose input values
  are ``NEW.<name>`` and ``new_<name>`` (:class:`NamedInputs`). Migration 0001 creates them;
  their dialects generate that DDL from these fragments (``Dialect.stored_append``) and a test
  checks that the migration holds what they generate.

What differs between databases comes from the dialect: the JSON merge, the later of two
times, the upsert.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ._schema import EVENT_COLUMNS, JsonText, app_states, events, sessions, user_states

if TYPE_CHECKING:
    from .dialects.base import Dialect

APPEND_INPUTS: dict[str, sa.Column[Any]] = {
    "app_name": sessions.c.app_name,
    "user_id": sessions.c.user_id,
    "session_id": sessions.c.id,
    "expected": sessions.c.revision,
    "created": sessions.c.create_time,
    **{name: events.c[name] for name in EVENT_COLUMNS if name != "seq"},
    "update_time": sessions.c.update_time,
    "session_delta": sessions.c.state,
    "app_state_delta": app_states.c.state,
    "user_state_delta": user_states.c.state,
}
"""The values an append takes, in the order a database's stored append takes them (the
columns of SQLite's ``adk_appends`` view, the parameters of MariaDB's ``adk_append``), each
with the column whose type it has."""

_INPUTS: dict[str, sa.Column[Any]] = {
    **APPEND_INPUTS,
    "session_state": sessions.c.state,
    "now": sessions.c.create_time,
}
"""The append's values and those a create adds: the new session's state and create time."""


class Inputs:
    """How the statements of an append or a create refer to their input values."""

    def value(self, name: str) -> ColumnElement[Any]:
        """The input ``name`` as it is stored into a column."""
        raise NotImplementedError

    def typed(self, name: str) -> ColumnElement[Any]:
        """The input ``name`` where no column gives it a type (compared with ``NULL``, a
        function's argument)."""
        raise NotImplementedError


class BoundInputs(Inputs):
    """Inputs as bound parameters, JSON ones through ``Dialect.json_param``.

    ``typed_values``: every value carries its type (a SELECT list's values have no column to
    take it from). ``bound_as`` binds an input under another name.
    """

    def __init__(
        self,
        dialect: Dialect,
        *,
        typed_values: bool = False,
        bound_as: Mapping[str, str] | None = None,
    ) -> None:
        self._dialect = dialect
        self._typed_values = typed_values
        self._bound_as = dict(bound_as or {})

    def value(self, name: str) -> ColumnElement[Any]:
        if self._typed_values or _INPUTS[name].type is JsonText:
            return self.typed(name)
        return sa.bindparam(self._bound_as.get(name, name))

    def typed(self, name: str) -> ColumnElement[Any]:
        bound = self._bound_as.get(name, name)
        if _INPUTS[name].type is JsonText:
            return self._dialect.json_param(bound)
        return sa.cast(sa.bindparam(bound), _INPUTS[name].type)


class NamedInputs(Inputs):
    """Inputs as names a stored append declares (``NEW.`` or ``new_`` and the input's name),
    typed already."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def value(self, name: str) -> ColumnElement[Any]:
        return sa.literal_column(self._prefix + name, _INPUTS[name].type)

    typed = value


def the_session(inputs: Inputs) -> ColumnElement[bool]:
    """The session row named by the inputs ``app_name``, ``user_id``, ``session_id``."""
    return sa.and_(
        sessions.c.app_name == inputs.value("app_name"),
        sessions.c.user_id == inputs.value("user_id"),
        sessions.c.id == inputs.value("session_id"),
    )


def same_incarnation(inputs: Inputs) -> ColumnElement[bool]:
    """The session row is the one created at ``created`` (its create time), when given.

    Revisions restart at 0 when a session is deleted and created again under the same id; the
    create time tells the two apart, so a copy of the old one cannot append to the new one.
    """
    created = inputs.typed("created")
    return sa.or_(created.is_(None), sessions.c.create_time == created)


def at_expected(inputs: Inputs) -> ColumnElement[bool]:
    """The session row is still at revision ``expected``: nobody appended since the caller
    read it."""
    return sessions.c.revision == inputs.value("expected")


def bump_session(inputs: Inputs, dialect: Dialect, *, stale_check: bool) -> sa.Update:
    """Bump the session's revision, merge ``session_delta`` into its state, and move its update
    time to the later of the stored one and ``update_time``; with ``stale_check`` only while
    it is at ``expected`` (without, a stale append's transaction reads back what it missed)."""
    stale = [at_expected(inputs)] if stale_check else []
    return (
        sa.update(sessions)
        .where(the_session(inputs), *stale, same_incarnation(inputs))
        .values(
            state=dialect.merge_json(sessions.c.state, inputs.value("session_delta")),
            revision=sessions.c.revision + sa.literal_column("1"),
            update_time=dialect.later_of(sessions.c.update_time, inputs.typed("update_time")),
        )
    )


def new_revision(inputs: Inputs) -> ColumnElement[Any]:
    """The revision an append at ``expected`` gives its session: its event's ``seq``."""
    return inputs.value("expected") + sa.literal_column("1")


def event_row(inputs: Inputs, seq: ColumnElement[Any]) -> dict[str, ColumnElement[Any]]:
    """The event's values by column, ``seq`` the session's new revision."""
    return {
        "app_name": inputs.value("app_name"),
        "user_id": inputs.value("user_id"),
        "session_id": inputs.value("session_id"),
        "seq": seq,
        **{name: inputs.value(name) for name in EVENT_COLUMNS if name != "seq"},
    }


def insert_event(inputs: Inputs, seq: ColumnElement[Any]) -> sa.Insert:
    """Insert the event, ``seq`` the session's new revision (``inline``, as every insert here:
    a key given by an expression, as in a stored append, is not read back)."""
    return sa.insert(events).values(event_row(inputs, seq)).inline()


def delta_given(inputs: Inputs, delta: str) -> ColumnElement[bool]:
    """The state delta ``delta`` has something to merge (``NULL``: none)."""
    return inputs.typed(delta).is_not(None)


def merge_state(
    dialect: Dialect,
    table: sa.Table,
    inputs: Inputs,
    delta: str,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    select_from: sa.FromClause | None = None,
) -> Any:
    """Merge the input ``delta`` into ``table``'s row (``app_states``, ``user_states``),
    inserting it if there is none, updated ``update_time``.

    With ``where`` or ``select_from`` the row is selected: merged only when ``where`` holds (and
    ``select_from`` has a row).
    """
    key = {name: inputs.value(name) for name in ("app_name", "user_id") if name in table.c}
    row = {**key, "state": inputs.value(delta), "update_time": inputs.value("update_time")}
    insert = dialect.insert(table).inline()
    if where or select_from is not None:
        selected = sa.select(*row.values()).where(*where)
        if select_from is not None:
            selected = selected.select_from(select_from)
        insert = insert.from_select(list(row), selected)
    else:
        insert = insert.values(row)
    return dialect.merge_state_upsert(insert)


def insert_session(inputs: Inputs) -> sa.Insert:
    """Insert a new session: state ``session_state``, revision 0, created and updated
    ``now``."""
    return (
        sa.insert(sessions)
        .inline()
        .values(
            app_name=inputs.value("app_name"),
            user_id=inputs.value("user_id"),
            id=inputs.value("session_id"),
            state=inputs.value("session_state"),
            revision=sa.literal_column("0"),
            create_time=inputs.value("now"),
            update_time=inputs.value("now"),
        )
    )


_CLAUSE = re.compile(r" (?=(?:SET|WHERE|VALUES|SELECT|FROM|ON CONFLICT|ON DUPLICATE KEY) )")
_QUOTED = re.compile(r"'[^']*'")


def laid_out(sql: str, indent: str, width: int = 100) -> str:
    """Compiled ``sql`` laid out as lines of a stored append's body: a line per clause (outside
    parentheses), wrapped within ``width`` (never inside a quoted string), continuation lines
    indented further. Only whitespace between tokens changes."""
    joined = " ".join(_QUOTED.sub(lambda quoted: quoted.group().replace(" ", "\0"), sql).split())
    lines = [
        textwrap.fill(
            clause,
            width,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        for clause in _clauses(joined)
    ]
    return "\n".join(lines).replace("\0", " ")


def _clauses(sql: str) -> list[str]:
    clauses, start = [], 0
    for found in _CLAUSE.finditer(sql):
        if sql.count("(", 0, found.start()) == sql.count(")", 0, found.start()):
            clauses.append(sql[start : found.start()])
            start = found.end()
    return [*clauses, sql[start:]]
