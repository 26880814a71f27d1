"""The ``adk-store`` session service URIs google-adk's web server takes, and their redaction.

Every message and log line of the adapter names a database without its password: see
:func:`redact` (``adk-store`` URIs) and :func:`hide_password` (any database URL).

Two forms name the same database:

* ``adk-store+postgresql+asyncpg://user:pw@host/db``: the database URL with ``adk-store+`` in
  front of its scheme. google-adk's own log redaction understands it (it hides the user and
  password of any ``scheme://user:pw@host`` URI), so this is the form to use.
* ``adk-store:postgresql+asyncpg://user:pw@host/db``: the database URL after ``adk-store:``.
  google-adk cannot parse a password out of it, so importing :mod:`adk_store.adk` installs a
  filter on google-adk's service-factory logger that hides it (:func:`hide_passwords_in_logs`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import unquote

from .. import InvalidArgumentError

URI_SCHEME = "adk-store"
"""The prefix of adk-store's session service URIs: ``adk-store:<database URL>``."""

_DATABASE_SCHEMES = (
    "sqlite",
    "sqlite+aiosqlite",
    "postgresql",
    "postgresql+asyncpg",
    "postgres",
    "mysql+asyncmy",
)

URI_SCHEMES = (URI_SCHEME, *(f"{URI_SCHEME}+{scheme}" for scheme in _DATABASE_SCHEMES))
"""Every URI scheme :func:`~adk_store.adk.register_session_services` registers."""

_SERVICE_FACTORY_LOGGER = "google_adk.google.adk.cli.utils.service_factory"
"""The logger google-adk's web server and ``adk run`` log the session service URI to."""

_USERINFO = re.compile(r"(adk-store[:+][A-Za-z0-9+.-]*:?//)([^/?#\s]*)@")
_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/?#\s@]*):[^/?#\s]*@")
"""The ``:password@`` of a ``scheme://user:password@host`` URL (up to its last ``@``)."""


def database_url(uri: str) -> str:
    """The database URL an ``adk-store`` session service URI names.

    >>> database_url("adk-store+sqlite+aiosqlite:///sessions.db")
    'sqlite+aiosqlite:///sessions.db'
    """
    for prefix in (URI_SCHEME + ":", URI_SCHEME + "+"):
        if uri.startswith(prefix) and len(uri) > len(prefix):
            return uri[len(prefix) :]
    raise InvalidArgumentError(
        f"{redact(uri)!r} is not an adk-store session service URI: write "
        f"{URI_SCHEME}+<database URL>, such as {URI_SCHEME}+sqlite+aiosqlite:///sessions.db"
    )


def redact(text: str) -> str:
    """``text`` with the user and password of every adk-store URI in it replaced by ``***``.

    >>> redact("adk-store:postgresql://app:secret@db/app")
    'adk-store:postgresql://***@db/app'
    """
    return _USERINFO.sub(r"\1***@", text)


def hide_password(text: str) -> str:
    """``text`` with the password of every database URL in it replaced by ``***``.

    >>> hide_password("postgresql+asyncpg://app:secret@db/app")
    'postgresql+asyncpg://app:***@db/app'
    """
    return _PASSWORD.sub(r"\1:***@", text)


def hide_secrets(text: str, urls: Iterable[str]) -> str:
    """``text`` without the passwords of ``urls``: the URLs' own passwords are replaced by
    ``***`` wherever they occur (a driver may quote one outside any URL).

    >>> hide_secrets("login as app:s3cret failed", ["postgresql://app:s3cret@db/app"])
    'login as app:*** failed'
    """
    text = hide_password(text)
    for url in urls:
        password = _password_of(url)
        if password:
            for spelling in {password, unquote(password)}:
                text = text.replace(spelling, "***")
    return text


def _password_of(url: str) -> str | None:
    found = _PASSWORD.search(url)
    if found is None:
        return None
    return url[found.end(1) + 1 : found.end() - 1]


class _HidePasswords(logging.Filter):
    """Rewrites log records that carry an adk-store URI with a password in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_filter = _HidePasswords()


def hide_passwords_in_logs() -> None:
    """Keep passwords of ``adk-store:`` URIs out of google-adk's log of the session service URI.

    Idempotent; called when :mod:`adk_store.adk` is imported (a ``services.py`` imports it
    before google-adk logs the URI).
    """
    logger = logging.getLogger(_SERVICE_FACTORY_LOGGER)
    if _filter not in logger.filters:
        logger.addFilter(_filter)
