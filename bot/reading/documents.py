"""Loading statement files from the corpus directory.

A corpus file is UTF-8 ``.md`` or ``.txt`` with YAML front matter (``title``,
``date``, ``source``, ``parties``, optional ``kind``, ``short_title`` and ``removed``:
what ``briefbot ingest`` removed as debris, each a ``text`` and a ``reason``) and the
statement body. Files without front matter still load: the title and date are
inferred and a warning says what was guessed. A bad file is skipped with a
warning naming it; it never stops the other documents from loading.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.derived import DerivedStore, code_version, content_key
from bot.kinds import KINDS, document_kind, is_kind, kind_label
from bot.reading.clean import Removal, clean_raw
from bot.reading.identity import DuplicateFinder, doc_id_for, is_doc_id, name_stem
from bot.reading.safeio import MAX_FRONT_MATTER_BYTES, RefusedFile, load_yaml, read_text_file

log = logging.getLogger(__name__)

__all__ = [
    "CORPUS_SUFFIXES",
    "Corpus",
    "CorpusError",
    "Document",
    "as_parties",
    "infer_date",
    "legacy_doc_id",
    "load_corpus",
    "parse_document",
    "removals_from",
    "render_document",
]

CORPUS_SUFFIXES = (".md", ".txt")
MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}


class CorpusError(Exception):
    """The corpus cannot be used at all (missing or empty directory)."""


@dataclass(frozen=True)
class Document:
    """One statement: metadata plus the body exactly as published (after cleaning)."""

    doc_id: str
    title: str
    date: date | None
    body: str
    source: str = ""
    parties: tuple[str, ...] = ()
    #: What kind of document it is (:data:`bot.kinds.KINDS`): the ``kind`` given when it
    #: names one, else read from the title (``statement``, ingest's default, names none).
    kind: str = "statement"
    short_title: str = ""
    path: str = ""
    #: What cleaning removed from the page as debris (not the statement), with reasons.
    removed: tuple[Removal, ...] = ()

    def __post_init__(self) -> None:
        # Every route in (files, the database, tests) ends with one of the kinds.
        object.__setattr__(self, "kind", document_kind(self.kind, self.title))

    @property
    def kind_label(self) -> str:
        """The kind as people read it: 'joint statement', 'readout', 'fact sheet'."""
        return kind_label(self.kind)

    @property
    def cite_title(self) -> str:
        """The title used in citations (``short_title`` when given)."""
        return self.short_title or self.title


@dataclass
class Corpus:
    """The loaded documents and the warnings produced while loading them."""

    documents: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Ids that changed when ids came to follow one rule: ``{id from the file name as
    #: before: id now}`` for files not named ``YYYY-MM-DD_slug`` (a migration of the
    #: statuses and reminders that name the old ids can use it).
    renamed: dict[str, str] = field(default_factory=dict)

    def get(self, doc_id: str) -> Document | None:
        """The document with this id, or None."""
        return next((d for d in self.documents if d.doc_id == doc_id), None)


_FILENAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\s+([A-Z][a-z]+)\.?,?\s+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Z][a-z]+)\.?\s+(\d{1,2}),\s+(\d{4})\b")
_DATELINE = re.compile(r"^[A-Z][A-Za-z .'-]{1,40},\s+(\d{1,2})\s+([A-Z][a-z]+)\b", re.M)
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
#: A copyright or footer line ("© 2019 Ministry of …", "Copyright 2015-2019", "All
#: rights reserved"): its year is the site's, never the statement's date.
_COPYRIGHT_LINE = re.compile(
    r"^[ \t]*(?:[^\n]{0,80}?(?:©|\(c\)[ \t]*(?:19|20)\d\d)|copyright\b)[^\n]*$"
    r"|^[^\n]*\ball rights reserved\b[^\n]*$",
    re.I | re.M,
)
#: Longer lines are paragraphs of the statement (which may speak of copyright).
_FOOTER_MAX = 200


def _without_copyright(text: str) -> str:
    """``text`` with its copyright lines blanked (same length, so positions hold)."""

    def blank(m: re.Match[str]) -> str:
        line = m.group(0)
        return " " * len(line) if len(line.strip()) <= _FOOTER_MAX else line

    return _COPYRIGHT_LINE.sub(blank, text)


def _make_date(y: int | str, m: int | str | None, d: int | str) -> date | None:
    try:
        month = m if isinstance(m, int) else MONTHS.get(str(m).lower().rstrip("."))
        if not month:
            return None
        return date(int(y), int(month), int(d))
    except (TypeError, ValueError):
        return None


def infer_date(text: str, filename: str = "") -> tuple[date | None, str]:
    """Guess a statement's date. Returns ``(date, how)``; ``how`` explains the guess.

    Tries, in order: a ``YYYY-MM-DD`` file name prefix, a dateline such as
    "Beijing, 6 June" (year from the text), an "Updated: 2012-12-07" stamp, and the
    first full date in the text. A copyright line's year or date ("© 2019 Ministry of
    …") never counts.
    """
    if m := _FILENAME_DATE.match(Path(filename).name):
        d = _make_date(m.group(1), int(m.group(2)), m.group(3))
        if d:
            return d, f"from the file name ({d.isoformat()})"
    text = _without_copyright(text)
    head = text[:3000]
    if m := _DATELINE.search(head):
        year = _YEAR.search(text)
        if year:
            d = _make_date(year.group(1), m.group(2), m.group(1))
            if d:
                return d, f"from the dateline {m.group(0)!r} and the year {year.group(1)}"
    if m := re.search(r"Updated:\s*(\d{4})-(\d{2})-(\d{2})", head):
        d = _make_date(m.group(1), int(m.group(2)), m.group(3))
        if d:
            return d, f"from the stamp {m.group(0)!r}"
    candidates: list[tuple[int, date, str]] = []
    for rx, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy")):
        for m in rx.finditer(head):
            g = m.groups()
            d = _make_date(g[2], g[1], g[0]) if order == "dmy" else _make_date(g[2], g[0], g[1])
            if d:
                candidates.append((m.start(), d, m.group(0)))
    for m in _ISO.finditer(head):
        d = _make_date(m.group(1), int(m.group(2)), m.group(3))
        if d:
            candidates.append((m.start(), d, m.group(0)))
    if candidates:
        _, d, found = min(candidates)
        return d, f"from the first date in the text {found!r}"
    return None, "no date found"


def _infer_title(body: str, filename: str) -> str:
    first = next((p.strip() for p in body.split("\n\n") if p.strip()), "")
    if first and len(first) < 240 and not first.endswith("."):
        return first
    stem = _FILENAME_DATE.sub("", Path(filename).stem).strip("_- ")
    return stem.replace("_", " ").replace("-", " ").strip().title() or Path(filename).stem


def legacy_doc_id(path: Path) -> str:
    """The id a corpus file got from its file name alone, before ids followed one rule
    (:func:`bot.reading.identity.doc_id_for`); the same as today's for ``YYYY-MM-DD_slug`` files."""
    stem = path.name
    for suffix in CORPUS_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    stem = stem.removesuffix(".raw")
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-")
    if not stem.isascii() or not slug:  # e.g. a non-Latin file name: keep ids distinct
        digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:10]
        slug = f"{slug}-{digest}".strip("-")
    return slug


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def as_parties(value: object) -> tuple[str, ...]:
    """Signatories from front matter: a list, or one comma/semicolon-separated string."""
    if isinstance(value, str):
        return tuple(p.strip() for p in re.split(r"[,;]", value) if p.strip())
    if isinstance(value, Iterable):
        return tuple(str(p).strip() for p in value if str(p).strip())
    return ()


