"""google-adk's own session databases: read them into adk-store, write adk-store back out."""

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
