"""Lexical signal: vocabulary spell-fix, BM25 + coverage candidates, rapidfuzz rerank.

Why two stages (measured in ``bench/search_bench.py``): a rapidfuzz scan over every
clause costs microseconds per clause per query, which is unusable past ~10k
clauses, and an inverted index alone ranks near-duplicates poorly. So:

1. **Candidates.** Each query word is looked up in the vocabulary; a word that is
   not there is corrected with a SymSpell-style deletion index (edit distance 1,
   2 for long words) with a bounded rapidfuzz fallback — unless it is a common
   English word, which is never replaced by another word. BM25 over a CSR posting
   list (numpy) plus an IDF-weighted "how many query words does the clause
   contain" coverage picks the top candidates. A word found only in a document's
   metadata (its title or parties) counts, a little less, for every clause of
   that document.
2. **Rerank.** The candidates are scored with a blend of ``partial_ratio`` (good
   for phrases) and ``token_set_ratio`` (good for keywords in any order).
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.search.words import STOP_WORDS, deletes, english_words, is_english, stem

__all__ = ["LexicalIndex", "LexicalMatch", "MergedLexical", "WordTokens", "rerank"]

#: Clauses per block when counting terms.
_BLOCK = 1 << 16
#: How much a word found only in a document's title or parties counts.
METADATA_WEIGHT = 0.9
#: Added to a meaning neighbour's cosine when it stands in for a query word.
EXPANSION_BONUS = 0.0
#: How much a longer form of a query word counts ("represent" -> "representative").
PREFIX_WEIGHT = 0.85
PREFIX_MIN = 5
PREFIX_LIMIT = 6
_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ed", "es", "s")
#: How far (relative) the mean clause length of a base plus segment may move from the
#: base's before the base's BM25 weights are renormalised when read (MergedLexical).
RENORMALISE_ABOVE = 1e-3
#: A word in at most this share of the clauses (or in at most :data:`RARE_MIN` of
#: them) is a rare term: asked for, it is what the answer must contain.
RARE_SHARE = 0.005
RARE_MIN = 3


def distinctive(word: str, df: float, n: int) -> bool:
    """True for a query word an answer must contain: a number ("100", "2015"), or a
    word that is no common English word and that few clauses use (a name, a rare
    term: "heixiazi", "skolkovo", "caliphate"). A common word the corpus happens to
    use rarely ("smuggling") is not: a clause may say it another way."""
    if any(ch.isdigit() for ch in word):
        return True
    return df <= max(RARE_MIN, RARE_SHARE * n) and not is_english(word)


class _Ids(dict[str, int]):
    """Word -> id, a new word getting the next id on first lookup."""

    def __missing__(self, word: str) -> int:
        self[word] = n = len(self)
        return n


@dataclass
class WordTokens:
    """The normalised texts as word ids: distinct words (first-occurrence order), every
    text's word ids end to end, and where each text starts (``starts[i]:starts[i+1]``)."""

    words: list[str]
    wids: np.ndarray  # int32
    starts: np.ndarray  # int64, len(texts) + 1

    @classmethod
    def of(cls, texts: Sequence[str]) -> WordTokens:
        """Split every text on spaces once (the ids in numpy chunks, not Python lists)."""
        return cls.of_words((t.split() for t in texts), len(texts))

    @classmethod
    def of_words(cls, texts: Iterable[list[str]], count: int, chunk: int = 1 << 20) -> WordTokens:
        """The same from ``count`` texts given as their lists of words."""
        ids = _Ids()
        lookup = ids.__getitem__
        starts = np.zeros(count + 1, dtype=np.int64)
        parts: list[np.ndarray] = []
        buf: list[int] = []
        total = 0
        i = 0
        for i, words in enumerate(texts, 1):
            buf.extend(map(lookup, words))
            total += len(words)
            starts[i] = total
            if len(buf) >= chunk:
                parts.append(np.asarray(buf, dtype=np.int32))
                buf = []
        if i != count:
            raise ValueError(f"{i} texts given for {count}")
        parts.append(np.asarray(buf, dtype=np.int32))
        return cls(list(ids), np.concatenate(parts), starts)

    @classmethod
    def concat(cls, parts: Sequence[WordTokens]) -> WordTokens:
        """The texts of ``parts`` one after another, as :meth:`of` would give them."""
        index: dict[str, int] = {}
        wids: list[np.ndarray] = []
        starts: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        total = 0
        for part in parts:
            mapping = np.fromiter(
                (index.setdefault(w, len(index)) for w in part.words),
                dtype=np.int32,
                count=len(part.words),
            )
            wids.append(mapping[part.wids] if len(part.wids) else part.wids.astype(np.int32))
            starts.append(np.asarray(part.starts[1:], dtype=np.int64) + total)
            total += int(part.starts[-1])
        return cls(
            list(index),
            np.concatenate(wids) if wids else np.zeros(0, np.int32),
            np.concatenate(starts),
        )

    def owners(self) -> np.ndarray:
        """The text each word id belongs to (int32, aligned with ``wids``)."""
        n = len(self.starts) - 1
        return np.repeat(np.arange(n, dtype=np.int32), np.diff(self.starts))


