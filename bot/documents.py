"""Loading statement files from the corpus directory.

A corpus file is UTF-8 ``.md`` or ``.txt`` with YAML front matter (``title``,
``date``, ``source``, ``parties``, optional ``kind`` and ``short_title``) and the
statement body. Files without front matter still load: the title and date are
inferred and a warning says what was guessed. A bad file is skipped with a
warning naming it; it never stops the other documents from loading.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from bot.clean import clean_raw
from bot.safeio import MAX_FRONT_MATTER_BYTES, RefusedFile, load_yaml, read_text_file

log = logging.getLogger(__name__)

__all__ = [
    "CORPUS_SUFFIXES",
    "Corpus",
    "CorpusError",
    "Document",
    "as_parties",
    "infer_date",
    "load_corpus",
    "parse_document",
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
    kind: str = "statement"
    short_title: str = ""
    path: str = ""

    @property
    def cite_title(self) -> str:
        """The title used in citations (``short_title`` when given)."""
        return self.short_title or self.title


@dataclass
class Corpus:
    """The loaded documents and the warnings produced while loading them."""

    documents: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def get(self, doc_id: str) -> Document | None:
        """The document with this id, or None."""
        return next((d for d in self.documents if d.doc_id == doc_id), None)


_FILENAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\s+([A-Z][a-z]+)\.?,?\s+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Z][a-z]+)\.?\s+(\d{1,2}),\s+(\d{4})\b")
_DATELINE = re.compile(r"^[A-Z][A-Za-z .'-]{1,40},\s+(\d{1,2})\s+([A-Z][a-z]+)\b", re.M)
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


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
    first full date in the text.
    """
    if m := _FILENAME_DATE.match(Path(filename).name):
        d = _make_date(m.group(1), int(m.group(2)), m.group(3))
        if d:
            return d, f"from the file name ({d.isoformat()})"
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


def _doc_id(path: Path) -> str:
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
        body = body.strip("\n")
        if _looks_raw(body):
            # Front matter over a raw web export: clean the body, keep the metadata.
            body = clean_raw(body).body
    else:
        cleaned = clean_raw(text)
        body = cleaned.body
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
    return Document(
        doc_id=_doc_id(Path(filename)),
        title=title,
        date=d,
        body=body.strip() + "\n",
        source=_clean_meta_text(meta.get("source") or meta.get("source_url")),
        parties=as_parties(meta.get("parties")),
        kind=_clean_meta_text(meta.get("kind")) or "statement",
        short_title=_clean_meta_text(meta.get("short_title")),
        path=str(filename),
    )


def _looks_raw(body: str) -> bool:
    """True when a body still carries web-export debris (escapes, tags, hard wraps)."""
    if re.search(r"^\d+\\\.|<sup>|<!--|^\\#+|\u00a0", body, re.M):
        return True
    lines = [ln for ln in body.splitlines() if ln.strip()]
    wrapped = sum(1 for ln in lines if 55 <= len(ln) <= 80)
    return len(lines) > 10 and wrapped / len(lines) > 0.6


def load_corpus(directory: str | Path) -> Corpus:
    """Load every ``.md``/``.txt`` statement in ``directory`` (sorted by file name).

    Raises :class:`CorpusError` when the directory is missing or holds no
    loadable statement; individual bad files only produce warnings.
    """
    root = Path(directory)
    if not root.is_dir():
        raise CorpusError(
            f"corpus directory {str(root)!r} does not exist: create it and add statements "
            "with 'briefbot ingest FILE --out DIR', or point --corpus / BRIEFBOT_CORPUS at one"
        )
    corpus = Corpus()
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES)
    seen: dict[str, str] = {}
    for path in files:
        if path.name.lower() in {"readme.md", "commitments.yml"} or path.name.startswith("."):
            continue
        try:
            text = read_text_file(path)
        except RefusedFile as exc:
            corpus.warnings.append(f"{path.name}: {exc}; skipped")
            continue
        except UnicodeDecodeError as exc:
            corpus.warnings.append(
                f"{path.name}: not UTF-8 (bad byte at offset {exc.start}); skipped. "
                "Convert it with 'iconv -t UTF-8' or re-ingest it."
            )
            continue
        except OSError as exc:
            corpus.warnings.append(f"{path.name}: cannot be read ({exc.strerror}); skipped")
            continue
        doc = parse_document(text, str(path), corpus.warnings)
        if doc is None:
            continue
        if doc.doc_id in seen:
            corpus.warnings.append(
                f"{path.name}: same document id {doc.doc_id!r} as {seen[doc.doc_id]}; skipped"
            )
            continue
        seen[doc.doc_id] = path.name
        corpus.documents.append(doc)
    for w in corpus.warnings:
        log.debug("%s", w)
    if not corpus.documents:
        hint = f" ({len(corpus.warnings)} file(s) skipped, see warnings)" if corpus.warnings else ""
        raise CorpusError(
            f"no statements in corpus directory {str(root)!r}{hint}: add .md or .txt files "
            "with 'briefbot ingest FILE --out DIR'"
        )
    return corpus


def render_document(meta: dict[str, object], body: str) -> str:
    """A corpus file's text: YAML front matter then the body."""
    fm = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000).strip()
    return f"---\n{fm}\n---\n\n{body.strip()}\n"
