"""The command line of the statement library: ``ingest`` (into the database or ``--out``
a directory), ``export`` and ``remove``. Argument parsing and printing only; the work is
in :mod:`bot.library`, :mod:`bot.fetch` and :mod:`bot.ingest`."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from bot.reading.documents import Corpus, CorpusError, load_corpus

__all__ = [
    "add_parsers",
    "cli_actor",
    "database_in_use",
    "run_export",
    "run_ingest",
    "run_reindex",
    "run_remove",
]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``export`` and ``remove`` (``ingest``'s own options are in :mod:`bot.cli`)."""
    exp = sub.add_parser(
        "export", parents=[common], help="write added statements out as corpus files"
    )
    exp.add_argument("directory", metavar="DIR")
    exp.add_argument("--force", action="store_true", help="replace existing files")
    rem = sub.add_parser(
        "remove", parents=[common], help="withdraw an added statement (its history is kept)"
    )
    rem.add_argument("doc_id", metavar="DOC_ID")
    rem.add_argument("--by", help="who is removing it (default: cli:<user>)")
    rei = sub.add_parser(
        "reindex",
        parents=[common],
        help="derive every statement's clauses, dated items, sentence vectors and the "
        "search index now (after an upgrade)",
    )
    rei.add_argument(
        "--force",
        action="store_true",
        help="forget what was derived before (not the sentence vectors) and derive it again",
    )


def add_ingest_options(ing: argparse.ArgumentParser) -> None:
    """The store-related options of ``ingest``."""
    ing.add_argument(
        "--replace",
        metavar="DOC_ID",
        help="store FILE as a corrected version of this added statement (the old one is kept)",
    )
    ing.add_argument("--by", help="who is adding it (default: cli:<user>)")


def cli_actor(given: str | None) -> str:
    """Who the CLI acts as: ``--by`` or ``cli:<login name>``."""
    if given:
        return given
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def database_in_use(settings: Settings) -> bool:
    """Whether reading added statements makes sense: any server database, or a SQLite
    file that exists (reading must not create one)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return True  # let opening it report the problem
    if url.get_backend_name() != "sqlite":
        return True
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return False
    return Path(database).expanduser().exists()


def _bundled(settings: Settings) -> Corpus:
    try:
        return load_corpus(settings.corpus_dir, cache_dir=settings.index_cache)
    except CorpusError:  # no corpus directory yet: nothing bundled to collide with
        return Corpus()


def _library(settings: Settings) -> Any:
    from bot.library import Library
    from bot.store import Store

    store = Store(settings.database_url, timeout=settings.db_timeout)
    return Library(store, _bundled(settings))


def _parties(text: str | None) -> list[str] | None:
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


def print_report(
    out: TextIO,
    *,
    head: str,
    doc: Any,
    clauses: int,
    dated: int | None,
    warnings: Any,
    removed: Any,
    inferred: Any,
) -> None:
    """What was made of one input: id, metadata, counts, guesses and removals."""
    print(head, file=out)
    print(f"   id:    {doc.doc_id}", file=out)
    print(f"   title: {doc.title}", file=out)
    if doc.short_title:
        print(f"   short title: {doc.short_title}", file=out)
    print(f"   date:  {doc.date.isoformat() if doc.date else '(none)'}", file=out)
    parties = ", ".join(list(doc.parties)[:8]) + (", …" if len(doc.parties) > 8 else "")
    print(f"   parties: {parties or '(none)'}", file=out)
    print(
        f"   {clauses} clauses" + (f", {dated} dated items" if dated is not None else ""),
        file=out,
    )
    for w in warnings:
        print(f"   guessed: {w}", file=out)
    if removed:
        print("   removed:", file=out)
        for r in removed:
            print(f"     - {r}", file=out)
    else:
        print("   removed: nothing", file=out)
    flags = {
        "title": "--title",
        "short_title": "--short-title",
        "date": "--date",
        "parties": "--parties",
    }
    fix = [flags[k] for k in ("title", "short_title", "date", "parties") if k in inferred]
    if fix:
        print(f"   inferred values can be corrected with {', '.join(fix)}", file=out)


def run_ingest(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``briefbot ingest FILE|URL...``: into the database, or with ``--out`` into files."""
    from bot.fetch import read_source
    from bot.ingest import IngestError
    from bot.library import LibraryError, preview_source

    if args.replace and len(args.files) != 1:
        print("error: --replace takes exactly one FILE or URL", file=err)
        return 2
    if args.replace and args.out:
        print("error: --replace works on the database, not with --out", file=err)
        return 2
    meta = {
        "title": args.title,
        "short_title": args.short_title,
        "source": args.source,
        "parties": _parties(args.parties),
    }
    library = None if args.out else _library(settings)
    actor = cli_actor(args.by)
    failures = 0
    ahead = None if args.out else _Ahead(settings, err, len(args.files))
    # (spec, draft to add, or why it was refused): added in one transaction, reported in
    # the order given.
    batch: list[tuple[str, Any]] = []

    def report(spec: str, head: str, stored: Any, draft: Any) -> None:
        print_report(
            out,
            head=head,
            doc=stored.document(),
            clauses=draft.clauses,
            dated=len(draft.dated_items),
            warnings=draft.warnings,
            removed=draft.removed,
            inferred=draft.inferred,
        )
        if ahead is not None:
            ahead.add(stored.document(), draft)

    def add_batch() -> int:
        """Store the batch (one transaction, one corpus version); the refusals."""
        refused = 0
        drafts = [draft for _, draft in batch if not isinstance(draft, str)]
        added = iter(library.add_many(drafts, added_by=actor) if drafts else [])
        for spec, draft in batch:
            stored = draft if isinstance(draft, str) else next(added)
            if isinstance(stored, str | LibraryError):
                print(f"error: {_named(str(stored), spec)}", file=err)
                refused += 1
            else:
                report(spec, f"{spec} -> stored as {stored.doc_id}", stored, draft)
        batch.clear()
        return refused

    for spec in args.files:
        try:
            raw = read_source(spec, allow_private=True)  # the operator's own call
            if args.out:
                _to_directory(raw, Path(args.out), args, meta, out)
                continue
            draft = preview_source(raw, date=args.date, **meta)
            if not args.replace:
                batch.append((spec, draft))
                if len(batch) >= ADD_BATCH:
                    failures += add_batch()
                continue
            stored = library.replace(args.replace, draft, added_by=actor)
            head = f"{spec} -> replaced {stored.doc_id} (version {stored.version})"
        except (IngestError, LibraryError) as exc:
            if args.replace or args.out:
                print(f"error: {_named(str(exc), spec)}", file=err)
                failures += 1
            else:
                batch.append((spec, str(exc)))
            continue
        report(spec, head, stored, draft)
    if batch:
        failures += add_batch()
    if ahead is not None:
        ahead.finish()
    return 2 if failures else 0