@dataclass
class LexicalMatch:
    """Per-clause lexical evidence for one query."""

    coverage: np.ndarray  # 0-100, IDF-weighted share of query words in the clause
    bm25: np.ndarray
    corrections: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # words neither in corpus nor fixed
    related: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # expansions
    # 0-1, IDF-weighted share of the query's distinctive words (numbers, rare terms and
    # names: see :func:`distinctive`) in the clause; None when the query has none.
    distinct: np.ndarray | None = None
    # Each query word's share of ``coverage`` (0-100) and of ``distinct`` (0-1): what
    # a clause loses when it is found not to hold the word as asked.
    coverage_share: dict[str, float] = field(default_factory=dict)
    distinct_share: dict[str, float] = field(default_factory=dict)


class LexicalIndex:
    """Inverted index over normalised clause texts (BM25 weights in CSR posting lists)."""

    #: BM25 parameters (Robertson's defaults).
    k1 = 1.2
    b = 0.75
    #: Clauses left out of the statistics (a base's withdrawn ones, in a merged index).
    _gone = 0

    def __init__(
        self,
        texts: Sequence[str],
        clause_doc: np.ndarray,
        doc_words: Sequence[frozenset[str]] = (),
        *,
        tokens: WordTokens | None = None,
    ) -> None:
        self.n = len(texts)
        self._clause_doc = clause_doc
        # stemmed metadata word -> document positions whose title/parties contain it
        self._meta: dict[str, np.ndarray] = {}
        by_word: dict[str, list[int]] = defaultdict(list)
        for pos, words in enumerate(doc_words):
            for w in words:
                by_word[stem(w)].append(pos)
        self._meta = {w: np.asarray(p, dtype=np.int32) for w, p in by_word.items()}
        english_words()  # load the word lists now, not during someone's first query
        self._build(texts, tokens)

    def _build(
        self,
        texts: Sequence[str],
        tokens: WordTokens | None = None,
        base: LexicalIndex | None = None,
        less: tuple[np.ndarray, int, float] | None = None,
    ) -> None:
        """Postings of ``texts``. With ``base``, these texts are a segment after the
        base's clauses: terms keep the base's ids (new terms after them), and the
        weights use the statistics of base and segment together (clause count,
        document frequencies, mean length), as one build over both would; ``less``
        (document frequencies, clauses and words) is taken out of the base's: its
        withdrawn clauses."""
        tok = tokens if tokens is not None else WordTokens.of(texts)
        # Stemmed terms get ids in order of first occurrence; raw words already are,
        # so the first raw word of each stem is the stem's first occurrence.
        vocab: dict[str, int] = dict(base._vocab) if base is not None else {}
        wid_term = np.fromiter(
            (vocab.setdefault(stem(w), len(vocab)) for w in tok.words),
            dtype=np.int32,
            count=len(tok.words),
        )
        lengths = np.diff(tok.starts).astype(np.float32)
        # Words split by a stray space in the source ("mechan ism") also index as
        # the joined word when that word exists elsewhere in the corpus: the pairs
        # (a, b) that join into a corpus word, from the vocabulary, then looked up.
        terms = list(vocab)
        joins: dict[int, int] = {}
        for term, tid in vocab.items():
            if len(term) < 6:
                continue
            for k in range(1, len(term)):
                a, b2 = term[:k], term[k:]
                if a in vocab and b2 in vocab and a not in STOP_WORDS:
                    joins[vocab[a] * len(vocab) + vocab[b2]] = tid
        known = np.fromiter(joins, dtype=np.int64, count=len(joins))
        joined = np.fromiter(joins.values(), dtype=np.int64, count=len(joins))
        order = np.argsort(known)
        known, joined = known[order], joined[order]
        opens = np.zeros(len(vocab), dtype=bool)  # terms that start some join
        opens[known // max(len(vocab), 1)] = True
        self._vocab = vocab
        self._terms = terms
        self._lengths = lengths
        self._length_sum = float(lengths.sum())
        df_less, n_less, length_less = less if less is not None else (None, 0, 0.0)
        n_all = self.n + (base.n - n_less if base is not None else 0)
        n = max(n_all, 1)
        # (term, clause, count) for each term in each clause, a block of clauses at a
        # time (small sorts, small temporaries), then ordered by term: the CSR lists.
        t_parts: list[np.ndarray] = []
        d_parts: list[np.ndarray] = []
        tf_parts: list[np.ndarray] = []
        los: list[int] = []
        for lo in range(0, self.n, _BLOCK):
            hi = min(self.n, lo + _BLOCK)
            span = hi - lo
            tids = wid_term[tok.wids[tok.starts[lo] : tok.starts[hi]]]
            owner = np.repeat(np.arange(span, dtype=np.int32), np.diff(tok.starts[lo : hi + 1]))
            key = tids.astype(np.int64)
            key *= span
            key += owner
            if len(known) and len(tids) > 1:
                pos = np.flatnonzero(opens[tids[:-1]] & (owner[:-1] == owner[1:]))
                pair = tids[pos].astype(np.int64) * len(vocab) + tids[pos + 1]
                hit = np.isin(pair, known)
                at = np.searchsorted(known, pair[hit])
                key = np.concatenate([key, joined[at] * span + owner[pos[hit]]])
            if not len(key):
                continue
            key.sort()
            first = np.empty(len(key), dtype=bool)
            first[0] = True
            np.not_equal(key[1:], key[:-1], out=first[1:])
            uniq = key[first]
            # Kept small until placed (they are the build's largest temporaries): the
            # clause as an offset in its block, the count in 16 bits where it fits.
            tf = np.diff(np.append(np.flatnonzero(first), len(key)))
            tf_parts.append(tf.astype(np.uint16 if tf.max() <= 0xFFFF else np.int32))
            t_parts.append((uniq // span).astype(np.int32))
            d_parts.append((uniq % span).astype(np.uint16 if span <= 0x10000 else np.int32))
            los.append(lo)
        # CSR by counting: each term's postings start at its offset; the blocks (in
        # clause order, sorted by term inside) are placed one after another, so
        # clauses stay in order within a term. Weights are computed per block.
        n_terms = len(vocab)
        counts = np.zeros(n_terms, dtype=np.int64)
        for t in t_parts:
            counts += np.bincount(t, minlength=n_terms)
        self._offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=self._offsets[1:])
        df = counts.astype(np.float32)
        length_sum = self._length_sum
        if base is not None:
            df[: len(base._df)] += base._df
            length_sum += base.length_sum - length_less
            if df_less is not None:
                df[: len(df_less)] -= df_less
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = length_sum / n_all if n_all else 1.0
        total = int(self._offsets[-1])
        post_docs = np.empty(total, dtype=np.int32)
        weights = np.empty(total, dtype=np.float32)
        fill = self._offsets[:-1].copy()
        group = np.zeros(n_terms, dtype=np.int64)
        while t_parts:
            t, tf = t_parts.pop(0), tf_parts.pop(0)
            d = d_parts.pop(0).astype(np.int32)
            d += los.pop(0)
            c = np.bincount(t, minlength=n_terms)
            np.cumsum(c[:-1], out=group[1:])  # where each term's run starts in t
            pos = fill[t] + (np.arange(len(t), dtype=np.int64) - group[t])
            post_docs[pos] = d
            norm = self.k1 * (1 - self.b + self.b * lengths[d] / max(avgdl, 1.0))
            tf32 = tf.astype(np.float32)
            weights[pos] = (idf[t] * tf32 * (self.k1 + 1) / (tf32 + norm)).astype(np.float32)
            fill += c
        self._weights = weights
        self._post_docs = post_docs
        self._df = df
        self._idf = idf
        self._avgdl = avgdl

    @property
    def length_sum(self) -> float:
        """The clauses' lengths in words, summed (the mean length of BM25 is this / n)."""
        return float(self._length_sum)

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """The clauses that hold term ``tid`` and their BM25 weights."""
        lo, hi = self._offsets[tid], self._offsets[tid + 1]
        return self._post_docs[lo:hi], self._weights[lo:hi]

    def warm(self) -> None:
        """Derive now the tables a query's typo correction would derive (built from the
        vocabulary on first use: a loaded index that corrects no typo never needs them)."""
        for name in ("_sorted_terms", "_deletes", "_buckets"):
            getattr(self, name)

    @cached_property
    def _sorted_terms(self) -> list[str]:
        """The alphabetic terms, sorted (for :meth:`longer_forms`)."""
        return sorted(t for t in self._vocab if t.isalpha())

    @cached_property
    def _deletes(self) -> dict[str, list[int]]:
        """SymSpell-style deletion index for typo correction: each deletion of a term
        (of 3 letters or more, not a number) -> the ids of the terms it comes from."""
        dels: dict[str, list[int]] = defaultdict(list)
        for term, tid in self._vocab.items():
            if len(term) < 3 or term.isdigit():
                continue
            for d in deletes(term):
                dels[d].append(tid)
        return dict(dels)

    @cached_property
    def _buckets(self) -> dict[str, list[str]]:
        """The same terms by first letter, for the slower fallback of :meth:`correct`."""
        buckets: dict[str, list[str]] = defaultdict(list)
        for term in self._vocab:
            if len(term) < 3 or term.isdigit():
                continue
            buckets[term[0]].append(term)
        return dict(buckets)

    # ------------------------------------------------------------------ query

    def knows(self, word: str) -> bool:
        """True when the (stemmed) word is in the clause vocabulary."""
        return word in self._vocab

    def in_metadata(self, word: str) -> bool:
        """True when the (stemmed) word is in some document's title or parties."""
        return word in self._meta

    def slips_of(self, word: str) -> list[str]:
        """Vocabulary words one edit from ``word``, whatever it is (dictionary words
        too: the words a real-word slip may stand for, "sate" for "state"), most
        used first; none for a word the vocabulary has."""
        if len(word) < 4 or word.isdigit() or word in self._vocab:
            return []
        found: set[int] = set(self._deletes.get(word, ()))  # a letter lost
        for p in {word} | deletes(word):
            for tid in self._deletes.get(p, ()):
                if tid not in found and OSA.distance(word, self._terms[tid], score_cutoff=1) <= 1:
                    found.add(tid)
        return [self._terms[t] for t in sorted(found, key=lambda t: -int(self._df[t]))][:8]

    def correct(self, word: str) -> list[str]:
        """Vocabulary words within a small edit distance of ``word`` (best first).

        A word that is in the vocabulary is its own answer; a common English word
        that is not is never replaced by another word (empty answer), a rarer one only
        by a word one edit away."""
        if word in self._vocab:
            return [word]
        if len(word) < 4 or word.isdigit() or is_english(word):
            return []
        # A rarer dictionary word is only read as a one-letter slip ("herat" for
        # "heart"), never as a two-letter one ("caliphate" is not "calibrate").
        max_d = 1 if len(word) < 7 or is_english(word, rare=True) else 2
        found: dict[int, int] = {}
        probes = {word} | deletes(word)
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

    def longer_forms(self, word: str) -> list[str]:
        """Vocabulary words sharing ``word``'s root ("represent" -> "representative",
        "condemned" -> "condemn", "exports" -> "exported")."""
        root = word
        for suffix in _SUFFIXES:
            if root.endswith(suffix) and len(root) - len(suffix) >= PREFIX_MIN:
                root = root[: -len(suffix)]
                break
        if len(root) < PREFIX_MIN or not root.isalpha():
            return []
        lo = bisect.bisect_left(self._sorted_terms, root)
        out = []
        for t in itertools.islice(self._sorted_terms, lo, lo + PREFIX_LIMIT):
            if not t.startswith(root):
                break
            if t != word:
                out.append(t)
        return out

    @property
    def terms(self) -> list[str]:
        """The vocabulary (stemmed words), in index order."""
        return self._terms

    def match(
        self,
        content: Sequence[str],
        expand: Callable[[str], list[tuple[str, float]]] | None = None,
        aliases: Mapping[str, Sequence[str]] | None = None,
        places: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    ) -> LexicalMatch:
        """Coverage and BM25 of every clause for the (stemmed) content words.

        ``expand`` maps a word the corpus does not have (and that is no typo of one)
        to corpus words of similar meaning with their similarity; those count, by
        that similarity, as if the word had been found. ``aliases`` maps a word to
        other words that name the same thing ("china" -> "chinese"); those, and
        longer forms of the word ("represent" -> "representative"), count a little
        less than the word itself. ``places`` maps a place word the corpus may not use
        to (word, weight) pairs to read it as ("bombay" -> "mumbai", "kyiv" ->
        "ukraine"), before any typo correction."""
        n = self.n
        counted = n - self._gone  # the clauses the statistics count
        bm25 = np.zeros(n, dtype=np.float32)
        # Soft coverage: IDF-weighted share of query words found in the clause, a
        # corrected word counting by its similarity to what was typed. A word the
        # corpus does not know weighs as much as the rarest word, so nonsense
        # queries cannot reach the threshold through one common word.
        coverage = np.zeros(n, dtype=np.float32)
        total_idf = 0.0
        distinct: np.ndarray | None = None
        distinct_idf = 0.0
        max_idf = float(np.log(1.0 + (max(counted, 1) + 0.5) / 0.5))
        seen_terms: set[int] = set()
        corrections: dict[str, str] = {}
        unknown: list[str] = []
        related: dict[str, list[tuple[str, float]]] = {}
        idf_of: dict[str, float] = {}
        distinct_words: list[str] = []
        for w in dict.fromkeys(content):
            weight: dict[str, float] = {}
            # A name the corpus only uses in another form ("bombay" -> "mumbai", "kyiv"
            # -> "ukraine") is read as that form, not as a typo of some other word.
            named: list[tuple[str, float]] = []
            if places and w not in self._vocab:
                named = [(t, s) for t, s in places.get(w, ()) if t in self._vocab]
            options = [t for t, _ in named] or self.correct(w)
            if named:
                weight = dict(named)
                related[w] = named
            elif options and options[0] != w:
                corrections[w] = options[0]
            meta_docs = self._meta.get(w)
            if not options and meta_docs is None and expand is not None:
                near = [(t, s) for t, s in expand(w) if t in self._vocab]
                if near:
                    related[w] = near
                    options = [t for t, _ in near]
                    weight = {t: min(1.0, s + EXPANSION_BONUS) for t, s in near}
            # Typed as the corpus has it: not a typo's correction nor a stand-in.
            as_typed = bool(options) and options[0] == w and not weight
            if options and not weight:
                for other in [*(aliases or {}).get(w, ()), *self.longer_forms(options[0])]:
                    if other in self._vocab and other not in options:
                        options = [*options, other]
                        weight[other] = PREFIX_WEIGHT
            if options:
                idf_w = float(self._idf[self._vocab[options[0]]])
            elif meta_docs is not None:
                idf_w = max_idf / 2
            else:
                idf_w = max_idf
                unknown.append(w)
            total_idf += idf_w
            idf_of[w] = idf_w
            found = np.zeros(n, dtype=np.float32)
            if meta_docs is not None:
                found[np.isin(self._clause_doc, meta_docs)] = METADATA_WEIGHT
            for term in options:
                tid = self._vocab[term]
                docs, weights = self._postings(tid)
                if term in weight:
                    sim = weight[term]
                else:
                    sim = 1.0 if term == w else fuzz.ratio(w, term) / 100.0
                found[docs] = np.maximum(found[docs], sim)
                if tid not in seen_terms:
                    seen_terms.add(tid)
                    bm25[docs] += weights * sim
            coverage += idf_w * found
            # A document's party or title word counts through the metadata instead.
            if (
                as_typed
                and meta_docs is None
                and distinctive(w, float(self._df[self._vocab[w]]), counted)
            ):
                distinct = found * idf_w if distinct is None else distinct + idf_w * found
                distinct_idf += idf_w
                distinct_words.append(w)
        coverage *= 100.0 / max(total_idf, 1e-9)
        if distinct is not None:
            distinct /= distinct_idf
        return LexicalMatch(
            coverage,
            bm25,
            corrections,
            unknown,
            related,
            distinct,
            {w: 100.0 * v / max(total_idf, 1e-9) for w, v in idf_of.items()},
            {w: idf_of[w] / distinct_idf for w in distinct_words},
        )

    def clauses_with(self, term: str) -> np.ndarray:
        """The clauses that hold ``term`` (a stemmed word), as positions."""
        tid = self._vocab.get(term)
        if tid is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self._postings(tid)[0])


class _Overlay(Mapping[str, list[Any]]):
    """A base mapping of lists with a few more entries: a key's list is the base's
    followed by the extra one (neither is copied until the key is asked for)."""

    def __init__(self, base: Mapping[str, list[Any]], extra: Mapping[str, list[Any]]) -> None:
        self._base, self._extra = base, extra

    def get(self, key: str, default: Any = None) -> Any:
        b, e = self._base.get(key), self._extra.get(key)
        if e is None:
            return default if b is None else b
        return e if b is None else [*b, *e]

    def __getitem__(self, key: str) -> list[Any]:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return list(found)

    def __contains__(self, key: object) -> bool:
        return key in self._extra or key in self._base

    def __iter__(self) -> Iterator[str]:
        yield from self._base
        yield from (k for k in self._extra if k not in self._base)

    def __len__(self) -> int:
        return len(self._base) + sum(1 for k in self._extra if k not in self._base)


class MergedLexical(LexicalIndex):
    """A base index (memory-mapped, shared by the processes) and a small segment of
    clauses after it, searched as one index over both.

    The segment's postings are weighted with the statistics of both (clause count,
    document frequencies, mean length); the base's are rescaled term by term to the
    same IDF when read. The base's length normalisation keeps the base's mean clause
    length, which a few added statements barely move: scores agree with one build over
    both to within a small tolerance (a test checks). Nothing of the base is copied but
    the vocabulary (a dict of term ids) and the per-term statistics."""

    def __init__(
        self,
        base: LexicalIndex,
        texts: Sequence[str],
        clause_doc: np.ndarray,
        doc_words: Sequence[frozenset[str]] = (),
        *,
        first_doc: int,
        tokens: WordTokens | None = None,
        gone: np.ndarray | None = None,
        gone_texts: Sequence[str] = (),
    ) -> None:
        """``texts`` and ``doc_words`` are the segment's (its documents numbered from
        ``first_doc``); ``clause_doc`` is every clause's document, base's then the
        segment's; ``gone`` the base's clauses withdrawn (``gone_texts`` theirs), left
        out of the statistics."""
        gone = np.zeros(0, dtype=np.int64) if gone is None else np.asarray(gone, np.int64)
        less = _discount(base, gone, gone_texts)
        delta = LexicalIndex.__new__(LexicalIndex)
        delta.n = len(texts)
        delta._clause_doc = clause_doc[base.n :]
        delta._meta = {}
        delta._build(texts, tokens, base=base, less=less)
        self._gone = len(gone)
        self._base, self._delta = base, delta
        self.n = base.n + delta.n
        self._clause_doc = clause_doc
        meta: dict[str, list[int]] = defaultdict(list)
        for pos, words in enumerate(doc_words):
            for w in words:
                meta[stem(w)].append(first_doc + pos)
        self._meta = dict(base._meta)
        for w, more in meta.items():
            had = self._meta.get(w)
            extra = np.asarray(more, dtype=np.int32)
            self._meta[w] = extra if had is None else np.concatenate([had, extra])
        self._vocab = delta._vocab
        self._terms = delta._terms
        self._length_sum = base.length_sum + delta.length_sum - less[2]
        self._avgdl = delta._avgdl
        self._lengths = np.concatenate([np.asarray(base._lengths), delta._lengths])
        self._df = delta._df
        self._idf = delta._idf
        nb = len(base._idf)
        base_idf = np.asarray(base._idf, dtype=np.float32)
        self._scale = np.divide(
            self._idf[:nb], base_idf, out=np.ones(nb, dtype=np.float32), where=base_idf > 0
        )
        self._base_terms = nb
        # The base's weights are read again with the new mean length only when it
        # moved by more than this (a few statements on a large base move it by less
        # than a ten-thousandth, and the weights by less than that): else the IDF
        # rescaling alone, a multiplication per term.
        moved = abs(float(self._avgdl) / max(float(base._avgdl), 1e-9) - 1.0)
        self._renormalise = moved > RENORMALISE_ABOVE

    # Typo correction over both vocabularies: the base's tables and the new terms',
    # made when a query first needs them (a command that never corrects a typo never
    # does), like the base's own (:meth:`LexicalIndex.warm`).
    @cached_property
    def _sorted_terms(self) -> list[str]:
        new = self._terms[self._base_terms :]
        return sorted([*self._base._sorted_terms, *(t for t in new if t.isalpha())])

    @cached_property
    def _deletes(self) -> Mapping[str, list[int]]:  # type: ignore[override]
        dels: dict[str, list[int]] = defaultdict(list)
        for tid, term in enumerate(self._terms[self._base_terms :], start=self._base_terms):
            if len(term) < 3 or term.isdigit():
                continue
            for d in deletes(term):
                dels[d].append(tid)
        return _Overlay(self._base._deletes, dict(dels))

    @cached_property
    def _buckets(self) -> Mapping[str, list[str]]:  # type: ignore[override]
        buckets: dict[str, list[str]] = defaultdict(list)
        for term in self._terms[self._base_terms :]:
            if len(term) < 3 or term.isdigit():
                continue
            buckets[term[0]].append(term)
        return _Overlay(self._base._buckets, dict(buckets))

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        docs, weights = self._delta._postings(tid)
        docs = docs + self._base.n
        if tid >= self._base_terms:
            return docs, weights
        b_docs, b_weights = self._base._postings(tid)
        b_weights = self._reweigh(tid, np.asarray(b_docs), np.asarray(b_weights))
        if not len(docs):
            return np.asarray(b_docs), b_weights
        return np.concatenate([b_docs, docs]), np.concatenate([b_weights, weights])

    def _reweigh(self, tid: int, docs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The base's BM25 weights of term ``tid`` in ``docs`` as the statistics of
        both parts give them: each clause's term count is read back from its weight
        (with the base's IDF and mean length) and weighted again."""
        base = self._base
        idf_old = float(base._idf[tid])
        if idf_old <= 0 or not len(docs) or not self._renormalise:
            return weights * self._scale[tid]
        k1, b = self.k1, self.b
        lengths = np.asarray(base._lengths)[docs].astype(np.float64)
        norm_old = k1 * (1 - b + b * lengths / max(float(base._avgdl), 1.0))
        norm_new = k1 * (1 - b + b * lengths / max(float(self._avgdl), 1.0))
        r = weights.astype(np.float64) / idf_old  # = tf (k1 + 1) / (tf + norm_old)
        tf = r * norm_old / np.maximum(k1 + 1 - r, 1e-9)
        new = float(self._idf[tid]) * tf * (k1 + 1) / (tf + norm_new)
        return new.astype(np.float32)


def _discount(
    base: LexicalIndex, gone: np.ndarray, texts: Sequence[str]
) -> tuple[np.ndarray, int, float]:
    """What the base's ``gone`` clauses (their normalised ``texts``) count in its
    statistics: each term's document frequency (its joined split words too, as the
    build indexes them), the clauses and their words."""
    df = np.zeros(len(base._df), dtype=np.float32)
    vocab = base._vocab
    for text in texts:
        tids = [vocab.get(stem(w), -1) for w in text.split()]
        held = {t for t in tids if t >= 0}
        for a, b2 in itertools.pairwise(tids):
            if a >= 0 and b2 >= 0:
                first = base._terms[a]
                joined = vocab.get(first + base._terms[b2])
                long_enough = len(first) + len(base._terms[b2]) >= 6
                if joined is not None and long_enough and first not in STOP_WORDS:
                    held.add(joined)
        if held:
            df[np.fromiter(held, dtype=np.int64)] += 1
    lengths = np.asarray(base._lengths)[gone] if len(gone) else np.zeros(0)
    return df, len(gone), float(lengths.sum())


def rerank(
    qnorm: str, phrase_q: str, keywords_q: str, texts: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Phrase similarity (partial_ratio) and keyword similarity (token_set_ratio), 0-100."""
    phrase = process.cdist([phrase_q], texts, scorer=fuzz.partial_ratio, workers=1)[0]
    if phrase_q != qnorm:
        typed = process.cdist([qnorm], texts, scorer=fuzz.partial_ratio, workers=1)[0]
        phrase = np.maximum(phrase, typed)
    keywords = process.cdist([keywords_q], texts, scorer=fuzz.token_set_ratio, workers=1)[0]
    return phrase.astype(np.float32), keywords.astype(np.float32)
