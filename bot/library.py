"""The statement library: statements added at run time, kept in the database.

``corpus/`` is the bundled, reviewable set every instance starts from; the database
(:class:`bot.store.Store`, same engine) is the store of record for statements added
while the bot runs. The served corpus is the bundled files plus the live stored
statements (:mod:`bot.live` builds and swaps it). Core only: no Slack here.

API, for the CLI and for Slack handlers (an "Add a statement" modal calls the same):

``preview(text_or_url, *, title=None, short_title=None, date=None, parties=None,
source=None, kind=None, name="statement", allow_private=False) -> Draft``
    Clean a pasted text (or fetch a URL: HTML main text, PDF), infer what was not
    given, and describe the result without saving: ``draft.title``, ``short_title``,
    ``date``, ``parties``, ``inferred`` (which of those were guessed), ``clauses``
    (count), ``dated_items`` (:class:`bot.commitments.Commitment`, with ``due`` and
    ``kind``), ``warnings``, ``removed`` (what cleaning dropped, as lines for people),
    ``removals`` (the same as :class:`bot.reading.clean.Removal` text and reason, stored with the
    statement), ``doc_id`` (proposed) and ``checksum``. :func:`preview_source` does the same for a
    :class:`bot.fetch.RawSource` (a file, an uploaded PDF via :func:`bot.fetch.raw_from_bytes`).
    Raises :class:`bot.ingest.IngestError` (one-line reason) for unusable input, and
    for a URL on a loopback or private network unless ``allow_private`` (so a URL
    pasted in Slack cannot make the bot read the internal network).

``Library(store, bundled=corpus)`` — ``services.library`` gives one bound to the served
store and bundled corpus:

- ``add(draft, *, added_by) -> StoredStatement``: saves it under a stable doc id that
  collides with no bundled or earlier stored id (a ``-2`` suffix when needed). Raises
  :class:`DuplicateStatement` (``.existing_id``) when the same statement is live
  already, bundled or stored: the same cleaned text (checksum), or the same words in
  another layout or with other boilerplate (``.near``; :mod:`bot.reading.identity`).
  ``duplicate_of(draft)`` returns that refusal (or None) without saving.
- ``replace(doc_id, draft, *, added_by) -> StoredStatement``: a corrected version (text
  or metadata) under the same doc id (so clause ids, statuses and reminders of unchanged
  clauses carry over); the old row is kept with ``superseded_by``. Refused when nothing
  changed.
- ``remove(doc_id, *, by) -> StoredStatement``: withdraws it (``removed_at``); its dated
  items stop reminding, status history is kept.
- ``get(doc_id)``, ``list_statements(*, include_history=False)``, ``history(doc_id)``,
  ``documents()`` (live ones as :class:`bot.reading.documents.Document`), ``corpus_version()``
  (an integer bumped in the same transaction as every change; 0 = never changed),
  ``export(directory, *, force=False)`` (corpus files, loadable with ``--corpus``).

A change is seen by every process within a few seconds (:mod:`bot.live`); the
process that made it may call ``services.refresh()`` to swap in the new snapshot at
once (a rebuild, about a second for the bundled corpus: run it off the ack path).

Errors are :class:`LibraryError` subclasses whose message is one line fit for users:
:class:`DuplicateStatement`, :class:`UnknownStatement`, :class:`BundledStatement`
(bundled statements live in files: edit ``corpus/`` instead).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.commitments import Commitment, extract
from bot.fetch import RawSource, is_url, read_source
from bot.ingest import IngestError, _target_name, prepare_text, write_atomic
from bot.reading.clean import Removal
from bot.reading.documents import Corpus, Document, parse_document, removals_from, render_document
from bot.reading.identity import SAME_DAYS, find_same
from bot.store import DEFAULT_TEAM, Store, corpus_version_table, statements_table

log = logging.getLogger(__name__)

__all__ = [
    "BundledStatement",
    "Draft",
    "DuplicateStatement",
    "Library",
    "LibraryError",
    "StoredStatement",
    "UnknownStatement",
    "checksum",
    "preview",
    "preview_source",
]


class LibraryError(Exception):
    """A library operation was refused; the message is one line for users."""


class DuplicateStatement(LibraryError):
    """The same statement is already in the served corpus under ``existing_id``: the
    same cleaned text, or (``near``) the same words but for layout and boilerplate
    (:mod:`bot.reading.identity`)."""

    def __init__(self, existing_id: str, *, bundled: bool = False, near: bool = False) -> None:
        self.existing_id = existing_id
        self.bundled = bundled
        self.near = near
        what = (
            "the same statement (other layout or boilerplate aside)" if near else "the same text"
        )
        if bundled:
            super().__init__(f"{what} is already bundled in the corpus directory as {existing_id}")
        elif near:
            super().__init__(
                f"{what} is already stored as {existing_id}; to store this text as its new "
                f"version, replace it (briefbot ingest --replace {existing_id})"
            )
        else:
            super().__init__(f"{what} is already stored as {existing_id}")


class UnknownStatement(LibraryError):
    """No live stored statement has this doc id."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"no added statement {doc_id!r}; 'briefbot docs' lists them")


