"""Semantic signal: static word embeddings (wordllama), offline, on the CPU.

wordllama ships its 256-dimensional token embeddings (16 MB) inside its wheel; we
load them from the package's own folder with downloads disabled, so nothing is
fetched at run time (a test runs this with the network blocked). A text's vector
is the normalised average of its tokens' vectors; similarity is a dot product.

Products are ``np.einsum``, not ``@``: on a small shared machine OpenBLAS's worker
threads (started by the first ``@`` of a matrix and a vector, and spinning after
each) tripled the p99 latency of every query, and einsum's single-threaded loop is
as fast for these sizes.

Cost control (see ``bench/search_bench.py``): the clause vectors are built with
the index and kept twice — the first 64 dimensions in float32 (the model is
trained Matryoshka-style, so a prefix is a usable coarse vector) for a full scan,
and all 256 in float16 for exact scores of a few candidates. The full scan only
runs when the words found nothing the ranker is sure of (see :mod:`bot.search.ranker`).
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import mmap
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

from bot.search.lexical import WordTokens

__all__ = ["MergedSemantic", "SemanticIndex", "available", "installed", "load_model"]

log = logging.getLogger(__name__)

COARSE_DIM = 64
_lock = threading.Lock()


@cache
def load_model() -> Any | None:
    """The wordllama model from the installed wheel (never downloaded); None if absent."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        log.warning("wordllama is not installed; search runs on words only")
        return None
    folder = Path(wordllama.__file__).resolve().parent
    try:
        with _lock:
            return WordLlama.load(cache_dir=folder, disable_download=True)
    except Exception as exc:  # a broken install must not stop search
        log.warning("wordllama could not load its bundled weights (%s); words only", exc)
        return None


def available() -> bool:
    """True when the embedding model can be used."""
    return load_model() is not None


def installed() -> bool:
    """True when wordllama and its bundled weights are installed: what :func:`available`
    answers for a sound install, found without importing wordllama (half a second of a
    command's start). Used where only that is needed: an index's key, a restored index
    (whose model is loaded on its first query)."""
    if load_model.cache_info().currsize:  # loaded (or tried) already: the real answer
        return available()
    try:
        spec = importlib.util.find_spec("wordllama")
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    folder = Path(next(iter(spec.submodule_search_locations)))
    return any((folder / "weights").glob("*.safetensors"))


#: Texts per chunk when counting token document frequencies.
_CHUNK = 1 << 16
#: Gathered rows per batch when pooling (bounds the transient memory).
_BATCH_ROWS = 1 << 16

Alloc = Callable[[str, tuple[int, ...], Any], np.ndarray]


#: Clause rows per block when pooling.
_ROWS = 1 << 16


def _release(arr: np.ndarray, first: int, last: int) -> None:
    """Write rows ``first:last`` of a memory-mapped array out and drop them from RSS."""
    mm = getattr(arr, "_mmap", None)
    if not isinstance(arr, np.memmap) or mm is None or not hasattr(mm, "madvise"):
        return
    row = arr.strides[0]
    base = arr.offset % mmap.ALLOCATIONGRANULARITY  # where the data starts in the map
    start = base + first * row
    page = mmap.PAGESIZE
    lo = start - start % page
    hi = base + last * row
    if last < len(arr):
        hi -= hi % page  # keep the page shared with the next block
    if hi <= lo:
        return
    mm.flush(lo, hi - lo)
    mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


#: Clauses summed together (their accumulators stay in the CPU cache).
_SUM_ROWS = 256


