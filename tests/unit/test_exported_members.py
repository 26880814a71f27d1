"""The public surface: exactly these names, each importable, nothing else public by accident."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

import adk_store
from adk_store.demos.optional import google_adk_installed

CORE_API = {
    "SCHEMA_VERSION",
    "AdkStoreError",
    "AppStateRecord",
    "DatabaseError",
    "Event",
    "EventActions",
    "EventExistsError",
    "GetSessionConfig",
    "ImportCounts",
    "InvalidArgumentError",
    "ListSessionsResponse",
    "Memory",
    "MemoryService",
    "NewMemory",
    "OutcomeUnknownError",
    "SchemaVersionError",
    "Session",
    "SessionDocuments",
    "SessionExistsError",
    "SessionKey",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionService",
    "SessionVersion",
    "StaleSessionError",
    "StateSerializationError",
    "StoreNotEmptyError",
    "StoreStatus",
    "StoredEventError",
    "StoredRecord",
    "UserStateRecord",
    "create_schema",
    "drop_schema",
    "export_jsonl",
    "import_jsonl",
    "metadata",
    "read_jsonl",
    "schema_version",
}

ADK_API = {
    "URI_SCHEME",
    "URI_SCHEMES",
    "AdkMemoryService",
    "AdkSessionService",
    "EventExistsError",
    "RefusedPickleError",
    "SessionExistsError",
    "SessionNotFoundError",
    "SourceFormatError",
    "StaleSessionError",
    "StoreKind",
    "TransferReport",
    "check_adk_events",
    "export_adk",
    "import_adk",
    "memory_service_factory",
    "register_memory_services",
    "register_session_services",
    "session_service_factory",
}


def _public_attributes(module: ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }


def test_the_core_exports_exactly_its_api() -> None:
    assert set(adk_store.__all__) == CORE_API
    assert len(adk_store.__all__) == len(CORE_API)
    assert _public_attributes(adk_store) == CORE_API


def test_the_core_api_names_only_classes_and_functions_of_adk_store() -> None:
    for name in CORE_API - {"SCHEMA_VERSION", "metadata", "StoredRecord"}:
        member = getattr(adk_store, name)
        assert member.__module__.startswith("adk_store."), name


def test_the_version_comes_from_one_place() -> None:
    from importlib.metadata import version

    assert adk_store.__version__ == version("adk-store")


@pytest.mark.skipif(not google_adk_installed(), reason="needs the adk extra")
def test_the_adk_adapter_exports_exactly_its_api() -> None:
    adapter = importlib.import_module("adk_store.adk")
    assert set(adapter.__all__) == ADK_API
    assert len(adapter.__all__) == len(ADK_API)
    assert _public_attributes(adapter) == ADK_API
