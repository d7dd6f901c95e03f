"""The clause index: typo-tolerant lexical candidates, then rapidfuzz reranking.

Why two stages (measured in ``bench/search_bench.py``): a rapidfuzz scan over every
clause costs microseconds per clause per query, which is unusable past ~10k
clauses, and an inverted index alone ranks near-duplicates poorly. So:

1. **Candidates.** Each query word is looked up in the vocabulary; a word that is
   not there is corrected with a SymSpell-style deletion index (edit distance 1,
   2 for long words) with a bounded rapidfuzz fallback. BM25 over a CSR posting
   list (numpy) plus a "how many query words does the clause contain" count picks
   the top candidates.
2. **Rerank.** The candidates are scored with a blend of ``partial_ratio`` (good
   for phrases) and ``token_set_ratio`` (good for keywords in any order),
   scaled by the share of query words the clause contains. Below
   ``min_score`` a result is not a match; the best one is offered as a
   suggestion instead.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.clauses import Clause, segment_all
from bot.clean import normalise
from bot.timeexpr import month_end

__all__ = [
    "DEFAULT_MIN_SCORE",
    "MAX_QUERY_CHARS",
    "ClauseIndex",
    "Hit",
    "ParsedQuery",
    "QueryError",
    "SearchResult",
    "parse_query",
]

MAX_QUERY_CHARS = 500
DEFAULT_MIN_SCORE = 55.0

STOP_WORDS = frozenset(
    """
    a an and are as at be been being both but by can could did do does for from had has have
    he her his how i if in into is it its may might more most must no not of on or our shall
    should so such than that the their them then there these they this those to too up was
    we were what when where which while who whom why will with would you your also any all
    each other over under about after before between
    """.split()
)


class QueryError(ValueError):
    """The query cannot be searched (empty, too long, bad filter); the message says why."""


@dataclass(frozen=True)
class Hit:
    """One result: the clause, its 0–100 score, and near-identical clauses elsewhere."""

    clause: Clause
    score: float
    also_in: tuple[Clause, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The contract's hit shape (GUIDE §2) plus a few extra fields."""
        c = self.clause
        return {
            "doc_id": c.doc_id,
            "title": c.doc_title,
            "date": c.doc_date.isoformat() if c.doc_date else None,
            "clause_id": c.clause_id,
            "citation": c.citation,
            "text": c.text,
            "score": round(self.score, 1),
            "paragraph": c.paragraph,
            "lead_in": c.lead_in or None,
            "also_in": [{"clause_id": o.clause_id, "citation": o.citation} for o in self.also_in],
        }


@dataclass(frozen=True)
class SearchResult:
    """Hits at or above the threshold (a page of them), or a suggestion when none."""

    query: str
    hits: list[Hit]
    suggestion: Hit | None = None
    total: int = 0
    offset: int = 0
    corrections: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        """True when further good hits exist after this page."""
        return self.offset + len(self.hits) < self.total


@dataclass(frozen=True)
class ParsedQuery:
    """Free text plus the filters typed into it (``in:``, ``after:``, ``before:``)."""

    text: str
    doc: str | None = None
    after: date | None = None
    before: date | None = None


_FILTER = re.compile(r"(?<!\S)(in|after|before):(\"[^\"]*\"|\S*)", re.I)


def _period(value: str, *, end: bool) -> date:
    """'2012' / '2012-06' / '2012-06-06' as the first (or last) day of that period."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value.strip())
    if not m:
        raise QueryError(f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            return date(y, int(mo), int(d))
        if mo:
            return month_end(y, int(mo)) if end else date(y, int(mo), 1)
        return date(y, 12, 31) if end else date(y, 1, 1)
    except ValueError as exc:
        raise QueryError(f"{value!r} is not a valid date ({exc})") from None


def parse_query(text: str) -> ParsedQuery:
    """Split filters out of a typed query.

    ``in:<doc>`` keeps documents whose id starts with, or whose title contains, the
    value (quote several words: ``in:"joint communique"``); ``after:2012`` keeps
    documents dated after that period; ``before:2013-06`` before it.
    """
    doc = None
    after = before = None
    for m in _FILTER.finditer(text):
        key, value = m.group(1).lower(), m.group(2).strip('"')
        if not value:
            raise QueryError(f"'{key}:' needs a value")
        if key == "in":
            doc = value
        elif key == "after":
            after = _period(value, end=True)
        else:
            before = _period(value, end=False)
    rest = " ".join(_FILTER.sub(" ", text).split())
    return ParsedQuery(text=rest, doc=doc, after=after, before=before)


def check_query(query: str) -> str:
    """Validate a query's length and emptiness; returns it stripped."""
    q = query.strip()
    if not q:
        raise QueryError("empty query: type a phrase or keywords, e.g. 'navigation Heixiazi'")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}. "
            "Quote a shorter, distinctive phrase."
        )
    return q


