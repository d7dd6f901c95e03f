"""The core services a transport (CLI, Slack, console) works with, built once."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from bot.commitments import Commitment, extract_all
from bot.config import Settings
from bot.documents import Corpus, load_corpus
from bot.search import ClauseIndex
from bot.tracking import CommitmentQuery, check_status, rows

log = logging.getLogger(__name__)

__all__ = ["CURATED_FILE", "Deduper", "Services", "build_services", "document_rows"]

#: Analysts' corrections to extracted commitments, inside the corpus directory.
CURATED_FILE = "commitments.yml"


class Deduper:
    """Remembers delivery ids (Slack ``event_id``) for a while, so retries are answered once.

    In memory, per process: the fallback when no database is configured;
    :meth:`bot.store.Store.first_delivery` is the shared one.
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
    """Everything handlers need: settings, corpus, clause index, commitments and state."""

    settings: Settings
    corpus: Corpus
    index: ClauseIndex
    commitments: list[Commitment] = field(default_factory=list)
    store: Any = None
    deduper: Deduper = field(default_factory=Deduper)
    today: Callable[[], date] = field(default=lambda: datetime.now(UTC).date())
    #: While the database is failing, dedupe in memory until this monotonic instant.
    _db_retry_at: float = field(default=0.0, repr=False)

    #: How long a failed database is left alone before the next try (seconds).
    DB_RETRY_SECONDS = 30.0

    def first_delivery(self, key: str | None) -> bool:
        """False when this delivery id was already handled (a Slack retry).

        Uses the database when there is one, so several HTTP processes behind a load
        balancer agree; otherwise, or while the database fails (it is retried every
        :attr:`DB_RETRY_SECONDS`), an in-process memory, so answers never wait on it."""
        if not key:
            return True
        if self.store is not None and time.monotonic() >= self._db_retry_at:
            from sqlalchemy.exc import SQLAlchemyError

            try:
                first = bool(self.store.first_delivery(key))
            except (SQLAlchemyError, OSError) as exc:
                self._db_retry_at = time.monotonic() + self.DB_RETRY_SECONDS
                log.warning(
                    "database unavailable (%s); deduplicating in memory for %.0f s",
                    type(exc).__name__,
                    self.DB_RETRY_SECONDS,
                )
            else:
                self.deduper.first(key)  # remembered here too, for when the database fails
                return first
        return self.deduper.first(key)

    def document_rows(self) -> list[dict[str, Any]]:
        """Indexed documents with clause and commitment counts."""
        return document_rows(self.corpus, self.index, self.commitments)

    def statuses(self) -> dict[str, str]:
        """Current status of every rated commitment (unrated ones are absent)."""
        return self.store.statuses() if self.store is not None else {}

    def commitment_rows(self, query: CommitmentQuery | None = None) -> list[dict[str, Any]]:
        """Commitment rows (contract shape + status) for a parsed query (default: all)."""
        query = query or CommitmentQuery()
        matching = None
        if query.words:
            result = self.index.search(query.words, limit=200)
            matching = {h.clause.clause_id for h in result.hits}
            matching |= {o.clause_id for h in result.hits for o in h.also_in}
        return rows(
            self.commitments,
            self.statuses(),
            today=self.today(),
            query=query,
            matching_clauses=matching,
        )

    def commitment_rows_for_home(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(upcoming, overdue) rows for the Home tab."""
        upcoming = self.commitment_rows(CommitmentQuery(view="upcoming"))
        overdue = self.commitment_rows(CommitmentQuery(view="overdue"))
        return upcoming, overdue

    def get_commitment(self, commitment_id: str) -> Commitment:
        """The commitment with this id; KeyError with a clear message otherwise."""
        for c in self.commitments:
            if c.id == commitment_id:
                return c
        raise KeyError(f"no commitment {commitment_id!r}; 'briefbot commitments' lists the ids")

    def record_status(
        self, commitment_id: str, status: str, *, actor: str, note: str | None = None
    ) -> dict[str, Any]:
        """Set a commitment's status (kept with history); returns its updated row."""
        commitment = self.get_commitment(commitment_id)
        status = check_status(status)
        if self.store is None:
            raise ValueError("no database configured (DATABASE_URL)")
        self.store.set_status(commitment.id, status, actor=actor, note=note)
        return commitment.to_json(status)


def build_services(
    settings: Settings, *, with_store: bool = True, lazy_store: bool = False
) -> Services:
    """Load the corpus, index it, extract commitments and open the database.

    Raises CorpusError when the corpus is unusable and CurationError when the curated
    commitments file is broken. ``lazy_store`` opens the database on first use, so a
    server starts (and searches) while its database is down.
    """
    corpus = load_corpus(settings.corpus_dir)
    index = ClauseIndex.from_documents(corpus.documents, cache_dir=settings.index_cache)
    commitments = extract_all(
        corpus.documents, index.clauses, settings.corpus_dir / CURATED_FILE, corpus.warnings
    )
    store = None
    if with_store:
        from bot.store import Store

        store = Store(settings.database_url, timeout=settings.db_timeout, lazy=lazy_store)
    return Services(
        settings=settings, corpus=corpus, index=index, commitments=commitments, store=store
    )


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
