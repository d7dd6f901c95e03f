"""Commitments: dated promises extracted from clauses, and their statuses.

Extraction lives here; statuses (with history) live in the database
(:mod:`bot.store`). This module knows nothing of Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["CLOSED_STATUSES", "OPEN_STATUSES", "STATUSES", "Commitment"]

#: Every status a commitment can have, G20 Research Group style.
STATUSES = (
    "not_yet_rated",
    "in_progress",
    "stalled",
    "met",
    "partial",
    "missed",
    "not_applicable",
)
#: Statuses for which reminders are still sent.
OPEN_STATUSES = frozenset({"not_yet_rated", "in_progress", "stalled"})
CLOSED_STATUSES = frozenset(STATUSES) - OPEN_STATUSES


@dataclass(frozen=True)
class Commitment:
    """A dated (or vague) promise in a clause. ``text`` is the verbatim clause."""

    id: str
    doc_id: str
    clause_id: str
    text: str
    citation: str
    expression: str
    value: str
    start: date | None
    due: date | None
    parties: tuple[str, ...] = ()
    doc_title: str = ""
    doc_date: date | None = None
    source: str = "extracted"  # or "curated"

    def to_json(self, status: str = "not_yet_rated") -> dict[str, Any]:
        """The contract's commitment shape (GUIDE §2)."""
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "clause_id": self.clause_id,
            "text": self.text,
            "citation": self.citation,
            "expression": self.expression,
            "value": self.value,
            "due": self.due.isoformat() if self.due else None,
            "start": self.start.isoformat() if self.start else None,
            "status": status,
            "parties": list(self.parties),
            "source": self.source,
        }
