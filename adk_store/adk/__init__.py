"""Use adk-store as google-adk's session service (needs ``pip install 'adk-store[adk]'``).

>>> from adk_store.adk import AdkSessionService
>>> service = AdkSessionService("sqlite+aiosqlite:///sessions.db")
>>> runner = Runner(agent=agent, app_name="app", session_service=service)
"""

from . import _uri
from ._errors import EventExistsError, SessionExistsError, SessionNotFoundError, StaleSessionError
from ._service import AdkSessionService, register_session_services, session_service_factory
from ._uri import URI_SCHEME, URI_SCHEMES

_uri.hide_passwords_in_logs()

__all__ = [
    "URI_SCHEME",
    "URI_SCHEMES",
    "AdkSessionService",
    "EventExistsError",
    "SessionExistsError",
    "SessionNotFoundError",
    "StaleSessionError",
    "register_session_services",
    "session_service_factory",
]
