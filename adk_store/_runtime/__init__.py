"""The only code that touches ``databases`` connections and cancellation shielding.

* :mod:`.bridge`: runs each operation on an asyncio loop, for asyncio and trio callers alike.
* :mod:`.pool`: the held connections, laid out as the dialect says.
* :mod:`.transactions`: write transactions and statements that commit on their own.
* :mod:`.connector`: opens the database, runs each call, closes.
* :mod:`.compiled`: each statement turned into driver SQL once, run on the held connection.
"""

from databases import Database

from .compiled import Connection
from .connector import ConnectionSetup, Connector
from .pool import ConnectionPool, PoolLayout
from .transactions import run_to_completion, write_transaction

__all__ = [
    "Connection",
    "ConnectionPool",
    "ConnectionSetup",
    "Connector",
    "Database",
    "PoolLayout",
    "run_to_completion",
    "write_transaction",
]
