"""The reference pages cover the whole public API and name the options as the code does."""

from __future__ import annotations

import inspect
import re

import adk_store

from ._markdown import ROOT

REFERENCE = ROOT / "docs" / "reference"


def _documented(*pages: str) -> set[str]:
    text = "".join((REFERENCE / page).read_text(encoding="utf-8") for page in pages)
    return set(re.findall(r"^::: (\S+)$", text, re.MULTILINE))


def test_every_public_name_has_an_api_reference_entry() -> None:
    documented = _documented("api.md", "errors.md")
    assert {f"adk_store.{name}" for name in adk_store.__all__} <= documented


def test_every_name_of_the_adk_adapter_has_a_reference_entry() -> None:
    adapter_names = re.search(
        r"__all__ = \[(.*?)\]", (ROOT / "adk_store" / "adk" / "__init__.py").read_text(), re.DOTALL
    )
    assert adapter_names is not None
    names = set(re.findall(r'"(\w+)"', adapter_names.group(1)))
    assert {f"adk_store.adk.{name}" for name in names} <= _documented("adk-api.md")


def test_every_error_is_in_the_error_tree() -> None:
    page = (REFERENCE / "errors.md").read_text(encoding="utf-8")
    errors = {
        name
        for name in adk_store.__all__
        if isinstance(getattr(adk_store, name), type)
        and issubclass(getattr(adk_store, name), adk_store.AdkStoreError)
    }
    tree = page.split("```text", 1)[1].split("```", 1)[0]
    assert set(re.findall(r"^[ │]*(?:[├└]── )?(\w+Error)", tree, re.MULTILINE)) == errors


def test_the_options_table_lists_every_option_with_its_default() -> None:
    page = (REFERENCE / "configuration.md").read_text(encoding="utf-8")
    table = page.split("## `SessionService` options", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", table, re.MULTILINE))
    parameters = inspect.signature(adk_store.SessionService).parameters.values()
    options = {
        parameter.name: repr(parameter.default)
        for parameter in parameters
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert {name: default.replace('"', "'") for name, default in rows.items()} == options
