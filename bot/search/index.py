"""The clause index: reads the query, gathers lexical (and semantic) evidence, ranks.

A search runs in five steps, one module each:

1. :mod:`bot.slacktext` and :mod:`bot.search.filters` — Slack markup out, typed
   filters (``in:``, ``after:``, ``before:``) split off and checked;
2. :mod:`bot.search.understand` — questions read for their content, parties and
   date words ("next", "latest", "first");
3. :mod:`bot.search.lexical` — spell-fixed BM25 + coverage candidates, with words
   found only in a document's title or parties counting for its clauses;
4. :mod:`bot.search.semantic` and :mod:`bot.search.sentences` — word vectors
   (wordllama) and the sentence encoder add candidates that share no word with the
   query and a meaning score for every candidate, when the words alone are not
   enough;
5. :mod:`bot.search.ranker` — a fitted model turns each candidate's features into
   the probability that it answers the query: the score shown (× 100) and the
   order; under ``min_score`` a result is not a match.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.kinds import document_kind, kind_label
from bot.reading.clauses import Clause, segment_all
from bot.reading.clean import normalise
from bot.search import fusion, ranker
from bot.search.columns import (
    ChainedClauses,
    ChainedStrings,
    ClauseColumns,
    DocMeta,
    StringColumn,
)
from bot.search.echoes import echo_view, fold_echoes
from bot.search.filters import (
    DateRange,
    ParsedQuery,
    check_query,
    date_range,
    describe_kinds,
    parse_query,
)
from bot.search.flags import clause_flags
from bot.search.gazetteer import same_name_variants
from bot.search.helper import HELPER_SHARE, BuildHelper, fold_texts
from bot.search.latest import asks_about_now, latest_first
from bot.search.lexical import LexicalIndex, LexicalMatch, MergedLexical, WordTokens, rerank
from bot.search.understand import (
    QueryReader,
    Reading,
    alias_words,
    metadata_words,
    place_words,
)
from bot.search.words import STOP_WORDS, english_words, is_english, stem
from bot.slacktext import plain_text

__all__ = [
    "DEFAULT_MIN_SCORE",
    "Candidates",
    "ClauseIndex",
    "Hit",
    "SavedDocument",
    "SearchResult",
]

log = logging.getLogger(__name__)

#: Scores are the ranker's probability × 100: below this, "no good match".
DEFAULT_MIN_SCORE = 100.0 * ranker.MIN_PROBABILITY
#: Clauses this many points under the threshold may still be folded into a shown one.
GROUP_MARGIN = 5.0
#: How many of the best candidates are grouped at least (grouping compares every pair).
GROUP_POOL = 20


@dataclass(frozen=True)
class Hit:
    """One result: the clause, its 0–100 score, and near-identical clauses elsewhere."""

    clause: Clause
    score: float
    also_in: tuple[Clause, ...] = ()
    #: The kind of the clause's document (:data:`bot.kinds.KINDS`), and of each ``also_in``.
    kind: str = "other"
    also_kinds: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        """'joint statement', 'readout', 'fact sheet' …"""
        return kind_label(self.kind)

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
            "kind": self.kind,
            "also_in": [
                {"clause_id": o.clause_id, "citation": o.citation, "kind": k}
                for o, k in zip(self.also_in, self._also_kinds(), strict=True)
            ],
        }

    def _also_kinds(self) -> tuple[str, ...]:
        if len(self.also_kinds) == len(self.also_in):
            return self.also_kinds
        return ("other",) * len(self.also_in)


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
    read_as: str = ""  # "Syria · parties China, Russia" (empty for a plain keyword query)
    dates: DateRange = field(default_factory=DateRange)
    # Set when a later statement's clause was put first (:mod:`bot.search.latest`): the
    # topic whose timeline shows every statement on it.
    timeline_topic: str = ""

    @property
    def has_more(self) -> bool:
        """True when further good hits exist after this page."""
        return self.offset + len(self.hits) < self.total


#: Words that make a number before them one quantity ("100 billion", "40 percent").
QUANTITY_UNITS = frozenset(
    {"thousand", "million", "billion", "trillion", "percent", "cent", "bn", "mn", "tonne", "ton"}
)

#: A dictionary word the corpus never uses is read as a corpus word one letter away
#: when a word beside it goes with that one in at least this many clauses (of at most
#: :data:`SLIP_SCAN` that hold both).
SLIP_SEEN = 3
SLIP_SCAN = 5_000

#: A query of at least this many words is also looked for as one phrase, among at most
#: :data:`PHRASE_SCAN` clauses that hold all its words.
PHRASE_WORDS = 3
PHRASE_SCAN = 20_000

#: Words that ask for a goal ("trade target"): a clause sets one without naming it
#: ("to increase bilateral trade to $100 billion before 2015").
GOAL_WORDS = frozenset({"target", "goal", "objective"})

# How a clause sets a goal: a level to reach ("trade to $100 billion", "reaching 50
# percent") or a multiple ("doubling trade").
_GOAL_SET = re.compile(
    r"\b(?:to|reach|reaches|reaching|of) (?:about |around |over |more than |at least )?"
    r"(?:[$€£¥] ?\d[\d,.]*|\d[\d,.]*(?: ?%| (?:thousand|million|billion|trillion|percent"
    r"|per cent)\b))|\b(?:doubl|tripl|halv|quadrupl)\w*",
    re.I,
)
#: How many words before the level a word asked for must come ("bilateral trade to").
GOAL_REACH = 6


@dataclass(frozen=True)
class SavedDocument:
    """A document a saved base index holds that the corpus no longer has (withdrawn, or
    since changed): its id and digest, all that is known of it
    (:meth:`ClauseIndex.from_saved`)."""

    doc_id: str
    digest: str


@dataclass
class Candidates:
    """One query's candidate clauses, the evidence on each and the ranker's estimate.

    ``signals`` holds whole-index arrays (coverage, BM25, distinctive words) that the
    candidates index into; the other arrays are per candidate, in ``ids`` order."""

    ids: np.ndarray
    corrections: dict[str, str]
    signals: dict[str, np.ndarray | None]
    phrase: np.ndarray
    keywords: np.ndarray
    lengths: np.ndarray
    cosine: np.ndarray | None = None
    sentence: np.ndarray | None = None
    features: dict[str, np.ndarray] = field(default_factory=dict)
    probability: np.ndarray = field(default_factory=lambda: np.zeros(0))
    model: str = ""

    @property
    def bm25(self) -> np.ndarray:
        """BM25 of each candidate (breaks ties in the ranking)."""
        bm25 = self.signals["bm25"]
        assert bm25 is not None
        return bm25[self.ids]

    @property
    def best(self) -> float:
        """The highest probability among the candidates (0 when there are none)."""
        return float(self.probability.max()) if len(self.probability) else 0.0

    def extend(
        self, extra: np.ndarray, phrase: np.ndarray, keywords: np.ndarray, lengths: np.ndarray
    ) -> None:
        """Add candidates (with their fuzzy ratios and word counts)."""
        self.ids = np.concatenate([self.ids, extra])
        self.phrase = np.concatenate([self.phrase, phrase])
        self.keywords = np.concatenate([self.keywords, keywords])
        self.lengths = np.concatenate([self.lengths, lengths])

    def score(
        self,
        index: ClauseIndex,
        model: ranker.Model,
        context: tuple[Reading, bool],
        qvec: np.ndarray | None,
    ) -> None:
        """Work out the features of every candidate and the model's estimate."""
        reading, typo = context
        ids = self.ids
        if qvec is not None and index.semantic is not None:
            done = 0 if self.cosine is None else len(self.cosine)
            more = index.semantic.similarity(qvec, ids[done:])
            self.cosine = more if self.cosine is None else np.concatenate([self.cosine, more])
        coverage = self.signals["coverage"]
        assert coverage is not None
        f: dict[str, np.ndarray] = {}

        def with_gap(name: str, values: np.ndarray) -> None:
            f[name] = values
            f[f"{name}_gap"] = values - (values.max() if len(values) else 0.0)

        with_gap("coverage", coverage[ids] / 100.0)
        best = float(f["coverage"].max()) if len(ids) else 0.0
        f["coverage_gap_best"] = f["coverage_gap"] * best
        f["cover_best"] = np.full(len(ids), best)
        # Without distinctive words in the query, no clause lacks any.
        distinct = self.signals["distinct"]
        with_gap("distinct", distinct[ids] if distinct is not None else np.ones(len(ids)))
        # rapidfuzz finds the shorter text inside the longer: a clause shorter than the
        # query ("Target", a heading) would hold the query's phrase. It counts only as
        # far as it is as long as the query.
        asked = max(len(reading.content.split()), 1)
        whole = np.minimum(self.lengths / asked, 1.0)
        f["phrase"] = self.phrase / 100.0 * whole
        f["verbatim"] = (self.phrase >= 99.5) * whole * min(asked, 5) / 5.0
        f["phrase_best"] = np.full(len(ids), f["phrase"].max() if len(ids) else 0.0)
        f["keywords"] = self.keywords / 100.0 * whole
        bm25 = self.bm25
        top = float(bm25.max()) if len(bm25) else 0.0
        f["bm25_share"] = bm25 / top if top > 0 else np.zeros(len(ids))
        if self.cosine is not None:
            with_gap("cosine", self.cosine)
        if self.sentence is not None:
            with_gap("sentence", self.sentence)
            top2 = np.sort(self.sentence)[-2:] if len(ids) else np.zeros(1)
            f["sentence_best"] = np.full(len(ids), top2[-1])
            f["sentence_lead"] = np.full(len(ids), top2[-1] - top2[0])
            f["sentence_weak"] = f["sentence"] * (1.0 - best)
            f["sentence_gap_weak"] = f["sentence_gap"] * (1.0 - best)
            words = 0.55 * f["coverage"] + 0.30 * f["phrase"] + 0.15 * f["keywords"]
            meaning = np.clip((self.sentence - 0.2) / 0.3, 0.0, 1.0)
            f["lift"] = np.maximum(meaning - words, 0.0)
        # Per document: the share of the parties named in the query that it has, and
        # of the query's content words that its title, parties or year hold.
        named = reading.party_words
        content = set(reading.content.split()) - STOP_WORDS
        if len(ids) and (named or content):
            docs, back = np.unique(index._clause_doc[ids], return_inverse=True)
            metas = [index._docs[d].words for d in docs]
            if named:
                share = [len(named & m) / len(named) for m in metas]
                f["party"] = np.asarray(share, dtype=np.float32)[back]
            if content:
                share = [len(content & m) / len(content) for m in metas]
                f["title"] = np.asarray(share, dtype=np.float32)[back]
        fits_asks, fits_order, recency = index._intent_features(reading, ids)
        f["fits_when"] = fits_asks if reading.asks == "when" else np.zeros(len(ids))
        f["fits_where"] = fits_asks if reading.asks == "where" else np.zeros(len(ids))
        f["fits_order"], f["recency"] = fits_order, recency
        f["length"] = np.log1p(self.lengths)
        # The hand-set blend the ranker replaced, as one more piece of evidence.
        lexical = fusion.lexical_score(coverage[ids], self.phrase, self.keywords)
        intent = (fits_asks, fits_order, recency)
        f["fused"] = fusion.blend(lexical, self.cosine, None, *intent)
        if self.sentence is not None:
            f["fused_sentence"] = fusion.blend(lexical, self.cosine, self.sentence, *intent)
        f["question"] = np.full(len(ids), float(reading.is_question))
        f["corrected"] = np.full(len(ids), float(typo))
        size = np.clip(np.log10(max(index.served_clauses, 1)), *ranker.CORPUS_SIZES)
        f["corpus_size"] = np.full(len(ids), size)
        self.features = f
        self.model = "sentences" if self.sentence is not None else "words"
        p = model.probability(f, len(ids))
        if distinct is not None:
            p = ranker.words_first(p, f["distinct"], f["coverage"])
        self.probability = p


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a build allocates millions of objects
    (none of them in reference cycles); back on afterwards if it was on. Measured:
    about a tenth of a large build was collections finding nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _semantic_on(wanted: bool, *, load: bool = True) -> bool:
    """Whether an index built now has the semantic signal (asked for and installed).
    ``load=False`` (an index's key) answers without loading the model."""
    if not wanted:
        return False
    from bot.search.semantic import available, installed

    return available() if load else installed()


