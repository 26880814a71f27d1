"""Backups: SQLite's online backup API, the ``pg_dump`` command for PostgreSQL and the
``mariadb-dump`` command for MariaDB/MySQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ._errors import DatabaseError, InvalidArgumentError
from ._files import replaced_on_success
from ._locations import sqlite_read_only_uri
from ._schema import metadata


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` to ``target`` while other processes use it.

    SQLite's backup API copies a consistent snapshot, including commits still in the
    ``-wal`` file (which a plain file copy can miss). The copy is made beside ``target`` and
    renamed to it once complete, so a failure (a full disk) leaves no partial ``target``; a
    ``target`` that exists, or whose folder does not, raises before anything is copied. A
    failure of SQLite's copy (a full disk) raises :class:`DatabaseError`, of the file system
    :class:`OSError`.
    Blocking: run it in a worker thread.

    >>> await anyio.to_thread.run_sync(backup_sqlite, Path("app.db"), Path("app-copy.db"))
    """
    if target.exists() or target.is_symlink():
        raise InvalidArgumentError(f"{target} already exists; choose a new file name")
    if not source.exists():
        raise InvalidArgumentError(f"no SQLite database at {source}")
    reader = sqlite3.connect(sqlite_read_only_uri(source), uri=True)
    try:
        with replaced_on_success(target, overwrite=False) as partial:
            writer = sqlite3.connect(partial)
            try:
                reader.backup(writer)
            finally:
                writer.close()
    except sqlite3.Error as error:
        raise DatabaseError(
            f"the backup of {source} to {target} failed: {error}; nothing was written"
        ) from error
    finally:
        reader.close()


def pg_dump_command(url: str, target: Path) -> list[str]:
    """The ``pg_dump`` command that saves adk-store's tables of the database at ``url``.

    The password is left out of it (commands are printed and logged): ``pg_dump`` takes it
    from ``PGPASSWORD`` or a ``~/.pgpass`` entry, or asks for it.
    """
    tables = [f"--table={name}" for name in sorted(metadata.tables)]
    return ["pg_dump", "--format=custom", *tables, f"--file={target}", libpq_url(url)]


def mariadb_dump_command(url: str, target: Path) -> list[str]:
    """The ``mariadb-dump`` command that saves adk-store's tables and routines (the append
    procedure and the state merge function) of the MariaDB/MySQL database at ``url``, in
    one consistent snapshot.

    The password is left out of it: ``mariadb-dump`` takes it from ``~/.my.cnf`` or
    ``MYSQL_PWD``, or asks for it given ``--password``.
    """
    parts = urlsplit(url)
    connection = [f"--host={parts.hostname or 'localhost'}"]
    if parts.port is not None:
        connection.append(f"--port={parts.port}")
    if parts.username:
        connection.append(f"--user={unquote(parts.username)}")
    for name, value in _parameters(url):
        if name == "unix_socket":
            connection = [f"--socket={value}", *connection[2:]]
        elif name == "ssl" and value.lower() not in {"false", "0", "no"}:
            connection.append("--ssl")
    database = unquote(parts.path.lstrip("/"))
    return [
        "mariadb-dump",
        "--single-transaction",
        "--routines",
        "--skip-triggers",
        *connection,
        f"--result-file={target}",
        database,
        *sorted(metadata.tables),
    ]


def libpq_url(url: str) -> str:
    """``url`` as libpq spells it, without its password (in the user part or the query)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        credentials, _, host = netloc.rpartition("@")
        netloc = f"{credentials.partition(':')[0]}@{host}"
    query = parts.query
    if _password_parameters(url):
        query = urlencode(
            [(name, value) for name, value in _parameters(url) if not _names_password(name)]
        )
    return urlunsplit(parts._replace(scheme="postgresql", netloc=netloc, query=query))


def has_password(url: str) -> bool:
    """Whether ``url`` carries a password (which the printed commands leave out)."""
    return urlsplit(url).password is not None or _password_parameters(url)


def _parameters(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _password_parameters(url: str) -> bool:
    return any(_names_password(name) for name, _ in _parameters(url))


def _names_password(name: str) -> bool:
    return "password" in name.lower()