class BundledStatement(LibraryError):
    """The doc id belongs to a bundled corpus file, which the library does not change."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(
            f"{doc_id} is bundled in the corpus directory; change or delete its file there"
        )


def checksum(body: str) -> str:
    """SHA-256 (hex) of a statement's cleaned text: what makes two statements the same."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Draft:
    """A cleaned statement with its metadata, clause count and dated items; not saved."""

    document: Document
    checksum: str
    clauses: int
    dated_items: tuple[Commitment, ...] = ()
    removed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Which of ``title``, ``short_title``, ``date``, ``parties`` were inferred.
    inferred: tuple[str, ...] = ()
    #: The URL it was fetched from, "" for pasted text or a file.
    url: str = ""
    #: What cleaning removed as debris, each with its reason (``removed`` shows them to
    #: people); stored with the statement, shown by ``briefbot show``.
    removals: tuple[Removal, ...] = ()

    @property
    def doc_id(self) -> str:
        """The proposed doc id (``add`` may append ``-2`` when it is taken)."""
        return self.document.doc_id

    @property
    def title(self) -> str:
        return self.document.title

    @property
    def short_title(self) -> str:
        return self.document.short_title

    @property
    def date(self) -> date | None:
        return self.document.date

    @property
    def parties(self) -> tuple[str, ...]:
        return self.document.parties

    @property
    def source(self) -> str:
        return self.document.source

    @property
    def body(self) -> str:
        """The cleaned verbatim text."""
        return self.document.body


def preview(
    text_or_url: str,
    *,
    title: str | None = None,
    short_title: str | None = None,
    date: date | None = None,
    parties: Sequence[str] | None = None,
    source: str | None = None,
    kind: str | None = None,
    name: str = "statement",
    allow_private: bool = False,
) -> Draft:
    """A :class:`Draft` of pasted text or of the page/PDF at a URL, without saving it.

    URLs on loopback or private networks are refused unless ``allow_private``."""
    if is_url(text_or_url) and len(text_or_url.split()) == 1:
        raw = read_source(text_or_url.strip(), allow_private=allow_private)
    else:
        raw = RawSource(text_or_url, name)
    return preview_source(
        raw,
        title=title,
        short_title=short_title,
        date=date,
        parties=parties,
        source=source,
        kind=kind,
    )


