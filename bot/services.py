"""The core services a transport (CLI, Slack, console) works with, built once."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.commitments import Commitment
from bot.config import Settings
from bot.documents import Corpus, Document, load_corpus
from bot.live import Snapshot, build_snapshot, describe
from bot.reading.view import statement_view
from bot.search import ClauseIndex
from bot.tracking import CommitmentQuery, check_status, rows

if TYPE_CHECKING:
    from bot.library import Library

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


class Services:
    """Everything handlers need: settings, the served corpus snapshot and the database.

    ``corpus``, ``index`` and ``commitments`` read the current :class:`bot.live.Snapshot`,
    which :meth:`refresh` (called by :class:`bot.live.CorpusWatcher`) replaces in one
    assignment when the database's corpus version moved. A caller wanting several of them
    consistent reads ``services.snapshot`` once.
    """

    def __init__(
        self,
        settings: Settings,
        corpus: Corpus,
        index: ClauseIndex,
        commitments: Sequence[Commitment] = (),
        store: Any = None,
        deduper: Deduper | None = None,
        today: Callable[[], date] | None = None,
        *,
        bundled: Corpus | None = None,
        version: int | None = None,
        added_ids: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.store = store
        self.deduper = deduper or Deduper()
        self.today: Callable[[], date] = today or (lambda: datetime.now(UTC).date())
        #: The corpus directory's documents (fixed for the life of the process).
        self.bundled = bundled if bundled is not None else corpus
        self.snapshot = Snapshot(
            corpus=corpus,
            index=index,
            commitments=tuple(commitments),
            version=version,
            added_ids=added_ids,
        )
        #: While the database is failing, dedupe in memory until this monotonic instant.
        self._db_retry_at = 0.0
        self._refresh_lock = threading.Lock()
        # Encoding new clauses' sentence vectors happens after the swap, one refresh at
        # a time: a second refresh finds the first one's vectors cached, not re-encoded.
        self._encode_lock = threading.Lock()

    @property
    def corpus(self) -> Corpus:
        return self.snapshot.corpus

    @property
    def index(self) -> ClauseIndex:
        return self.snapshot.index

    @property
    def commitments(self) -> Sequence[Commitment]:
        return self.snapshot.commitments

    @property
    def library(self) -> Library:
        """The statement library on this process's database (see :mod:`bot.library`)."""
        from bot.library import Library

        if self.store is None:
            raise ValueError("no database configured (DATABASE_URL)")
        return Library(self.store, self.bundled)

    def _curated(self) -> Path | None:
        return self.settings.corpus_dir / CURATED_FILE if self.settings is not None else None

    def refresh(self, *, force: bool = False) -> bool:
        """Rebuild and swap the snapshot if the database's corpus version moved (or
        ``force``). True when swapped. Queries keep using the old snapshot meanwhile.
        Raises the database's errors (the watcher logs them)."""
        if self.store is None:
            return False
        with self._refresh_lock:  # one rebuild at a time; a second caller waits, then sees it
            library = self.library
            if not force and library.corpus_version() == self.snapshot.version:
                return False
            version, stored = library.snapshot()
            if not force and version == self.snapshot.version:
                return False
            missing = 0

            def prepare(index: ClauseIndex) -> None:
                nonlocal missing  # vectors of new clauses come after the swap
                missing = attach_sentences(index, self.settings, encode=False)

            snapshot = build_snapshot(
                self.bundled,
                [s.document() for s in stored],
                curated=self._curated(),
                version=version,
                previous=self.snapshot,
                prepare=prepare,
                index_cache=self.settings.index_cache,
            )
            self.snapshot = snapshot  # the swap: one assignment of an immutable snapshot
        log.info("corpus version %s served: %s", version, describe(snapshot))
        if missing:
            # The new statement answers on its words at once; on its meaning once its
            # clauses are encoded (one attribute assignment on the served index).
            with self._encode_lock:
                if self.snapshot is snapshot:  # else a newer refresh encodes them all
                    attach_sentences(snapshot.index, self.settings)
        return True

    def fresh_commitments(self) -> Sequence[Commitment]:
        """Dated items of the current corpus version, refreshing first if it moved (for
        the reminder tick, which runs where no watcher may be running)."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            self.refresh()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("corpus version check failed (%s); reminding from the last corpus", exc)
        return self.commitments

    def after_fork(self) -> None:
        """In a forked worker: drop pooled database connections inherited from the parent,
        and the rebuild lock (a parent thread may have held it at the fork)."""
        self._refresh_lock = threading.Lock()
        self._encode_lock = threading.Lock()
        engine = getattr(self.store, "_engine", None)
        if engine is not None:
            engine.dispose(close=False)

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
        snap = self.snapshot
        return document_rows(snap.corpus, snap.index, snap.commitments, snap.added_ids)

    def statement(self, doc_id: str) -> dict[str, Any] | None:
        """One served statement as briefbot reads it (:func:`bot.reading.view.statement_view`:
        clauses with citations, what was removed as debris), or None for an unknown id."""
        snap = self.snapshot  # the document and its clauses from one snapshot
        doc = snap.corpus.get(doc_id)
        return statement_view(doc, snap.index.clauses_of(doc_id)) if doc is not None else None

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
    settings: Settings,
    *,
    with_store: bool = True,
    lazy_store: bool = False,
    read_statements: bool = True,
    with_dated_items: bool = True,
) -> Services:
    """Load the corpus and the statements added to the database, index them, extract
    commitments. ``read_statements=False`` serves the corpus directory only;
    ``with_dated_items=False`` skips commitment extraction (a one-off search).

    Raises CorpusError when the corpus is unusable and CurationError when the curated
    commitments file is broken. ``lazy_store`` opens the database on first use, so a
    server starts (and searches) while its database is down.
    """
    bundled = load_corpus(settings.corpus_dir, cache_dir=settings.index_cache)
    store = None
    if with_store:
        from bot.store import Store

        store = Store(settings.database_url, timeout=settings.db_timeout, lazy=lazy_store)
    stored: list[Document] = []
    version = None
    if store is not None and read_statements:
        from sqlalchemy.exc import SQLAlchemyError

        from bot.library import Library

        try:
            version, rows = Library(store, bundled).snapshot()
            stored = [r.document() for r in rows]
        except (SQLAlchemyError, OSError) as exc:
            if not lazy_store:
                raise
            log.warning(
                "added statements not loaded (database: %s); serving the corpus directory "
                "until the database answers",
                type(exc).__name__,
            )
    snapshot = build_snapshot(
        bundled,
        stored,
        curated=settings.corpus_dir / CURATED_FILE,
        version=version,
        with_dated_items=with_dated_items,
        prepare=partial(attach_sentences, settings=settings),
        index_cache=settings.index_cache,
    )
    services = Services(
        settings=settings,
        corpus=snapshot.corpus,
        index=snapshot.index,
        store=store,
        bundled=bundled,
    )
    services.snapshot = snapshot
    return services


def attach_sentences(index: ClauseIndex, settings: Settings, *, encode: bool = True) -> int:
    """Give the index its clause sentence vectors, when the encoder is on and installed;
    returns how many clauses were left without one (only with ``encode=False``).

    Vectors come from those shipped with the corpus (``corpus/.vectors``) and the
    cache (``BRIEFBOT_CACHE_DIR``); only clauses never seen before are encoded, about
    fifty a second on a small CPU (logged)."""
    if not settings.sentence_encoder:
        return 0
    started = time.perf_counter()
    from bot.search.sentences import SEED_DIR

    seeds = [settings.corpus_dir / SEED_DIR]
    if not index.build_sentences(cache_dir=settings.cache_dir, seeds=seeds, encode=encode):
        return 0
    s = index.sentences
    if s.encoded:
        log.info(
            "sentence vectors for %d clauses (%d encoded now) in %.1f s",
            len(s.matrix),
            s.encoded,
            time.perf_counter() - started,
        )
    return int(s.missing)


def document_rows(
    corpus: Corpus, index: ClauseIndex, commitments: Any = (), added_ids: Any = frozenset()
) -> list[dict[str, Any]]:
    """One row per indexed document: id, title, date, clause and commitment counts, and
    ``origin``: ``bundled`` (a corpus file) or ``added`` (stored in the database)."""
    clause_counts = index.clause_counts()
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
            "origin": "added" if d.doc_id in added_ids else "bundled",
        }
        for d in corpus.documents
    ]
