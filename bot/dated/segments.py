"""Clauses kept on disk, so each statement version is cut into clauses once.

Segmentation (:func:`bot.reading.clauses.segment`) costs about a millisecond a statement; a
process that rebuilds the search index (one statement more or less in a big archive)
used to cut every statement again. :class:`SegmentCache` keeps each document's
clauses under a key over its content (:func:`bot.dated.cache.document_key` and its
source) in a :class:`bot.derived.DerivedStore` named by the code that segments, and
gives them back while the document and that code stay the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.derived import DerivedStore, code_version, content_key
from bot.reading.clauses import Clause, segment
from bot.reading.documents import Document

__all__ = ["SEGMENT_SOURCES", "SegmentCache"]

#: The modules whose code decides how a document is cut into clauses.
SEGMENT_SOURCES = ("reading/*.py", "dated/segments.py")


def _key(doc: Document) -> str:
    return content_key(
        doc.doc_id,
        doc.title,
        doc.short_title,
        doc.date.isoformat() if doc.date else "",
        doc.body,
    )


def _row(c: Clause) -> list[Any]:
    return [
        c.clause_id,
        c.text,
        c.paragraph,
        c.block,
        c.sentence,
        c.lead_in,
        c.is_bullet,
        c.section,
    ]


def _clause(doc: Document, row: list[Any]) -> Clause:
    clause_id, text, paragraph, block, sentence, lead_in, is_bullet, section = row
    return Clause(
        clause_id=str(clause_id),
        doc_id=doc.doc_id,
        doc_title=doc.cite_title,
        doc_date=doc.date,
        text=str(text),
        paragraph=str(paragraph),
        block=int(block),
        sentence=int(sentence),
        lead_in=str(lead_in),
        is_bullet=bool(is_bullet),
        section=str(section),
    )


class SegmentCache:
    """Clauses by document, kept under ``directory`` (None: segmented every time)."""

    def __init__(self, directory: Path | None) -> None:
        self.store = DerivedStore(directory, "clauses", code_version(SEGMENT_SOURCES))
        #: Documents segmented by this cache (not found kept).
        self.segmented = 0

    def clauses(self, doc: Document) -> list[Clause]:
        """``doc``'s clauses, as kept or segmented now (and kept)."""
        key = _key(doc)
        rows = self.store.get(key)
        if isinstance(rows, list):
            try:
                return [_clause(doc, r) for r in rows]
            except (TypeError, ValueError):
                pass  # a damaged entry: segment again
        found = segment(doc)
        self.segmented += 1
        self.store.put(key, [_row(c) for c in found])
        return found

    def segment_all(self, docs: Iterable[Document]) -> Iterator[Clause]:
        """Clauses of every document, document by document (as
        :func:`bot.reading.clauses.segment_all`)."""
        for doc in docs:
            yield from self.clauses(doc)
