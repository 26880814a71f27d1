"""The Python examples of the documentation, as the docs tests run them.

Every fenced ``python`` block of README.md and docs/ is an example. Two HTML comments, which
readers of the rendered pages never see, change that:

* ``<!-- skip-example: why -->`` right before a block: the block is shown but not run (for
  code that needs an LLM's API key or a server that is not there); the reason is required.
* ``<!-- example-setup`` … ``-->``: Python that runs, in its place, before the blocks after it
  (imports and objects that a page's fragments take for granted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_LANGUAGES = {"python", "py"}

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<language>[\w+-]*)")
_SKIP = re.compile(r"^\s*<!--\s*skip-example:(?P<reason>.*?)-->\s*$")
_SETUP_START = re.compile(r"^\s*<!--\s*example-setup\s*$")
_COMMENT_END = re.compile(r"^\s*-->\s*$")


@dataclass(frozen=True)
class Example:
    """One block of Python in a page, with the line its code starts on."""

    page: Path
    first_line: int
    code: str
    skip_reason: str | None = None
    hidden: bool = False

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.first_line}"


def documentation_pages() -> list[Path]:
    """README.md and every Markdown page of the documentation site."""
    pages = sorted(path for path in (ROOT / "docs").rglob("*.md") if "_hooks" not in path.parts)
    return [ROOT / "README.md", *pages]


def examples_in(page: Path) -> list[Example]:
    """The page's Python examples and setup comments, in page order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    skip_reason: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if _SETUP_START.match(line):
            end = _closing(lines, index + 1, _COMMENT_END, page)
            found.append(Example(page, index + 2, "\n".join(lines[index + 1 : end]), hidden=True))
            index = end + 1
            continue
        skip = _SKIP.match(line)
        if skip:
            skip_reason = skip.group("reason").strip()
            if not skip_reason:
                raise ValueError(f"{page}:{index + 1}: skip-example needs a reason")
            index += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            closing = re.compile(
                rf"^{re.escape(fence.group('indent'))}{fence.group('fence')[0]}"
                rf"{{{len(fence.group('fence'))},}}\s*$"
            )
            end = _closing(lines, index + 1, closing, page)
            if fence.group("language").lower() in PYTHON_LANGUAGES:
                indent = len(fence.group("indent"))
                code = "\n".join(body[indent:] for body in lines[index + 1 : end])
                found.append(Example(page, index + 2, code, skip_reason=skip_reason))
            skip_reason = None
            index = end + 1
            continue
        if line.strip():
            skip_reason = None
        index += 1
    return found


def _closing(lines: list[str], start: int, pattern: re.Pattern[str], page: Path) -> int:
    for index in range(start, len(lines)):
        if pattern.match(lines[index]):
            return index
    raise ValueError(f"{page}:{start}: block never closed")


def titled_block(page: Path, title: str) -> str:
    """The code of the page's fenced block shown with ``title="<title>"``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        fence = _FENCE.match(line)
        if fence and f'title="{title}"' in line:
            closing = re.compile(rf"^{re.escape(fence.group('indent'))}{fence.group('fence')}\s*$")
            end = _closing(lines, index + 1, closing, page)
            return "\n".join(lines[index + 1 : end])
    raise LookupError(f"{page}: no block titled {title!r}")