def preview_source(
    raw: RawSource,
    *,
    title: str | None = None,
    short_title: str | None = None,
    date: date | None = None,
    parties: Sequence[str] | None = None,
    source: str | None = None,
    kind: str | None = None,
) -> Draft:
    """A :class:`Draft` of raw text read from a file, a URL or an upload."""
    from bot.reading.clauses import segment

    prepared = prepare_text(
        raw.text,
        raw.name,
        title=title or None,
        short_title=short_title or None,
        when=date,
        source=source or raw.url or None,
        parties=[p for p in parties if p.strip()] if parties else None,
        kind=kind,
    )
    # The id rule names it; a URL's last segment is no file name to keep.
    named = Path("statement" if raw.url else raw.name)
    filename = _target_name(named, prepared.date, prepared.short_title or prepared.title)
    problems: list[str] = []
    doc = parse_document(prepared.text, filename, problems)
    if doc is None:
        raise IngestError(f"{raw.name}: the cleaned text would not load ({'; '.join(problems)})")
    clauses = segment(doc)
    if not clauses:
        raise IngestError(f"{raw.name}: no statement text left after cleaning")
    return Draft(
        document=doc,
        checksum=checksum(doc.body),
        clauses=len(clauses),
        dated_items=tuple(extract(doc, clauses)),
        removed=tuple(prepared.removed),
        warnings=tuple(prepared.warnings),
        inferred=tuple(prepared.inferred),
        url=raw.url,
        removals=tuple(prepared.removals),
    )


@dataclass(frozen=True)
class StoredStatement:
    """One version of a statement in the database."""

    row_id: int
    doc_id: str
    version: int
    title: str
    short_title: str
    date: date | None
    parties: tuple[str, ...]
    source: str
    kind: str
    body: str
    checksum: str
    added_by: str
    added_at: datetime
    superseded_by: int | None = None
    removed_at: datetime | None = None
    removed_by: str | None = None
    #: What cleaning removed as debris when it was added (not to be confused with
    #: ``removed_at``, the withdrawal of the statement itself).
    removed: tuple[Removal, ...] = ()
    #: The workspace that added it (``DEFAULT_TEAM``: served to every workspace).
    team_id: str = DEFAULT_TEAM

    @property
    def live(self) -> bool:
        """Neither replaced by a newer version nor removed."""
        return self.superseded_by is None and self.removed_at is None

    def document(self) -> Document:
        """As a corpus document (the same one ``export`` + ``--corpus`` would load)."""
        return Document(
            doc_id=self.doc_id,
            title=self.title,
            date=self.date,
            body=self.body,
            source=self.source,
            parties=self.parties,
            kind=self.kind,
            short_title=self.short_title,
            path=f"db:{self.doc_id}",
            removed=self.removed,
        )

    def render(self) -> str:
        """The corpus file text (front matter + body)."""
        meta: dict[str, object] = {"title": self.title}
        if self.short_title:
            meta["short_title"] = self.short_title
        meta["date"] = self.date.isoformat() if self.date else None
        meta["source"] = self.source
        meta["parties"] = list(self.parties)
        meta["kind"] = self.kind
        return render_document(meta, self.body, removed=self.removed)

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "version": self.version,
            "title": self.title,
            "short_title": self.short_title,
            "date": self.date.isoformat() if self.date else None,
            "parties": list(self.parties),
            "source": self.source,
            "checksum": self.checksum,
            "added_by": self.added_by,
            "added_at": self.added_at.isoformat(),
            "superseded_by": self.superseded_by,
            "removed_at": self.removed_at.isoformat() if self.removed_at else None,
            "removed_by": self.removed_by,
            "team_id": self.team_id,
        }


def _removals(r: Any) -> tuple[Removal, ...]:
    problems: list[str] = []
    try:
        value = json.loads(r.removed or "[]")
    except (ValueError, TypeError):
        value = "not JSON"
    found = removals_from(value, where=f"statement {r.doc_id} 'removed'", warnings=problems)
    for p in problems:
        log.warning("%s", p)
    return found


