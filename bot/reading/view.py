"""One statement as briefbot reads it: its clauses with their citations, and what was
removed as debris (and why).

:func:`statement_view` is the one place that shape is made; ``briefbot show`` prints it
(``--json`` as is), the console and Slack's *Full text* modal render it. Core only: no
Slack here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.reading.clauses import Clause, segment
from bot.reading.documents import Document

__all__ = ["statement_view"]


def statement_view(doc: Document, clauses: Sequence[Clause] | None = None) -> dict[str, Any]:
    """The statement as a JSON-ready dict (a contract, GUIDE section 2):

    ``doc_id``, ``title``, ``date`` (ISO or None), ``parties``, ``clauses`` (each
    ``clause_id``, ``paragraph``, ``section``, ``citation``, ``text`` verbatim), and
    ``removed`` (each ``text`` and ``reason``); also ``short_title``, ``source`` and
    ``kind``.

    ``clauses`` are the document's clauses as served (``index.clauses_of(doc_id)``); by
    default the document is segmented here, which gives the same clauses.
    """
    found = segment(doc) if clauses is None else clauses
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "short_title": doc.short_title,
        "date": doc.date.isoformat() if doc.date else None,
        "parties": list(doc.parties),
        "source": doc.source,
        "kind": doc.kind,
        "clauses": [
            {
                "clause_id": c.clause_id,
                "paragraph": c.paragraph,
                "section": c.section,
                "citation": c.citation,
                "text": c.text,
            }
            for c in found
        ],
        "removed": [r.to_json() for r in doc.removed],
    }
