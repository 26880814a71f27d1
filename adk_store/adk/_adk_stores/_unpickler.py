"""Reading the pickled ``actions`` of google-adk's legacy (v0) event rows, safely.

A pickle is a small program: loading one may call any function it names, set attributes on
any object it reaches, and build a graph whose shared references expand exponentially when
it is later walked as a tree. The bytes in a source database are untrusted, so
:func:`load_actions` first reads the program without running it (:mod:`._pickle_program`)
and refuses, with :class:`RefusedPickleError`, a pickle that names anything but the types an
``EventActions`` can hold (:mod:`._admitted`), sets state on an object it did not create,
expands beyond the bounds, or uses an instruction google-adk's pickles never use.

Only then is it loaded, by an unpickler that resolves the same names and nothing else.
google-adk pickled with the highest protocol of its Python (3 and later are read here); the
older protocols need helper functions (``copyreg``, ``codecs``) that are not admitted. A
class is looked up only in a module that is already imported (the modules holding
google-adk's event types are imported up front): a pickle never causes an import, and
nothing it names is ever called before the whole program was checked.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from ... import AdkStoreError
from ._admitted import Refusal, resolve
from ._pickle_program import check_program


class RefusedPickleError(AdkStoreError):
    """A pickled value adk-store will not load: it names something other than a type an
    ``EventActions`` holds, sets attributes on an object it did not create, or expands
    beyond the bounds. Nothing it names was called.

    ``module`` and ``name`` are set when a name was refused; the event it belongs to is
    named in the message when known.
    """

    def __init__(
        self, where: str, reason: str, *, module: str | None = None, name: str | None = None
    ) -> None:
        super().__init__(f"{where} {reason}; it was not loaded")
        self.where = where
        self.module = module
        self.name = name


class _AdmittedTypesOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return resolve(module, name)


def load_actions(data: bytes, where: str) -> Any:
    """The object pickled in ``data``, once the pickle was checked (see the module).

    >>> load_actions(row_bytes, "event 'e1' of session 's1'")
    EventActions(...)
    """
    try:
        check_program(data)
        return _AdmittedTypesOnly(io.BytesIO(data)).load()
    except Refusal as refused:
        raise RefusedPickleError(
            where, str(refused), module=refused.module, name=refused.name
        ) from None
    except Exception as error:
        raise AdkStoreError(
            f"{where}: cannot read its pickled actions ({type(error).__name__}: {error})"
        ) from None