def _clean_meta_text(value: object) -> str:
    return " ".join(str(value or "").replace("\u00a0", " ").split())


def parse_document(text: str, filename: str, warnings: list[str]) -> Document | None:
    """Parse one corpus file's text. Problems are appended to ``warnings``.

    Returns None when the file must be skipped (empty, broken front matter).
    """
    name = Path(filename).name
    if not text.strip():
        warnings.append(f"{name}: empty file, skipped")
        return None
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    meta: dict[str, object] = {}
    body = text
    removed: tuple[Removal, ...] = ()
    if text.startswith("---\n") or text.startswith("---\r"):
        end = re.search(r"^---\s*$", text[4:], re.M)
        if not end:
            warnings.append(
                f"{name}: line 1: front matter opened with '---' but never closed; skipped"
            )
            return None
        block = text[4 : 4 + end.start()]
        body = text[4 + end.end() :]
        try:
            loaded = load_yaml(block, limit=MAX_FRONT_MATTER_BYTES) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 2}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or "invalid YAML"
            warnings.append(f"{name}: {line}broken front matter ({problem}); skipped")
            return None
        except ValueError as exc:  # PyYAML builds dates itself: "date: 2012-02-30"
            warnings.append(f"{name}: broken front matter ({exc}); skipped")
            return None
        if not isinstance(loaded, dict):
            warnings.append(f"{name}: line 2: front matter is not a mapping of fields; skipped")
            return None
        meta = loaded
        removed = removals_from(meta.get("removed"), where=f"{name}: 'removed'", warnings=warnings)
        body = body.strip("\n")
        if _looks_raw(body):
            # Front matter over a raw web export: clean the body, keep the metadata.
            cleaned = clean_raw(body)
            body, removed = cleaned.body, (*removed, *cleaned.removals)
    else:
        cleaned = clean_raw(text)
        body, removed = cleaned.body, tuple(cleaned.removals)
        guessed_title = cleaned.meta.get("title") or _infer_title(body, filename)
        d, how = infer_date(text, filename)
        meta = {"title": guessed_title, "date": d, "source": cleaned.meta.get("source", "")}
        warnings.append(
            f"{name}: no front matter; guessed title {guessed_title!r} and date "
            f"{d.isoformat() if d else '(none)'} {how}. Run 'briefbot ingest' to fix it."
        )
    if not body.strip():
        warnings.append(f"{name}: no statement text after the front matter; skipped")
        return None
    title = _clean_meta_text(meta.get("title")) or _infer_title(body, filename)
    d = _as_date(meta.get("date"))
    if d is None:
        d, how = infer_date(body, filename)
        warnings.append(
            f"{name}: front matter has no valid 'date'; using "
            f"{d.isoformat() if d else 'none'} ({how})"
        )
    given = _clean_meta_text(meta.get("kind"))
    if given and given.lower() != "statement" and not is_kind(given):
        warnings.append(
            f"{name}: 'kind: {given}' is not a kind of document (one of {', '.join(KINDS)}); "
            "read from the title instead"
        )
    return Document(
        doc_id=doc_id_for(
            d, _clean_meta_text(meta.get("short_title")) or title, Path(filename).name
        ),
        title=title,
        date=d,
        body=body.strip() + "\n",
        source=_clean_meta_text(meta.get("source") or meta.get("source_url")),
        parties=as_parties(meta.get("parties")),
        kind=_clean_meta_text(meta.get("kind")) or "statement",
        short_title=_clean_meta_text(meta.get("short_title")),
        path=str(filename),
        removed=removed,
    )


