"""A topic's timeline: the best clause on it from each statement, oldest first.

Each entry after the first carries a word-level diff against the previous entry
(words added and words dropped, in order), so an analyst sees how a position's
wording moved between statements. Quotes stay verbatim; only the diff is derived.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.search.index import DEFAULT_MIN_SCORE, ClauseIndex, Hit

__all__ = ["Timeline", "TimelineEntry", "build_timeline", "word_diff"]

#: How many ranked clauses are looked through for one clause per statement.
POOL = 400
_WORD = re.compile(r"[\w’'$%.-]+")


def word_diff(old: str, new: str) -> tuple[list[str], list[str]]:
    """(added, dropped) going from ``old`` to ``new``: runs of consecutive words, in order.

    Words are compared case-insensitively; each run is the words as written."""
    a = _WORD.findall(old)
    b = _WORD.findall(new)
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in a], b=[w.lower() for w in b])
    added: list[str] = []
    dropped: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in {"replace", "delete"}:
            dropped.append(" ".join(a[i1:i2]))
        if op in {"replace", "insert"}:
            added.append(" ".join(b[j1:j2]))
    return added, dropped


@dataclass(frozen=True)
class TimelineEntry:
    """One statement's best clause on the topic, and its wording change."""

    hit: Hit
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    first: bool = False

    def to_json(self) -> dict[str, Any]:
        """The hit's JSON shape plus ``added`` and ``dropped`` words."""
        return {**self.hit.to_json(), "added": self.added, "dropped": self.dropped}


@dataclass(frozen=True)
class Timeline:
    """Entries oldest first; ``notes`` say what was read and filtered."""

    topic: str
    entries: list[TimelineEntry]
    read_as: str = ""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``topic``, ``read_as``, ``notes`` and ``entries`` (hits with their diffs)."""
        return {
            "topic": self.topic,
            "read_as": self.read_as,
            "notes": self.notes,
            "entries": [e.to_json() for e in self.entries],
        }


def build_timeline(
    index: ClauseIndex,
    topic: str,
    *,
    doc: str | None = None,
    after: date | str | None = None,
    before: date | str | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
) -> Timeline:
    """The best clause on ``topic`` from each statement that has a good one, oldest first.

    Raises :class:`~bot.search.QueryError` like :meth:`ClauseIndex.search`."""
    result = index.search(
        topic, limit=POOL, doc=doc, after=after, before=before, min_score=min_score
    )
    best: dict[str, Hit] = {}
    for hit in result.hits:  # ranked: the first hit of a document is its best
        best.setdefault(hit.clause.doc_id, hit)
    ordered = sorted(best.values(), key=lambda h: (h.clause.doc_date or date.min, h.clause.doc_id))
    entries: list[TimelineEntry] = []
    for i, hit in enumerate(ordered):
        if i == 0:
            entries.append(TimelineEntry(hit, first=True))
            continue
        added, dropped = word_diff(ordered[i - 1].clause.text, hit.clause.text)
        entries.append(TimelineEntry(hit, added, dropped))
    notes = list(result.notes)
    if not entries and result.suggestion:
        notes.append(f"no good match; closest: {result.suggestion.clause.citation}")
    return Timeline(topic=topic, entries=entries, read_as=result.read_as, notes=notes)
