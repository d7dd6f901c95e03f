"""One statement, one document: document ids and near-duplicate detection.

Ids. Every route (corpus files, ``briefbot ingest`` files and URLs, the library and
Slack) names a new statement with :func:`doc_id_for`: ``YYYY-MM-DD_slug``, the
statement's date and a slug of its (short) title (lower-case ASCII words joined by
hyphens, at most :data:`SLUG_LIMIT` characters, cut at a word boundary), whatever the
input was called. A file whose name already is such an id (the bundled corpus, files
written by ``briefbot ingest --out`` or ``briefbot export``) keeps it, and a statement
stored in the database keeps its stored id: clause and commitment ids are built from
doc ids, and users' statuses and reminders reference them.

Sameness. A statement saved as a file, then added from its URL or pasted, comes out of
cleaning with other line breaks, quotes and markup, with or without its heading, a
share widget or the page's footer. Two cleaned texts are the same statement when
(:attr:`Comparison.same`): their dates (when both are known) are at most
:data:`SAME_DAYS` apart; their words, case and markup folded, are the same words in
the same order except for text added to one of them (at most :data:`EXTRA_WORDS`
words or :data:`MAX_EXTRA` of the longer text) and for whole paragraphs swapped at
the very top or bottom (one page's footer for another's); and no word stands in
another's place (a name, a number, a year, a URL). A share of word 5-shingles
(:data:`MIN_OVERLAP`) only picks the candidates worth aligning word by word.

Word overlap alone cannot draw the line: on the 2021-2022 archive, disaster
declarations for two states on the same day, or the letters on Finland's and
Sweden's NATO accession, share 77-81% of their shingles, and a yearly notice 96%
with the year before's. ``bench/near_duplicates.py`` measures the rule there: it
merges the 8 pairs that are one statement published twice (identical once cleaned),
keeps the 4,296 other pairs of similar texts apart, and finds 99.6-100% of the
statements given again with a heading, a share widget, re-wrapped, as Markdown or
HTML, with no wrong match.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

__all__ = [
    "SLUG_LIMIT",
    "Comparison",
    "DuplicateFinder",
    "compare",
    "doc_id_for",
    "find_same",
    "id_slug",
    "is_doc_id",
    "make_doc_id",
    "name_stem",
    "same_statement",
    "words",
]

#: Longest slug in an id made by the rule.
SLUG_LIMIT = 60

_ID = re.compile(r"^(?:\d{4}-\d{2}-\d{2}|undated)_[a-z0-9]+(?:-[a-z0-9]+)*$")
_NAME_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")


def is_doc_id(text: str) -> bool:
    """True for ``YYYY-MM-DD_slug`` (lower-case ASCII words joined by hyphens)."""
    return bool(_ID.match(text))


def name_stem(name: str) -> str:
    """A file name without its directory and its statement suffixes (``.raw.txt`` too)."""
    stem = name.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in _NAME_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem.lower().endswith(".raw"):
        stem = stem[:-4]
    return stem


def id_slug(title: str, *, limit: int = SLUG_LIMIT) -> str:
    """The slug of a title: lower-case ASCII words joined by '-', whole words, at most
    ``limit`` characters. A title with no Latin letters or digits gets ``statement-``
    and a digest of the title, so different such titles give different slugs."""
    text = title.replace("U.S.", "US").replace("’", "").replace("'", "")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    slug = ""
    for word in re.findall(r"[A-Za-z0-9]+", text):
        candidate = f"{slug}-{word.lower()}" if slug else word.lower()
        if len(candidate) > limit:
            if not slug:  # one word longer than the limit: cut it
                slug = candidate[:limit]
            break
        slug = candidate
    if not slug:
        if not title.strip():
            return "statement"
        digest = hashlib.sha1(" ".join(title.split()).encode("utf-8")).hexdigest()[:8]
        return f"statement-{digest}"
    return slug


def make_doc_id(when: date | None, title: str) -> str:
    """The rule: ``YYYY-MM-DD_slug`` (``undated_slug`` when the date is unknown)."""
    return f"{when.isoformat() if when else 'undated'}_{id_slug(title)}"


def doc_id_for(when: date | None, title: str, name: str = "") -> str:
    """The id of a statement read from a file called ``name`` ("" for a URL or a paste):
    the file's own name when it already is an id, else :func:`make_doc_id`."""
    stem = name_stem(name) if name else ""
    if stem and is_doc_id(stem):
        return stem
    return make_doc_id(when, title)


# -- sameness -----------------------------------------------------------------------

