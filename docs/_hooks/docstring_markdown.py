"""Griffe extension: adk-store's docstrings, written for plain reading, rendered as Markdown.

Docstrings show a call the way a Python prompt would (``>>>`` lines) and name classes with
reStructuredText roles (``:class:`SessionService` ``). Markdown would turn the prompt into
nested block quotes and print the role; this extension fences prompt lines as ``pycon`` code
and keeps only the role's target, as inline code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|attr|mod|exc|data|obj):`~?([^`]+)`")
_PROMPT = re.compile(r"^\s*(>>>|\.\.\.)( |$)")


def fence_prompts(text: str) -> str:
    """Wrap each run of ``>>>``/``...`` lines (and the output lines after them) in a fence."""
    lines = text.splitlines()
    fenced: list[str] = []
    index = 0
    while index < len(lines):
        if not _PROMPT.match(lines[index]):
            fenced.append(lines[index])
            index += 1
            continue
        fenced.append("```pycon")
        while index < len(lines) and lines[index].strip():
            fenced.append(lines[index])
            index += 1
        fenced.append("```")
    return "\n".join(fenced)


def to_markdown(docstring: str) -> str:
    """The docstring with prompts fenced and roles reduced to inline code."""
    return fence_prompts(_ROLE.sub(lambda role: f"`{role.group(1)}`", docstring))


class DocstringMarkdown(griffe.Extension):
    """Rewrites every docstring of the loaded package once, when its object is created."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
