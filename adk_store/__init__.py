"""adk-store: async SQL session storage for AI agents, shaped like google-adk's sessions.

>>> import adk_store
>>> async with adk_store.SessionService("sqlite+aiosqlite:///app.db", create_schema=True) as s:
...     session = await s.create_session(app_name="app", user_id="u1", state={"user:name": "Ada"})
"""

from ._errors import (
    AdkStoreError,
    DatabaseError,
    EventExistsError,
    InvalidArgumentError,
    OutcomeUnknownError,
    SchemaVersionError,
    SessionExistsError,
    SessionNotFoundError,
    StaleSessionError,
    StateSerializationError,
    StoredEventError,
    StoreNotEmptyError,
)
from ._memory import MemoryService
from ._memory_models import Memory, NewMemory
from ._models import (
    Event,
    EventActions,
    GetSessionConfig,
    ListSessionsResponse,
    Session,
    SessionDocuments,
    SessionVersion,
)
from ._operations import SessionKey, StoreStatus
from ._records import AppStateRecord, SessionRecord, StoredRecord, UserStateRecord
from ._schema import SCHEMA_VERSION, metadata
from ._service import SessionService
from ._setup import create_schema, drop_schema, schema_version
from ._transfer import ImportCounts, export_jsonl, import_jsonl, read_jsonl

__version__ = "0.1.0"
"""The one place the version is written; the package metadata reads it from here."""

__all__ = [
    "SCHEMA_VERSION",
    "AdkStoreError",
    "AppStateRecord",
    "DatabaseError",
    "Event",
    "EventActions",
    "EventExistsError",
    "GetSessionConfig",
    "ImportCounts",
    "InvalidArgumentError",
    "ListSessionsResponse",
    "Memory",
    "MemoryService",
    "NewMemory",
    "OutcomeUnknownError",
    "SchemaVersionError",
    "Session",
    "SessionDocuments",
    "SessionExistsError",
    "SessionKey",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionService",
    "SessionVersion",
    "StaleSessionError",
    "StateSerializationError",
    "StoreNotEmptyError",
    "StoreStatus",
    "StoredEventError",
    "StoredRecord",
    "UserStateRecord",
    "create_schema",
    "drop_schema",
    "export_jsonl",
    "import_jsonl",
    "metadata",
    "read_jsonl",
    "schema_version",
]
