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
runs when the words found nothing good (see :mod:`bot.search.fusion`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SemanticIndex", "available", "load_model"]

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


def _normalise_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


class SemanticIndex:
    """Clause embeddings: a coarse float32 prefix for scanning, full float16 for scoring."""

    def __init__(
        self, texts: Sequence[str], vocabulary: Sequence[str] = (), *, batch_size: int = 512
    ) -> None:
        model = load_model()
        if model is None:
            raise RuntimeError("wordllama is not available")
        self._model = model
        # Our own copy of the tokenizer without padding: wordllama pads every batch
        # to its longest text, which made tokenizing a large corpus the slowest step.
        self._tokenizer = type(model.tokenizer).from_str(model.tokenizer.to_str())
        self._tokenizer.no_padding()
        # Corpus words (alphabetic, 3+ letters) for expanding query words the
        # corpus does not use ("tumours" -> "cancer").
        self.words = [w for w in vocabulary if len(w) > 2 and w.isalpha()]
        self.word_vectors = (
            np.asarray(model.embed(self.words, norm=True), dtype=np.float32)
            if self.words
            else np.zeros((0, 256), dtype=np.float32)
        )
        n = len(texts)
        # Token ids of every clause, flat. Texts are normalised (lower case, single
        # spaces), so a text's tokens are its words' tokens in order (a test checks):
        # tokenize each distinct word once instead of every text.
        distinct = sorted({w for t in texts for w in t.split()})
        table = {
            w: e.ids
            for w, e in zip(
                distinct,
                self._tokenizer.encode_batch(distinct, add_special_tokens=False),
                strict=True,
            )
        }
        lengths = np.zeros(n, dtype=np.int64)
        flat_ids: list[int] = []
        for k, t in enumerate(texts):
            before = len(flat_ids)
            for w in t.split():
                flat_ids.extend(table[w])
            lengths[k] = len(flat_ids) - before
        flat = np.asarray(flat_ids, dtype=np.int64)
        owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
        vocab_size, dim = model.embedding.shape
        # Document frequency of each token: unique (clause, token) pairs.
        pairs = np.unique(owner * vocab_size + flat)
        df = np.bincount(pairs % vocab_size, minlength=vocab_size).astype(np.float64)
        # IDF-weighted pooling: a clause's vector leans on its rare tokens, not on
        # "the" and "of" (plain averaging measured worse on the paraphrase table).
        self.idf = np.log(1.0 + (n + 1) / (df + 1)).astype(np.float32)
        self.full = np.zeros((n, dim), dtype=np.float16)
        self.coarse = np.zeros((n, COARSE_DIM), dtype=np.float32)
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        for lo in range(0, n, batch_size):
            hi = min(n, lo + batch_size)
            a, b = starts[lo], starts[hi]
            if a == b:
                continue
            tok = flat[a:b]
            weighted = model.embedding[tok] * self.idf[tok, None]
            local = starts[lo:hi] - a
            # reduceat sums each clause's slice; an empty clause must stay zero.
            sums = np.add.reduceat(weighted, np.minimum(local, b - a - 1), axis=0)
            sums[lengths[lo:hi] == 0] = 0.0
            vecs = _normalise_rows(sums)
            self.full[lo:hi] = vecs
            self.coarse[lo:hi] = _normalise_rows(vecs[:, :COARSE_DIM].copy())

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
        if not len(self.words):
            return []
        vec = np.asarray(self._model.embed([word], norm=True), dtype=np.float32)[0]
        sims = np.einsum("ij,j->i", self.word_vectors, vec)
        top = np.argpartition(-sims, min(k, len(sims) - 1))[: k + 1]
        top = top[np.argsort(-sims[top])]
        return [(self.words[i], float(sims[i])) for i in top[:k] if sims[i] >= min_sim]

    def embed_query(self, text: str) -> np.ndarray | None:
        """The query's unit vector (None when it has no known tokens)."""
        if not text.strip():
            return None
        enc = self._tokenizer.encode(text, add_special_tokens=False)
        vec = self._pool(np.asarray(enc.ids, dtype=np.int64))
        return vec if np.any(vec) else None

    def nearest(self, qvec: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
        """Indices of the ``k`` clauses nearest to the query (coarse scan, then exact)."""
        n = len(self.coarse)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        q = qvec[:COARSE_DIM]
        q = q / (np.linalg.norm(q) or 1.0)
        scores = np.einsum("ij,j->i", self.coarse, q)
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
