"""Sentence vectors of every clause (:mod:`bot.search.encoder`), cached by clause text.

Encoding is the expensive part of this signal — tens of clauses a second on a
small CPU — so each clause is encoded once, ever: vectors are kept on disk keyed
by a digest of the model name and the clause text, in append-only shard files
(``<cache>/sentences/<model>/*.npz``). A new statement costs only its own
clauses; a restart costs nothing. A shard is written to a temporary name and
renamed, so a reader never sees half a file and concurrent writers never clash;
a shard that cannot be read is ignored (and its clauses encoded again).

Queries scan the clause matrix (float32, 384 columns) with one matrix-vector
product; it runs only when the words found nothing good (see
:mod:`bot.search.ranker`), so keyword and typo'd queries pay nothing for it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.reading.safeio import current_umask
from bot.search.encoder import DIM

__all__ = ["SEED_DIR", "ChainedSentences", "SentenceIndex", "VectorCache", "digest", "write_seed"]

#: Vectors shipped beside a corpus: ``<corpus>/.vectors/<model>/*.npz`` (read-only).
SEED_DIR = ".vectors"

log = logging.getLogger(__name__)

MODEL_KEY = "all-minilm-l6-v2"
_write_lock = threading.Lock()


def digest(text: str) -> bytes:
    """16-byte key of a clause text for this model."""
    return hashlib.blake2b(f"{MODEL_KEY}\0{text}".encode(), digest_size=16).digest()


class VectorCache:
    """Clause-text digest -> vector, on disk (append-only shards) and in memory."""

    def __init__(self, folder: Path | None, seeds: Sequence[Path] = ()) -> None:
        self.folder = folder / "sentences" / MODEL_KEY if folder else None
        self._known: dict[bytes, np.ndarray] = {}
        # Read-only shards shipped beside a corpus (``corpus/.vectors``), then ours.
        places = [p / MODEL_KEY for p in seeds] + ([self.folder] if self.folder else [])
        for place in places:
            if not place.is_dir():
                continue
            for shard in sorted(place.glob("*.npz")):
                self._read(shard)

    def _read(self, shard: Path) -> None:
        try:
            with np.load(shard) as data:
                keys, vecs = data["keys"], data["vectors"]
            if keys.ndim != 2 or keys.shape[1] != 16 or vecs.shape != (len(keys), DIM):
                raise ValueError("shapes do not match")
        except Exception as exc:
            log.warning("ignoring unreadable sentence-vector shard %s (%s)", shard, exc)
            return
        for k, v in zip(keys, vecs, strict=True):
            self._known[k.tobytes()] = v

    def get(self, key: bytes) -> np.ndarray | None:
        """The cached vector for ``key``, or None."""
        return self._known.get(key)

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Remember new vectors, and write them as one new shard (best effort)."""
        for k, v in zip(keys, vectors, strict=True):
            self._known[k] = v
        if not self.folder or not keys:
            return
        try:
            write_shard(self.folder, keys, vectors)
        except OSError as exc:
            log.warning("could not write the sentence-vector cache (%s); continuing", exc)


def write_shard(folder: Path, keys: Sequence[bytes], vectors: np.ndarray) -> Path:
    """One shard file (temporary name, then renamed into place)."""
    with _write_lock:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 16),
                    vectors=vectors.astype(np.float16),
                )
            os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp made it 0600
            name = hashlib.blake2b(b"".join(keys), digest_size=8).hexdigest()
            target = folder / f"{name}.npz"
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target


