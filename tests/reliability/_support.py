"""A hook on every query, for the reliability tests (raw database access is in ``tests/_db``).

:class:`QueryHook` wraps the query methods of the held ``Connection`` (``adk_store._runtime``)
so a test can count, inspect or interrupt the service's database calls one by one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from adk_store._runtime import Connection

QUERY_METHODS = ("execute", "fetch_one", "fetch_val", "fetch_all")


@dataclass
class Call:
    """One database call the service made: which method, which SQL, which values."""

    method: str
    query: Any
    values: dict[str, Any] | None
    result: Any = None


Before = Callable[[Connection, Call], Awaitable[None]]
After = Callable[[Connection, Call], Awaitable[None]]


@dataclass
class QueryHook:
    """Sees every query the service sends through ``databases``, before and after it runs.

    ``before``/``after`` run on the service's own asyncio loop (the caller's loop under
    asyncio, the service's loop thread under trio), in the task doing the database work.
    """

    calls: list[Call] = field(default_factory=list)
    before: Before | None = None
    after: After | None = None
    recording: bool = True

    def install(self, monkeypatch: pytest.MonkeyPatch) -> QueryHook:
        for name in QUERY_METHODS:
            monkeypatch.setattr(Connection, name, self._wrap(name, getattr(Connection, name)))
        return self

    def _wrap(self, name: str, original: Callable[..., Awaitable[Any]]) -> Any:
        hook = self

        async def wrapper(
            connection: Connection, query: Any, values: dict[str, Any] | None = None, **kw: Any
        ) -> Any:
            call = Call(name, query, values)
            if hook.recording:
                hook.calls.append(call)
            if hook.before is not None:
                await hook.before(connection, call)
            call.result = await original(connection, query, values, **kw)
            if hook.after is not None:
                await hook.after(connection, call)
            return call.result

        return wrapper

    def rows_returned(self) -> int:
        """Rows the recorded calls brought back to the client."""
        total = 0
        for call in self.calls:
            if call.method == "fetch_all":
                total += len(call.result or [])
            elif call.method in ("fetch_one", "fetch_val") and call.result is not None:
                total += 1
        return total