#: Texts whose dates (both known) are further apart than this are different statements:
#: the same letter sent again weeks later, or a yearly notice, has the same words.
SAME_DAYS = 3
#: Share of the shorter text's word 5-shingles found in the longer below which two
#: texts are not compared word by word (a copy with boilerplate added keeps nearly all).
MIN_OVERLAP = 0.5
#: Words of the longer text outside the common text (added boilerplate: a heading, a
#: share widget, a footer), at most :data:`EXTRA_WORDS` or this share of it.
MAX_EXTRA = 0.1
EXTRA_WORDS = 40
#: Word shingle length.
SHINGLE = 5
#: How many of the smallest shingle hashes a sketch keeps: two texts of Jaccard
#: similarity J share one with probability about 1 - (1 - J) ** SKETCH.
SKETCH = 16

_MARKUP = re.compile(r"\]\([^)\s]*\)|</?[A-Za-z][^<>]{0,200}>")
_APOSTROPHES = re.compile(r"['’‘`]")
_WORD = re.compile(r"[^\W_]+")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_PRIME = np.uint64(1_000_003)


class Words(list[str]):
    """A text's words as compared, and where its paragraphs start (word indexes, and
    the number of words: a paragraph's end is the next one's start)."""

    breaks: frozenset[int] = frozenset()


def words(body: str) -> Words:
    """The words of a text as compared: case, width, apostrophes, Markdown link targets
    and HTML tags folded away; URLs written out are kept (they tell letters apart)."""
    text = unicodedata.normalize("NFKC", body)
    text = _APOSTROPHES.sub("", _MARKUP.sub(" ", text)).casefold()
    out = Words()
    breaks = set()
    for paragraph in _PARAGRAPH.split(text):
        breaks.add(len(out))
        out.extend(_WORD.findall(paragraph))
    breaks.add(len(out))
    out.breaks = frozenset(breaks)
    return out


def _shingles(ws: Sequence[str]) -> np.ndarray:
    """The sorted distinct hashes of the word 5-shingles (one shingle for shorter texts)."""
    if not ws:
        return np.zeros(0, dtype=np.uint64)
    # hash() of a str is salted per process: fine, shingles are never kept across runs.
    ids = np.fromiter(map(hash, ws), np.int64, len(ws)).view(np.uint64)
    if len(ids) < SHINGLE:
        ids = np.concatenate([ids, np.zeros(SHINGLE - len(ids), dtype=np.uint64)])
    n = len(ids) - SHINGLE + 1
    h = ids[:n].copy()
    for k in range(1, SHINGLE):
        h = h * _PRIME + ids[k : k + n]  # wraps around mod 2**64
    return np.unique(h)


def _overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Jaccard similarity, share of the smaller set in the larger) of two shingle sets."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


@dataclass(frozen=True)
class Comparison:
    """How two cleaned texts compare (see :func:`compare`)."""

    #: Jaccard similarity of their word 5-shingle sets, and the share of the smaller
    #: set found in the larger.
    jaccard: float
    overlap: float
    #: Word counts of the two texts, and of the words they have in common, in order.
    words: tuple[int, int]
    common: int
    #: Places where one text has other words than the other (not counting formatting:
    #: "U.S." against "US"); None when the texts were not aligned (too little overlap,
    #: or dates too far apart).
    substitutions: int | None
    #: Days between their dates, None when a date is unknown.
    days: int | None

    @property
    def extra(self) -> int:
        """Words of the longer text that are not in the common text."""
        return max(self.words) - self.common

    @property
    def same(self) -> bool:
        """The same statement: dates at most :data:`SAME_DAYS` apart (when known), the
        same words in the same order but for added text (a heading, a share widget, a
        footer: at most :data:`EXTRA_WORDS` words or :data:`MAX_EXTRA` of the longer
        text), and not one word put in another's place (a name, a date, a number)."""
        return (
            (self.days is None or self.days <= SAME_DAYS)
            and self.substitutions == 0
            and self.extra <= max(EXTRA_WORDS, MAX_EXTRA * max(self.words))
        )


def _days(a: date | None, b: date | None) -> int | None:
    return abs((a - b).days) if a is not None and b is not None else None


def _align(wa: Words, wb: Words) -> tuple[int, int]:
    """(words in common, substitutions) of two texts' words. Not substitutions: the same
    letters split otherwise ("U.S." / "US"), and whole paragraphs at the top or the
    bottom of each where the other has other whole paragraphs (one page's footer
    where the other has its own)."""
    ops = difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes()
    common = substitutions = 0
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            common += i2 - i1
        elif tag == "replace":
            edge = (n == 0 and i1 == j1 == 0) or (
                n == len(ops) - 1 and (i2, j2) == (len(wa), len(wb))
            )
            if "".join(wa[i1:i2]) == "".join(wb[j1:j2]):
                common += min(i2 - i1, j2 - j1)
            elif not (edge and {i1, i2} <= wa.breaks and {j1, j2} <= wb.breaks):
                substitutions += 1
    return common, substitutions


