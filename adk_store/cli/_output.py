"""Output files of ``export`` and ``backup``: written whole or not at all, errors in one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .._files import replaced_on_success


@contextmanager
def output_file(target: str, *, overwrite: bool) -> Iterator[Path]:
    """A temporary file beside ``target`` that replaces it when the block succeeds (see
    :func:`writing_to` for errors)."""
    with writing_to(target), replaced_on_success(Path(target), overwrite=overwrite) as partial:
        yield partial


@contextmanager
def writing_to(target: str | Path) -> Iterator[None]:
    """Refuse an empty file name; turn a file system's refusal to write ``target`` (a
    directory, a missing folder, a read-only or full file system) into one line naming it."""
    if not str(target):
        raise click.BadParameter("the file name is empty", param_hint="FILE")
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        raise click.ClickException(f"cannot write {target}: {reason}") from None
