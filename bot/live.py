"""The served corpus as an immutable snapshot, rebuilt beside the old one and swapped.

A :class:`Snapshot` is the bundled corpus plus the live stored statements
(:mod:`bot.library`), their clause index and their dated items, tagged with the database's
corpus version. :class:`bot.services.Services` holds one and replaces it with a single
attribute assignment, so a query (or a reminder tick) reads one consistent snapshot and
never waits for a rebuild: the rebuild runs on the :class:`CorpusWatcher` thread.

Freshness: every process polls the one-row ``corpus_version`` table every
:data:`POLL_SECONDS` (a primary-key read); when it moved, the process rebuilds and swaps.
Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from bot.commitments import Commitment, apply_curation, extract
from bot.dated.cache import DatedCache
from bot.dated.segments import SegmentCache
from bot.reading.clauses import Clause
from bot.reading.documents import Corpus, Document
from bot.search import ClauseIndex


class Refreshing(Protocol):
    """What the watcher polls (:class:`bot.services.Services`, which imports this
    module: the watcher only needs these two)."""

    store: Any

    def refresh(self) -> bool:
        """Swap in a new snapshot when the corpus changed; True when it did."""
        ...


log = logging.getLogger(__name__)

__all__ = [
    "POLL_SECONDS",
    "SEGMENT_MIN",
    "SEGMENT_SHARE",
    "CorpusWatcher",
    "Deriver",
    "Snapshot",
    "build_snapshot",
    "forget_derived",
    "segment_limit",
]

#: How often each process checks the corpus version (seconds).
POLL_SECONDS = 2.0

#: Statements added or withdrawn since the served base index that a refresh indexes in
#: a segment after it, as a share of the base's statements (at least SEGMENT_MIN).
#: Past that, the refresh builds a new base: the one-piece build costs about as much
#: as the segments it replaces, and a process start builds (or loads) one anyway.
SEGMENT_SHARE = 0.05
SEGMENT_MIN = 64


@dataclass(frozen=True)
class Snapshot:
    """One consistent served corpus: documents, index, dated items and their version."""

    corpus: Corpus
    index: ClauseIndex
    commitments: Sequence[Commitment] = ()
    #: The database corpus version this reflects; None = files only (no database read).
    version: int | None = None
    #: Ids of documents that came from the database (the rest are bundled files).
    added_ids: frozenset[str] = field(default_factory=frozenset)
    #: Added documents that one workspace owns: doc id -> its team id (the rest are
    #: served to every workspace; see :meth:`bot.services.Services.hidden_docs`).
    owners: Mapping[str, str] = field(default_factory=dict)
    #: Seconds the index and dated items took to build.
    build_seconds: float = 0.0
    #: Dated items extracted per document before curation, reused by the next rebuild
    #: for every document that did not change (extraction is the slow half of it).
    extracted: Mapping[Document, tuple[Commitment, ...]] = field(default_factory=dict)


def build_snapshot(
    bundled: Corpus,
    stored: Sequence[Document] = (),
    *,
    curated: Path | None = None,
    version: int | None = None,
    previous: Snapshot | None = None,
    with_dated_items: bool = True,
    prepare: Callable[[ClauseIndex], None] | None = None,
    index_cache: Path | None = None,
) -> Snapshot:
    """Index ``bundled`` plus ``stored`` documents (a stored id that a bundled file took
    since is left out, with a warning) and extract their dated items (reusing
    ``previous``'s for unchanged documents); ``curated`` corrections apply to all.
    ``with_dated_items=False`` skips the dated items (for a one-off search).
    ``prepare`` finishes the new index before anyone sees it (its sentence vectors);
    ``index_cache`` is where built indexes are kept (:mod:`bot.search.persist`)."""
    started = time.perf_counter()
    taken = {d.doc_id for d in bundled.documents}
    warnings = list(bundled.warnings)
    added: list[Document] = []
    for doc in stored:
        if doc.doc_id in taken:
            warnings.append(
                f"added statement {doc.doc_id}: a bundled file has the same id; skipped"
            )
            continue
        taken.add(doc.doc_id)
        added.append(doc)
    corpus = Corpus(documents=[*bundled.documents, *added], warnings=warnings)
    # Clauses are cut once per statement version, whatever else changed in the corpus.
    segments = SegmentCache(index_cache)
    index = _on_previous_base(previous, corpus.documents, segments.segment_all)
    if index is None and previous is None and index_cache is not None:
        # A start: what an earlier process saved, for these documents or most of them
        # (a restart after an ingest maps the saved base and indexes only the rest).
        index = ClauseIndex.from_saved(
            corpus.documents,
            cache_dir=index_cache,
            limit=segment_limit,
            segment=segments.segment_all,
        )
    if index is None:
        index = ClauseIndex.from_documents(
            corpus.documents, cache_dir=index_cache, segment=segments.segment_all
        )
    if prepare is not None:
        prepare(index)
    cache = previous.extracted if previous is not None else {}
    kept = DatedCache(index_cache)  # what earlier processes read, by document content
    extracted: dict[Document, tuple[Commitment, ...]] = {}
    for doc in corpus.documents if with_dated_items else ():
        # Only a document never read before is read for dates, one at a time.
        found = cache.get(doc)
        if found is None:
            found = kept.get(doc)
        if found is None:
            found = tuple(extract(doc, index.clauses_of(doc.doc_id)))
            kept.put(doc, found)
        extracted[doc] = found
    kept.save()
    found_all = [c for doc in extracted for c in extracted[doc]]
    if curated is not None and with_dated_items:
        found_all = apply_curation(
            found_all,
            _ClausesById(index),
            curated,
            corpus.warnings,
            parties={d.doc_id: d.parties for d in corpus.documents},
        )
    commitments = sorted(found_all, key=lambda c: (c.due or date.max, c.id))
    return Snapshot(
        corpus=corpus,
        index=index,
        commitments=tuple(commitments),
        version=version,
        added_ids=frozenset(d.doc_id for d in added),
        build_seconds=time.perf_counter() - started,
        extracted=extracted,
    )


def segment_limit(base_documents: int) -> int:
    """How many documents may be added or withdrawn after a base index before the next
    refresh builds a new base instead (:data:`SEGMENT_SHARE` of the base, at least
    :data:`SEGMENT_MIN`)."""
    return max(SEGMENT_MIN, int(SEGMENT_SHARE * base_documents))


def _on_previous_base(
    previous: Snapshot | None,
    documents: Sequence[Document],
    segment: Callable[[list[Document]], Any],
) -> ClauseIndex | None:
    """The previous snapshot's base index with the documents added since in a segment
    after it (and those withdrawn masked out); None when there is no such base, or
    the changes since it are too many (:func:`segment_limit`): then a new base is
    built (and persisted, for the other processes and the next start)."""
    if previous is None:
        return None
    base = previous.index.base
    built = base.documents
    if not built:
        return None
    now = set(documents)
    kept = set(built)
    added = [d for d in documents if d not in kept]
    withdrawn = {d.doc_id for d in built if d not in now}
    if len(added) + len(withdrawn) > segment_limit(len(built)):
        return None
    if not added and not withdrawn:
        return base
    started = time.perf_counter()
    index = ClauseIndex.with_segment(base, added, withdrawn, segment=segment)
    log.info(
        "index: %d added and %d withdrawn statements on a base of %d, in %.2f s",
        len(added),
        len(withdrawn),
        len(built),
        time.perf_counter() - started,
    )
    return index


class Deriver:
    """What :func:`build_snapshot` (and the sentence vectors after it) would derive for
    documents, done ahead and kept, so the processes that serve them read it instead:
    clauses and dated items under ``index_cache``, sentence vectors under
    ``vector_cache`` (read-only ``seeds`` too). ``briefbot ingest`` runs one over the
    statements it adds; ``briefbot reindex`` over all of them.

    ``progress(stage, done, total)`` is told how far each call got (stages
    ``"clauses and dated items"`` and ``"sentence vectors"``)."""

    def __init__(
        self,
        *,
        index_cache: Path | None,
        vector_cache: Path | None = None,
        seeds: Sequence[Path] = (),
        vectors: bool = True,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.segments = SegmentCache(index_cache)
        self.dated = DatedCache(index_cache)
        self.progress = progress
        self._vector_args = (vector_cache, tuple(seeds))
        self._vectors_on = vectors
        self._vectors: Any = None  # the vector cache, read on first use
        #: Clauses whose sentence vector was encoded by this deriver.
        self.encoded = 0
        #: Documents read for dated items by this deriver (not found kept).
        self.extracted = 0

    def vectors(self, texts: Sequence[str]) -> int:
        """Encode (and keep) the sentence vectors of ``texts`` not kept yet; returns how
        many were encoded (0 when the encoder is off or not installed)."""
        if not self._vectors_on or not texts:
            return 0
        from bot.search.encoder import load_encoder
        from bot.search.sentences import SentenceIndex, VectorCache

        encoder = load_encoder()
        if encoder is None:
            self._vectors_on = False
            return 0
        if self._vectors is None:
            folder, seeds = self._vector_args
            self._vectors = VectorCache(folder, seeds)

        def told(done: int, total: int) -> None:
            if self.progress is not None:
                self.progress("sentence vectors", done, total)

        built = SentenceIndex(texts, encoder=encoder, cache=self._vectors, progress=told)
        self.encoded += built.encoded
        return int(built.encoded)

    def documents(self, docs: Sequence[Document], *, save: bool = True) -> list[Clause]:
        """Cut ``docs`` into clauses and read their dated items (each kept; what was
        kept before is read back); returns their clauses. ``save=False`` leaves the
        dated items in memory until :meth:`save` (one file holds all of them: a long
        ingest writes it every few batches, not after each)."""
        clauses: list[Clause] = []
        for n, doc in enumerate(docs, start=1):
            found = self.segments.clauses(doc)
            clauses.extend(found)
            if self.dated.get(doc) is None:
                self.dated.put(doc, tuple(extract(doc, found)))
                self.extracted += 1
            if self.progress is not None and (n % 50 == 0 or n == len(docs)):
                self.progress("clauses and dated items", n, len(docs))
        if save:
            self.save()
        return clauses

    def save(self) -> None:
        """Write the dated items read so far (clauses and vectors are kept as made)."""
        self.dated.save()

    def all(self, docs: Sequence[Document], *, save: bool = True) -> int:
        """:meth:`documents` then :meth:`vectors` of their clauses; returns the clauses."""
        clauses = self.documents(docs, save=save)
        self.vectors([c.text for c in clauses])
        return len(clauses)


def forget_derived(index_cache: Path | None) -> int:
    """Delete what was derived and kept under ``index_cache`` (read files, clauses,
    dated items, built indexes; not sentence vectors, which depend only on the text and
    the model); returns how many entries went. Only entries briefbot names are touched."""
    import shutil

    if index_cache is None or not index_cache.is_dir():
        return 0
    gone = 0
    for path in index_cache.iterdir():
        name = path.name
        if path.is_dir() and (name.startswith(".derived-") or (path / "meta.json").is_file()):
            trash = path.with_name(f".trash-forget-{name}")
            try:
                path.rename(trash)  # out of the way first: nobody reads half of it
            except OSError:
                continue
            shutil.rmtree(trash, ignore_errors=True)
            gone += 1
        elif path.is_file() and name.startswith(".dated-") and name.endswith(".json"):
            path.unlink(missing_ok=True)
            gone += 1
    return gone


class _ClausesById(Mapping[str, Clause]):
    """The index's clauses by id, each made when asked for (not a million at once)."""

    def __init__(self, index: ClauseIndex) -> None:
        self._index = index

    def __getitem__(self, clause_id: str) -> Clause:
        clause = self._index.get(clause_id)
        if clause is None:
            raise KeyError(clause_id)
        return clause

    def __iter__(self) -> Iterator[str]:
        if self._index.segment_size:  # withdrawn documents' clauses left out
            return iter(self._index._by_id)
        ids = getattr(self._index.clauses, "ids", None)
        return iter(ids) if ids is not None else (c.clause_id for c in self._index.clauses)

    def __len__(self) -> int:
        if self._index.segment_size:
            return len(self._index._by_id)
        return len(self._index)


class CorpusWatcher:
    """A daemon thread calling ``services.refresh()`` every ``interval`` seconds.

    Start it in the process that serves (after a fork, in each worker). Database errors
    are logged (once per outage) and retried at the next poll; the old snapshot keeps
    answering meanwhile.
    """

    def __init__(self, services: Refreshing, *, interval: float = POLL_SECONDS) -> None:
        self.services = services
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="corpus-watcher", daemon=True)
        self._failing = False

    def start(self) -> CorpusWatcher:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def check(self) -> bool:
        """One poll: True when a new snapshot was swapped in."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            swapped = self.services.refresh()
        except (SQLAlchemyError, OSError) as exc:
            if not self._failing:
                log.warning(
                    "corpus version check failed (%s); still serving the last corpus",
                    type(exc).__name__,
                )
            self._failing = True
            return False
        except Exception:
            log.exception("rebuilding the corpus failed; still serving the last corpus")
            return False
        if self._failing:
            log.info("corpus version check works again")
        self._failing = False
        return swapped


def start_watcher(services: Refreshing, *, interval: float = POLL_SECONDS) -> CorpusWatcher | None:
    """Start a watcher when ``services`` has a database; None otherwise."""
    if services.store is None:
        return None
    return CorpusWatcher(services, interval=interval).start()


def describe(snapshot: Snapshot) -> dict[str, Any]:
    """A log-friendly summary of a snapshot."""
    return {
        "version": snapshot.version,
        "documents": len(snapshot.corpus.documents),
        "added": len(snapshot.added_ids),
        "clauses": len(snapshot.index.clauses),
        "seconds": round(snapshot.build_seconds, 3),
    }
