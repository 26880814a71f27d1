"""google-adk's own session databases: read them into adk-store, write adk-store back out.

* :mod:`._database`: the connection to a google-adk database, through the core's dialect
  (its section on other applications' tables) and connector;
* :mod:`._layouts`: which of google-adk's layouts a database holds, and its v1 tables;
* :mod:`._values`: times and JSON as google-adk's tables hold them;
* :mod:`._reading`: sessions read as google-adk reads them, with :mod:`._unpickler`
  (:mod:`._admitted`, :mod:`._pickle_program`) for the pickled actions of schema v0;
* :mod:`._writing`: sessions written as google-adk writes them (schema v1);
* :mod:`._moving`: :func:`import_adk` and :func:`export_adk`, which copy with the two.
"""

from ._layouts import StoreKind
from ._moving import TransferReport, export_adk, import_adk
from ._unpickler import RefusedPickleError
from ._values import SourceFormatError

__all__ = [
    "RefusedPickleError",
    "SourceFormatError",
    "StoreKind",
    "TransferReport",
    "export_adk",
    "import_adk",
]
