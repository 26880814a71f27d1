"""Full-text search of memories: what each database's own engine needs.

A :class:`MemoryIndex` says how ``adk_memories.search_text`` is written from the memory's
searchable text and scope token, and how a ranked search over it reads. Both engines are
handed the same words (``_memory_text``); each one confines a search to one app and user in
its index lookup, by requiring the scope token every memory of theirs is indexed with.

* :class:`Fts5Index` (SQLite): the FTS5 table ``adk_memory_search`` (kept in step with
  ``adk_memories`` by the triggers of ``migrations/sqlite/0002_memories.sql``), ranked by bm25.
* :class:`TsvectorIndex` (PostgreSQL): a ``tsvector`` column with a GIN index, ranked by
  ``ts_rank``, in the text search configuration given as ``:config``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .._schema import MEMORY_SEARCH_TABLE, memories

DEFAULT_TEXT_SEARCH_CONFIG = "simple"
"""PostgreSQL's text search configuration by default: no stemming and no stop words, so
every language is searched alike."""


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class MemoryIndex:
    """The interface: how memories are indexed and searched on one database.

    Statements bind ``:scope`` (the scope token), ``:search_text`` (words separated by
    spaces), ``:query`` (from :meth:`query_text`), ``:app_name``, ``:user_id``, ``:limit``
    and, where the engine has one, ``:config``.
    """

    configurable = False
    """Whether the text search configuration can be chosen."""

    def indexed_value(self) -> sa.ColumnElement[Any]:
        """The value written to ``adk_memories.search_text``."""
        raise NotImplementedError

    def search(self, columns: Sequence[sa.ColumnElement[Any]]) -> sa.Select[Any]:
        """``columns`` of the memories of ``:app_name``'s ``:user_id`` matching ``:query``,
        best first, at most ``:limit``."""
        raise NotImplementedError

    def query_text(self, scope: str, terms: Sequence[str]) -> str:
        """The engine's query for memories holding any of ``terms`` (plain words; a term of
        several words is a phrase) and indexed with ``scope``."""
        raise NotImplementedError


def _scoped(select: sa.Select[Any]) -> sa.Select[Any]:
    return (
        select.where(
            memories.c.app_name == sa.bindparam("app_name"),
            memories.c.user_id == sa.bindparam("user_id"),
        )
        .limit(sa.bindparam("limit"))
        .offset(sa.literal_column("0"))
    )


class Fts5Index(MemoryIndex):
    """SQLite FTS5: the scope token is the first word of the indexed text."""

    def indexed_value(self) -> sa.ColumnElement[Any]:
        return (
            sa.bindparam("scope", type_=sa.Text)
            + sa.literal_column("' '")
            + sa.bindparam("search_text", type_=sa.Text)
        )

    def search(self, columns: Sequence[sa.ColumnElement[Any]]) -> sa.Select[Any]:
        index = sa.table(MEMORY_SEARCH_TABLE, sa.column("rowid"))
        whole: sa.ColumnClause[Any] = sa.literal_column(MEMORY_SEARCH_TABLE)
        rank = sa.func.bm25(whole)
        found = (
            sa.select(*columns)
            .select_from(index.join(memories, memories.c.seq == index.c.rowid))
            .where(whole.op("MATCH")(sa.bindparam("query")))
            .order_by(rank, memories.c.timestamp.desc(), memories.c.seq.desc())
        )
        return _scoped(found)

    def query_text(self, scope: str, terms: Sequence[str]) -> str:
        return f"{_quoted(scope)} AND ({' OR '.join(_quoted(term) for term in terms)})"


class TsvectorIndex(MemoryIndex):
    """PostgreSQL: the scope token is one more lexeme of the ``tsvector``."""

    configurable = True

    @staticmethod
    def _config() -> sa.ColumnElement[Any]:
        return sa.cast(sa.cast(sa.bindparam("config"), sa.Text), postgresql.REGCONFIG)

    def indexed_value(self) -> sa.ColumnElement[Any]:
        words = sa.func.to_tsvector(self._config(), sa.cast(sa.bindparam("search_text"), sa.Text))
        scope = sa.cast(sa.cast(sa.bindparam("scope"), sa.Text), postgresql.TSVECTOR)
        return words.op("||", return_type=postgresql.TSVECTOR)(scope)

    def search(self, columns: Sequence[sa.ColumnElement[Any]]) -> sa.Select[Any]:
        query = sa.func.websearch_to_tsquery(
            self._config(), sa.cast(sa.bindparam("query"), sa.Text)
        )
        scope = sa.cast(sa.cast(sa.bindparam("scope"), sa.Text), postgresql.TSQUERY)
        in_scope = scope.op("&&", return_type=postgresql.TSQUERY)(query)
        rank = sa.func.ts_rank(memories.c.search_text, query, sa.literal_column("1"))
        found = (
            sa.select(*columns)
            .where(
                memories.c.search_text.bool_op("@@")(in_scope),
                sa.func.numnode(query) > sa.literal_column("0"),
            )
            .order_by(rank.desc(), memories.c.timestamp.desc(), memories.c.seq.desc())
        )
        return _scoped(found)

    def query_text(self, scope: str, terms: Sequence[str]) -> str:
        return " or ".join(_quoted(term) for term in terms)


INNODB_WORD_PREFIX = "ww"
"""Put before every word InnoDB indexes: a word of one character (a CJK character, "a") then
meets InnoDB's shortest indexed word (three characters by default), and no word is a stop
word."""


def _prefixed_words(text: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``text`` (words separated by single spaces) with :data:`INNODB_WORD_PREFIX` before
    each word."""
    prefix: sa.ColumnElement[Any] = sa.literal_column(f"'{INNODB_WORD_PREFIX}'")
    spaced = sa.func.replace(
        text, sa.literal_column("' '"), sa.literal_column(f"' {INNODB_WORD_PREFIX}'")
    )
    return sa.func.concat(prefix, spaced)


class InnodbFulltextIndex(MemoryIndex):
    """MariaDB: an InnoDB ``FULLTEXT`` index over ``search_text``, searched in boolean mode;
    the scope token is a required word of the indexed text."""

    def indexed_value(self) -> sa.ColumnElement[Any]:
        words = (
            sa.bindparam("scope", type_=sa.Text)
            + sa.literal_column("' '")
            + sa.bindparam("search_text", type_=sa.Text)
        )
        return _prefixed_words(words)

    def search(self, columns: Sequence[sa.ColumnElement[Any]]) -> sa.Select[Any]:
        match = sa.text("MATCH (search_text) AGAINST (:query IN BOOLEAN MODE)")
        rank: sa.ColumnElement[Any] = sa.literal_column(
            "MATCH (search_text) AGAINST (:query IN BOOLEAN MODE)"
        )
        found = (
            sa.select(*columns)
            .where(match)
            .order_by(rank.desc(), memories.c.timestamp.desc(), memories.c.seq.desc())
        )
        return _scoped(found)

    def query_text(self, scope: str, terms: Sequence[str]) -> str:
        def word(term: str) -> str:
            return " ".join(INNODB_WORD_PREFIX + part for part in term.split(" "))

        alternatives = " ".join(_quoted(word(term)) for term in terms)
        return f"+{_quoted(word(scope))} +({alternatives})"
