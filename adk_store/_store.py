"""``Store``: the one database boundary every operation runs through.

A :class:`SessionService` makes its store once, when it is built: the connector that holds
its connections, the dialect, the statements compiled for that dialect, and the codecs that
turn objects into row values and rows back into objects. Operation functions (``_append``,
``_read``, ``_export``, ``_import``, ``_prune``) take the store as one argument, and the
services built on a session service (:class:`MemoryService`) reach its database through
:attr:`SessionService.store`, never through its private attributes.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from ._codec import RowCodec
from ._memory_codec import MemoryCodec
from ._runtime import Connection, Connector, write_transaction
from ._statements import Statements
from ._store_statements import StoreStatements
from .dialects import Dialect


@dataclass(frozen=True)
class Store:
    """The database of one :class:`SessionService`, and what reads and writes it."""

    connector: Connector
    """Opens the database, runs each call on a pool of held connections, closes."""
    dialect: Dialect
    statements: Statements
    """The per-session statements (sessions, events, app and user state)."""
    store_statements: StoreStatements
    """The store-wide statements (status, export pages, import, prune)."""
    codec: RowCodec
    """Sessions, events and state to row values, and back."""
    memory_codec: MemoryCodec
    """Memories to row values, and back."""
    find_out_within: float
    """Seconds a write whose reply was lost may spend finding out, on a new connection,
    whether it was committed (the service's ``connect_timeout``)."""

    @classmethod
    def of(cls, connector: Connector, dialect: Dialect, *, find_out_within: float) -> Store:
        """The store of ``connector``'s database, with the statements and codecs of
        ``dialect``."""
        return cls(
            connector,
            dialect,
            Statements(dialect),
            StoreStatements(dialect),
            RowCodec(dialect),
            MemoryCodec(dialect),
            find_out_within,
        )

    def write_transaction(self, connection: Connection) -> AbstractAsyncContextManager[None]:
        """One write transaction on ``connection``, opened as the dialect takes the write
        lock (see :func:`~adk_store._runtime.write_transaction`)."""
        return write_transaction(connection, self.dialect.begin_write)