def compare(
    a: str, b: str, *, a_date: date | None = None, b_date: date | None = None
) -> Comparison:
    """Compare two cleaned statement texts (and their dates, when known)."""
    wa, wb = words(a), words(b)
    return _compare(wa, _shingles(wa), wb, _shingles(wb), _days(a_date, b_date))


def _compare(wa: Words, sa: np.ndarray, wb: Words, sb: np.ndarray, days: int | None) -> Comparison:
    j, overlap = _overlap(sa, sb)
    sizes = (len(wa), len(wb))
    if overlap < MIN_OVERLAP or (days is not None and days > SAME_DAYS):
        return Comparison(j, overlap, sizes, 0, None, days)
    if wa == wb:
        return Comparison(j, overlap, sizes, len(wa), 0, days)
    common, substitutions = _align(wa, wb)
    return Comparison(j, overlap, sizes, common, substitutions, days)


def same_statement(
    a: str, b: str, *, a_date: date | None = None, b_date: date | None = None
) -> bool:
    """Whether two cleaned texts are the same statement (see :attr:`Comparison.same`)."""
    return compare(a, b, a_date=a_date, b_date=b_date).same


@dataclass(frozen=True)
class _Entry:
    key: str
    body: str
    when: date | None
    shingles: np.ndarray


class DuplicateFinder:
    """Statements seen so far, to find the one a new text repeats. Each is indexed by
    the :data:`SKETCH` smallest hashes of its shingles, so finding stays fast over
    thousands of statements: only texts sharing one of those, with dates close enough,
    have their shingle sets compared, and only the similar ones their words."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._by_hash: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: str, body: str, when: date | None = None) -> None:
        """Remember the statement ``key`` (a doc id) with its cleaned text and date."""
        shingles = _shingles_of(body)
        n = len(self._entries)
        self._entries.append(_Entry(key, body, when, shingles))
        for h in shingles[:SKETCH].tolist():
            self._by_hash.setdefault(h, []).append(n)

    def matches(self, body: str, when: date | None = None) -> list[tuple[str, Comparison]]:
        """Every statement seen that ``body`` is the same as, most similar first."""
        shingles = _shingles_of(body)
        candidates = sorted(
            {n for h in shingles[:SKETCH].tolist() for n in self._by_hash.get(h, ())}
        )
        wa: Words | None = None
        found = []
        for n in candidates:
            entry = self._entries[n]
            days = _days(when, entry.when)
            if days is not None and days > SAME_DAYS:
                continue
            if _overlap(shingles, entry.shingles)[1] < MIN_OVERLAP:
                continue
            wa = wa if wa is not None else words(body)
            cmp = _compare(wa, shingles, words(entry.body), entry.shingles, days)
            if cmp.same:
                found.append((entry.key, cmp))
        return sorted(found, key=lambda kc: (-kc[1].jaccard, kc[1].extra))

    def find(
        self, body: str, when: date | None = None, *, skip: Collection[str] = ()
    ) -> str | None:
        """The key of the statement ``body`` repeats (other than those in ``skip``), or None."""
        return next((k for k, _ in self.matches(body, when) if k not in skip), None)


def find_same(
    body: str, when: date | None, others: Iterable[tuple[str, str, date | None]]
) -> tuple[str, Comparison] | None:
    """The first of ``others`` (``(key, cleaned text, date)``) that ``body`` is the same
    statement as, with how they compare; None when there is none. For one text against
    many: those dated too far apart are passed over without reading their words."""
    shingles: np.ndarray | None = None
    wa: Words | None = None
    for key, other, other_date in others:
        days = _days(when, other_date)
        if days is not None and days > SAME_DAYS:
            continue
        shingles = _shingles_of(body) if shingles is None else shingles
        theirs = _shingles_of(other)
        if _overlap(shingles, theirs)[1] < MIN_OVERLAP:
            continue
        wa = words(body) if wa is None else wa
        cmp = _compare(wa, shingles, words(other), theirs, days)
        if cmp.same:
            return key, cmp
    return None


_SHINGLES: dict[str, np.ndarray] = {}
#: Statements whose shingle sets are kept between calls (the library looks at every
#: stored statement on each add).
_SHINGLE_CACHE = 4096


def _shingles_of(body: str) -> np.ndarray:
    """:func:`_shingles` of ``body``'s words, cached by the text's digest."""
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    found = _SHINGLES.get(digest)
    if found is None:
        found = _shingles(words(body))
        if len(_SHINGLES) >= _SHINGLE_CACHE:
            _SHINGLES.clear()
        _SHINGLES[digest] = found
    return found
