"""``briefbot ingest``: raw statements in, clean corpus files out.

Writes are atomic (temporary file in the target directory, then rename) and an
existing corpus file is never replaced unless ``force`` is given.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from bot.reading.clean import INVISIBLE_CHARS, Removal, clean_raw
from bot.reading.documents import (
    CORPUS_SUFFIXES,
    Document,
    as_parties,
    infer_date,
    parse_document,
    removals_from,
    render_document,
)
from bot.reading.identity import SAME_DAYS, doc_id_for, find_same
from bot.reading.parties import infer_parties, propose_short_title
from bot.reading.safeio import (
    MAX_FRONT_MATTER_BYTES,
    RefusedFile,
    current_umask,
    load_yaml,
    read_text_file,
)

__all__ = [
    "IngestError",
    "IngestReport",
    "Prepared",
    "ingest_file",
    "prepare_text",
    "read_raw",
    "write_atomic",
    "write_prepared",
]

INGEST_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")


_NO_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE_CHARS))


class IngestError(Exception):
    """A file could not be ingested; the message says why and nothing was written."""


@dataclass
class IngestReport:
    """What ingesting one file did."""

    source: Path
    target: Path
    title: str
    date: date | None
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    clauses: int = 0
    doc_id: str = ""
    short_title: str = ""
    parties: list[str] = field(default_factory=list)
    #: Which of title, short_title, date, parties were inferred rather than given.
    inferred: list[str] = field(default_factory=list)


def write_atomic(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename.

    Without ``force`` an existing file is left untouched and IngestError is raised.
    """
    if path.exists() and not force:
        raise IngestError(f"{path} already exists; use --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # as open() would create it, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp, path)
        else:
            # link() fails if the target appeared meanwhile: no silent overwrite.
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise IngestError(f"{path} already exists; use --force to replace it") from None
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _target_name(src: Path, when: date | None = None, title: str = "") -> str:
    """``<doc id>.md``: ``YYYY-MM-DD_slug-of-short-title`` whatever ``src`` is called,
    unless it is already named that way (:func:`bot.reading.identity.doc_id_for`)."""
    return f"{doc_id_for(when, title, src.name)}.md"


def _same_statement_in(out_dir: Path, doc: Document) -> Path | None:
    """The corpus file in ``out_dir`` that holds the same statement as ``doc``
    (:mod:`bot.reading.identity`), or None. Files whose name dates them far from ``doc`` are
    not read."""
    if not out_dir.is_dir():
        return None
    found = find_same(doc.body, doc.date, _corpus_texts(out_dir, doc.date))
    return Path(found[0]) if found else None


def _corpus_texts(out_dir: Path, near: date | None) -> Iterator[tuple[str, str, date | None]]:
    """``(path, text, date)`` of the corpus files in ``out_dir`` (not those whose name
    dates them more than a few days from ``near``)."""
    for p in sorted(out_dir.iterdir()):
        if p.suffix.lower() not in CORPUS_SUFFIXES or p.name.startswith(".") or not p.is_file():
            continue
        if p.name.lower() == "readme.md":
            continue
        named = re.match(r"(\d{4})-(\d{2})-(\d{2})", p.name)
        if near and named:
            try:
                if abs((date(*map(int, named.groups())) - near).days) > SAME_DAYS:
                    continue
            except ValueError:
                pass
        try:
            other = parse_document(read_text_file(p), str(p), [])
        except (RefusedFile, UnicodeDecodeError, OSError):
            continue
        if other is not None:
            yield str(p), other.body, other.date


@dataclass
class Prepared:
    """A raw statement cleaned and described, not yet written anywhere."""

    meta: dict[str, object]
    body: str
    text: str
    removed: list[str]
    warnings: list[str]
    inferred: list[str]
    #: The visible text removed as debris, each with its reason.
    removals: list[Removal] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or "")

    @property
    def short_title(self) -> str:
        return str(self.meta.get("short_title") or "")

    @property
    def date(self) -> date | None:
        value = self.meta.get("date")
        return date.fromisoformat(str(value)) if value else None

    @property
    def parties(self) -> list[str]:
        return [str(p) for p in self.meta.get("parties") or []]  # type: ignore[union-attr]