#: Statements an ``ingest`` adds in one transaction (one corpus version): a served
#: process refreshes once per batch, not once per statement, and the database syncs once.
ADD_BATCH = 50


class _Ahead:
    """Clauses, dated items and sentence vectors of the statements an ``ingest`` stores,
    derived in the ingesting process (batch by batch) so that no command or server
    after it waits for them; a progress line on ``err`` every few seconds of a long run.
    """

    #: Clauses derived together (the encoder works best on a few hundred at once).
    BATCH = 512
    #: Seconds between progress lines (none for a run shorter than this).
    EVERY = 3.0
    #: Seconds between writes of the dated items (and at the end).
    SAVE_EVERY = 15.0

    def __init__(self, settings: Settings, err: TextIO, inputs: int) -> None:
        import time

        from bot.live import Deriver
        from bot.search.sentences import SEED_DIR

        self._clock = time.monotonic
        self.err, self.inputs = err, inputs
        self.started = self._last = self._saved = self._clock()
        self.pending: list[Any] = []
        self.pending_clauses = 0
        self.stored = self.clauses = 0
        self.shown = False
        self.deriver = Deriver(
            index_cache=settings.index_cache,
            vector_cache=settings.cache_dir,
            seeds=[settings.corpus_dir / SEED_DIR],
            vectors=settings.sentence_encoder,
            progress=self._progress,
        )

    def add(self, doc: Any, draft: Any) -> None:
        from bot.dated.cache import document_key

        # The draft's dated items were read from this very document (the same key):
        # kept as they are, not read again.
        same = document_key(doc) == document_key(draft.document)
        if same and self.deriver.dated.get(doc) is None:
            self.deriver.dated.put(doc, draft.dated_items)
        self.pending.append(doc)
        self.pending_clauses += draft.clauses
        self.stored += 1
        if self.pending_clauses >= self.BATCH:
            self._flush()

    def finish(self) -> None:
        self._flush()
        self.deriver.save()
        if self.shown:
            self._line("done")

    def _flush(self) -> None:
        if self.pending:
            # The dated items' one file is written every SAVE_EVERY seconds, not per batch.
            save = self._clock() - self._saved >= self.SAVE_EVERY
            self.clauses += self.deriver.all(self.pending, save=save)
            if save:
                self._saved = self._clock()
        self.pending, self.pending_clauses = [], 0
        self._progress("", 0, 0)

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self._clock() - self._last >= self.EVERY:
            self._line(f"{stage} {done:,}/{total:,}" if stage else "")

    def _line(self, note: str) -> None:
        self._last = self._clock()
        self.shown = True
        print(
            f"ingest: {self.stored:,}/{self.inputs:,} stored; {self.clauses:,} clauses "
            f"derived, {self.deriver.encoded:,} sentence vectors encoded"
            f"{'; ' + note if note else ''} ({self._last - self.started:.0f} s)",
            file=self.err,
            flush=True,
        )


