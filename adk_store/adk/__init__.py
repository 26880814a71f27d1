"""Use adk-store as google-adk's session service (needs ``pip install 'adk-store[adk]'``).

>>> from adk_store.adk import AdkSessionService
>>> service = AdkSessionService("sqlite+aiosqlite:///sessions.db", create_schema=True)
>>> runner = Runner(agent=agent, app_name="app", session_service=service)
"""

from ._errors import EventExistsError, SessionExistsError, SessionNotFoundError, StaleSessionError
from ._service import URI_SCHEME, AdkSessionService, session_service_factory

__all__ = [
    "URI_SCHEME",
    "AdkSessionService",
    "EventExistsError",
    "SessionExistsError",
    "SessionNotFoundError",
    "StaleSessionError",
    "session_service_factory",
]
