"""The clause index: reads the query, gathers lexical (and semantic) evidence, ranks.

A search runs in five steps, one module each:

1. :mod:`bot.slacktext` and :mod:`bot.search.filters` — Slack markup out, typed
   filters (``in:``, ``after:``, ``before:``) split off and checked;
2. :mod:`bot.search.understand` — questions read for their content, parties and
   date words ("next", "latest", "first");
3. :mod:`bot.search.lexical` — spell-fixed BM25 + coverage candidates, with words
   found only in a document's title or parties counting for its clauses;
4. :mod:`bot.search.semantic` — static word embeddings (wordllama) add candidates
   that share no word with the query and a meaning score for every candidate;
5. :mod:`bot.search.fusion` — one 0–100 score from the lexical rerank, the meaning
   score and the date intent; below ``min_score`` a result is not a match.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.clauses import Clause, segment_all
from bot.clean import normalise
from bot.search import fusion
from bot.search.columns import ClauseColumns, StringColumn
from bot.search.filters import (
    DateRange,
    ParsedQuery,
    check_query,
    date_range,
    parse_query,
)
from bot.search.flags import clause_flags
from bot.search.gazetteer import same_name_variants
from bot.search.helper import HELPER_SHARE, BuildHelper, fold_texts
from bot.search.lexical import LexicalIndex, LexicalMatch, WordTokens, rerank
from bot.search.understand import (
    QueryReader,
    Reading,
    alias_words,
    metadata_words,
    place_words,
)
from bot.search.words import STOP_WORDS, is_english, stem
from bot.slacktext import plain_text

__all__ = ["DEFAULT_MIN_SCORE", "ClauseIndex", "Hit", "SearchResult"]

DEFAULT_MIN_SCORE = 55.0
GROUP_MARGIN = 10.0


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
    read_as: str = ""  # "Syria · parties China, Russia" (empty for a plain keyword query)
    dates: DateRange = field(default_factory=DateRange)

    @property
    def has_more(self) -> bool:
        """True when further good hits exist after this page."""
        return self.offset + len(self.hits) < self.total


@dataclass(frozen=True)
class _DocMeta:
    doc_id: str
    title: str  # normalised
    when: date | None
    words: frozenset[str]


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


def _semantic_on(wanted: bool) -> bool:
    """Whether an index built now has the semantic signal (asked for and installed)."""
    if not wanted:
        return False
    from bot.search.semantic import available

    return available()


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
        full = {d.doc_id: d for d in documents}
        doc_pos: dict[str, int] = {}
        row_pos = np.zeros(len(rows), dtype=np.int32)
        metas: list[_DocMeta] = []
        title_words: list[frozenset[str]] = []
        party_words: list[frozenset[str]] = []
        parties: set[str] = set()
        for r, (doc_id, doc_title, doc_date) in enumerate(rows):
            if doc_id in doc_pos:
                row_pos[r] = doc_pos[doc_id]
                continue
            row_pos[r] = doc_pos[doc_id] = len(metas)
            d = full.get(doc_id)
            titles = " ".join({doc_title, getattr(d, "title", ""), getattr(d, "short_title", "")})
            doc_parties = tuple(getattr(d, "parties", ()) or ())
            parties.update(doc_parties)
            title_words.append(metadata_words(titles, ()) - STOP_WORDS)
            party_words.append(metadata_words("", doc_parties, doc_date))
            metas.append(_DocMeta(doc_id, normalise(doc_title), doc_date, frozenset()))
        # Title words shared by many documents ("joint", "statement") say nothing.
        common = max(2, len(metas) // 3)
        counts: dict[str, int] = {}
        for words in title_words:
            for w in words:
                counts[w] = counts.get(w, 0) + 1
        doc_words = [
            frozenset({w for w in t if counts[w] <= common} | p)
            for t, p in zip(title_words, party_words, strict=True)
        ]
        self._docs = [
            _DocMeta(m.doc_id, m.title, m.when, w) for m, w in zip(metas, doc_words, strict=True)
        ]
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

    def sentence_texts(self) -> list[str]:
        """The texts the sentence encoder reads, one per clause."""
        if isinstance(self.clauses, ClauseColumns):
            return list(self.clauses.column("text"))
        return [c.text for c in self.clauses]

    def attach_sentences(self, sentences: Any) -> None:
        """Use these clause sentence vectors from now on (one atomic assignment)."""
        if sentences is not None and len(sentences.matrix) != len(self.clauses):
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
        self._ahead, self._dated, self._place = state["ahead"], state["dated"], state["place"]
        self._parties = state["parties"]
        self.reader = QueryReader(set(self._parties))
        self._aliases = alias_words()
        self._places = place_words()
        self.semantic = state["semantic"]
        self.sentences = None  # attached by the caller (bot.search.sentences has its cache)
        return self

    @property
    def _by_id(self) -> dict[str, int]:
        """Clause id -> position (built on the first lookup)."""
        if self._ids is None:
            ids = getattr(self.clauses, "ids", None) or (c.clause_id for c in self.clauses)
            self._ids = {c: i for i, c in enumerate(ids)}
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
            return cls(
                ClauseColumns.of(segment(docs)),
                documents=docs,
                candidates=candidates,
                semantic=semantic,
            )
        key = persist.documents_key(docs, candidates=candidates, semantic=_semantic_on(semantic))
        return persist.load_or_build(
            cache_dir,
            key,
            lambda alloc: cls(
                ClauseColumns.of(segment(docs)),
                documents=docs,
                candidates=candidates,
                semantic=semantic,
                _alloc=alloc,
            ),
        )

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
        on = _semantic_on(semantic)
        cols = persist.as_columns(clauses)  # keyed, built and saved as these columns
        key = persist.clauses_key(cols, docs, candidates=candidates, semantic=on)
        return persist.load_or_build(
            cache_dir,
            key,
            lambda alloc: cls(
                cols, documents=docs, candidates=candidates, semantic=semantic, _alloc=alloc
            ),
        )

    # ------------------------------------------------------------------ query

    def correct(self, word: str) -> list[str]:
        """Vocabulary words within a small edit distance of ``word`` (best first)."""
        return self.lexical.correct(word)

    def read(self, query: str) -> tuple[ParsedQuery, Reading]:
        """Parse filters out of ``query`` and read the rest (see :mod:`.understand`)."""
        parsed = parse_query(plain_text(query))
        return parsed, self.reader.read(parsed.text)

    def _doc_mask(self, doc: str | None, dates: DateRange, notes: list[str]) -> np.ndarray | None:
        if not (doc or dates):
            return None
        keep = []
        want = normalise(doc) if doc else ""
        for i, meta in enumerate(self._docs):
            if doc and not (
                meta.doc_id.startswith(doc.lower())
                or meta.doc_id.replace("_", "-").startswith(want.replace(" ", "-"))
                or all(w in meta.title.split() for w in want.split())
            ):
                continue
            if not dates.contains(meta.when):
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
        after: date | str | None = None,
        before: date | str | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> SearchResult:
        """Best clauses for ``query``; typed filters (``in:`` …) are honoured too.

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
        if dates:
            notes.append(f"filter: documents {dates.describe()}")
        mask = self._doc_mask(doc, dates, notes)
        ranked, corrections = self._rank(reading, notes, mask)
        read_as = ""
        if reading.is_question or reading.parties or reading.order or reading.asks:
            read_as = reading.describe(corrections)
        # Only clauses near the threshold can be shown or folded into a shown one;
        # grouping is pairwise, so leave the rest out (the best stays, as suggestion).
        near = [r for r in ranked if r[1] >= min_score - GROUP_MARGIN] or ranked[:1]
        grouped = self._group(near)
        good = [g for g in grouped if g[1] >= min_score]
        if mask is not None and not good and reading.content:
            everywhere, _ = self._rank(reading, [], None)
            hidden = [g for g in self._group(everywhere[:20]) if g[1] >= min_score]
            if hidden:
                best = self.clauses[hidden[0][0]]
                many = "es" if len(hidden) > 1 else ""
                notes.append(
                    f"the filters hid {len(hidden)} good match{many} (best: {best.citation})"
                )
        common = {"corrections": corrections, "notes": notes, "read_as": read_as, "dates": dates}
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
        """Candidate clauses with their fused scores, best first; and the corrections."""
        words = reading.content.split()
        if not words:
            if reading.text.strip():
                notes.append("the query has no words to match")
            else:
                notes.append("add words to search for, not only filters")
            return [], {}
        expand = self.semantic.neighbours if self.semantic is not None else None

        def match_words(ws: list[str]) -> LexicalMatch:
            content = [stem(w) for w in ws if w not in STOP_WORDS] or [stem(w) for w in ws]
            return self.lexical.match(content, expand, self._aliases, self._places)

        match = match_words(words)
        coverage, bm25, corrections = match.coverage, match.bm25, match.corrections
        # The same query with a name in its other forms ("North Korea" / "DPRK"): a
        # clause is matched by whichever form it uses.
        same_names = same_name_variants(words)
        others = [match_words(alt) for alt in same_names]
        for other in others:
            coverage, bm25 = np.maximum(coverage, other.coverage), np.maximum(bm25, other.bm25)
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
        if len(cand) > self.candidates:
            top = np.argpartition(-key[cand], self.candidates - 1)[: self.candidates]
            cand = cand[top]
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

        def lexical_of(idx: np.ndarray) -> np.ndarray:
            if len(idx) == 0:
                return np.zeros(0, dtype=np.float32)
            texts = [self._norm[i] for i in idx]
            phrase, kw = rerank(typed, fixed_phrase, fixed_keywords, texts)
            for alt_phrase, alt_keywords in variants[:6]:
                p2, k2 = rerank(alt_phrase, alt_phrase, alt_keywords, texts)
                phrase, kw = np.maximum(phrase, p2), np.maximum(kw, k2)
            return fusion.lexical_score(coverage[idx], phrase, kw)

        lexical = lexical_of(cand)
        cosine = None
        qvec = None
        # A misspelt query (words fixed, or unknown words that are no English word) is
        # the lexical path's job: meaning cannot read a typo. Both meaning signals add
        # candidates only for a query the words did not answer well (see fusion).
        unknown = [w for w in match.unknown if all(w in o.unknown for o in others)]
        typo = bool(corrections) or any(not is_english(w, rare=True) for w in unknown)

        def weak() -> bool:
            return len(lexical) == 0 or float(lexical.max()) < fusion.SEMANTIC_GATE

        if self.semantic is not None:
            qvec = self.semantic.embed_query(" ".join(fixed_topic))
            if qvec is not None:
                if weak() and not typo:
                    extra = self.semantic.nearest(qvec, fusion.SEMANTIC_CANDIDATES, mask)
                    extra = np.setdiff1d(extra, cand)
                    cand = np.concatenate([cand, extra])
                    lexical = np.concatenate([lexical, lexical_of(extra)])
                cosine = self.semantic.similarity(qvec, cand)
        sentence = None
        sentences = self.sentences
        if sentences is not None and len(self.clauses) and weak() and not typo:
            svec = sentences.embed(reading.text)
            every = sentences.scores(svec)
            if mask is not None:
                every[~mask] = -1.0
            k = min(fusion.SENTENCE_CANDIDATES, len(every))
            top = np.argpartition(-every, k - 1)[:k] if k < len(every) else np.arange(k)
            extra = np.setdiff1d(top[every[top] > -1.0], cand)
            if len(extra):
                cand = np.concatenate([cand, extra])
                lexical = np.concatenate([lexical, lexical_of(extra)])
                if cosine is not None:
                    cosine = np.concatenate([cosine, self.semantic.similarity(qvec, extra)])
            sentence = every[cand]
        if len(cand) == 0:
            return [], corrections
        # Rank on the score with the intent bonus; show it capped at 100.
        final = fusion.fuse(lexical, cosine, sentence) + self._intent_bonus(reading, cand)
        order = np.lexsort((-bm25[cand], -final))
        shown = np.clip(final, 0.0, 100.0)
        return [(int(cand[j]), float(shown[j])) for j in order], corrections

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

    def _hit(self, i: int, score: float, extra: list[int]) -> Hit:
        return Hit(self.clauses[i], round(score, 1), tuple(self.clauses[k] for k in extra))

    # ------------------------------------------------------------------ lookup

    def get(self, clause_id: str) -> Clause | None:
        """The clause with this id, or None."""
        i = self._by_id.get(clause_id)
        return self.clauses[i] if i is not None else None

    def clause_counts(self) -> dict[str, int]:
        """How many clauses each document has (without making the clauses)."""
        counts = np.bincount(np.asarray(self._clause_doc), minlength=len(self._docs))
        return {m.doc_id: int(n) for m, n in zip(self._docs, counts.tolist(), strict=True)}

    def clauses_of(self, doc_id: str) -> list[Clause]:
        """One document's clauses, in order (only those are made, for an index over
        columns: a caller going document by document never holds them all)."""
        if self._by_doc is None:
            order = np.argsort(self._clause_doc, kind="stable")
            cuts = np.searchsorted(self._clause_doc[order], np.arange(len(self._docs) + 1))
            self._by_doc = (order, cuts, {m.doc_id: k for k, m in enumerate(self._docs)})
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
        doc = self.clauses[i].doc_id
        lo, hi = max(0, i - radius), min(len(self.clauses), i + radius + 1)
        return [c for c in self.clauses[lo:hi] if c.doc_id == doc]

    def __len__(self) -> int:
        return len(self.clauses)