def _document_metas(
    rows: Sequence[tuple[str, str, date | None]],
    documents: Iterable[Any],
    *,
    counted: dict[str, int] | None = None,
    counted_docs: int = 0,
) -> tuple[list[DocMeta], np.ndarray, set[str], dict[str, int]]:
    """Each distinct document of the clause ``rows`` (``documents`` give their full
    titles and parties): its :class:`DocMeta`, each row's position among them, the
    parties named and how many documents' titles use each title word.

    A title word used by more than a third of the documents says nothing and is left
    out of their words; ``counted`` (title word -> documents) and ``counted_docs`` are
    those of documents indexed before these (a base index, for a segment after it)."""
    full = {d.doc_id: d for d in documents}
    doc_pos: dict[str, int] = {}
    row_pos = np.zeros(len(rows), dtype=np.int32)
    metas: list[DocMeta] = []
    title_words: list[frozenset[str]] = []
    party_words: list[frozenset[str]] = []
    parties: set[str] = set()
    for r, (doc_id, doc_title, doc_date) in enumerate(rows):
        if doc_id in doc_pos:
            row_pos[r] = doc_pos[doc_id]
            continue
        row_pos[r] = doc_pos[doc_id] = len(metas)
        d = full.get(doc_id)
        kind = document_kind(getattr(d, "kind", None), d.title if d else doc_title)
        titles = " ".join({doc_title, getattr(d, "title", ""), getattr(d, "short_title", "")})
        doc_parties = tuple(getattr(d, "parties", ()) or ())
        parties.update(doc_parties)
        title_words.append(metadata_words(titles, ()) - STOP_WORDS)
        party_words.append(metadata_words("", doc_parties, doc_date))
        metas.append(
            DocMeta(
                doc_id,
                normalise(doc_title),
                doc_date,
                frozenset(),
                frozenset(doc_parties),
                kind,
            )
        )
    # Title words shared by many documents ("joint", "statement") say nothing.
    common = max(2, (counted_docs + len(metas)) // 3)
    counts: dict[str, int] = dict(counted or {})
    for words in title_words:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    doc_words = [
        frozenset({w for w in t if counts[w] <= common} | p)
        for t, p in zip(title_words, party_words, strict=True)
    ]
    docs = [
        DocMeta(m.doc_id, m.title, m.when, w, m.parties, m.kind)
        for m, w in zip(metas, doc_words, strict=True)
    ]
    return docs, row_pos, parties, counts


def _count_as_held(
    term: str,
    rows: np.ndarray,
    match: LexicalMatch,
    coverage: np.ndarray,
    distinct: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Coverage (0-100) and distinctive-word share (0-1) with ``term`` counted as held
    by the clauses ``rows`` (copies; the arrays given are left as they are)."""
    if not len(rows):
        return coverage, distinct
    coverage = coverage.copy()
    coverage[rows] = np.minimum(coverage[rows] + match.coverage_share.get(term, 0.0), 100.0)
    if distinct is not None and term in match.distinct_share:
        distinct = distinct.copy()
        distinct[rows] = np.minimum(distinct[rows] + match.distinct_share[term], 1.0)
    return coverage, distinct


class ClauseIndex:
    """An in-memory index over clauses. Build once, query from many threads.

    ``documents`` (optional) gives each document's full title and parties, so a
    word found only there ("Geneva", "Quad", "Russia") still finds that
    document's clauses. ``semantic=False`` leaves the embedding signal out."""

    def __init__(
        self,
        clauses: Sequence[Clause],
        *,
        candidates: int = 60,
        documents: Iterable[Any] = (),
        semantic: bool = True,
        _alloc: Any = None,
    ) -> None:
        self.clauses: Sequence[Clause] = (
            clauses if isinstance(clauses, ClauseColumns) else list(clauses)
        )
        self.candidates = candidates
        self._ids: dict[str, int] | None = None
        self._by_doc: Any = None
        self._aliases = alias_words()
        self._places = place_words()
        # Sentence vectors (bot.search.sentences) are attached when built: they take
        # tens of seconds for a new corpus, so a server attaches them in the
        # background and answers on words and word vectors meanwhile.
        self.sentences: Any = None
        self.semantic: Any = None
        self._segment_state()
        with _collector_paused(), BuildHelper(len(self.clauses)) as helper:
            tokens, flags = self._build(documents, helper)
            if _semantic_on(semantic):
                from bot.search.semantic import SemanticIndex

                self.semantic = SemanticIndex(
                    self._norm, self.lexical.terms, tokens=tokens, alloc=_alloc
                )
            del tokens
            # What "next", "when" and "where" questions look for, per clause.
            self._ahead, self._dated, self._place = flags()

    def _build(
        self, documents: Iterable[Any], helper: BuildHelper
    ) -> tuple[WordTokens, Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """Documents, folded texts and postings. Returns the texts' word ids (for the
        embeddings) and the flags' result, which ``helper`` works out meanwhile if it
        runs: before them, the last part of the folding (:data:`HELPER_SHARE`)."""
        # The clauses as columns (a list of clause objects is copied into some): each
        # distinct (doc_id, title, date) in order of first appearance, each clause's row
        # among them, and the string fields.
        cols = (
            self.clauses
            if isinstance(self.clauses, ClauseColumns)
            else ClauseColumns.of(self.clauses)
        )
        rows, clause_row = cols.doc_rows, np.asarray(cols.clause_doc)
        self._docs, row_pos, parties, self._title_counts = _document_metas(rows, documents)
        doc_words = [m.words for m in self._docs]
        self.kinds = {m.doc_id: m.kind for m in self._docs}
        self._clause_doc = row_pos[clause_row] if len(rows) else np.zeros(0, dtype=np.int32)
        self._doc_dates = np.array(
            [m.when.toordinal() if m.when else 0 for m in self._docs], dtype=np.int64
        )
        n = len(self.clauses)
        sections, texts = cols.column("section"), cols.column("text")
        row_year = np.array([when.year if when else 0 for _, _, when in rows], dtype=np.int32)
        years = row_year[clause_row] if len(rows) else np.zeros(0, dtype=np.int32)
        mine = n - int(n * HELPER_SHARE) if helper.active else n
        tail = helper.submit(fold_texts, sections.window(mine, n), texts.window(mine, n))
        flags = helper.submit(clause_flags, texts, years)
        norm, tokens = fold_texts(sections.window(0, mine), texts.window(0, mine))
        if mine < n:
            more, more_tokens = tail()
            norm = StringColumn.concat([norm, more])
            tokens = WordTokens.concat([tokens, more_tokens])
            del more, more_tokens
        self._norm: Sequence[str] = norm
        self.lexical = LexicalIndex(self._norm, self._clause_doc, doc_words, tokens=tokens)
        self._parties = sorted(parties)
        self.reader = QueryReader(parties)
        return tokens, flags

    def _segment_state(
        self,
        base: ClauseIndex | None = None,
        added: Sequence[Any] = (),
        dead_docs: frozenset[int] = frozenset(),
    ) -> None:
        """What a base + segment index knows of its parts (nothing, for one built in
        one piece): the base, the documents added after it, and the base's documents
        withdrawn since (their clauses are never ranked, shown or counted)."""
        self._base: ClauseIndex | None = base
        self._added: tuple[Any, ...] = tuple(added)
        self._dead_docs = dead_docs
        self._alive: np.ndarray | None = None
        if dead_docs:
            self._alive = ~np.isin(self._clause_doc, np.fromiter(dead_docs, dtype=np.int32))
        #: The documents this index was built from (set by :meth:`from_documents`);
        #: empty when unknown.
        self.documents: tuple[Any, ...] = ()

    @property
    def base(self) -> ClauseIndex:
        """The index built in one piece under this one (itself when it is one)."""
        return self._base if self._base is not None else self

    @property
    def served_clauses(self) -> int:
        """Clauses that can be found (withdrawn documents' left out)."""
        alive = self._alive
        return len(self.clauses) if alive is None else int(np.count_nonzero(alive))

    @property
    def segment_size(self) -> int:
        """Documents added or withdrawn since the base was built."""
        return len(self._added) + len(self._dead_docs)

    @classmethod
    def with_segment(
        cls,
        base: ClauseIndex,
        added: Sequence[Any],
        withdrawn: Collection[str] = (),
        *,
        segment: Callable[[list[Any]], Iterable[Clause]] = segment_all,
    ) -> ClauseIndex:
        """``base`` (left as it is: memory-mapped and shared) with the ``added``
        documents indexed in a small segment after it, and the ``withdrawn`` document
        ids of the base masked out (a document replaced by a new version is in both).

        Search reads the two as one index: BM25 over the statistics of both, sentence
        and word vectors of both, filters, echoes and lookups across both. Only the
        segment is built: its cost is that of the added documents, and the memory it
        adds is theirs plus a few per-clause arrays (a copy of the clause-to-document
        and flag columns)."""
        if base._base is not None:
            raise ValueError("a segment goes on a base built in one piece")
        self = cls.__new__(cls)
        added = list(added)
        self.candidates = base.candidates
        self._ids = None
        self._by_doc = None
        self._aliases, self._places = base._aliases, base._places
        self.sentences = None
        cols = ClauseColumns.of(segment(added))
        rows, clause_row = cols.doc_rows, np.asarray(cols.clause_doc)
        counted = getattr(base, "_title_counts", None) or {}
        metas, row_pos, parties, self._title_counts = _document_metas(
            rows, added, counted=counted, counted_docs=len(base._docs)
        )
        first_doc = len(base._docs)
        self._docs = [*base._docs, *metas]
        self.kinds = {m.doc_id: m.kind for m in self._docs}
        mine = (row_pos[clause_row] + first_doc) if len(rows) else np.zeros(0, np.int32)
        self._clause_doc = np.concatenate(
            [np.asarray(base._clause_doc, dtype=np.int32), mine.astype(np.int32)]
        )
        self._doc_dates = np.array(
            [m.when.toordinal() if m.when else 0 for m in self._docs], dtype=np.int64
        )
        sections, texts = cols.column("section"), cols.column("text")
        row_year = np.array([when.year if when else 0 for _, _, when in rows], dtype=np.int32)
        years = row_year[clause_row] if len(rows) else np.zeros(0, dtype=np.int32)
        norm, tokens = fold_texts(sections, texts)
        ahead, dated, place = clause_flags(texts, years)
        self._ahead = np.concatenate([np.asarray(base._ahead), ahead])
        self._dated = np.concatenate([np.asarray(base._dated), dated])
        self._place = np.concatenate([np.asarray(base._place), place])
        self.clauses = ChainedClauses(base.clauses, cols)
        self._norm = ChainedStrings(base._norm, norm)
        gone_ids = set(withdrawn)
        dead = frozenset(k for k, m in enumerate(base._docs) if m.doc_id in gone_ids)
        gone = np.zeros(0, dtype=np.int64)
        if dead:
            gone = np.flatnonzero(np.isin(base._clause_doc, np.fromiter(dead, dtype=np.int32)))
        self.lexical = MergedLexical(
            base.lexical,
            norm,
            self._clause_doc,
            [m.words for m in metas],
            first_doc=first_doc,
            tokens=tokens,
            gone=gone,
            gone_texts=[base._norm[int(i)] for i in gone],
        )
        self.semantic = None
        if base.semantic is not None:
            from bot.search.semantic import MergedSemantic, SemanticIndex

            new_terms = self.lexical.terms[len(base.lexical.terms) :]
            like = base.semantic
            self.semantic = MergedSemantic(
                like,
                lambda: SemanticIndex(norm, new_terms, tokens=tokens, idf=like.idf, like=like),
                len(norm),
            )
        if dead:  # a party only a withdrawn statement named is no party any more
            parties |= {p for k, m in enumerate(base._docs) if k not in dead for p in m.parties}
            self._parties = sorted(parties)
        else:
            self._parties = sorted(set(base._parties) | parties)
        self.reader = QueryReader(set(self._parties))
        self._segment_state(base, added, dead)
        return self

    def sentence_texts(self) -> list[str]:
        """The texts the sentence encoder reads, one per clause."""
        if isinstance(self.clauses, ClauseColumns | ChainedClauses):
            return list(self.clauses.column("text"))
        return [c.text for c in self.clauses]

    def attach_sentences(self, sentences: Any) -> None:
        """Use these clause sentence vectors from now on (one atomic assignment)."""
        if sentences is not None and len(sentences) != len(self.clauses):
            raise ValueError("sentence vectors do not match the clauses")
        self.sentences = sentences

    def build_sentences(
        self, *, cache_dir: Any = None, seeds: Sequence[Any] = (), encode: bool = True
    ) -> bool:
        """Encode (or load from ``cache_dir`` or the read-only ``seeds``) and attach
        the clause sentence vectors.

        False when the encoder is not installed. Without ``cache_dir`` nothing is
        kept on disk; ``encode=False`` attaches only the vectors already cached.
        """
        from bot.search.encoder import load_encoder
        from bot.search.sentences import SentenceIndex

        if load_encoder() is None:
            return False
        base = self._base
        if base is not None and base.sentences is not None:
            # The base's vectors as they are; only the segment's clauses are read.
            from bot.search.sentences import ChainedSentences

            mine = self.sentence_texts()[len(base.clauses) :]
            part = SentenceIndex(mine, cache_dir=cache_dir, seeds=seeds, encode=encode)
            self.attach_sentences(ChainedSentences(base.sentences, part))
            return True
        texts = self.sentence_texts()
        built = SentenceIndex(texts, cache_dir=cache_dir, seeds=seeds, encode=encode)
        self.attach_sentences(built)
        return True

    @classmethod
    def _restore(cls, state: dict[str, Any]) -> ClauseIndex:
        """An index from the parts :mod:`bot.search.persist` saved (no rebuilding)."""
        self = cls.__new__(cls)
        self.clauses = state["clauses"]
        self.candidates = state["candidates"]
        self._ids = None
        self._by_doc = None
        self._norm = state["norm"]
        self._docs = state["docs"]
        self._clause_doc = state["clause_doc"]
        self._doc_dates = np.array(
            [m.when.toordinal() if m.when else 0 for m in self._docs], dtype=np.int64
        )
        self.lexical = state["lexical"]
        self.kinds = {m.doc_id: m.kind for m in self._docs}
        self._ahead, self._dated, self._place = state["ahead"], state["dated"], state["place"]
        self._parties = state["parties"]
        self.reader = QueryReader(set(self._parties))
        self._aliases = alias_words()
        self._places = place_words()
        self.semantic = state["semantic"]
        self.sentences = None  # attached by the caller (bot.search.sentences has its cache)
        self._title_counts = state.get("title_counts")
        self._segment_state()
        return self

    def warm(self) -> None:
        """Make now what the first query would otherwise make (a served index does this
        before it answers; a one-off command leaves what it never uses unmade): the
        English word list, the parties' patterns, the typo tables, the word model."""
        english_words()
        self.reader.warm()
        self.lexical.warm()
        if self.semantic is not None:
            self.semantic.warm()

    @property
    def _by_id(self) -> dict[str, int]:
        """Clause id -> position (built on the first lookup)."""
        if self._ids is None:
            ids = getattr(self.clauses, "ids", None) or (c.clause_id for c in self.clauses)
            alive = self._alive
            if alive is None:
                self._ids = {c: i for i, c in enumerate(ids)}
            else:  # a withdrawn document's clauses are not found (a new version's are)
                self._ids = {c: i for i, c in enumerate(ids) if alive[i]}
        return self._ids

    @classmethod
    def from_documents(
        cls,
        docs: Iterable[Any],
        *,
        cache_dir: str | Path | None = None,
        candidates: int = 60,
        semantic: bool = True,
        segment: Callable[[list[Any]], Iterable[Clause]] = segment_all,
    ) -> ClauseIndex:
        """Segment documents and index their clauses (with their titles and parties).

        With ``cache_dir`` the built index is kept there, keyed by the documents and
        the code, and loaded (memory-mapped) instead of rebuilt next time. ``segment``
        gives the documents' clauses when the index is built (e.g. kept ones)."""
        from bot.search import persist

        docs = list(docs)
        if cache_dir is None:
            index = cls(
                ClauseColumns.of(segment(docs)),
                documents=docs,
                candidates=candidates,
                semantic=semantic,
            )
            index.documents = tuple(docs)
            return index
        on = _semantic_on(semantic, load=False)
        digests = [persist.document_digest(d) for d in docs]
        key = persist.digests_key(digests, candidates=candidates, semantic=on)
        index = persist.load_or_build(
            cache_dir,
            key,
            lambda alloc: cls(
                ClauseColumns.of(segment(docs)),
                documents=docs,
                candidates=candidates,
                semantic=semantic,
                _alloc=alloc,
            ),
            cls._restore,
            record={
                "family": persist.family_key(candidates=candidates, semantic=on),
                "documents_digests": [
                    [d.doc_id, g] for d, g in zip(docs, digests, strict=True)
                ],
            },
        )
        index.documents = tuple(docs)
        return index

    @classmethod
    def from_saved(
        cls,
        docs: Iterable[Any],
        *,
        cache_dir: str | Path,
        limit: Callable[[int], int],
        candidates: int = 60,
        semantic: bool = True,
        segment: Callable[[list[Any]], Iterable[Clause]] = segment_all,
    ) -> ClauseIndex | None:
        """The index of ``docs`` made from what :meth:`from_documents` saved under
        ``cache_dir``, without building one: the index saved for exactly these
        documents, else the nearest one saved by the same build (the same code and
        parameters) over most of them, at most ``limit(its documents)`` added and
        withdrawn, with the rest in a segment after it (:meth:`with_segment`). None
        when neither is there (or the saved one cannot be read)."""
        from bot.search import persist

        docs = list(docs)
        on = _semantic_on(semantic, load=False)
        digests = [persist.document_digest(d) for d in docs]
        key = persist.digests_key(digests, candidates=candidates, semantic=on)
        index = persist.load_saved(cache_dir, key, cls._restore)
        if index is not None:
            index.documents = tuple(docs)
            return index
        family = persist.family_key(candidates=candidates, semantic=on)
        near = persist.nearest_base(cache_dir, family, digests, limit(len(docs)))
        if near is None:
            return None
        try:
            base = persist.load(near.entry, near.key, cls._restore)
        except Exception as exc:
            log.warning("index cache %s unusable as a base (%s)", near.entry, exc)
            return None
        current = dict(zip(digests, docs, strict=True))
        base.documents = tuple(
            current.get(digest) or SavedDocument(doc_id, digest)
            for doc_id, digest in near.documents
        )
        held = {digest for _, digest in near.documents}
        added = [d for d, digest in zip(docs, digests, strict=True) if digest not in held]
        withdrawn = {d.doc_id for d in base.documents if isinstance(d, SavedDocument)}
        return cls.with_segment(base, added, withdrawn, segment=segment)

    @classmethod
    def cached(
        cls,
        clauses: Sequence[Clause],
        *,
        cache_dir: str | Path,
        documents: Iterable[Any] = (),
        candidates: int = 60,
        semantic: bool = True,
    ) -> ClauseIndex:
        """Like the constructor, but loaded from ``cache_dir`` when these clauses (and
        documents) were indexed there before by the same code; saved there if not."""
        from bot.search import persist

        docs = list(documents)
        on = _semantic_on(semantic, load=False)
        cols = persist.as_columns(clauses)  # keyed, built and saved as these columns
        key = persist.clauses_key(cols, docs, candidates=candidates, semantic=on)
        return persist.load_or_build(
            cache_dir,
            key,
            lambda alloc: cls(
                cols, documents=docs, candidates=candidates, semantic=semantic, _alloc=alloc
            ),
            cls._restore,
        )

    @classmethod
    def load_saved(cls, folder: str | Path, key: str) -> ClauseIndex:
        """The index saved in ``folder`` for ``key`` (see :func:`bot.search.persist.load`)."""
        from bot.search import persist

        return persist.load(Path(folder), key, cls._restore)

    # ------------------------------------------------------------------ query

    def correct(self, word: str) -> list[str]:
        """Vocabulary words within a small edit distance of ``word`` (best first)."""
        return self.lexical.correct(word)

    def read(self, query: str) -> tuple[ParsedQuery, Reading]:
        """Parse filters out of ``query`` and read the rest (see :mod:`.understand`)."""
        parsed = parse_query(plain_text(query))
        return parsed, self.reader.read(parsed.text)

    def _doc_mask(
        self, doc: str | None, dates: DateRange, notes: list[str], kinds: tuple[str, ...] = ()
    ) -> np.ndarray | None:
        if not (doc or dates or kinds):
            return None
        keep = []
        want = normalise(doc) if doc else ""
        for i, meta in enumerate(self._docs):
            if i in self._dead_docs:
                continue
            if doc and not (
                meta.doc_id.startswith(doc.lower())
                or meta.doc_id.replace("_", "-").startswith(want.replace(" ", "-"))
                or all(w in meta.title.split() for w in want.split())
            ):
                continue
            if not dates.contains(meta.when):
                continue
            if kinds and meta.kind not in kinds:
                continue
            keep.append(i)
        if not keep:
            notes.append("no document matches the filters")
        return np.isin(self._clause_doc, np.asarray(keep, dtype=np.int32))

    def explain(self, query: str, *, force: bool = False) -> Candidates | None:
        """The candidates :meth:`search` ranks for ``query`` (typed filters applied),
        with their features and the ranker's estimate; ``force`` runs every stage (see
        :meth:`rank_candidates`)."""
        check_query(query)
        parsed, reading = self.read(query)
        dates = DateRange(parsed.after, parsed.before)
        mask = self._doc_mask(parsed.doc, dates, [], parsed.kinds)
        if self._alive is not None:
            mask = self._alive if mask is None else mask & self._alive
        return self.rank_candidates(reading, None, mask, force=force)

    def _deny_mask(self, exclude_docs: Collection[str]) -> np.ndarray | None:
        """False for the clauses of ``exclude_docs``; None when none of them is here.
        Kept for the last few sets asked (the same workspace asks again and again).
        The clauses of withdrawn documents (see :meth:`with_segment`) are always out."""
        if not exclude_docs:
            return self._alive
        key = frozenset(exclude_docs)
        cache: dict[frozenset[str], np.ndarray | None] = self.__dict__.setdefault("_denied", {})
        if key in cache:
            return cache[key]
        drop = [i for i, meta in enumerate(self._docs) if meta.doc_id in key]
        mask = ~np.isin(self._clause_doc, np.asarray(drop, dtype=np.int32)) if drop else None
        if self._alive is not None:
            mask = self._alive if mask is None else mask & self._alive
        if len(cache) >= 16:
            cache.clear()
        cache[key] = mask
        return mask

    def search(
        self,
        query: str,
        *,
        limit: int = 3,
        offset: int = 0,
        doc: str | None = None,
        after: date | str | None = None,
        before: date | str | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
        exclude_docs: Collection[str] = (),
    ) -> SearchResult:
        """Best clauses for ``query``; typed filters (``in:`` …) are honoured too.
        Clauses of ``exclude_docs`` (another workspace's statements) are never ranked,
        suggested or counted.

        ``after`` / ``before`` are periods (``2012``, ``2012-06``, ``2012-06-06`` or a
        date), both inclusive; given here they win over the same filter typed in the
        query. Slack markup in the query is read as plain words.

        Raises :class:`QueryError` for an empty or over-long query or a bad filter.
        No match is an empty ``hits`` list, with ``suggestion`` set when something
        came close; a note says when the filters hid good matches.
        """
        check_query(query)
        parsed, reading = self.read(query)
        given = date_range(after, before)
        dates = DateRange(given.start or parsed.after, given.end or parsed.before)
        if dates.start and dates.end and dates.start > dates.end:
            date_range(dates.start, dates.end)  # raises the clear error
        doc = doc or parsed.doc
        notes: list[str] = []
        if doc:
            notes.append(f"filter: in “{doc}”")
        if parsed.kinds:
            notes.append(f"filter: kind {describe_kinds(parsed.kinds)}")
        if dates:
            notes.append(f"filter: documents {dates.describe()}")
        mask = self._doc_mask(doc, dates, notes, parsed.kinds)
        deny = self._deny_mask(exclude_docs)
        if deny is not None:
            mask = deny if mask is None else mask & deny
        ranked, corrections = self._rank(reading, notes, mask)
        read_as = ""
        if reading.is_question or reading.parties or reading.order or reading.asks:
            read_as = reading.describe(corrections)
        # Only clauses near the threshold can be shown or folded into a shown one;
        # grouping is pairwise, so leave the rest out (the best stays, as suggestion).
        pool = ranked[: max(GROUP_POOL, 2 * (offset + limit))]
        near = [r for r in pool if r[1] >= min_score - GROUP_MARGIN] or ranked[:1]
        grouped = fold_echoes(self._group(near), **echo_view(self, mask))
        good = [g for g in grouped if g[1] >= min_score]
        timeline_topic = ""
        if reading.is_question and not dates and not doc and asks_about_now(reading.text):
            good, moved = latest_first(good, self._norm.__getitem__, self._doc_of)
            if moved is not None:
                earlier = self.clauses[moved.earlier]
                notes.append(
                    f"latest statement first ({moved.later_date:%-d %b %Y}); it follows "
                    f"{earlier.citation}"
                )
                words = reading.topic.split() or reading.content.split()
                timeline_topic = " ".join(reading.typed.get(w, w) for w in words)
        if mask is not None and mask is not deny and not good and reading.content:
            everywhere, _ = self._rank(reading, [], deny)
            hidden = [g for g in self._group(everywhere[:20]) if g[1] >= min_score]
            if hidden:
                best = self.clauses[hidden[0][0]]
                many = "es" if len(hidden) > 1 else ""
                notes.append(
                    f"the filters hid {len(hidden)} good match{many} (best: {best.citation})"
                )
        common = {
            "corrections": corrections,
            "notes": notes,
            "read_as": read_as,
            "dates": dates,
            "timeline_topic": timeline_topic,
        }
        if not good:
            best_hit = self._hit(*grouped[0]) if grouped else None
            return SearchResult(query=query, hits=[], suggestion=best_hit, **common)
        return SearchResult(
            query=query,
            hits=[self._hit(*g) for g in good[offset : offset + limit]],
            total=len(good),
            offset=offset,
            **common,
        )

    def _rank(
        self, reading: Reading, notes: list[str], mask: np.ndarray | None
    ) -> tuple[list[tuple[int, float]], dict[str, str]]:
        """Candidate clauses with their scores (the ranker's probability × 100), best
        first; and the corrections."""
        found = self.rank_candidates(reading, notes, mask)
        if found is None or len(found.ids) == 0:
            return [], found.corrections if found is not None else {}
        p = found.probability
        # Ties (a clause capped at the estimate of one with more of the words asked
        # for) go to the one with more of the words.
        f = found.features
        order = np.lexsort((-found.bm25, -f["coverage"], -f["distinct"], -p))
        return [(int(found.ids[j]), float(100.0 * p[j])) for j in order], found.corrections

    def rank_candidates(
        self,
        reading: Reading,
        notes: list[str] | None = None,
        mask: np.ndarray | None = None,
        *,
        force: bool = False,
    ) -> Candidates | None:
        """The query's candidate clauses with their features and the ranker's estimate.

        The words are matched first and scored by the ``words`` model; when that finds
        nothing it is sure of and the query is not misspelt, the meaning signals add
        candidates and the sentence encoder (when attached) reads the query, and the
        ``sentences`` model scores them all. ``force`` runs every stage whatever the
        first one found (``bench/fit_ranker.py`` learns from both models' features).
        None when the query has no words to match."""
        notes = [] if notes is None else notes
        words = reading.content.split()
        if not words:
            if reading.text.strip():
                notes.append("the query has no words to match")
            else:
                notes.append("add words to search for, not only filters")
            return None
        expand = self.semantic.neighbours if self.semantic is not None else None

        def match_words(ws: list[str]) -> LexicalMatch:
            content = [stem(w) for w in ws if w not in STOP_WORDS] or [stem(w) for w in ws]
            return self.lexical.match(content, expand, self._aliases, self._places)

        typed_words = normalise(reading.text).split()  # as typed, stop words kept
        slips = self._real_word_slips(typed_words)
        if slips:
            words = [slips.get(stem(w), w) for w in words]
        match = match_words(words)
        coverage, bm25 = match.coverage, match.bm25
        corrections = {**match.corrections, **slips}
        distinct = match.distinct
        # The same query with a name in its other forms ("North Korea" / "DPRK"): a
        # clause is matched by whichever form it uses.
        same_names = same_name_variants(words)
        others = [match_words(alt) for alt in same_names]
        for other in others:
            coverage, bm25 = np.maximum(coverage, other.coverage), np.maximum(bm25, other.bm25)
            if other.distinct is not None:
                distinct = (
                    other.distinct if distinct is None else np.maximum(distinct, other.distinct)
                )
        coverage, distinct = self._quantities_as_asked(words, match, coverage, distinct)
        coverage, distinct = self._goals_as_asked(words, match, coverage, distinct)
        coverage, distinct = self._speakers_as_held(reading, words, match, coverage, distinct)
        # A word the corpus does not use is read as its nearest corpus word in meaning
        # for the rerank too ("tumours" -> "cancer").
        related = {w: near[0][0] for w, near in match.related.items()}
        key = coverage + bm25 * 0.01
        if reading.order or reading.asks:
            # Let clauses that fit "next" / "when" / "where" into the candidates.
            key = key + self._intent_bonus(reading, np.arange(len(key))) * (key > 0)
        if mask is not None:
            key[~mask] = 0
        cand = np.flatnonzero(key > 0)
        as_phrase = np.zeros(0, dtype=np.int64)
        if not reading.text.rstrip().endswith("?"):
            # As typed: "will continue to work with partners" reads as a question too.
            held = np.where(key > 0, coverage, 0.0)  # filters applied
            as_phrase = self._phrase_candidates(typed_words, corrections, held)
        if len(cand) > self.candidates:
            top = np.argpartition(-key[cand], self.candidates - 1)[: self.candidates]
            cand = np.union1d(cand[top], as_phrase)
        # Rerank on the content as read, misspelt words corrected: stop words and word
        # order kept for the phrase score, unstemmed content words for keywords. Party
        # names are left to the metadata when the query has other words.
        topic = reading.topic.split() or words

        def fixed(w: str) -> str:
            return corrections.get(stem(w)) or related.get(stem(w)) or w

        fixed_words = [corrections.get(stem(w), w) for w in words]
        fixed_phrase = " ".join(fixed_words)
        fixed_topic = [fixed(w) for w in topic]
        fixed_keywords = " ".join(w for w in fixed_topic if w not in STOP_WORDS) or fixed_phrase
        typed = " ".join(words)

        # The same query with a name in its other form ("dprk"), or a word swapped for a
        # synonym the corpus uses ("summit" -> "meeting"), so a clause that words it that
        # way is reranked fairly too.
        variants = [
            (" ".join(alt), " ".join(x for x in alt if x not in STOP_WORDS)) for alt in same_names
        ]
        for k, w in enumerate(fixed_words):
            for alt in self._aliases.get(w, ())[:4]:
                if self.lexical.knows(stem(alt)) and w not in reading.party_words:
                    swapped = [*fixed_words[:k], alt, *fixed_words[k + 1 :]]
                    kws = " ".join(x for x in swapped if x not in STOP_WORDS)
                    variants.append((" ".join(swapped), kws or " ".join(swapped)))

        def fuzzy_of(idx: np.ndarray) -> tuple[np.ndarray, ...]:
            """Phrase and keyword ratios (0–100) and word counts of these clauses."""
            if len(idx) == 0:
                empty = np.zeros(0, dtype=np.float32)
                return empty, empty, empty
            texts = [self._norm[i] for i in idx]
            phrase, kw = rerank(typed, fixed_phrase, fixed_keywords, texts)
            for alt_phrase, alt_keywords in variants[:6]:
                p2, k2 = rerank(alt_phrase, alt_phrase, alt_keywords, texts)
                phrase, kw = np.maximum(phrase, p2), np.maximum(kw, k2)
            lengths = np.fromiter((t.count(" ") + 1 for t in texts), np.float32, len(texts))
            return phrase, kw, lengths

        phrase, kw, lengths = fuzzy_of(cand)
        # The phrase as asked, misspelt words corrected: as good as typed right.
        phrase[np.isin(cand, as_phrase)] = 100.0
        # A misspelt query (words fixed, or unknown words that are no English word) is
        # the lexical path's job: meaning cannot read a typo. Both meaning signals add
        # candidates only for a query the words did not answer well.
        unknown = [w for w in match.unknown if all(w in o.unknown for o in others)]
        typo = bool(corrections) or any(not is_english(w, rare=True) for w in unknown)
        found = Candidates(
            ids=cand,
            corrections=corrections,
            signals={"coverage": coverage, "bm25": bm25, "distinct": distinct},
            phrase=phrase,
            keywords=kw,
            lengths=lengths,
        )
        models = ranker.load_models()
        context = (reading, typo)

        def add(extra: np.ndarray) -> None:
            extra = np.setdiff1d(extra, found.ids)
            if len(extra):
                found.extend(extra, *fuzzy_of(extra))

        qvec = None
        if self.semantic is not None:
            qvec = self.semantic.embed_query(" ".join(fixed_topic))
        found.score(self, models["words"], context, qvec)

        def sure(level: float = ranker.SURE_PROBABILITY) -> bool:
            return not force and found.best >= level

        if qvec is not None and not typo and not sure(ranker.WEAK_PROBABILITY):
            add(self.semantic.nearest(qvec, fusion.SEMANTIC_CANDIDATES, mask))
            found.score(self, models["words"], context, qvec)
        sentences = self.sentences
        if sentences is not None and len(self.clauses) and not typo and not sure():
            svec = sentences.embed(reading.text)
            every = sentences.scores(svec)
            if mask is not None:
                every[~mask] = -1.0
            k = min(fusion.SENTENCE_CANDIDATES, len(every))
            top = np.argpartition(-every, k - 1)[:k] if k < len(every) else np.arange(k)
            add(top[every[top] > -1.0])
            found.sentence = every[found.ids]
            found.score(self, models["sentences"], context, qvec)
        return found

    def _quantities_as_asked(
        self,
        words: list[str],
        match: LexicalMatch,
        coverage: np.ndarray,
        distinct: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Coverage and distinctive-word share with a number asked for with its unit
        ("100 billion", "50 percent") counted only where the clause has the two words
        side by side: "$3 billion ... 100% electric" does not hold "100 billion"."""
        for num, unit in pairwise(words):
            if not (num[:1].isdigit() and stem(unit) in QUANTITY_UNITS):
                continue
            term = stem(num)
            holding = self.lexical.clauses_with(term)
            if not len(holding):
                continue
            asked = re.compile(rf"(?<!\S){re.escape(num)} {re.escape(stem(unit))}s?(?!\S)")
            lacking = holding[[asked.search(self._norm[i]) is None for i in holding]]
            if not len(lacking):
                continue
            if term in match.coverage_share:
                coverage = coverage.copy()
                coverage[lacking] = np.maximum(coverage[lacking] - match.coverage_share[term], 0.0)
            if distinct is not None and term in match.distinct_share:
                distinct = distinct.copy()
                distinct[lacking] = np.maximum(distinct[lacking] - match.distinct_share[term], 0.0)
        return coverage, distinct

    def _real_word_slips(self, typed: list[str]) -> dict[str, str]:
        """Dictionary words the corpus never uses, read as the corpus word one letter
        away that the word beside them goes with ("United Sates" -> "United States"),
        as stems: side by side in at least :data:`SLIP_SEEN` clauses, and more than
        twice as often as any other such word. Typo correction leaves dictionary words
        alone ("trade war truce" is no "true"); only a neighbour can tell."""
        out: dict[str, str] = {}
        for k, w in enumerate(typed):
            s = stem(w)
            if w in STOP_WORDS or len(w) < 4 or self.lexical.knows(s) or not is_english(w):
                continue
            around = [
                (typed[j], j < k)
                for j in (k - 1, k + 1)
                if 0 <= j < len(typed) and typed[j] not in STOP_WORDS
            ]
            seen: dict[str, int] = {}
            for v in self.lexical.slips_of(s) if around else ():
                n = 0
                for nb, before in around:
                    both = np.intersect1d(
                        self.lexical.clauses_with(stem(nb)), self.lexical.clauses_with(v)
                    )[:SLIP_SCAN]
                    pair = (
                        rf"(?<!\S){re.escape(nb)} {re.escape(v)}\w*"
                        if before
                        else rf"(?<!\S){re.escape(v)}\w* {re.escape(nb)}(?!\S)"
                    )
                    found = re.compile(pair)
                    n += sum(1 for i in both if found.search(self._norm[i]))
                if n:
                    seen[v] = n
            ranked = sorted(seen.items(), key=lambda kv: -kv[1])
            alone = len(ranked) == 1 or (len(ranked) > 1 and ranked[0][1] > 2 * ranked[1][1])
            if ranked and ranked[0][1] >= SLIP_SEEN and alone:
                out[s] = ranked[0][0]
        return out

    def _phrase_candidates(
        self, words: list[str], corrections: dict[str, str], coverage: np.ndarray
    ) -> np.ndarray:
        """Clauses that hold the words asked for as one phrase, in order (misspelt words
        as corrected, any ending: "the csots and bgnefits of" -> "the costs and benefits
        of"), among those that hold them all: they join the candidates, and their
        phrase score is that of the phrase typed right. Common words make thousands of clauses
        hold them all (as many as any clause holds, misspelt words counting less), and
        the best :attr:`candidates` by BM25 are short clauses, not the one that holds
        the phrase."""
        if len(words) < PHRASE_WORDS:
            return np.zeros(0, dtype=np.int64)
        best = float(coverage.max()) if len(coverage) else 0.0
        full = np.flatnonzero(coverage >= best - 1e-3) if best > 0 else coverage[:0]
        if len(full) > PHRASE_SCAN:
            return np.zeros(0, dtype=np.int64)
        fixed = [corrections.get(stem(w), w) for w in words]
        pattern = re.compile(
            "(?<!\\S)" + " ".join(re.escape(w) + "\\w*" for w in fixed) + "(?!\\S)"
        )
        held = [i for i in full if pattern.search(self._norm[i])]
        return np.asarray(held[: self.candidates], dtype=np.int64)

    def _goals_as_asked(
        self,
        words: list[str],
        match: LexicalMatch,
        coverage: np.ndarray,
        distinct: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Coverage and distinctive-word share with a goal word asked for beside other
        words ("trade target") counted as held by a clause that sets a goal without the
        word: one that looks ahead and names an amount ("to increase bilateral trade to
        $100 billion before 2015"). Only clauses that hold some other word asked for
        are considered, so the goal word alone never brings a clause in."""
        full = 100.0  # coverage is per cent of the words asked for
        asked = {stem(w) for w in words if w not in STOP_WORDS}
        goals = {stem(w) for w in words if stem(w) in GOAL_WORDS}
        others = asked - goals
        if not goals or not others:
            return coverage, distinct
        for term in goals:
            share = match.coverage_share.get(term)
            if not share:
                continue
            holding = self.lexical.clauses_with(term)
            # Clauses short of this word only: any other word's share leaves a remainder.
            some = np.flatnonzero((coverage > 0) & (coverage < full - 1e-3) & self._ahead)
            some = np.setdiff1d(some, holding, assume_unique=True)
            sets = some[[self._sets_goal(self.clauses[i].text, others) for i in some]]
            coverage, distinct = _count_as_held(term, sets, match, coverage, distinct)
        return coverage, distinct

    def _speakers_as_held(
        self,
        reading: Reading,
        words: list[str],
        match: LexicalMatch,
        coverage: np.ndarray,
        distinct: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Coverage and distinctive-word share with who spoke ("what did the Quad say
        about a two-state solution?") counted as held by a clause whose statement
        holds their words: the answer is the clause on the topic in the statement
        they made, which rarely names them again. Only clauses that hold some other
        word asked for are considered, and only when other words were asked for."""
        speakers = {stem(w) for w in reading.speakers}
        asked = {stem(w) for w in words if w not in STOP_WORDS}
        if not speakers or not asked - speakers:
            return coverage, distinct
        full = 100.0  # coverage is per cent of the words asked for
        for term in speakers:
            share = match.coverage_share.get(term)
            holding = self.lexical.clauses_with(term)
            if not share or not len(holding):
                continue
            docs = np.unique(self._clause_doc[holding])
            some = np.flatnonzero((coverage > 0) & (coverage < full - 1e-3))
            some = some[np.isin(self._clause_doc[some], docs)]
            some = np.setdiff1d(some, holding, assume_unique=True)
            coverage, distinct = _count_as_held(term, some, match, coverage, distinct)
        return coverage, distinct

    @staticmethod
    def _sets_goal(text: str, about: set[str]) -> bool:
        """``text`` sets a level or a multiple for one of the words ``about`` (stemmed):
        one of them within :data:`GOAL_REACH` words before it, or just after it
        ("doubling mutual trade")."""
        for m in _GOAL_SET.finditer(text):
            before = normalise(text[max(0, m.start() - 100) : m.start()]).split()
            after = normalise(text[m.end() : m.end() + 40]).split()
            near = before[-GOAL_REACH:] + after[:3]
            if about & {stem(w) for w in near}:
                return True
        return False

    def _intent_features(
        self, reading: Reading, cand: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per candidate: fits a "when" / "where" question (names a time / a place),
        fits "next" (looks ahead), and its document's recency among the candidates'
        (0–1; reversed for "first", 0 without a date word)."""
        zero = np.zeros(len(cand), dtype=np.float32)
        asks, order = zero, zero
        if reading.asks == "when":
            asks = (self._ahead[cand] | self._dated[cand]).astype(np.float32)
        elif reading.asks == "where":
            asks = self._place[cand].astype(np.float32)
        if reading.order == "next":
            order = self._ahead[cand].astype(np.float32)
        recency = zero
        if reading.order and len(cand):
            dates = self._doc_dates[self._clause_doc[cand]]
            known = dates[dates > 0]
            span = float(known.max() - known.min()) if len(known) else 0.0
            recency = (dates - known.min()) / span if span else np.zeros(len(cand))
            recency = np.where(dates > 0, recency, 0.0)
            if reading.order == "first":
                recency = np.where(dates > 0, 1.0 - recency, 0.0)
        return asks, order, recency.astype(np.float32)

    def _intent_bonus(self, reading: Reading, cand: np.ndarray) -> np.ndarray:
        """Points for clauses that fit the date words and when/where questions."""
        bonus = np.zeros(len(cand), dtype=np.float32)
        if not (reading.order or reading.asks):
            return bonus
        if reading.order == "next":
            bonus += fusion.INTENT_POINTS * self._ahead[cand]
        if reading.asks == "when":
            bonus += fusion.ASKS_POINTS * (self._ahead[cand] | self._dated[cand])
        if reading.asks == "where":
            bonus += fusion.ASKS_POINTS * self._place[cand]
        if reading.order:
            dates = self._doc_dates[self._clause_doc[cand]]
            known = dates[dates > 0]
            span = float(known.max() - known.min()) if len(known) else 0.0
            recency = (dates - known.min()) / span if span else np.zeros(len(cand))
            recency = np.where(dates > 0, recency, 0.0)
            late = reading.order in {"next", "latest"}
            bonus += fusion.DATE_POINTS * (recency if late else 1 - recency)
        return bonus

    def _group(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float, list[int]]]:
        """Fold near-identical clauses (from other documents) into the first one:
        (clause, score, folded clauses), best first. Clause objects are made only for
        the hits shown (:meth:`_hit`): a query ranks dozens, a page shows three."""
        if not ranked:
            return []
        texts = [self._norm[i] for i, _ in ranked]
        # One C-level pass over all pairs (ratio >= 95 means near-identical).
        same = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=95, workers=1) > 0
        heads: list[tuple[int, int, float, list[int]]] = []  # (position, clause, score, extra)
        for pos, (i, score) in enumerate(ranked):
            for head_pos, _, _, extra in heads:
                if same[pos, head_pos]:
                    extra.append(i)
                    break
            else:
                heads.append((pos, i, score, []))
        return [(i, s, x) for _, i, s, x in heads]

    def _doc_of(self, i: int) -> tuple[date | None, frozenset[str]]:
        """The date and parties of clause ``i``'s document."""
        meta = self._docs[self._clause_doc[i]]
        return meta.when, meta.parties

    def _hit(self, i: int, score: float, extra: list[int]) -> Hit:
        clause = self.clauses[i]
        others = tuple(self.clauses[k] for k in extra)
        return Hit(
            clause,
            round(score, 1),
            others,
            kind=self.kinds.get(clause.doc_id, "other"),
            also_kinds=tuple(self.kinds.get(o.doc_id, "other") for o in others),
        )

    # ------------------------------------------------------------------ lookup

    def get(self, clause_id: str) -> Clause | None:
        """The clause with this id, or None."""
        i = self._by_id.get(clause_id)
        return self.clauses[i] if i is not None else None

    def clause_counts(self) -> dict[str, int]:
        """How many clauses each document has (without making the clauses)."""
        counts = np.bincount(np.asarray(self._clause_doc), minlength=len(self._docs))
        dead = self._dead_docs
        return {
            m.doc_id: int(n)
            for k, (m, n) in enumerate(zip(self._docs, counts.tolist(), strict=True))
            if k not in dead
        }

    def clauses_of(self, doc_id: str) -> list[Clause]:
        """One document's clauses, in order (only those are made, for an index over
        columns: a caller going document by document never holds them all)."""
        if self._by_doc is None:
            order = np.argsort(self._clause_doc, kind="stable")
            cuts = np.searchsorted(self._clause_doc[order], np.arange(len(self._docs) + 1))
            dead = self._dead_docs
            pos = {m.doc_id: k for k, m in enumerate(self._docs) if k not in dead}
            self._by_doc = (order, cuts, pos)
        order, cuts, pos = self._by_doc
        k = pos.get(doc_id)
        if k is None:
            return []
        return [self.clauses[int(i)] for i in order[cuts[k] : cuts[k + 1]]]

    def context(self, clause_id: str, *, radius: int = 1) -> list[Clause]:
        """The clause with its neighbours in the same document (in order)."""
        i = self._by_id.get(clause_id)
        if i is None:
            return []
        doc = self._clause_doc[i]
        lo, hi = max(0, i - radius), min(len(self.clauses), i + radius + 1)
        return [self.clauses[k] for k in range(lo, hi) if self._clause_doc[k] == doc]

    def __len__(self) -> int:
        return len(self.clauses)