def _statement(r: Any) -> StoredStatement:
    try:
        parties = tuple(str(p) for p in json.loads(r.parties or "[]"))
    except (ValueError, TypeError):
        parties = ()
    return StoredStatement(
        row_id=r.id,
        doc_id=r.doc_id,
        version=r.version,
        title=r.title,
        short_title=r.short_title or "",
        date=date.fromisoformat(r.date) if r.date else None,
        parties=parties,
        source=r.source or "",
        kind=r.kind or "statement",
        body=r.body,
        checksum=r.checksum,
        added_by=r.added_by,
        added_at=r.added_at,
        superseded_by=r.superseded_by,
        removed_at=r.removed_at,
        removed_by=r.removed_by,
        removed=_removals(r),
        team_id=r.team_id or DEFAULT_TEAM,
    )


def read_version(conn: Connection) -> int:
    """The corpus version (0 before the first change)."""
    cv = corpus_version_table
    return int(conn.execute(select(cv.c.version).where(cv.c.id == 1)).scalar() or 0)


@dataclass
class Library:
    """Statements added at run time, in ``store``; ``bundled`` is the corpus directory's set
    (its ids are never reused, its texts count as duplicates)."""

    store: Store
    bundled: Corpus = field(default_factory=Corpus)

    #: Attempts at a fresh doc id when a racing writer took the one chosen.
    _ID_ATTEMPTS = 20

    # -- reading ------------------------------------------------------------------------

    def corpus_version(self) -> int:
        """An integer bumped by every add, replace and remove (0 = never changed)."""
        with self.store.engine.connect() as conn:
            return read_version(conn)

    def snapshot(
        self, known: Mapping[int, StoredStatement] | None = None
    ) -> tuple[int, list[StoredStatement]]:
        """(corpus version, live statements): the version is read first, so the
        statements are at least that new.

        ``known``: statements read before, by row id. A live row never changes (a new
        version is a new row; a removal takes the row out of the live set), so only the
        rows not known are read whole; the others are these objects again (a refresh
        after one ingest reads one statement, not thousands)."""
        t = statements_table
        live = t.c.live_doc_id.is_not(None)
        with self.store.engine.connect() as conn:
            version = read_version(conn)
            if not known:
                rows = conn.execute(select(t).where(live).order_by(t.c.id))
                return version, [_statement(r) for r in rows]
            found = conn.execute(select(t.c.id).where(live).order_by(t.c.id)).scalars()
            ids = [int(i) for i in found]
            fresh = [i for i in ids if i not in known]
            read: dict[int, StoredStatement] = {}
            for start in range(0, len(fresh), 500):
                part = fresh[start : start + 500]
                for r in conn.execute(select(t).where(t.c.id.in_(part), live)):
                    read[r.id] = _statement(r)
        # A row removed between the two reads is left out (the next refresh sees it).
        have = {**read, **{i: known[i] for i in ids if i in known}}
        return version, [have[i] for i in ids if i in have]

    def list_statements(
        self, *, include_history: bool = False, team_id: str | None = None
    ) -> list[StoredStatement]:
        """Live statements (or every version ever stored), oldest first; with
        ``team_id``, only those that workspace added."""
        t = statements_table
        query = select(t).order_by(t.c.id)
        if not include_history:
            query = query.where(t.c.live_doc_id.is_not(None))
        if team_id is not None:
            query = query.where(t.c.team_id == team_id)
        with self.store.engine.connect() as conn:
            return [_statement(r) for r in conn.execute(query)]

    def documents(self) -> list[Document]:
        """The live statements as corpus documents."""
        return [s.document() for s in self.list_statements()]

    def get(self, doc_id: str) -> StoredStatement | None:
        """The live statement with this doc id, or None."""
        t = statements_table
        with self.store.engine.connect() as conn:
            r = conn.execute(select(t).where(t.c.live_doc_id == doc_id)).first()
        return _statement(r) if r is not None else None

    def history(self, doc_id: str) -> list[StoredStatement]:
        """Every stored version of a doc id (removed and superseded ones too), oldest first."""
        t = statements_table
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.doc_id == doc_id).order_by(t.c.version))
            return [_statement(r) for r in rows]

    # -- changing -----------------------------------------------------------------------

    def add(
        self, draft: Draft, *, added_by: str, team_id: str = DEFAULT_TEAM
    ) -> StoredStatement:
        """Store a new statement, owned by workspace ``team_id``; raises
        DuplicateStatement when it is served already (the same text, or the same
        statement in another layout: :meth:`duplicate_of`)."""
        if (same := self.duplicate_of(draft)) is not None:
            raise same
        base = draft.doc_id
        for _attempt in range(self._ID_ATTEMPTS):
            with self.store.engine.connect() as conn:
                self._refuse_stored_duplicate(conn, draft.checksum)
                taken = self._taken(conn, base)
            doc_id = self._free_id(base, taken)
            try:
                with self.store.engine.begin() as conn:
                    row_id = self._insert(
                        conn, draft, doc_id=doc_id, version=1, by=added_by, team_id=team_id
                    )
                    self._bump(conn)
            except IntegrityError:
                continue  # a racing writer took the id or stored the same text: look again
            return self._by_row(row_id)
        raise LibraryError(f"could not find a free id for {base!r}; try again")

    def add_many(
        self, drafts: Sequence[Draft], *, added_by: str, team_id: str = DEFAULT_TEAM
    ) -> list[StoredStatement | LibraryError]:
        """:meth:`add` each of ``drafts``, in one transaction and one corpus version: for
        each, the stored statement or why it was refused (a draft repeating an earlier one
        of the same call is refused as :meth:`add` would refuse it once that one is
        stored). Drafts are stored as :meth:`add` stores them one by one, under the same ids;
        when a racing writer makes the transaction fail, they are added one by one."""
        results: list[StoredStatement | LibraryError | int] = []
        try:
            with self.store.engine.begin() as conn:
                for draft in drafts:
                    # In this transaction: it sees the batch's earlier drafts, and no
                    # second look for the same checksum is needed before the insert.
                    same = self.duplicate_of(draft, conn=conn)
                    if same is not None:
                        results.append(same)
                        continue
                    doc_id = self._free_id(draft.doc_id, self._taken(conn, draft.doc_id))
                    results.append(
                        self._insert(
                            conn, draft, doc_id=doc_id, version=1, by=added_by, team_id=team_id
                        )
                    )
                if any(isinstance(r, int) for r in results):
                    self._bump(conn)
        except IntegrityError:
            return [self._add_or_refusal(d, added_by=added_by, team_id=team_id) for d in drafts]
        rows = self._by_rows([r for r in results if isinstance(r, int)])
        return [rows[r] if isinstance(r, int) else r for r in results]

    def _add_or_refusal(
        self, draft: Draft, *, added_by: str, team_id: str
    ) -> StoredStatement | LibraryError:
        try:
            return self.add(draft, added_by=added_by, team_id=team_id)
        except LibraryError as exc:
            return exc

    def replace(self, doc_id: str, draft: Draft, *, added_by: str) -> StoredStatement:
        """Store ``draft`` as the new version of ``doc_id``; the old version is kept."""
        if self.bundled.get(doc_id) is not None:
            raise BundledStatement(doc_id)
        if (same := self.duplicate_of(draft, skip=(doc_id,))) is not None:
            raise same
        t = statements_table
        try:
            with self.store.engine.begin() as conn:
                old = conn.execute(select(t).where(t.c.live_doc_id == doc_id)).first()
                if old is None:
                    raise UnknownStatement(doc_id)
                if old.checksum == draft.checksum and _same_meta(_statement(old), draft):
                    raise LibraryError(f"{doc_id}: nothing changed (same text and metadata)")
                if old.checksum != draft.checksum:
                    self._refuse_stored_duplicate(conn, draft.checksum)
                cleared = conn.execute(
                    update(t)
                    .where(t.c.id == old.id, t.c.live_doc_id == doc_id)
                    .values(live_doc_id=None, live_checksum=None)
                ).rowcount
                if cleared != 1:
                    raise LibraryError(f"{doc_id} was changed meanwhile; try again")
                row_id = self._insert(
                    conn,
                    draft,
                    doc_id=doc_id,
                    version=old.version + 1,
                    by=added_by,
                    team_id=old.team_id or DEFAULT_TEAM,
                )
                conn.execute(update(t).where(t.c.id == old.id).values(superseded_by=row_id))
                self._bump(conn)
        except IntegrityError:
            raise LibraryError(f"{doc_id} was changed meanwhile; try again") from None
        return self._by_row(row_id)

    def remove(self, doc_id: str, *, by: str, team_id: str | None = None) -> StoredStatement:
        """Withdraw a stored statement (kept in the history, no longer served). With
        ``team_id``, only one that workspace added: another's is an unknown statement."""
        if self.bundled.get(doc_id) is not None:
            raise BundledStatement(doc_id)
        t = statements_table
        with self.store.engine.begin() as conn:
            row = conn.execute(select(t.c.id, t.c.team_id).where(t.c.live_doc_id == doc_id)).first()
            if row is None or (team_id is not None and row.team_id != team_id):
                raise UnknownStatement(doc_id)
            done = conn.execute(
                update(t)
                .where(t.c.id == row.id, t.c.live_doc_id == doc_id)
                .values(
                    live_doc_id=None,
                    live_checksum=None,
                    removed_at=datetime.now(UTC),
                    removed_by=by[:200],
                )
            ).rowcount
            if done != 1:
                raise UnknownStatement(doc_id)
            self._bump(conn)
        return self._by_row(row.id)

    def export(self, directory: str | Path, *, force: bool = False) -> list[Path]:
        """Write every live statement as ``DIR/<doc id>.md`` (the corpus file format)."""
        out = Path(directory)
        written = []
        for s in self.list_statements():
            path = out / f"{s.doc_id}.md"
            try:
                write_atomic(path, s.render(), force=force)
            except IngestError as exc:
                raise LibraryError(str(exc)) from None
            written.append(path)
        return written

    # -- helpers ------------------------------------------------------------------------

    def duplicate_of(
        self, draft: Draft, *, skip: Collection[str] = (), conn: Connection | None = None
    ) -> DuplicateStatement | None:
        """The refusal for a draft that is served already (bundled, or stored and live):
        the same cleaned text, else the same statement in another layout or with other
        boilerplate (:func:`bot.reading.identity.find_same`); None when it is new. Statements
        whose id is in ``skip`` do not count. ``conn``: read through that connection (and
        its transaction) instead of a new one."""
        bundled = [d for d in self.bundled.documents if d.doc_id not in skip]
        for doc in bundled:
            if checksum(doc.body) == draft.checksum:
                return DuplicateStatement(doc.doc_id, bundled=True)
        # Only what the comparison reads is fetched (not every stored statement whole:
        # on an archive of thousands that was most of each add).
        t = statements_table
        live = t.c.live_doc_id.is_not(None)
        texts = select(t.c.doc_id, t.c.body, t.c.date).where(live).order_by(t.c.id)
        if draft.date is not None:  # find_same passes over those dated further apart
            lo = (draft.date - timedelta(days=SAME_DAYS)).isoformat()
            hi = (draft.date + timedelta(days=SAME_DAYS)).isoformat()
            texts = texts.where(t.c.date.is_(None) | (t.c.date == "") | t.c.date.between(lo, hi))
        with contextlib.ExitStack() as stack:
            if conn is None:
                conn = stack.enter_context(self.store.engine.connect())
            same_text = conn.execute(
                select(t.c.doc_id).where(live, t.c.checksum == draft.checksum).order_by(t.c.id)
            ).scalars()
            for doc_id in same_text:
                if doc_id not in skip:
                    return DuplicateStatement(doc_id)
            stored = [
                (r.doc_id, r.body, date.fromisoformat(r.date) if r.date else None)
                for r in conn.execute(texts)
                if r.doc_id not in skip
            ]
        found = find_same(
            draft.body,
            draft.date,
            [*((d.doc_id, d.body, d.date) for d in bundled), *stored],
        )
        if found is None:
            return None
        in_bundle = self.bundled.get(found[0]) is not None
        return DuplicateStatement(found[0], bundled=in_bundle, near=True)

    @staticmethod
    def _taken(conn: Connection, base: str) -> set[str]:
        """The stored ids (any version) that are ``base`` or ``base-N``."""
        t = statements_table
        return set(
            conn.execute(
                select(t.c.doc_id).where(
                    (t.c.doc_id == base) | t.c.doc_id.like(f"{_like(base)}-%", escape="\\")
                )
            ).scalars()
        )

    @staticmethod
    def _refuse_stored_duplicate(conn: Connection, digest: str) -> None:
        t = statements_table
        existing = conn.execute(select(t.c.doc_id).where(t.c.live_checksum == digest)).scalar()
        if existing is not None:
            raise DuplicateStatement(existing)

    def _free_id(self, base: str, taken: Iterable[str]) -> str:
        used = set(taken) | {d.doc_id for d in self.bundled.documents}
        if base not in used:
            return base
        n = 2
        while f"{base}-{n}" in used:
            n += 1
        return f"{base}-{n}"

    @staticmethod
    def _insert(
        conn: Connection,
        draft: Draft,
        *,
        doc_id: str,
        version: int,
        by: str,
        team_id: str = DEFAULT_TEAM,
    ) -> int:
        doc = draft.document
        result = conn.execute(
            insert(statements_table).values(
                doc_id=doc_id,
                version=version,
                live_doc_id=doc_id,
                live_checksum=draft.checksum,
                checksum=draft.checksum,
                title=doc.title,
                short_title=doc.short_title,
                date=doc.date.isoformat() if doc.date else None,
                parties=json.dumps(list(doc.parties), ensure_ascii=False),
                source=doc.source,
                kind=doc.kind,
                body=doc.body,
                added_by=by[:200],
                added_at=datetime.now(UTC),
                team_id=team_id,
                removed=json.dumps(
                    [r.to_json() for r in draft.removals or doc.removed], ensure_ascii=False
                ),
            )
        )
        return int(result.inserted_primary_key[0])

    def _bump(self, conn: Connection) -> None:
        cv = corpus_version_table
        now = datetime.now(UTC)
        done = conn.execute(
            update(cv).where(cv.c.id == 1).values(version=cv.c.version + 1, changed_at=now)
        ).rowcount
        if done == 1:
            return
        if not self.store._insert_if_absent(
            conn, {"id": 1, "version": 1, "changed_at": now}, table=cv
        ):
            conn.execute(
                update(cv).where(cv.c.id == 1).values(version=cv.c.version + 1, changed_at=now)
            )

    def _by_rows(self, row_ids: Sequence[int]) -> dict[int, StoredStatement]:
        t = statements_table
        if not row_ids:
            return {}
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.id.in_(list(row_ids))))
            return {r.id: _statement(r) for r in rows}

    def _by_row(self, row_id: int) -> StoredStatement:
        t = statements_table
        with self.store.engine.connect() as conn:
            return _statement(conn.execute(select(t).where(t.c.id == row_id)).one())


def _same_meta(old: StoredStatement, draft: Draft) -> bool:
    doc = draft.document
    return (old.title, old.short_title, old.date, old.parties, old.source, old.kind) == (
        doc.title,
        doc.short_title,
        doc.date,
        doc.parties,
        doc.source,
        doc.kind,
    )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