def stem(word: str) -> str:
    """A deliberately crude plural fold ("doses" -> "dose", "countries" -> "country")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class ClauseIndex:
    """An in-memory index over clauses. Build once, query from many threads."""

    #: BM25 parameters (Robertson's defaults).
    k1 = 1.2
    b = 0.75

    def __init__(self, clauses: Sequence[Clause], *, candidates: int = 60) -> None:
        self.clauses: list[Clause] = list(clauses)
        self.candidates = candidates
        self._by_id = {c.clause_id: i for i, c in enumerate(self.clauses)}
        self._norm = [normalise(c.search_text) for c in self.clauses]
        self._doc_ids: list[str] = []
        doc_pos: dict[str, int] = {}
        self._doc_titles: list[str] = []
        self._doc_dates: list[date | None] = []
        for c in self.clauses:
            if c.doc_id not in doc_pos:
                doc_pos[c.doc_id] = len(self._doc_ids)
                self._doc_ids.append(c.doc_id)
                self._doc_titles.append(normalise(c.doc_title))
                self._doc_dates.append(c.doc_date)
        self._clause_doc = np.fromiter(
            (doc_pos[c.doc_id] for c in self.clauses), dtype=np.int32, count=len(self.clauses)
        )
        self._build_postings()

    @classmethod
    def from_documents(cls, docs: Iterable[Any], **kwargs: Any) -> ClauseIndex:
        """Segment documents and index their clauses."""
        return cls(list(segment_all(docs)), **kwargs)

    # ------------------------------------------------------------------ build

    def _build_postings(self) -> None:
        vocab: dict[str, int] = {}
        term_ids: list[int] = []
        doc_ids: list[int] = []
        lengths = np.zeros(len(self.clauses), dtype=np.float32)
        tokenised = [[stem(w) for w in t.split()] for t in self._norm]
        for i, toks in enumerate(tokenised):
            lengths[i] = len(toks)
            for t in toks:
                tid = vocab.setdefault(t, len(vocab))
                term_ids.append(tid)
                doc_ids.append(i)
        # Words split by a stray space in the source ("mechan ism") also index as
        # the joined word when that word exists elsewhere in the corpus.
        singles = dict(vocab)
        for i, toks in enumerate(tokenised):
            for a, b2 in itertools.pairwise(toks):
                if len(a) + len(b2) >= 6 and (a + b2) in singles and a not in STOP_WORDS:
                    term_ids.append(singles[a + b2])
                    doc_ids.append(i)
        self._vocab = vocab
        self._terms = list(vocab)
        n = max(len(self.clauses), 1)
        if term_ids:
            key = np.asarray(term_ids, dtype=np.int64) * n + np.asarray(doc_ids, dtype=np.int64)
            uniq, tf = np.unique(key, return_counts=True)
            t_of = (uniq // n).astype(np.int32)
            d_of = (uniq % n).astype(np.int32)
        else:
            t_of = d_of = np.zeros(0, dtype=np.int32)
            tf = np.zeros(0, dtype=np.int64)
        df = np.bincount(t_of, minlength=len(vocab)).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) if len(lengths) else 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths[d_of] / max(avgdl, 1.0))
        tf32 = tf.astype(np.float32)
        self._weights = (idf[t_of] * tf32 * (self.k1 + 1) / (tf32 + norm)).astype(np.float32)
        self._post_docs = d_of
        self._offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(t_of, minlength=len(vocab)), out=self._offsets[1:])
        self._df = df
        self._idf = idf
        # SymSpell-style deletion index for typo correction, and first-letter buckets
        # for the slower fallback.
        deletes: dict[str, list[int]] = defaultdict(list)
        buckets: dict[str, list[str]] = defaultdict(list)
        for term, tid in vocab.items():
            if len(term) < 3 or term.isdigit():
                continue
            for d in _deletes(term):
                deletes[d].append(tid)
            buckets[term[0]].append(term)
        self._deletes = dict(deletes)
        self._buckets = dict(buckets)

    # ------------------------------------------------------------------ query

    def correct(self, word: str) -> list[str]:
        """Vocabulary words within a small edit distance of ``word`` (best first)."""
        if word in self._vocab:
            return [word]
        if len(word) < 4 or word.isdigit():
            return []
        max_d = 1 if len(word) < 7 else 2
        found: dict[int, int] = {}
        probes = {word} | _deletes(word)
        for p in probes:
            for tid in self._deletes.get(p, ()):
                if tid not in found:
                    dist = OSA.distance(word, self._terms[tid], score_cutoff=max_d)
                    if dist <= max_d:
                        found[tid] = dist
        if word in self._deletes:  # the query lost a letter: "navgation"
            for tid in self._deletes[word]:
                found.setdefault(tid, 1)
        if not found:
            bucket = self._buckets.get(word[0], [])
            for term, _, _ in process.extract(
                word,
                [t for t in bucket if abs(len(t) - len(word)) <= max_d],
                scorer=OSA.distance,
                score_cutoff=max_d,
                limit=3,
            ):
                found[self._vocab[term]] = OSA.distance(word, term)
        ranked = sorted(found, key=lambda t: (found[t], -self._df[t]))
        best = found[ranked[0]] if ranked else 0
        return [self._terms[t] for t in ranked if found[t] == best][:3]

    def _doc_mask(self, parsed: ParsedQuery, notes: list[str]) -> np.ndarray | None:
        if not (parsed.doc or parsed.after or parsed.before):
            return None
        keep = []
        want = normalise(parsed.doc) if parsed.doc else ""
        for i, doc_id in enumerate(self._doc_ids):
            if want and not (
                doc_id.startswith(parsed.doc.lower())
                or doc_id.replace("_", "-").startswith(want.replace(" ", "-"))
                or all(w in self._doc_titles[i].split() for w in want.split())
            ):
                continue
            d = self._doc_dates[i]
            if parsed.after and (d is None or d <= parsed.after):
                continue
            if parsed.before and (d is None or d >= parsed.before):
                continue
            keep.append(i)
        if not keep:
            notes.append("no document matches the filters")
        return np.isin(self._clause_doc, np.asarray(keep, dtype=np.int32))

    def search(
        self,
        query: str,
        *,
        limit: int = 3,
        offset: int = 0,
        doc: str | None = None,
        after: date | None = None,
        before: date | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> SearchResult:
        """Best clauses for ``query``; typed filters (``in:`` …) are honoured too.

        Raises :class:`QueryError` for an empty or over-long query or a bad filter.
        No match is an empty ``hits`` list, with ``suggestion`` set when something
        came close.
        """
        check_query(query)
        parsed = parse_query(query)
        parsed = ParsedQuery(
            text=parsed.text,
            doc=doc or parsed.doc,
            after=after or parsed.after,
            before=before or parsed.before,
        )
        notes: list[str] = []
        qnorm = normalise(parsed.text)
        words = qnorm.split()
        if not words:
            if parsed.text.strip() or not (parsed.doc or parsed.after or parsed.before):
                notes.append("the query has no words to match")
            else:
                notes.append("add words to search for, not only filters")
            return SearchResult(query=query, hits=[], notes=notes)
        content = [stem(w) for w in words if w not in STOP_WORDS] or [stem(w) for w in words]
        corrections: dict[str, str] = {}
        n = len(self.clauses)
        bm25 = np.zeros(n, dtype=np.float32)
        # Soft coverage: IDF-weighted share of query words found in the clause, a
        # corrected word counting by its similarity to what was typed. A word the
        # corpus does not know weighs as much as the rarest word, so nonsense
        # queries cannot reach the threshold through one common word.
        coverage = np.zeros(n, dtype=np.float32)
        total_idf = 0.0
        max_idf = float(np.log(1.0 + (n + 0.5) / 0.5))
        seen_terms: set[int] = set()
        for w in dict.fromkeys(content):
            options = self.correct(w)
            if options and options[0] != w:
                corrections[w] = options[0]
            idf_w = float(self._idf[self._vocab[options[0]]]) if options else max_idf
            total_idf += idf_w
            found = np.zeros(n, dtype=np.float32)
            for term in options:
                tid = self._vocab[term]
                lo, hi = self._offsets[tid], self._offsets[tid + 1]
                docs = self._post_docs[lo:hi]
                sim = 1.0 if term == w else fuzz.ratio(w, term) / 100.0
                found[docs] = np.maximum(found[docs], sim)
                if tid not in seen_terms:
                    seen_terms.add(tid)
                    bm25[docs] += self._weights[lo:hi] * sim
            coverage += idf_w * found
        coverage *= 100.0 / max(total_idf, 1e-9)
        mask = self._doc_mask(parsed, notes)
        key = coverage + bm25 * 0.01
        if mask is not None:
            key[~mask] = 0
        cand = np.flatnonzero(key > 0)
        if len(cand) > self.candidates:
            top = np.argpartition(-key[cand], self.candidates - 1)[: self.candidates]
            cand = cand[top]
        if len(cand) == 0:
            return SearchResult(query=query, hits=[], corrections=corrections, notes=notes)
        texts = [self._norm[i] for i in cand]
        # Rerank on the query as typed but with misspelt words corrected: stop words and
        # word order kept for the phrase score, unstemmed content words for keywords.
        fixed_words = [corrections.get(stem(w), w) for w in words]
        fixed_phrase = " ".join(fixed_words)
        fixed_keywords = " ".join(w for w in fixed_words if w not in STOP_WORDS) or fixed_phrase
        phrase, keywords = self._rerank(qnorm, fixed_phrase, fixed_keywords, texts)
        final = 0.55 * coverage[cand] + 0.30 * phrase + 0.15 * keywords
        order = np.lexsort((-bm25[cand], -final))
        ranked = [(int(cand[j]), float(final[j])) for j in order]
        grouped = self._group(ranked)
        good = [h for h in grouped if h.score >= min_score]
        if not good:
            best = grouped[0] if grouped else None
            return SearchResult(
                query=query, hits=[], suggestion=best, corrections=corrections, notes=notes
            )
        return SearchResult(
            query=query,
            hits=good[offset : offset + limit],
            total=len(good),
            offset=offset,
            corrections=corrections,
            notes=notes,
        )

    @staticmethod
    def _rerank(
        qnorm: str, phrase_q: str, keywords_q: str, texts: list[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Phrase similarity (partial_ratio) and keyword similarity (token_set_ratio)."""
        phrase = process.cdist([phrase_q], texts, scorer=fuzz.partial_ratio, workers=1)[0]
        if phrase_q != qnorm:
            typed = process.cdist([qnorm], texts, scorer=fuzz.partial_ratio, workers=1)[0]
            phrase = np.maximum(phrase, typed)
        keywords = process.cdist([keywords_q], texts, scorer=fuzz.token_set_ratio, workers=1)[0]
        return phrase.astype(np.float32), keywords.astype(np.float32)

    def _group(self, ranked: list[tuple[int, float]]) -> list[Hit]:
        """Fold near-identical clauses (from other documents) into the first one."""
        heads: list[tuple[int, float, list[Clause]]] = []
        for i, score in ranked:
            text = self._norm[i]
            for hi, _, extra in heads:
                if fuzz.ratio(text, self._norm[hi], score_cutoff=95):
                    extra.append(self.clauses[i])
                    break
            else:
                heads.append((i, score, []))
        return [Hit(self.clauses[i], round(s, 1), tuple(x)) for i, s, x in heads]

    # ------------------------------------------------------------------ lookup

    def get(self, clause_id: str) -> Clause | None:
        """The clause with this id, or None."""
        i = self._by_id.get(clause_id)
        return self.clauses[i] if i is not None else None

    def context(self, clause_id: str, *, radius: int = 1) -> list[Clause]:
        """The clause with its neighbours in the same document (in order)."""
        i = self._by_id.get(clause_id)
        if i is None:
            return []
        doc = self.clauses[i].doc_id
        lo, hi = max(0, i - radius), min(len(self.clauses), i + radius + 1)
        return [c for c in self.clauses[lo:hi] if c.doc_id == doc]

    def __len__(self) -> int:
        return len(self.clauses)
