"""The core services a transport (CLI, Slack, console) works with, built once."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.commitments import Commitment
from bot.config import Settings
from bot.live import Snapshot, build_snapshot, describe
from bot.reading.documents import Corpus, Document, load_corpus
from bot.reading.view import statement_view
from bot.search import ClauseIndex
from bot.tracking import CommitmentQuery, check_status, rows

if TYPE_CHECKING:
    from bot.library import Library

log = logging.getLogger(__name__)

__all__ = [
    "CURATED_FILE",
    "Deduper",
    "Services",
    "TeamIndex",
    "build_services",
    "document_rows",
    "with_owners",
]

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
        #: The live stored statements served, by row id, with their documents (what a
        #: refresh does not read or make again).
        self._live: dict[int, tuple[Any, Document]] = {}
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
            # Statements read before are not read again (a live row never changes):
            # their objects, and their documents, are reused.
            known = {row: pair[0] for row, pair in self._live.items()}
            version, stored = library.snapshot(known)
            if not force and version == self.snapshot.version:
                return False
            live: dict[int, tuple[Any, Document]] = {}
            for s in stored:
                had = self._live.get(s.row_id)
                live[s.row_id] = (s, had[1] if had is not None and had[0] is s else s.document())
            missing = 0

            def prepare(index: ClauseIndex) -> None:
                nonlocal missing  # vectors of new clauses come after the swap
                missing = attach_sentences(index, self.settings, encode=False)

            snapshot = with_owners(
                build_snapshot(
                    self.bundled,
                    [doc for _, doc in live.values()],
                    curated=self._curated(),
                    version=version,
                    previous=self.snapshot,
                    prepare=prepare,
                    index_cache=self.settings.index_cache,
                ),
                stored,
            )
            snapshot.index.warm()  # before it answers anyone (see ClauseIndex.warm)
            self.snapshot = snapshot  # the swap: one assignment of an immutable snapshot
            self._live = live
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

    def document_rows(self, team_id: str | None = None) -> list[dict[str, Any]]:
        """Indexed documents (those workspace ``team_id`` sees) with clause and
        commitment counts."""
        snap = self.snapshot
        found = document_rows(snap.corpus, snap.index, snap.commitments, snap.added_ids)
        hidden = self.hidden_docs(team_id)
        return [r for r in found if r["doc_id"] not in hidden] if hidden else found

    def statement(self, doc_id: str, team_id: str | None = None) -> dict[str, Any] | None:
        """One served statement as briefbot reads it (:func:`bot.reading.view.statement_view`:
        clauses with citations, what was removed as debris), or None for an unknown id
        (or one workspace ``team_id`` may not see)."""
        snap = self.snapshot  # the document and its clauses from one snapshot
        if doc_id in self.hidden_docs(team_id):
            return None
        doc = snap.corpus.get(doc_id)
        return statement_view(doc, snap.index.clauses_of(doc_id)) if doc is not None else None

    def team_key(self, team_id: str | None) -> str:
        """The workspace whose state a request reads and changes: its Slack team id when
        installed into many workspaces (OAuth), else the one default workspace (a bot
        token, the CLI and the console all share it, as before teams were kept apart)."""
        from bot.store import DEFAULT_TEAM

        oauth = self.settings is not None and self.settings.oauth
        return team_id if oauth and team_id else DEFAULT_TEAM

    def is_editor(self, team_id: str | None, user_id: str | None) -> bool:
        """May ``user_id`` of workspace ``team_id`` add, replace and remove statements?

        Yes when ``BRIEFBOT_EDITORS`` lists ``team_id:user_id``, or the plain user id in
        single-workspace mode, or a workspace admin named them in App Home. While the
        database fails, only ``BRIEFBOT_EDITORS`` counts (an answer must not wait on it)."""
        if not user_id:
            return False
        oauth = self.settings is not None and self.settings.oauth
        if oauth and not team_id:
            return False  # a request from no known workspace edits nothing
        team = self.team_key(team_id)
        editors = self.settings.editors if self.settings is not None else frozenset()
        if team_id and f"{team_id}:{user_id}" in editors:
            return True
        if not oauth and user_id in editors:
            return True
        if self.store is None or time.monotonic() < self._db_retry_at:
            return False
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return bool(self.store.is_stored_editor(team, user_id))
        except (SQLAlchemyError, OSError) as exc:
            self._db_retry_at = time.monotonic() + self.DB_RETRY_SECONDS
            log.warning("editor check without the database (%s)", type(exc).__name__)
            return False

    def hidden_docs(self, team_id: str | None) -> frozenset[str]:
        """Added statements workspace ``team_id`` may not see: those another workspace
        added, when installed into many workspaces and ``BRIEFBOT_SHARE_STATEMENTS`` is
        off. Bundled ones and those added from the command line are everyone's."""
        owners = self.snapshot.owners
        if not owners or self.settings is None or not self.settings.oauth:
            return frozenset()
        if self.settings.share_statements:
            return frozenset()
        team = self.team_key(team_id)
        return frozenset(doc_id for doc_id, owner in owners.items() if owner != team)

    def index_for(self, team_id: str | None) -> Any:
        """The served index as workspace ``team_id`` sees it (:class:`TeamIndex`)."""
        hidden = self.hidden_docs(team_id)
        return TeamIndex(self.index, hidden) if hidden else self.index

    def commitments_for(self, team_id: str | None) -> Sequence[Commitment]:
        """The dated items of the statements workspace ``team_id`` sees."""
        hidden = self.hidden_docs(team_id)
        items = self.commitments
        return [c for c in items if c.doc_id not in hidden] if hidden else items

    def statuses(self, team_id: str | None = None) -> dict[str, str]:
        """Current status in the workspace (see :meth:`team_key`) of every commitment
        rated there (unrated ones are absent)."""
        if self.store is None:
            return {}
        return self.store.statuses(team_id=self.team_key(team_id))

    def status_of(self, team_id: str | None = None) -> Callable[[str], str]:
        """A commitment id -> its current status in that workspace (for reminder posts)."""
        store, team = self.store, self.team_key(team_id)
        if store is None:
            return lambda _id: "not_yet_rated"
        return lambda commitment_id: store.current_status(commitment_id, team_id=team)

    def history(self, commitment_id: str, team_id: str | None = None) -> list[Any]:
        """A commitment's status changes and notes in that workspace, oldest first."""
        if self.store is None:
            return []
        return list(self.store.history(commitment_id, team_id=self.team_key(team_id)))

    def commitment_rows(
        self, query: CommitmentQuery | None = None, *, team_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Commitment rows (contract shape + the workspace's status) for a parsed query
        (default: all)."""
        query = query or CommitmentQuery()
        matching = None
        if query.words:
            result = self.index_for(team_id).search(query.words, limit=200)
            matching = {h.clause.clause_id for h in result.hits}
            matching |= {o.clause_id for h in result.hits for o in h.also_in}
        return rows(
            self.commitments_for(team_id),
            self.statuses(team_id),
            today=self.today(),
            query=query,
            matching_clauses=matching,
        )

    def commitment_rows_for_home(
        self, team_id: str | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(upcoming, overdue) rows for the Home tab of that workspace."""
        upcoming = self.commitment_rows(CommitmentQuery(view="upcoming"), team_id=team_id)
        overdue = self.commitment_rows(CommitmentQuery(view="overdue"), team_id=team_id)
        return upcoming, overdue

    def get_commitment(self, commitment_id: str, team_id: str | None = None) -> Commitment:
        """The commitment with this id (among those workspace ``team_id`` sees); KeyError
        with a clear message otherwise."""
        for c in self.commitments_for(team_id):
            if c.id == commitment_id:
                return c
        raise KeyError(f"no commitment {commitment_id!r}; 'briefbot commitments' lists the ids")

    def record_status(
        self,
        commitment_id: str,
        status: str,
        *,
        actor: str,
        note: str | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Set a commitment's status in the workspace (see :meth:`team_key`; kept with
        history); returns its updated row."""
        commitment = self.get_commitment(commitment_id, team_id)
        status = check_status(status)
        if self.store is None:
            raise ValueError("no database configured (DATABASE_URL)")
        self.store.set_status(
            commitment.id, status, actor=actor, note=note, team_id=self.team_key(team_id)
        )
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
    private_cache_dirs(settings)
    bundled = load_corpus(settings.corpus_dir, cache_dir=settings.index_cache)
    store = None
    if with_store:
        from bot.store import Store

        store = Store(settings.database_url, timeout=settings.db_timeout, lazy=lazy_store)
    stored: list[Document] = []
    owned: list[Any] = []
    version = None
    if store is not None and read_statements:
        from sqlalchemy.exc import SQLAlchemyError

        from bot.library import Library

        try:
            version, owned = Library(store, bundled).snapshot()
            stored = [r.document() for r in owned]
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
    services.snapshot = with_owners(snapshot, owned)
    services._live = {s.row_id: (s, doc) for s, doc in zip(owned, stored, strict=True)}
    return services


def private_cache_dirs(settings: Settings) -> None:
    """Create the cache directories (sentence vectors, the persisted index) 0700 when
    they do not exist yet, whatever the umask: what is built from the statements stays
    this user's. One that cannot be made is left to the code that writes there."""
    from bot.store import private_dir

    for folder in (settings.cache_dir, settings.index_cache):
        if folder is None:
            continue
        try:
            private_dir(Path(folder).expanduser())
        except OSError as exc:
            log.warning("cache directory %s not created (%s)", folder, type(exc).__name__)


def with_owners(snapshot: Snapshot, stored: Sequence[Any]) -> Snapshot:
    """``snapshot`` knowing which of its added documents one workspace owns (``stored``:
    the live :class:`bot.library.StoredStatement` rows it was built from)."""
    from bot.store import DEFAULT_TEAM

    owners = {
        s.doc_id: s.team_id
        for s in stored
        if s.team_id != DEFAULT_TEAM and s.doc_id in snapshot.added_ids
    }
    return replace(snapshot, owners=owners) if owners else snapshot


class TeamIndex:
    """The served index without some documents (another workspace's statements): the
    same interface for searching and looking clauses up, those documents left out."""

    def __init__(self, index: ClauseIndex, hidden: frozenset[str]) -> None:
        self._index = index
        self.hidden = hidden

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)

    def search(self, query: str, **options: Any) -> Any:
        """:meth:`ClauseIndex.search` that never ranks a hidden document's clauses."""
        return self._index.search(query, exclude_docs=self.hidden, **options)

    def get(self, clause_id: str) -> Any:
        """The clause with this id, or None (also when its document is hidden)."""
        clause = self._index.get(clause_id)
        return clause if clause is not None and clause.doc_id not in self.hidden else None

    def clauses_of(self, doc_id: str) -> list[Any]:
        """One document's clauses; none for a hidden document."""
        return [] if doc_id in self.hidden else self._index.clauses_of(doc_id)

    def context(self, clause_id: str, **options: Any) -> list[Any]:
        """The clause with its neighbours; none for a hidden document's clause."""
        return self._index.context(clause_id, **options) if self.get(clause_id) else []


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
            len(s),
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