class SentenceIndex:
    """Unit sentence vectors of clauses; ``scores(query)`` is their cosine with it.

    ``encode=False`` takes only what the cache has (fast), for a swap that must not
    wait; a full one is built afterwards."""

    def __init__(
        self,
        texts: Sequence[str],
        *,
        encoder: Any = None,
        cache_dir: Path | None = None,
        seeds: Sequence[Path] = (),
        progress: Callable[[int, int], None] | None = None,
        chunk: int = 256,
        encode: bool = True,
        cache: VectorCache | None = None,
    ) -> None:
        from bot.search.encoder import load_encoder

        self.encoder = encoder or load_encoder()
        if self.encoder is None:
            raise RuntimeError("the sentence encoder is not installed")
        # ``cache``: one already read (a long ingest encodes batch after batch with it)
        cache = cache if cache is not None else VectorCache(cache_dir, seeds)
        keys = [digest(t) for t in texts]
        self.matrix = np.zeros((len(texts), DIM), dtype=np.float32)
        missing: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            v = cache.get(k)
            if v is None:
                missing.setdefault(k, []).append(i)
            else:
                self.matrix[i] = v
        todo = list(missing) if encode else []
        self.encoded = len(todo)
        #: Clauses left without a vector (``encode=False``): their row is zero, so the
        #: sentence signal never picks them; the words still find them.
        self.missing = 0 if encode else sum(len(v) for v in missing.values())
        started = time.perf_counter()
        for lo in range(0, len(todo), chunk):
            part = todo[lo : lo + chunk]
            vecs = self.encoder.encode([texts[missing[k][0]] for k in part])
            for k, v in zip(part, vecs, strict=True):
                self.matrix[missing[k]] = v
            cache.put(part, vecs)
            if progress:
                progress(min(lo + chunk, len(todo)), len(todo))
        self.build_seconds = time.perf_counter() - started

    @property
    def nbytes(self) -> int:
        """Memory held by the clause vectors."""
        return int(self.matrix.nbytes)

    def __len__(self) -> int:
        return len(self.matrix)

    def embed(self, text: str) -> np.ndarray:
        """The query's unit vector."""
        return self.encoder.encode([text])[0]

    def scores(self, qvec: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """Cosine of the query with every clause (or those in ``idx``)."""
        m = self.matrix if idx is None else self.matrix[idx]
        return np.einsum("ij,j->i", m, qvec)


def write_seed(corpus_dir: Path, texts: Sequence[str]) -> tuple[Path, int]:
    """Encode ``texts`` and write them as the corpus's shipped vectors (one shard,
    replacing the old ones); returns the file and how many texts it holds."""
    unique = list(dict.fromkeys(texts))
    index = SentenceIndex(unique, seeds=[corpus_dir / SEED_DIR])
    folder = corpus_dir / SEED_DIR / MODEL_KEY
    old = sorted(folder.glob("*.npz")) if folder.is_dir() else []
    target = write_shard(folder, [digest(t) for t in unique], index.matrix)
    for f in old:
        if f != target:
            f.unlink()
    return target, len(unique)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.search.sentences CORPUS_DIR``: (re)write the corpus's shipped vectors."""
    import sys

    from bot.reading.clauses import segment_all
    from bot.reading.documents import CorpusError, load_corpus

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m bot.search.sentences CORPUS_DIR", file=sys.stderr)
        return 2
    try:
        docs = load_corpus(Path(args[0])).documents
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path, n = write_seed(Path(args[0]), [c.text for c in segment_all(docs)])
    print(f"wrote {n} clause vectors to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


class ChainedSentences:
    """A base's clause vectors and a segment's after them, read as one
    :class:`SentenceIndex` (the base's matrix is not copied)."""

    def __init__(self, base: SentenceIndex | ChainedSentences, delta: SentenceIndex) -> None:
        self.base, self.delta = base, delta
        self.encoder = delta.encoder
        #: What the segment's build encoded and left missing (the base's were counted
        #: when it was built).
        self.encoded = delta.encoded
        self.missing = delta.missing
        self.build_seconds = delta.build_seconds
        self._n = len(base)

    def __len__(self) -> int:
        return self._n + len(self.delta)

    @property
    def nbytes(self) -> int:
        return int(self.base.nbytes + self.delta.nbytes)

    def embed(self, text: str) -> np.ndarray:
        """The query's unit vector."""
        return self.delta.embed(text)

    def scores(self, qvec: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """Cosine of the query with every clause (or those in ``idx``)."""
        if idx is None:
            return np.concatenate([self.base.scores(qvec), self.delta.scores(qvec)])
        idx = np.asarray(idx, dtype=np.int64)
        out = np.empty(len(idx), dtype=np.float32)
        low = idx < self._n
        out[low] = self.base.scores(qvec, idx[low])
        out[~low] = self.delta.scores(qvec, idx[~low] - self._n)
        return out
