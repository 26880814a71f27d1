"""Use adk-store as google-adk's session service (needs ``pip install 'adk-store[adk]'``).

>>> from adk_store.adk import AdkSessionService
>>> service = AdkSessionService("sqlite+aiosqlite:///sessions.db")
>>> runner = Runner(agent=agent, app_name="app", session_service=service)

Moving in from google-adk's own database (and back out):

>>> report = await import_adk("sessions.db", "sqlite+aiosqlite:///store.db")
>>> report = await export_adk("sqlite+aiosqlite:///store.db", "back_to_adk.db")
"""

from . import _uri
from ._adk_stores import (
    RefusedPickleError,
    SourceFormatError,
    StoreKind,
    TransferReport,
    export_adk,
    import_adk,
)
from ._errors import EventExistsError, SessionExistsError, SessionNotFoundError, StaleSessionError
from ._memory import AdkMemoryService
from ._service import AdkSessionService
from ._uri import URI_SCHEME, URI_SCHEMES
from ._validation import check_adk_events
from ._web_server import (
    memory_service_factory,
    register_memory_services,
    register_session_services,
    session_service_factory,
)

_uri.hide_passwords_in_logs()

__all__ = [
    "URI_SCHEME",
    "URI_SCHEMES",
    "AdkMemoryService",
    "AdkSessionService",
    "EventExistsError",
    "RefusedPickleError",
    "SessionExistsError",
    "SessionNotFoundError",
    "SourceFormatError",
    "StaleSessionError",
    "StoreKind",
    "TransferReport",
    "check_adk_events",
    "export_adk",
    "import_adk",
    "memory_service_factory",
    "register_memory_services",
    "register_session_services",
    "session_service_factory",
]
