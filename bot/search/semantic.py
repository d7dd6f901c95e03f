"""Semantic signal: static word embeddings (wordllama), offline, on the CPU.

wordllama ships its 256-dimensional token embeddings (16 MB) inside its wheel; we
load them from the package's own folder with downloads disabled, so nothing is
fetched at run time (a test runs this with the network blocked). A text's vector
is the normalised average of its tokens' vectors; similarity is a dot product.

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

    def __init__(self, texts: Sequence[str], *, batch_size: int = 512) -> None:
        model = load_model()
        if model is None:
            raise RuntimeError("wordllama is not available")
        self._model = model
        n = len(texts)
        self.full = np.zeros((n, 256), dtype=np.float16)
        self.coarse = np.zeros((n, COARSE_DIM), dtype=np.float32)
        for lo in range(0, n, batch_size):
            chunk = list(texts[lo : lo + batch_size])
            vecs = np.asarray(model.embed(chunk, norm=False), dtype=np.float32)
            vecs = _normalise_rows(vecs)
            self.full[lo : lo + len(chunk)] = vecs
            self.coarse[lo : lo + len(chunk)] = _normalise_rows(vecs[:, :COARSE_DIM].copy())

    @property
    def nbytes(self) -> int:
        """Memory held by the clause vectors."""
        return int(self.full.nbytes + self.coarse.nbytes)

    def embed_query(self, text: str) -> np.ndarray | None:
        """The query's unit vector (None when it has no known tokens)."""
        if not text.strip():
            return None
        vec = np.asarray(self._model.embed([text], norm=False), dtype=np.float32)[0]
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else None

    def nearest(self, qvec: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
        """Indices of the ``k`` clauses nearest to the query (coarse scan, then exact)."""
        n = len(self.coarse)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        q = qvec[:COARSE_DIM]
        q = q / (np.linalg.norm(q) or 1.0)
        scores = self.coarse @ q
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
        return self.full[idx].astype(np.float32) @ qvec