def prepare_text(
    raw: str,
    name: str,
    *,
    title: str | None = None,
    short_title: str | None = None,
    when: date | None = None,
    source: str | None = None,
    parties: list[str] | None = None,
    kind: str | None = None,
) -> Prepared:
    """Clean one raw statement (``name`` is used in messages and for a file-name date)
    and infer what was not given: title, date, parties, short title. Raises IngestError."""
    if not raw.strip():
        raise IngestError(f"{name}: empty file")

    cleaned = clean_raw(raw)
    meta_in: dict[str, object] = {}
    warnings: list[str] = []
    if "front_matter" in cleaned.meta:
        try:
            loaded = load_yaml(cleaned.meta["front_matter"], limit=MAX_FRONT_MATTER_BYTES) or {}
        except (yaml.YAMLError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
            raise IngestError(f"{name}: broken front matter ({first})") from None
        if isinstance(loaded, dict):
            meta_in = loaded

    def text_of(value: object) -> str:
        text = str(value or "").replace("\u00a0", " ")
        return " ".join(text.translate(_NO_INVISIBLE).split())

    inferred: list[str] = []
    doc_title = title or text_of(meta_in.get("title")) or cleaned.meta.get("title") or ""
    if not title:
        inferred.append("title")
    if not doc_title:
        first = cleaned.body.split("\n\n", 1)[0]
        doc_title = first[:120]
        warnings.append(f"title guessed from the first paragraph: {doc_title!r}")
    doc_date = when
    if doc_date is None and meta_in.get("date"):
        try:
            doc_date = date.fromisoformat(str(meta_in["date"])[:10])
        except ValueError:
            raise IngestError(
                f"{name}: front matter date {meta_in['date']!r} is not YYYY-MM-DD; "
                "pass --date YYYY-MM-DD"
            ) from None
    if doc_date is None:
        inferred.append("date")
        doc_date, how = infer_date(raw, name)
        warnings.append(
            f"date {doc_date.isoformat() if doc_date else '(none)'} {how}"
            + ("" if doc_date else "; pass --date YYYY-MM-DD")
        )
    doc_parties = parties or list(as_parties(meta_in.get("parties")))
    if not doc_parties:
        inferred.append("parties")
        doc_parties = infer_parties(doc_title, cleaned.body)
        if doc_parties:
            shown = ", ".join(doc_parties[:8]) + (", …" if len(doc_parties) > 8 else "")
            warnings.append(f"parties inferred from the text: {shown}")
        else:
            warnings.append("no parties found in the title or first paragraph; pass --parties A,B")
    short_title = short_title or text_of(meta_in.get("short_title")) or None
    if not short_title:
        short_title = propose_short_title(doc_title, doc_parties)
        if short_title:
            inferred.append("short_title")
            warnings.append(f"short title proposed for citations: {short_title!r}")
    meta: dict[str, object] = {"title": doc_title}
    if short_title:
        meta["short_title"] = short_title
    meta["date"] = doc_date.isoformat() if doc_date else None
    meta["source"] = (
        source
        or text_of(meta_in.get("source_url") or meta_in.get("source"))
        or (cleaned.meta.get("source", ""))
    )
    meta["parties"] = doc_parties
    meta["kind"] = kind or text_of(meta_in.get("kind")) or "statement"
    # A corpus file ingested again (an export, say) keeps what was removed the first time.
    earlier = removals_from(meta_in.get("removed"), where="'removed'", warnings=warnings)
    removals = [*earlier, *cleaned.removals]
    text = render_document(meta, cleaned.body, removed=removals)
    body = cleaned.body.strip() + "\n"
    return Prepared(meta, body, text, cleaned.removed, warnings, inferred, removals=removals)


def read_raw(path: Path) -> str:
    """A raw statement file's text; IngestError with the reason when it cannot be read."""
    if path.suffix.lower() not in INGEST_SUFFIXES:
        raise IngestError(
            f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; "
            "use .txt, .md or .html"
        )
    try:
        return read_text_file(path)
    except FileNotFoundError:
        raise IngestError(f"{path}: no such file") from None
    except RefusedFile as exc:
        raise IngestError(f"{path.name}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path.name}: not UTF-8 (bad byte at offset {exc.start})") from None
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror})") from None


def ingest_file(
    src: str | Path,
    out_dir: str | Path,
    *,
    force: bool = False,
    title: str | None = None,
    short_title: str | None = None,
    when: date | None = None,
    source: str | None = None,
    parties: list[str] | None = None,
    kind: str | None = None,
) -> IngestReport:
    """Clean one raw statement into ``out_dir``; returns what was removed and guessed."""
    path = Path(src)
    raw = read_raw(path)
    prepared = prepare_text(
        raw,
        path.name,
        title=title,
        short_title=short_title,
        when=when,
        source=source,
        parties=parties,
        kind=kind,
    )
    return write_prepared(prepared, path, out_dir, force=force)


def write_prepared(
    prepared: Prepared, path: Path, out_dir: str | Path, *, force: bool = False
) -> IngestReport:
    """Write a prepared statement as a corpus file in ``out_dir`` (named from ``path``)."""
    text = prepared.text
    doc_date, doc_title, short_title = prepared.date, prepared.title, prepared.short_title
    target = Path(out_dir) / _target_name(path, doc_date, short_title or doc_title)
    # Parse what we are about to write, exactly as the loader will.
    check: list[str] = []
    doc = parse_document(text, str(target), check)
    if doc is None:
        raise IngestError(f"{path.name}: the cleaned file would not load ({'; '.join(check)})")
    same = _same_statement_in(Path(out_dir), doc)
    if same is not None and same.name != target.name:
        if not force:
            raise IngestError(
                f"{path.name}: the same statement is already in {same} (layout or "
                "boilerplate aside); use --force to replace that file"
            )
        target = same  # replaced in place: it keeps its name, so its id
        doc = parse_document(text, str(target), check) or doc
    write_atomic(target, text, force=force)
    from bot.reading.clauses import segment

    return IngestReport(
        source=path,
        target=target,
        title=doc_title,
        date=doc_date,
        removed=prepared.removed,
        warnings=prepared.warnings,
        clauses=len(segment(doc)),
        doc_id=doc.doc_id,
        short_title=short_title or "",
        parties=prepared.parties,
        inferred=prepared.inferred,
    )
