"""adk-store's services in google-adk's web server (``adk web``, ``adk api_server``).

google-adk builds its services from URIs (``--session_service_uri``,
``--memory_service_uri``) through factories registered by URI scheme, in a ``services.py`` it
loads at startup. This module holds adk-store's factories and the calls that register them
for every scheme of :data:`~adk_store.adk.URI_SCHEMES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._memory import AdkMemoryService
from ._service import AdkSessionService
from ._uri import URI_SCHEMES, database_url

if TYPE_CHECKING:
    from google.adk.cli.service_registry import ServiceRegistry


def session_service_factory(uri: str, **options: Any) -> AdkSessionService:
    """Build a service from an adk-store session service URI, for google-adk's web server.

    The URI is a database URL with ``adk-store+`` in front of its scheme
    (``adk-store+postgresql+asyncpg://app:pw@db/app``), or the older form
    ``adk-store:<database URL>``. Register the schemes with
    :func:`register_session_services` in a ``services.py``.

    >>> session_service_factory("adk-store+sqlite+aiosqlite:///sessions.db")

    The schema follows :class:`AdkSessionService`'s rule: created in an empty database, an older
    one upgraded only with ``create_schema=True`` (google-adk's ``session_db_kwargs``). Options
    google-adk passes that adk-store does not take (``agents_dir``) are ignored.
    """
    options.pop("agents_dir", None)
    return AdkSessionService(database_url(uri), **options)


def register_session_services(registry: ServiceRegistry | None = None) -> None:
    """Serve every adk-store URI scheme (:data:`URI_SCHEMES`) from google-adk's web server.

    Call it in the ``services.py`` google-adk loads at startup:

    >>> register_session_services()

    ``registry`` defaults to google-adk's own (``get_service_registry()``).
    """
    if registry is None:
        from google.adk.cli.service_registry import get_service_registry

        registry = get_service_registry()
    for scheme in URI_SCHEMES:
        registry.register_session_service(scheme, session_service_factory)


def memory_service_factory(uri: str, **options: Any) -> AdkMemoryService:
    """Build a memory service from an adk-store URI, for google-adk's web server:
    ``adk web --memory_service_uri adk-store+postgresql+asyncpg://app:pw@db/app``.

    It names the database as the session service URI does (the same URI serves both); the
    two services then hold connections of their own. Options google-adk passes that
    adk-store does not take (``agents_dir``) are ignored.
    """
    options.pop("agents_dir", None)
    return AdkMemoryService(database_url(uri), **options)


def register_memory_services(registry: ServiceRegistry | None = None) -> None:
    """Serve every adk-store URI scheme as google-adk's ``--memory_service_uri``.

    Call it in the ``services.py`` google-adk loads at startup, beside
    :func:`register_session_services`:

    >>> register_memory_services()
    """
    if registry is None:
        from google.adk.cli.service_registry import get_service_registry

        registry = get_service_registry()
    for scheme in URI_SCHEMES:
        registry.register_memory_service(scheme, memory_service_factory)
