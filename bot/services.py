"""The core services a transport (CLI, Slack, console) works with, built once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.documents import Corpus, load_corpus
from bot.search import ClauseIndex

__all__ = ["Deduper", "Services", "build_services", "document_rows"]


class Deduper:
    """Remembers delivery ids (Slack ``event_id``) for a while, so retries are answered once.

    In memory: enough for one process. Several HTTP instances behind a load
    balancer should share the database-backed one in :mod:`bot.store`.
    """

    def __init__(self, ttl_seconds: float = 3600.0, max_items: int = 50_000) -> None:
        self.ttl = ttl_seconds
        self.max_items = max_items
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, key: str | None) -> bool:
        """True the first time ``key`` is seen (and always for a missing key)."""
        if not key:
            return True
        now = time.monotonic()
        with self._lock:
            while self._seen and (
                next(iter(self._seen.values())) < now - self.ttl or len(self._seen) > self.max_items
            ):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


@dataclass
class Services:
    """Everything handlers need: settings, the corpus and its clause index, state."""

    settings: Settings
    corpus: Corpus
    index: ClauseIndex
    deduper: Deduper = field(default_factory=Deduper)
    store: Any = None
    commitments: list[Any] = field(default_factory=list)

    def first_delivery(self, key: str | None) -> bool:
        """False when this delivery id was already handled (a Slack retry)."""
        return self.deduper.first(key)

    def document_rows(self) -> list[dict[str, Any]]:
        """Indexed documents with clause and commitment counts."""
        return document_rows(self.corpus, self.index, self.commitments)

    def commitment_rows_for_home(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(upcoming, overdue) commitment rows for the Home tab; empty without commitments."""
        return [], []


def build_services(settings: Settings) -> Services:
    """Load the corpus and build the index (raises CorpusError when unusable)."""
    corpus = load_corpus(settings.corpus_dir)
    index = ClauseIndex.from_documents(corpus.documents)
    return Services(settings=settings, corpus=corpus, index=index)


def document_rows(
    corpus: Corpus, index: ClauseIndex, commitments: Any = ()
) -> list[dict[str, Any]]:
    """One row per indexed document: id, title, date, clause and commitment counts."""
    clause_counts: dict[str, int] = {}
    for c in index.clauses:
        clause_counts[c.doc_id] = clause_counts.get(c.doc_id, 0) + 1
    commit_counts: dict[str, int] = {}
    for c in commitments:
        commit_counts[c.doc_id] = commit_counts.get(c.doc_id, 0) + 1
    return [
        {
            "doc_id": d.doc_id,
            "title": d.title,
            "date": d.date.isoformat() if d.date else None,
            "parties": list(d.parties),
            "source": d.source,
            "clauses": clause_counts.get(d.doc_id, 0),
            "commitments": commit_counts.get(d.doc_id, 0),
        }
        for d in corpus.documents
    ]