def _looks_raw(body: str) -> bool:
    """True when a body still carries web-export debris (escapes, tags, hard wraps)."""
    if re.search(r"^\d+\\\.|<sup>|<!--|^\\#+|\u00a0", body, re.M):
        return True
    lines = [ln for ln in body.splitlines() if ln.strip()]
    wrapped = sum(1 for ln in lines if 55 <= len(ln) <= 80)
    return len(lines) > 10 and wrapped / len(lines) > 0.6


def load_corpus(directory: str | Path, *, cache_dir: Path | None = None) -> Corpus:
    """Load every ``.md``/``.txt`` statement in ``directory`` (sorted by file name).

    A file named ``YYYY-MM-DD_slug`` has that id; any other gets one from its date and
    title (:func:`bot.reading.identity.doc_id_for`; ``-2``, ``-3`` when taken). Two files holding
    the same statement (:mod:`bot.reading.identity`: the same words but for layout and
    boilerplate) load once: the first, files named by their id before the others, is
    kept, with a warning naming both.

    With ``cache_dir`` (``BRIEFBOT_INDEX_CACHE``) each file is read once per content
    and code version: what reading it gave (the document and its warnings) is kept
    there and given back while the file's text stays the same (:mod:`bot.derived`).

    Raises :class:`CorpusError` when the directory is missing or holds no
    loadable statement; individual bad files only produce warnings.
    """
    root = Path(directory)
    kept = parsed_store(cache_dir)
    if not root.is_dir():
        raise CorpusError(
            f"corpus directory {str(root)!r} does not exist: create it and add statements "
            "with 'briefbot ingest FILE --out DIR', or point --corpus / BRIEFBOT_CORPUS at one"
        )
    corpus = Corpus()
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES)
    # Files named by their id first: theirs are the ids users hold, never taken by another.
    named = {name_stem(p.name) for p in files if is_doc_id(name_stem(p.name))}
    order = {p: n for n, p in enumerate(files)}
    files.sort(key=lambda p: name_stem(p.name) not in named)
    read = _read_files(files)
    # The whole directory as it was read before (names and texts): no file parsed and
    # no duplicate search run again.
    listing = content_key("corpus", *(f"{f.path.name}\0{f.key}" for f in read))
    if not _kept_corpus(corpus, kept, listing, read):
        _read_corpus(corpus, kept, read, named)
        keys = {str(f.path): f.key for f in read}
        kept.put(
            listing,
            {
                "docs": [[keys[d.path], d.doc_id] for d in corpus.documents],
                "warnings": corpus.warnings,
                "renamed": corpus.renamed,
            },
        )
    corpus.documents.sort(key=lambda d: order[Path(d.path)])
    for w in corpus.warnings:
        log.debug("%s", w)
    if not corpus.documents:
        hint = f" ({len(corpus.warnings)} file(s) skipped, see warnings)" if corpus.warnings else ""
        raise CorpusError(
            f"no statements in corpus directory {str(root)!r}{hint}: add .md or .txt files "
            "with 'briefbot ingest FILE --out DIR'"
        )
    return corpus


