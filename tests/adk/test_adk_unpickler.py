"""The restricted unpickler for google-adk's legacy pickled event actions.

It loads what google-adk pickled (its own and google-genai's data types, plain values) and
refuses anything else by name, without calling it.
"""

from __future__ import annotations

import datetime
import os
import pickle
import subprocess
import uuid
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.openapi.models import HTTPBearer
from google.adk.auth.auth_credential import AuthCredential, AuthCredentialTypes, OAuth2Auth
from google.adk.auth.auth_tool import AuthConfig
from google.adk.events import EventActions
from google.adk.events.event_actions import EventCompaction
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types

from adk_store import AdkStoreError
from adk_store.adk._adk_stores._unpickler import RefusedPickleError, load_actions


class _RunsCommand:
    """Pickles as a call to ``os.system``: loading it would run the command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (self.command,))


class _CallsFunction:
    def __init__(self, function: Any, *args: Any) -> None:
        self.function = function
        self.args = args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (self.function, self.args)


def _rich_actions() -> EventActions:
    return EventActions(
        state_delta={
            "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
            "price": Decimal("1.25"),
            "id": uuid.UUID(int=7),
            "ordered": OrderedDict(a=1),
            "tags": {"x", "y"},
            "pair": (1, "two"),
            "blob": b"\x00\x01",
        },
        artifact_delta={"report.md": 2},
        transfer_to_agent="helper",
        requested_tool_confirmations={"call-1": ToolConfirmation(hint="ok?", payload={"n": 1})},
        requested_auth_configs={
            "call-2": AuthConfig(
                auth_scheme=HTTPBearer(bearerFormat="JWT"),
                raw_auth_credential=AuthCredential(
                    auth_type=AuthCredentialTypes.OAUTH2,
                    oauth2=OAuth2Auth(client_id="id", client_secret="secret"),
                ),
            )
        },
        compaction=EventCompaction(
            start_timestamp=1.0,
            end_timestamp=2.0,
            compacted_content=types.Content(role="model", parts=[types.Part(text="summary")]),
        ),
        agent_state={"step": 3},
    )


@pytest.mark.parametrize("protocol", range(3, pickle.HIGHEST_PROTOCOL + 1))
def test_google_adk_actions_load_as_pickled(protocol: int) -> None:
    actions = _rich_actions()

    loaded = load_actions(pickle.dumps(actions, protocol), "event 'e1'")

    assert isinstance(loaded, EventActions)
    assert loaded.model_dump() == actions.model_dump()


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (_CallsFunction(eval, "1 + 1"), "builtins.eval"),
        (_CallsFunction(getattr, EventActions, "model_validate"), "builtins.getattr"),
        (_CallsFunction(Path.write_text, Path("x"), "y"), "pathlib.Path.write_text"),
        (_CallsFunction(subprocess.Popen, ["true"]), "subprocess.Popen"),
    ],
)
def test_refuses_callables_naming_them(payload: Any, named: str) -> None:
    with pytest.raises(RefusedPickleError) as refused:
        load_actions(pickle.dumps(EventActions(state_delta={"x": payload})), "event 'e9'")

    assert named in str(refused.value)
    assert "event 'e9'" in str(refused.value)
    assert isinstance(refused.value, AdkStoreError)


def test_refuses_a_command_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = pickle.dumps(EventActions(state_delta={"x": _RunsCommand(f"touch {marker}")}))

    with pytest.raises(RefusedPickleError) as refused:
        load_actions(payload, "event 'e2' of session 's1'")

    assert not marker.exists()
    assert refused.value.name == "system"
    assert refused.value.module in {"posix", "nt", "os"}
    assert "event 'e2' of session 's1'" in str(refused.value)


def test_refuses_google_adk_functions_which_are_not_data_types() -> None:
    from google.adk.sessions import _session_util

    payload = pickle.dumps(_CallsFunction(_session_util.extract_state_delta, {}))

    with pytest.raises(RefusedPickleError, match="extract_state_delta"):
        load_actions(payload, "event 'e3'")


def _pickled_instance_of(module: str, name: str) -> bytes:
    """A pickle (protocol 4) that builds an instance of ``module.name``, written by hand."""
    return (
        b"\x80\x04\x8c"
        + bytes([len(module)])
        + module.encode()
        + b"\x8c"
        + bytes([len(name)])
        + name.encode()
        + b"\x93)\x81."
    )


def test_refuses_classes_of_modules_not_imported() -> None:
    forged = _pickled_instance_of("google.adk.cli.nothing_like_it", "Thing")

    with pytest.raises(RefusedPickleError, match=r"google\.adk\.cli\.nothing_like_it\.Thing"):
        load_actions(forged, "event 'e4'")


def test_admits_google_genai_models_by_name() -> None:
    loaded = load_actions(_pickled_instance_of("google.genai.types", "Part"), "event 'e6'")

    assert isinstance(loaded, types.Part)


def test_damaged_bytes_are_an_adk_store_error() -> None:
    with pytest.raises(AdkStoreError, match="event 'e5'"):
        load_actions(b"\x80\x04not a pickle", "event 'e5'")


# -- what a pickle may build -------------------------------------------------------------------


def _sets_attribute_on_class(module: str, name: str, attribute: str) -> bytes:
    """A pickle (protocol 4) whose BUILD sets ``module.name.attribute = bool``."""
    return (
        b"\x80\x04"
        + _short_text(module)
        + _short_text(name)
        + b"\x93N}"
        + _short_text(attribute)
        + _short_text("builtins")
        + _short_text("bool")
        + b"\x93s\x86b."
    )


def _short_text(text: str) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text.encode()


def test_refuses_to_set_attributes_on_a_class_and_leaves_it_alone() -> None:
    exists = Path.exists
    forged = _sets_attribute_on_class("pathlib", "PosixPath", "exists")

    with pytest.raises(
        RefusedPickleError, match=r"sets attributes on the class pathlib\.PosixPath"
    ):
        load_actions(forged, "event 'e10'")

    assert Path.exists is exists


def test_refuses_to_set_attributes_on_an_enum_member() -> None:
    from google.adk.auth.auth_credential import AuthCredentialTypes

    forged = (
        b"\x80\x04"
        + _short_text("google.adk.auth.auth_credential")
        + _short_text("AuthCredentialTypes")
        + b"\x93"
        + _short_text("oauth2")
        + b"\x85R}"
        + _short_text("_value_")
        + _short_text("changed")
        + b"sb."
    )

    with pytest.raises(RefusedPickleError, match="did not create"):
        load_actions(forged, "event 'e11'")

    assert AuthCredentialTypes.OAUTH2.value == "oauth2"


def test_refuses_google_adk_models_an_event_action_cannot_hold() -> None:
    import google.adk.code_executors.unsafe_local_code_executor as executors

    forged = _pickled_instance_of(executors.__name__, "UnsafeLocalCodeExecutor")

    with pytest.raises(RefusedPickleError, match="UnsafeLocalCodeExecutor") as refused:
        load_actions(forged, "event 'e12'")

    assert refused.value.name == "UnsafeLocalCodeExecutor"


def _shared_reference_bomb(levels: int) -> bytes:
    """A list holding the previous list twice, ``levels`` times: 2**levels leaves."""
    program = b"\x80\x04]\x94"
    for level in range(levels):
        program += b"h" + bytes([level]) + b"h" + bytes([level]) + b"\x86\x94"
    return program + b"."


@pytest.mark.parametrize("levels", [20, 30, 200])
def test_refuses_shared_references_that_expand_beyond_the_bound(levels: int) -> None:
    bomb = _shared_reference_bomb(levels)
    assert len(bomb) < 2000

    with pytest.raises(RefusedPickleError, match="more than 1,000,000 values") as refused:
        load_actions(bomb, "event 'e13'")

    assert "\n" not in str(refused.value)


def test_shared_references_within_the_bound_load() -> None:
    loaded = load_actions(_shared_reference_bomb(10), "event 'e14'")

    assert len(loaded) == 2


def test_refuses_a_value_that_contains_itself() -> None:
    delta: dict[str, Any] = {}
    delta["self"] = delta

    with pytest.raises(RefusedPickleError, match="contains itself"):
        load_actions(pickle.dumps(EventActions(state_delta=delta)), "event 'e15'")


def test_refuses_nesting_deeper_than_the_bound() -> None:
    # 600 empty lists, each appended into the one below it (pickle itself cannot write
    # this deep a value).
    nested = b"\x80\x04" + b"]" * 600 + b"a" * 599 + b"."

    with pytest.raises(RefusedPickleError, match="deeper than 512 levels"):
        load_actions(nested, "event 'e16'")
