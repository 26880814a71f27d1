"""How every service opens and closes: ``async with`` opens it, leaving the block closes it.

:class:`Lifecycle` is the shape; :class:`Wrapping` is a service built on another one (the
memory service on a session service, google-adk's services on adk-store's), which it either
made itself and closes, or was given and leaves open for its owner.
"""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

ServiceT = TypeVar("ServiceT", bound="Lifecycle")


class Lifecycle:
    """``async with service:`` opens it and closes it on the way out, however the block
    ends."""

    async def open(self) -> None:
        """Connect, ready for the first call (called for you on first use)."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release what the service holds; later calls are refused."""
        raise NotImplementedError

    async def __aenter__(self: ServiceT) -> ServiceT:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


class Wrapping(Lifecycle):
    """A service over another one: opening opens it; closing closes it only if this service
    made it (one that was handed over stays open for whoever made it)."""

    def _wrap(self, inner: Lifecycle, *, owned: bool) -> None:
        """Take ``inner`` as the service this one runs on (call once, from ``__init__``)."""
        self._inner_service = inner
        self._owns_inner_service = owned

    async def open(self) -> None:
        await self._inner_service.open()

    async def close(self) -> None:
        if self._owns_inner_service:
            await self._inner_service.close()
