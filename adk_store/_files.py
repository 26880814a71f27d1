"""Output files written whole or not at all.

The output goes to a temporary file beside the target, which replaces the target only once it
is complete and on disk: a failure (a full file system, an error, Ctrl-C) leaves the target as
it was. A process killed outright leaves the temporary file, named ``.TARGET.<random>.partial``,
which can be deleted.

>>> with replaced_on_success(Path("backup.jsonl"), overwrite=True) as partial:
...     partial.write_text("...", encoding="utf-8")
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_MAX_NAME_CHARS = 200
"""Of the target's name, in the temporary file's name (file names are at most 255 bytes)."""


@contextmanager
def replaced_on_success(target: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a new, empty file beside ``target`` that becomes ``target`` when the block ends
    without an error; on an error it is removed and ``target`` is left as it was.

    Raises :class:`OSError` (naming ``target``) when ``target`` is a directory, already exists
    and ``overwrite`` is false, or when its folder is missing or cannot be written to.
    """
    _check_target(target, overwrite=overwrite)
    partial = target.parent / f".{target.name[:_MAX_NAME_CHARS]}.{secrets.token_hex(4)}.partial"
    # 0o666 as open() uses, so the umask decides the mode as it would for a plain open().
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield partial
        _sync(partial, os.O_RDONLY)
        _check_target(target, overwrite=overwrite)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    # The rename itself is on disk once the folder is; not every file system can sync one.
    with contextlib.suppress(OSError):
        _sync(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def _check_target(target: Path, *, overwrite: bool) -> None:
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "it is a directory", str(target))
    if not overwrite and (target.exists() or target.is_symlink()):
        raise FileExistsError(errno.EEXIST, "it already exists", str(target))
    if not target.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no folder {target.parent}", str(target))


def _sync(path: Path, flags: int) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