def _sum_words(
    word_sums: np.ndarray, wids: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> np.ndarray:
    """Each text's sum of its words' vectors, texts given by ascending ``lengths``: one
    gather and add per word position, over the texts that are long enough."""
    acc = np.zeros((len(starts), word_sums.shape[1]), dtype=np.float32)
    buf = np.empty_like(acc)
    width = int(lengths.max(initial=0))
    for j in range(width):
        k0 = int(np.searchsorted(lengths, j, side="right"))
        part = buf[: len(starts) - k0]
        np.take(word_sums, wids[starts[k0:] + j], axis=0, out=part)
        acc[k0:] += part
    return acc


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Indices ``starts[k] .. starts[k] + counts[k] - 1`` for every k, end to end."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=offsets[1:])
    return np.repeat(starts - offsets, counts) + np.arange(total, dtype=np.int64)


def _padded(
    lengths: np.ndarray, starts: np.ndarray, values: np.ndarray, *, pad: int
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Batches ``(lo, hi, rows)``: ``rows[k]`` holds ``values[starts[lo+k]:…+lengths[lo+k]]``
    padded with ``pad`` to the batch's longest (lengths best sorted, so batches are even)."""
    n = len(lengths)
    lo = 0
    while lo < n:
        longest = int(lengths[min(n, lo + 1024) - 1 : min(n, lo + 1024)].max(initial=1))
        hi = min(n, lo + max(16, min(4096, _BATCH_ROWS // max(longest, 1))))
        width = max(1, int(lengths[lo:hi].max(initial=0)))
        cols = np.arange(width, dtype=np.int64)
        inside = cols[None, :] < lengths[lo:hi, None]
        pos = np.minimum(starts[lo:hi, None] + cols[None, :], max(len(values) - 1, 0))
        rows = np.where(inside, values[pos] if len(values) else pad, pad)
        yield lo, hi, rows
        lo = hi


def _unpadded(model: Any) -> Any:
    """Our own copy of the model's tokenizer without padding: wordllama pads every batch
    to its longest text, which made tokenizing a large corpus the slowest step."""
    tokenizer = type(model.tokenizer).from_str(model.tokenizer.to_str())
    tokenizer.no_padding()
    return tokenizer


def _normalise_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


class SemanticIndex:
    """Clause embeddings: a coarse float32 prefix for scanning, full float16 for scoring."""

    def __init__(
        self,
        texts: Sequence[str],
        vocabulary: Sequence[str] = (),
        *,
        tokens: WordTokens | None = None,
        alloc: Alloc | None = None,
        idf: np.ndarray | None = None,
        like: SemanticIndex | None = None,
    ) -> None:
        """``idf``: the token weights to pool with (a base index's, for a segment
        after it); by default they are counted over ``texts``. ``like``: an index
        whose model and tokenizer this one uses too (copying the tokenizer takes
        longer than a small segment's vectors)."""
        model = load_model() if like is None else like._model
        if model is None:
            raise RuntimeError("wordllama is not available")
        if like is None:
            self._attach(model)
        else:
            self._model, self._tokenizer = like._model, like._tokenizer
        # Corpus words (alphabetic, 3+ letters) for expanding query words the
        # corpus does not use ("tumours" -> "cancer").
        self.words = [w for w in vocabulary if len(w) > 2 and w.isalpha()]
        self.word_vectors = (
            np.asarray(model.embed(self.words, norm=True), dtype=np.float32)
            if self.words
            else np.zeros((0, 256), dtype=np.float32)
        )
        tok = tokens if tokens is not None else WordTokens.of(texts)
        n = len(tok.starts) - 1
        vocab_size, dim = model.embedding.shape
        # Texts are normalised (lower case, single spaces), so a text's tokens are its
        # words' tokens in order (a test checks): tokenize each distinct word once.
        enc = self._tokenizer.encode_batch(tok.words, add_special_tokens=False)
        wlen = np.fromiter((len(e.ids) for e in enc), dtype=np.int64, count=len(enc))
        wflat = np.fromiter(
            itertools.chain.from_iterable(e.ids for e in enc), dtype=np.int64, count=int(wlen.sum())
        )
        del enc
        wstart = np.zeros(len(wlen) + 1, dtype=np.int64)
        np.cumsum(wlen, out=wstart[1:])
        # Document frequency of each token (clauses containing it), a chunk at a time.
        df = np.zeros(vocab_size, dtype=np.float64)
        for lo in range(0, n if idf is None else 0, _CHUNK):
            hi = min(n, lo + _CHUNK)
            w = tok.wids[tok.starts[lo] : tok.starts[hi]]
            cnt = wlen[w]
            owner = np.repeat(
                np.repeat(np.arange(hi - lo, dtype=np.int64), np.diff(tok.starts[lo : hi + 1])),
                cnt,
            )
            flat = wflat[_expand(wstart[w], cnt)]
            keys = owner * vocab_size + flat
            keys.sort()  # distinct (clause, token) pairs; faster than np.unique here
            first = np.ones(len(keys), dtype=bool)
            np.not_equal(keys[1:], keys[:-1], out=first[1:])
            df += np.bincount(keys[first] % vocab_size, minlength=vocab_size)
        # IDF-weighted pooling: a clause's vector leans on its rare tokens, not on
        # "the" and "of" (plain averaging measured worse on the paraphrase table).
        self.idf = np.log(1.0 + (n + 1) / (df + 1)).astype(np.float32) if idf is None else idf
        # Each distinct word's IDF-weighted token sum; a clause's vector is the sum
        # of its words' (one padded gather and sum per batch of similar lengths).
        word_sums = np.zeros((len(wlen) + 1, dim), dtype=np.float32)  # last row: padding
        for lo, hi, rows in _padded(wlen, wstart, wflat, pad=-1):
            vecs = model.embedding[rows] * self.idf[rows][..., None]
            vecs[rows < 0] = 0.0
            word_sums[lo:hi] = vecs.sum(axis=1)
        make = alloc or (lambda _name, shape, dtype: np.zeros(shape, dtype=dtype))
        self.full = make("full", (n, dim), np.float16)
        self.coarse = make("coarse", (n, COARSE_DIM), np.float32)
        lengths = np.diff(tok.starts)
        # Clauses a block of rows at a time (sorted by length inside the block, so the
        # padding stays small); rows written to a memory-mapped file are handed back
        # to the page cache after each block, so they do not pile up in this process.
        for first in range(0, n, _ROWS):
            last = min(n, first + _ROWS)
            order = np.argsort(lengths[first:last], kind="stable")
            full = np.empty((last - first, dim), dtype=self.full.dtype)
            coarse = np.empty((last - first, COARSE_DIM), dtype=self.coarse.dtype)
            for lo in range(0, len(order), _SUM_ROWS):
                at = order[lo : lo + _SUM_ROWS]
                rows = first + at
                vecs = _normalise_rows(
                    _sum_words(word_sums, tok.wids, tok.starts[rows], lengths[rows])
                )
                full[at] = vecs
                coarse[at] = _normalise_rows(vecs[:, :COARSE_DIM])
            # Written in row order, a block at a time (rows scattered over a
            # memory-mapped file made the writes slow).
            self.full[first:last] = full
            self.coarse[first:last] = coarse
            del full, coarse
            for arr in (self.full, self.coarse):
                _release(arr, first, last)

    def _attach(self, model: Any) -> None:
        self._model = model
        self._tokenizer = _unpadded(model)
        self._query_tokenizer = self._tokenizer

    def warm(self) -> None:
        """Load the model now rather than on the first query."""
        _ = self._query_tokenizer

    @cached_property
    def _model(self) -> Any | None:
        """The model (loaded on first use by a restored index; None if it cannot be,
        which :func:`load_model` logs: the query then runs on words only)."""
        return load_model()

    @cached_property
    def _tokenizer(self) -> Any | None:
        """What clause texts are read with (a copy of the model's tokenizer without
        padding): made on first use by a restored index, when a segment is built
        after it (:meth:`bot.search.index.ClauseIndex.with_segment`)."""
        return _unpadded(self._model) if self._model is not None else None

    @cached_property
    def _query_tokenizer(self) -> Any | None:
        """What a restored index reads a query with: the model's own tokenizer when its
        padding leaves a single text as it is (padding a batch to its longest text, as
        wordllama's does), else a copy without padding (copying took 0.19 s)."""
        if self._model is None:
            return None
        tokenizer = self._model.tokenizer
        padding = tokenizer.padding
        if padding is None or (
            padding.get("length") is None and padding.get("pad_to_multiple_of") is None
        ):
            return tokenizer
        return _unpadded(self._model)

    @classmethod
    def restore(
        cls,
        *,
        full: np.ndarray,
        coarse: np.ndarray,
        idf: np.ndarray,
        words: list[str],
        word_vectors: np.ndarray,
    ) -> SemanticIndex:
        """An index over vectors built earlier (e.g. memory-mapped from the cache). The
        model is loaded by the first query that needs it (a command that never searches
        never imports wordllama)."""
        if not installed():
            raise RuntimeError("wordllama is not available")
        self = cls.__new__(cls)
        self.full, self.coarse, self.idf = full, coarse, idf
        self.words, self.word_vectors = words, word_vectors
        return self

    def _pool(self, token_ids: np.ndarray) -> np.ndarray:
        """IDF-weighted mean of the tokens' vectors, unit length (zeros if no tokens)."""
        dim = self._model.embedding.shape[1]
        if len(token_ids) == 0:
            return np.zeros(dim, dtype=np.float32)
        vec = np.einsum("i,ij->j", self.idf[token_ids], self._model.embedding[token_ids])
        norm = float(np.linalg.norm(vec))
        return (vec / norm if norm else vec).astype(np.float32)

    @property
    def nbytes(self) -> int:
        """Memory held by the clause and word vectors."""
        return int(self.full.nbytes + self.coarse.nbytes + self.word_vectors.nbytes)

    def neighbours(
        self, word: str, *, k: int = 3, min_sim: float = 0.35
    ) -> list[tuple[str, float]]:
        """Corpus words nearest in meaning to ``word`` (cosine ≥ ``min_sim``), best first."""
        if not len(self.words) or self._model is None:
            return []
        vec = np.asarray(self._model.embed([word], norm=True), dtype=np.float32)[0]
        sims = np.einsum("ij,j->i", self.word_vectors, vec)
        top = np.argpartition(-sims, min(k, len(sims) - 1))[: k + 1]
        top = top[np.argsort(-sims[top])]
        return [(self.words[i], float(sims[i])) for i in top[:k] if sims[i] >= min_sim]

    def embed_query(self, text: str) -> np.ndarray | None:
        """The query's unit vector (None when it has no known tokens)."""
        tokenizer = self._query_tokenizer
        if not text.strip() or tokenizer is None:
            return None
        enc = tokenizer.encode(text, add_special_tokens=False)
        vec = self._pool(np.asarray(enc.ids, dtype=np.int64))
        return vec if np.any(vec) else None

    def nearest(self, qvec: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
        """Indices of the ``k`` clauses nearest to the query (coarse scan, then exact)."""
        n = len(self)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        q = qvec[:COARSE_DIM]
        q = q / (np.linalg.norm(q) or 1.0)
        scores = self._coarse_scores(q)
        if mask is not None:
            scores[~mask] = -2.0
        wide = min(n, k * 4)
        pool = np.argpartition(-scores, wide - 1)[:wide] if wide < n else np.arange(n)
        exact = self.similarity(qvec, pool)
        if mask is not None:
            exact[~mask[pool]] = -2.0
        keep = pool[np.argsort(-exact)[:k]]
        return keep[exact[np.argsort(-exact)[:k]] > -2.0]

    def similarity(self, qvec: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query with these clauses (float32)."""
        return np.einsum("ij,j->i", self.full[idx].astype(np.float32), qvec)

    def __len__(self) -> int:
        return len(self.coarse)

    def _coarse_scores(self, q: np.ndarray) -> np.ndarray:
        """Cosine of the (coarse, unit) query with every clause's coarse vector."""
        return np.einsum("ij,j->i", self.coarse, q)


class MergedSemantic(SemanticIndex):
    """A base's clause vectors and a segment's after them, read as one index (the
    segment pooled with the base's token weights; neither matrix copied)."""

    def __init__(
        self, base: SemanticIndex, delta: Callable[[], SemanticIndex], size: int
    ) -> None:
        """``delta`` makes the segment's index of ``size`` clauses, when a query (or
        :meth:`warm`) first needs it: a command that never searches never loads the
        word model for it."""
        self._base, self._make_delta, self._size = base, delta, size
        self.idf = base.idf
        self._n = len(base)

    @cached_property
    def _delta(self) -> SemanticIndex:
        delta = self._make_delta()
        if len(delta) != self._size:
            raise ValueError("the segment's word vectors do not match its clauses")
        return delta

    @cached_property
    def _model(self) -> Any | None:
        return self._base._model

    @cached_property
    def _tokenizer(self) -> Any | None:
        return self._base._tokenizer

    @cached_property
    def words(self) -> list[str]:  # type: ignore[override]
        return [*self._base.words, *self._delta.words]

    def warm(self) -> None:
        """Make the segment's vectors and load the model now (a server does, before
        it answers)."""
        self._base.warm()
        _ = self._delta
        super().warm()

    @property
    def nbytes(self) -> int:
        return self._base.nbytes + self._delta.nbytes

    def __len__(self) -> int:
        return self._n + self._size

    def neighbours(
        self, word: str, *, k: int = 3, min_sim: float = 0.35
    ) -> list[tuple[str, float]]:
        found = [
            *self._base.neighbours(word, k=k, min_sim=min_sim),
            *self._delta.neighbours(word, k=k, min_sim=min_sim),
        ]
        return sorted(found, key=lambda p: -p[1])[:k]

    def _coarse_scores(self, q: np.ndarray) -> np.ndarray:
        return np.concatenate([self._base._coarse_scores(q), self._delta._coarse_scores(q)])

    def similarity(self, qvec: np.ndarray, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        out = np.empty(len(idx), dtype=np.float32)
        low = idx < self._n
        out[low] = self._base.similarity(qvec, idx[low])
        out[~low] = self._delta.similarity(qvec, idx[~low] - self._n)
        return out
