"""The words a memory is found by: searchable text and search terms, the same on every
database (pure).

Both sides are split alike. Letters, digits and marks make words, anything else separates
them; scripts written without spaces between words (Chinese, Japanese, Thai, …) are indexed
one character at a time, and a query's run of such characters becomes overlapping pairs, each
a phrase of two adjacent characters, so that "东京塔" finds "我去了东京塔" without a dictionary.
A query becomes at most :data:`MAX_QUERY_TERMS` distinct terms of plain word characters: no
quote, operator or control character of the query reaches a search engine's syntax.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
import uuid
from collections.abc import Iterator

MAX_QUERY_TERMS = 64
"""Terms of a query beyond this many (after removing repeats) are ignored."""
MAX_TERM_LENGTH = 64
"""Characters of a query word kept; the rest of a longer word is ignored."""

_MEMORY_IDS = uuid.UUID("6f1f6c2e-58a4-4f5e-9a43-5d0b8c1e7a21")
"""The namespace of the ids derived for memories (uuid5)."""

_UNSPACED = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables (words carry particles without a space)
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK extensions B to G
)


def _unspaced(character: str) -> bool:
    point = ord(character)
    return any(low <= point <= high for low, high in _UNSPACED)


def _is_word_character(character: str) -> bool:
    if character.isascii():
        return character.isalnum()
    return unicodedata.category(character)[0] in "LNM"


def _runs(text: str) -> Iterator[tuple[str, bool]]:
    """``(run, unspaced)`` for each run of word characters of ``text``, normalised."""
    text = unicodedata.normalize("NFKC", text).lower()
    current: list[str] = []
    current_unspaced = False
    for character in text:
        if not _is_word_character(character):
            if current:
                yield "".join(current), current_unspaced
                current = []
            continue
        unspaced = _unspaced(character)
        if current and unspaced != current_unspaced:
            yield "".join(current), current_unspaced
            current = []
        current.append(character)
        current_unspaced = unspaced
    if current:
        yield "".join(current), current_unspaced


def searchable_text(text: str) -> str:
    """The words of ``text`` separated by single spaces, an unspaced script's characters
    each a word of its own.

    >>> searchable_text("Ada's café: 东京塔!")
    'ada s café 东 京 塔'
    """
    words: list[str] = []
    for run, unspaced in _runs(text):
        words.extend(run if unspaced else (run,))
    return " ".join(words)


def query_terms(query: str) -> list[str]:
    """The distinct terms of ``query``, in order, at most :data:`MAX_QUERY_TERMS`; a term of
    an unspaced script is a pair of adjacent characters written as two words (a phrase).

    >>> query_terms('"Tokyo" OR 东京塔')
    ['tokyo', 'or', '东 京', '京 塔']
    """
    terms: dict[str, None] = {}
    for run, unspaced in _runs(query):
        if unspaced:
            pairs = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            candidates = [" ".join(pair) for pair in pairs]
        else:
            candidates = [run[:MAX_TERM_LENGTH]]
        for term in candidates:
            terms.setdefault(term)
            if len(terms) == MAX_QUERY_TERMS:
                return list(terms)
    return list(terms)


def scope_token(app_name: str, user_id: str) -> str:
    """The word every memory of one app and user is indexed with, so that the full-text
    index itself confines a search to them (the exact app and user are checked as well)."""
    digest = hashlib.sha256(json.dumps([app_name, user_id]).encode("utf-8")).hexdigest()
    return "m" + digest[:32]


def derived_memory_id(*parts: object) -> str:
    """A memory id that the same ``parts`` always give (a uuid5), so that storing the same
    memory again finds it already there."""
    return str(uuid.uuid5(_MEMORY_IDS, json.dumps(parts, ensure_ascii=False, sort_keys=True)))


def content_text(content: object) -> str:
    """The text of a google-genai ``Content`` as JSON: its parts' texts (thoughts left out),
    one line each."""
    if not isinstance(content, dict):
        return ""
    parts = content.get("parts")
    if not isinstance(parts, list):
        return ""
    texts = [
        part["text"].strip()
        for part in parts
        if isinstance(part, dict)
        and isinstance(part.get("text"), str)
        and not part.get("thought")
        and part["text"].strip()
    ]
    return "\n".join(texts)