def _named(message: str, spec: str) -> str:
    """The message, starting with what it is about (once)."""
    if message.startswith((f"{spec}:", f"{Path(spec).name}:")):
        return message
    return f"{spec}: {message}"


def _to_directory(
    raw: Any, out_dir: Path, args: argparse.Namespace, meta: dict[str, Any], out: TextIO
) -> None:
    from bot.ingest import prepare_text, write_prepared

    prepared = prepare_text(
        raw.text,
        raw.name,
        title=meta["title"],
        short_title=meta["short_title"],
        when=args.date,
        source=meta["source"] or raw.url or None,
        parties=meta["parties"],
    )
    # A URL's last segment names nothing: the id comes from the date and the title.
    named = Path("statement") if raw.url else Path(raw.name)
    rep = write_prepared(prepared, named, out_dir, force=args.force)
    print_report(
        out,
        head=f"{rep.source if not raw.url else raw.url} -> {rep.target}",
        doc=_Shown(rep),
        clauses=rep.clauses,
        dated=None,
        warnings=rep.warnings,
        removed=rep.removed,
        inferred=rep.inferred,
    )


class _Shown:
    """An IngestReport seen as a document for :func:`print_report`."""

    def __init__(self, rep: Any) -> None:
        self.doc_id, self.title, self.short_title = rep.doc_id, rep.title, rep.short_title
        self.date, self.parties = rep.date, rep.parties


def run_export(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``briefbot export DIR``."""
    from bot.library import LibraryError

    try:
        written = _library(settings).export(args.directory, force=args.force)
    except LibraryError as exc:
        print(f"error: {exc}", file=err)
        return 2
    for path in written:
        print(str(path), file=out)
    print(f"{len(written)} statement(s) written to {args.directory}", file=out)
    return 0


def run_remove(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``briefbot remove DOC_ID``."""
    from bot.library import LibraryError

    try:
        gone = _library(settings).remove(args.doc_id, by=cli_actor(args.by))
    except LibraryError as exc:
        print(f"error: {exc}", file=err)
        return 2
    print(
        f"removed {gone.doc_id} (version {gone.version}, added by {gone.added_by}); "
        "its dated items no longer remind, its history is kept",
        file=out,
    )
    return 0


def run_reindex(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``briefbot reindex [--force]``: derive everything served now, not on the first
    request after an upgrade: every statement's clauses, dated items and sentence
    vectors, and the search index over them (all kept for every process)."""
    import time

    from bot.live import Deriver, forget_derived
    from bot.search.sentences import SEED_DIR
    from bot.services import build_services

    started = time.monotonic()
    if args.force:
        gone = forget_derived(settings.index_cache)
        print(f"reindex: forgot {gone} kept derivation(s)", file=out)
    bundled = load_corpus(settings.corpus_dir, cache_dir=settings.index_cache)
    stored: list[Any] = []
    if database_in_use(settings):
        stored = [s.document() for s in _library(settings).list_statements()]
    report = _Progress("reindex", err)
    deriver = Deriver(
        index_cache=settings.index_cache,
        vector_cache=settings.cache_dir,
        seeds=[settings.corpus_dir / SEED_DIR],
        vectors=settings.sentence_encoder,
        progress=report,
    )
    clauses = deriver.all([*bundled.documents, *stored])
    services = build_services(settings, with_store=database_in_use(settings))
    print(
        f"reindex: {len(services.corpus.documents)} statements "
        f"({len(bundled.documents)} bundled, {len(services.snapshot.added_ids)} added), "
        f"{clauses} clauses, {len(services.commitments)} dated items; "
        f"{deriver.extracted} statement(s) read for dates, "
        f"{deriver.encoded} sentence vector(s) encoded; "
        f"{time.monotonic() - started:.1f} s",
        file=out,
    )
    return 0


class _Progress:
    """``progress(stage, done, total)`` printed as one line every few seconds."""

    EVERY = 3.0

    def __init__(self, name: str, err: TextIO) -> None:
        import time

        self._clock = time.monotonic
        self.name, self.err = name, err
        self.started = self._last = self._clock()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self._clock() - self._last >= self.EVERY:
            self._last = self._clock()
            print(
                f"{self.name}: {stage} {done:,}/{total:,} ({self._last - self.started:.0f} s)",
                file=self.err,
                flush=True,
            )