#: The modules whose code decides what reading a corpus file gives.
PARSE_SOURCES = ("reading/*.py",)


def parsed_store(cache_dir: Path | None) -> DerivedStore:
    """Where documents read from corpus files are kept (nothing kept without a directory)."""
    return DerivedStore(cache_dir, "parsed", code_version(PARSE_SOURCES))


def _doc_row(doc: Document) -> dict[str, object]:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "date": doc.date.isoformat() if doc.date else None,
        "body": doc.body,
        "source": doc.source,
        "parties": list(doc.parties),
        "kind": doc.kind,
        "short_title": doc.short_title,
        "removed": [r.to_json() for r in doc.removed],
    }


def _doc_of(row: dict[str, Any], path: str) -> Document:
    return Document(
        doc_id=str(row["doc_id"]),
        title=str(row["title"]),
        date=date.fromisoformat(row["date"]) if row["date"] else None,
        body=str(row["body"]),
        source=str(row["source"]),
        parties=tuple(str(p) for p in row["parties"]),
        kind=str(row["kind"]),
        short_title=str(row["short_title"]),
        path=path,
        removed=tuple(Removal(str(r["text"]), str(r["reason"])) for r in row["removed"]),
    )


def _parse_kept(text: str, path: Path, warnings: list[str], kept: DerivedStore) -> Document | None:
    """:func:`parse_document`, or what it gave for this file name and text before."""
    key = content_key(path.name, text)
    row = kept.get(key)
    if isinstance(row, dict):
        try:
            doc = _doc_of(row["doc"], str(path)) if row["doc"] is not None else None
            found = [str(w) for w in row["warnings"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a damaged entry: read the file again
        else:
            warnings.extend(found)
            return doc
    mine: list[str] = []
    doc = parse_document(text, str(path), mine)
    warnings.extend(mine)
    kept.put(key, {"doc": _doc_row(doc) if doc is not None else None, "warnings": mine})
    return doc


@dataclass(frozen=True)
class _File:
    """A corpus file as read: its text and key, or the warning that skips it."""

    path: Path
    text: str = ""
    problem: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        key = content_key(self.path.name, self.text) if not self.problem else self.problem
        object.__setattr__(self, "key", key)


def _read_files(files: Sequence[Path]) -> list[_File]:
    """Each file's text, or for one that cannot be read the warning that skips it."""
    out: list[_File] = []
    for path in files:
        if path.name.lower() in {"readme.md", "commitments.yml"} or path.name.startswith("."):
            continue
        try:
            out.append(_File(path, read_text_file(path)))
        except RefusedFile as exc:
            out.append(_File(path, problem=f"{path.name}: {exc}; skipped"))
        except UnicodeDecodeError as exc:
            problem = (
                f"{path.name}: not UTF-8 (bad byte at offset {exc.start}); skipped. "
                "Convert it with 'iconv -t UTF-8' or re-ingest it."
            )
            out.append(_File(path, problem=problem))
        except OSError as exc:
            problem = f"{path.name}: cannot be read ({exc.strerror}); skipped"
            out.append(_File(path, problem=problem))
    return out


def _kept_corpus(corpus: Corpus, kept: DerivedStore, listing: str, read: Sequence[_File]) -> bool:
    """Fill ``corpus`` from what reading this very listing gave before; False if unknown."""
    row = kept.get(listing)
    if not isinstance(row, dict):
        return False
    paths = {f.key: f.path for f in read if not f.problem}
    try:
        documents = []
        for key, doc_id in row["docs"]:
            entry = kept.get(key)
            if not isinstance(entry, dict) or entry.get("doc") is None:
                return False
            doc = _doc_of(entry["doc"], str(paths[key]))
            documents.append(replace(doc, doc_id=str(doc_id)))
        warnings = [str(w) for w in row["warnings"]]
        renamed = {str(k): str(v) for k, v in row["renamed"].items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    corpus.documents.extend(documents)
    corpus.warnings.extend(warnings)
    corpus.renamed.update(renamed)
    return True


def _read_corpus(
    corpus: Corpus, kept: DerivedStore, read: Sequence[_File], named: set[str]
) -> None:
    """Parse each read file (or take it as kept) and leave out duplicates, in order."""
    seen: dict[str, str] = {}
    same = DuplicateFinder()
    for f in read:
        path, text = f.path, f.text
        if f.problem:
            corpus.warnings.append(f.problem)
            continue
        doc = _parse_kept(text, path, corpus.warnings, kept)
        if doc is None:
            continue
        first = same.find(doc.body, doc.date)
        if first is not None:
            corpus.warnings.append(
                f"{path.name}: the same statement as {seen[first]} ({first}); "
                f"skipped, {seen[first]} is kept"
            )
            continue
        if doc.doc_id in seen or (doc.doc_id in named and name_stem(path.name) != doc.doc_id):
            if name_stem(path.name) == doc.doc_id:  # e.g. X.md and X.txt
                corpus.warnings.append(
                    f"{path.name}: same document id {doc.doc_id!r} as {seen[doc.doc_id]}; skipped"
                )
                continue
            n = 2
            while f"{doc.doc_id}-{n}" in seen or f"{doc.doc_id}-{n}" in named:
                n += 1
            doc = replace(doc, doc_id=f"{doc.doc_id}-{n}")
        seen[doc.doc_id] = path.name
        same.add(doc.doc_id, doc.body, doc.date)
        if (former := legacy_doc_id(path)) != doc.doc_id:
            corpus.renamed[former] = doc.doc_id
        corpus.documents.append(doc)


def removals_from(value: object, *, where: str, warnings: list[str]) -> tuple[Removal, ...]:
    """Removals read back from front matter or the database: a list of ``{text, reason}``.

    Entries that are not a text and a reason are left out, each with a warning naming
    ``where``; anything but a list is ignored with one warning."""
    if value is None:
        return ()
    if not isinstance(value, list):
        warnings.append(f"{where} is not a list of {{text, reason}}; ignored")
        return ()
    out: list[Removal] = []
    for n, entry in enumerate(value, start=1):
        text = entry.get("text") if isinstance(entry, dict) else None
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if isinstance(text, int | float) and not isinstance(text, bool):
            text = str(text)  # "2013" written without quotes by hand
        if not (isinstance(text, str) and text.strip() and isinstance(reason, str)):
            warnings.append(f"{where}: entry {n} is not a text and a reason; ignored")
            continue
        out.append(Removal(text, " ".join(reason.split()) or "removed"))
    return tuple(out)


class _Dumper(yaml.SafeDumper):
    """Safe YAML, with multi-line strings (removed debris) as readable ``|`` blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _front_matter(meta: dict[str, object]) -> str:
    return yaml.dump(meta, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000).strip()


#: The reason of the entry that stands for removals left out of a full front matter.
NOT_RECORDED = "not recorded"


def _fitting(
    meta: dict[str, object], removed: Sequence[Removal], limit: int
) -> list[dict[str, str]]:
    """The ``removed`` entries that keep the front matter within ``limit`` bytes: all of
    them when they fit; else, in order, each that still fits (leaving room for a last
    entry that says how many were left out)."""

    def size(entries: list[dict[str, str]]) -> int:
        # +1: the newline between the front matter and the closing "---" is part of it
        return len(_front_matter({**meta, "removed": entries}).encode("utf-8")) + 1

    entries = [r.to_json() for r in removed]
    if not entries or size(entries) <= limit:
        return entries

    def note(dropped: int) -> dict[str, str]:
        return {
            "text": f"{dropped} more removed piece(s) not recorded here: the front matter "
            f"is limited to {limit // 1024} KiB",
            "reason": NOT_RECORDED,
        }

    room = limit - size([note(len(entries))])
    kept: list[dict[str, str]] = []
    for entry in entries:
        cost = len(_front_matter({"removed": [entry]}).encode("utf-8")) - len("removed:")
        if cost <= room:
            kept.append(entry)
            room -= cost
    # The estimate is close, not exact (line breaks between items): check, and give
    # back entries until it fits.
    while kept and size([*kept, note(len(entries) - len(kept))]) > limit:
        kept.pop()
    result = [*kept, note(len(entries) - len(kept))]
    return result if size(result) <= limit else []


def render_document(meta: dict[str, object], body: str, *, removed: Sequence[Removal] = ()) -> str:
    """A corpus file's text: YAML front matter then the body.

    ``removed`` (what cleaning dropped) is kept under the ``removed`` key, as much of it
    as the front matter's size limit allows (then an entry says how much was left out).
    """
    meta = dict(meta)
    if removed:  # most often all of it fits: one dump, not one to measure and one to write
        whole = _front_matter({**meta, "removed": [r.to_json() for r in removed]})
        if len(whole.encode("utf-8")) + 1 <= MAX_FRONT_MATTER_BYTES:
            return f"---\n{whole}\n---\n\n{body.strip()}\n"
    entries = _fitting(meta, removed, MAX_FRONT_MATTER_BYTES)
    if entries:
        meta["removed"] = entries
    return f"---\n{_front_matter(meta)}\n---\n\n{body.strip()}\n"
