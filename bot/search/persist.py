"""The built clause index on disk: load in a fraction of a second instead of rebuilding.

An entry is a directory under the cache directory (``BRIEFBOT_INDEX_CACHE``) named by
a key over the corpus (every document's id, metadata and a checksum of its text, or
every clause) *and* the code (:data:`INDEX_FORMAT`, the package version and a hash
of the modules that build the index). Arrays are ``.npy`` files opened with
``np.load(mmap_mode="r")``, so processes on one machine share their pages; strings
are one UTF-8 buffer plus offsets each; clauses are made on access.

Writes go to a temporary directory renamed into place (atomic), so a reader never
sees half an entry and two builders end with one valid entry. A corrupt or
mismatched entry is logged once, set aside and rebuilt.

Integrity: ``meta.json`` records each array file's size and CRC-32, and a SHA-256 of
its own content; :func:`load` checks them all before it returns, so a file cut short
or edited in place (one byte of a clause's text) is never served as a quote. CRC-32
catches every change of up to 32 consecutive bits, so any one edited byte, and random
damage but for one chance in 4 billion; it is not a defence against someone who can
write the cache (they could rewrite ``meta.json`` too). The files are summed on a
second thread while the entry is mapped. Measured at 100k clauses (146 MB on disk) on
2 cores, median of 6 fresh processes: load 0.69 s without checks, 0.76 s with CRC-32,
0.85 s with SHA-256 (hence CRC-32).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.reading.clauses import Clause
from bot.search.columns import STRING_FIELDS, ClauseColumns, DocMeta, StringColumn

__all__ = [
    "INDEX_FORMAT",
    "ClauseColumns",
    "SavedBase",
    "StringColumn",
    "as_columns",
    "clauses_key",
    "code_version",
    "digests_key",
    "document_digest",
    "documents_key",
    "family_key",
    "load",
    "load_or_build",
    "load_saved",
    "nearest_base",
    "save",
]

log = logging.getLogger(__name__)

#: Bump when the saved layout changes (the source hash catches most other changes).
INDEX_FORMAT = 5
#: Entries kept per cache directory (the most recently used).
KEEP_ENTRIES = 4
_SOURCES = ("search/*.py", "reading/*.py")


# --------------------------------------------------------------------------- keys


@cache
def code_version() -> str:
    """Format, package version and a hash of the modules that build the index (read
    once per process: the code that runs is the code that was imported)."""
    import bot

    root = Path(bot.__file__).resolve().parent
    digest = hashlib.sha256(f"format {INDEX_FORMAT}\0".encode())
    for pattern in _SOURCES:
        for path in sorted(root.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    try:
        from importlib.metadata import version

        digest.update(version("briefbot").encode())
    except Exception:  # not installed as a distribution (a plain checkout)
        pass
    return digest.hexdigest()


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def document_digest(d: Any) -> str:
    """One document's id, metadata and text checksum, as one digest: what a saved
    index records of each of its documents (to find one to build on)."""
    fields = [
        d.doc_id,
        d.title,
        getattr(d, "short_title", ""),
        _iso(d.date),
        "|".join(getattr(d, "parties", ()) or ()),
        getattr(d, "kind", ""),
        getattr(d, "source", ""),
        hashlib.sha256(d.body.encode()).hexdigest(),
    ]
    return hashlib.sha256(("\x1f".join(fields) + "\x1e").encode()).hexdigest()


def family_key(**params: Any) -> str:
    """What indexes built by this code with these parameters share, whatever their
    documents: a saved index of the same family can take a segment of the rest."""
    digest = hashlib.sha256(code_version().encode())
    digest.update(json.dumps(params, sort_keys=True).encode())
    return digest.hexdigest()


def documents_key(docs: Iterable[Any], **params: Any) -> str:
    """Key over every document's id, metadata and text checksum, plus build parameters."""
    return digests_key([document_digest(d) for d in docs], **params)


def digests_key(digests: Iterable[str], **params: Any) -> str:
    """:func:`documents_key` of the documents of these :func:`document_digest` values
    (each document's text read once for both)."""
    digest = hashlib.sha256(family_key(**params).encode())
    for d in digests:
        digest.update(d.encode())
    return digest.hexdigest()


def as_columns(clauses: Sequence[Clause]) -> ClauseColumns:
    """``clauses`` as columns (the same object when they already are)."""
    return clauses if isinstance(clauses, ClauseColumns) else ClauseColumns.of(clauses)


def clauses_key(clauses: Sequence[Clause], documents: Iterable[Any] = (), **params: Any) -> str:
    """Key over every clause (and the documents' metadata), plus build parameters: a
    hash of the clauses' columns (:func:`as_columns`)."""
    digest = hashlib.sha256(documents_key(documents, **params).encode())
    cols = as_columns(clauses)
    for name in STRING_FIELDS:
        col = cols.column(name)
        digest.update(np.ascontiguousarray(col.offsets, dtype=np.int64))
        digest.update(np.ascontiguousarray(col.buf))
    for arr in (cols.clause_doc, cols.blocks, cols.sentences, cols.bullets):
        digest.update(str(np.asarray(arr).dtype).encode())
        digest.update(np.ascontiguousarray(arr))
    rows = [[d, t, _iso(w)] for d, t, w in cols.doc_rows]
    digest.update(json.dumps(rows, ensure_ascii=False).encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- save / load


def _crc32(path: Path) -> int:
    """CRC-32 of the file's bytes (zlib's, which lets go of the GIL while it runs)."""
    crc = 0
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
    return crc


def _put(folder: Path, name: str, arr: np.ndarray, files: dict[str, list[Any]]) -> None:
    """Write ``arr`` as ``name.npy`` and record its size and CRC-32 in ``files``."""
    path = folder / f"{name}.npy"
    if (
        isinstance(arr, np.memmap)
        and arr.filename
        and Path(arr.filename).resolve() == path.resolve()
    ):
        arr.flush()
    else:
        np.save(path, np.ascontiguousarray(arr), allow_pickle=False)
    files[path.name] = [path.stat().st_size, _crc32(path)]


def _put_strings(folder: Path, name: str, col: StringColumn, files: dict[str, list[Any]]) -> None:
    _put(folder, f"{name}.buf", col.buf, files)
    _put(folder, f"{name}.off", col.offsets, files)


def _meta_digest(meta: dict[str, Any]) -> str:
    """SHA-256 of ``meta`` (without its own ``checksum``), as canonical JSON."""
    body = {k: v for k, v in meta.items() if k != "checksum"}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _titles(cols: ClauseColumns, index: Any) -> list[tuple[str, date | None]] | None:
    """Each indexed document's (title, date) as its clauses give it; None when two
    clauses of one document disagree (such an index is not cached)."""
    docs_meta = index._docs
    titles: list[tuple[str, date | None] | None] = [None] * len(docs_meta)
    first = np.unique(np.asarray(cols.clause_doc), return_index=True)[1]
    for (doc_id, title, when), k in zip(
        cols.doc_rows, index._clause_doc[first].tolist(), strict=True
    ):
        seen = titles[k]
        if seen is None:
            titles[k] = (title, when)
        elif seen != (title, when) or doc_id != docs_meta[k].doc_id:
            log.info("index cache: clauses of %s disagree on their title; not cached", doc_id)
            return None
    return [t or ("", None) for t in titles]


def save(
    index: Any, folder: Path, key: str, record: Mapping[str, Any] | None = None
) -> bool:
    """Write ``index`` into ``folder``; False (nothing usable written) if it cannot be.
    ``record`` is kept in its meta.json as it is (what :func:`nearest_base` reads:
    the family key and each document's digest)."""
    cols = as_columns(index.clauses)
    titles = _titles(cols, index)
    if titles is None:
        return False
    files: dict[str, list[Any]] = {}  # file name -> [size, CRC-32]
    n = len(cols)
    for name in STRING_FIELDS:
        _put_strings(folder, name, cols.column(name), files)
    _put_strings(folder, "norm", index._norm, files)
    _put(folder, "clause_doc", np.asarray(index._clause_doc, dtype=np.int32), files)
    _put(folder, "block", np.asarray(cols.blocks, dtype=np.int64), files)
    _put(folder, "sentence", np.asarray(cols.sentences, dtype=np.int64), files)
    _put(folder, "bullet", np.asarray(cols.bullets, dtype=bool), files)
    for name in ("ahead", "dated", "place"):
        _put(folder, name, getattr(index, f"_{name}"), files)
    lex = index.lexical
    for name in ("weights", "post_docs", "offsets", "df", "idf", "lengths"):
        _put(folder, f"lex_{name}", getattr(lex, f"_{name}"), files)
    sem = index.semantic
    if sem is not None:
        for name in ("full", "coarse", "idf", "word_vectors"):
            _put(folder, f"sem_{name}", getattr(sem, name), files)
    meta: dict[str, Any] = {
        "key": key,
        "format": INDEX_FORMAT,
        "clauses": n,
        "candidates": index.candidates,
        "docs": [
            [m.doc_id, t[0], m.title, _iso(m.when), sorted(m.words), sorted(m.parties), m.kind]
            for m, t in zip(index._docs, titles, strict=True)
        ],
        "parties": list(index._parties),
        "terms": lex.terms,
        "meta_words": {w: p.tolist() for w, p in lex._meta.items()},
        "length_sum": lex.length_sum,
        # How many documents' titles use each title word: what a segment added after
        # this index counts on (ClauseIndex.with_segment).
        "title_counts": getattr(index, "_title_counts", None),
        "semantic_words": sem.words if sem is not None else None,
        "files": files,
        **(record or {}),
    }
    meta["checksum"] = _meta_digest(meta)
    text = json.dumps(meta, ensure_ascii=False)
    (folder / "meta.json").write_text(text, encoding="utf-8")
    return True


def load(folder: Path, key: str, restore: Callable[[dict[str, Any]], Any]) -> Any:
    """The index saved in ``folder`` (arrays memory-mapped), made by ``restore`` from
    its parts (``ClauseIndex._restore``: this module never imports the index, which
    imports it); raises if it is unusable: made for another key or code version, or any
    file's size or checksum not the one recorded when it was saved."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta.get("key") != key or meta.get("format") != INDEX_FORMAT:
        raise ValueError("made for another corpus or code version")
    if meta.get("checksum") != _meta_digest(meta):
        raise ValueError("meta.json does not match its checksum")
    for name, (size, _) in meta["files"].items():
        if (folder / name).stat().st_size != size:
            raise ValueError(f"{name} has the wrong size")
    checking = _Verify(folder, meta["files"])  # hashes on a second thread meanwhile
    try:
        index = restore(_parts(folder, meta))
    finally:
        bad = checking.result()
    if bad:
        raise ValueError(f"{', '.join(bad)} does not match its checksum (edited or corrupt)")
    return index


class _Verify(threading.Thread):
    """Each file's CRC-32 compared with the recorded one, on its own thread (reading
    and summing release the GIL, so this overlaps the mapping work of :func:`load`)."""

    def __init__(self, folder: Path, files: dict[str, list[Any]]) -> None:
        super().__init__(name="index-checksums", daemon=True)
        self._folder, self._files = folder, files
        self._bad: list[str] = []
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            for name, (_, crc) in self._files.items():
                if _crc32(self._folder / name) != crc:
                    self._bad.append(name)
        except BaseException as exc:  # raised again in the loading thread
            self._error = exc

    def result(self) -> list[str]:
        """Names whose content does not match (waits for the thread)."""
        self.join()
        if self._error is not None:
            raise self._error
        return self._bad


def _parts(folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The parts of the index of a checked ``meta`` in ``folder``, arrays memory-mapped."""
    from bot.search.lexical import LexicalIndex

    def arr(name: str) -> np.ndarray:
        return np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    def strings(name: str) -> StringColumn:
        return StringColumn(arr(f"{name}.buf"), arr(f"{name}.off"))

    n = meta["clauses"]
    docs = [
        DocMeta(
            d_id,
            norm_title,
            date.fromisoformat(when) if when else None,
            frozenset(words),
            frozenset(parties),
            kind,
        )
        for d_id, _, norm_title, when, words, parties, kind in meta["docs"]
    ]
    doc_rows = [(m.doc_id, d[1], m.when) for m, d in zip(docs, meta["docs"], strict=True)]
    clause_doc = arr("clause_doc")
    cols = {name: strings(name) for name in STRING_FIELDS}
    clauses = ClauseColumns(
        cols, clause_doc, arr("block"), arr("sentence"), arr("bullet"), doc_rows
    )
    if len(clauses) != n or any(len(c) != n for c in cols.values()):
        raise ValueError("column lengths disagree")
    lex = LexicalIndex.__new__(LexicalIndex)
    lex.n = n
    lex._clause_doc = clause_doc
    lex._meta = {w: np.asarray(p, dtype=np.int32) for w, p in meta["meta_words"].items()}
    lex._terms = meta["terms"]
    lex._vocab = {t: i for i, t in enumerate(lex._terms)}
    lex._length_sum = float(meta["length_sum"])
    for name in ("weights", "post_docs", "offsets", "df", "idf", "lengths"):
        setattr(lex, f"_{name}", arr(f"lex_{name}"))
    lex._avgdl = lex._length_sum / n if n else 1.0
    if len(lex._offsets) != len(lex._terms) + 1:
        raise ValueError("vocabulary and postings disagree")
    semantic = None
    if meta["semantic_words"] is not None:
        from bot.search.semantic import SemanticIndex

        semantic = SemanticIndex.restore(
            full=arr("sem_full"),
            coarse=arr("sem_coarse"),
            idf=arr("sem_idf"),
            words=meta["semantic_words"],
            word_vectors=arr("sem_word_vectors"),
        )
        if semantic.full.shape[0] != n or semantic.coarse.shape[0] != n:
            raise ValueError("vectors and clauses disagree")
    state = {
        "clauses": clauses,
        "candidates": meta["candidates"],
        "norm": strings("norm"),
        "docs": docs,
        "clause_doc": clause_doc,
        "lexical": lex,
        "ahead": arr("ahead"),
        "dated": arr("dated"),
        "place": arr("place"),
        "parties": meta["parties"],
        "semantic": semantic,
        "title_counts": meta["title_counts"],
    }
    return state


# --------------------------------------------------------------------------- cache


def _set_aside(entry: Path) -> None:
    """Take a broken entry out of the way (renamed first, so nobody reads half of it)."""
    trash = entry.with_name(f".trash-{entry.name}-{os.getpid()}")
    try:
        os.rename(entry, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _prune(root: Path, keep: Path) -> None:
    entries = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in entries if p != keep][KEEP_ENTRIES - 1 :]:
        _set_aside(old)
        with contextlib.suppress(OSError):
            (root / f".lock-{old.name}").unlink()


def load_or_build(
    cache_dir: Path | str | None,
    key: str,
    build: Callable[[Any], Any],
    restore: Callable[[dict[str, Any]], Any],
    record: Mapping[str, Any] | None = None,
) -> Any:
    """The cached index for ``key`` (made by ``restore``, see :func:`load`), or
    ``build(alloc)`` saved there and loaded back.

    ``alloc(name, shape, dtype)`` gives arrays that live in the entry being written
    (so the largest arrays are never held twice). Without a usable cache directory
    the index is built in memory."""
    if cache_dir is None:
        return build(None)
    root = Path(cache_dir)
    entry = root / key[:40]
    index = _load_entry(entry, key, restore)
    if index is not None:
        return index
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("index cache %s not writable (%s); index kept in memory", root, exc)
        return build(None)
    # One process builds a key at a time: the others (every worker refreshing after the
    # same ingest) wait here, then map what it saved instead of building their own copy.
    with _build_lock(root, key):
        index = _load_entry(entry, key, restore)
        if index is not None:
            return index
        return _build_and_save(root, entry, key, build, restore, record)


def _load_entry(entry: Path, key: str, restore: Callable[[dict[str, Any]], Any]) -> Any:
    """The saved index in ``entry``, or None (a broken entry is set aside)."""
    if not entry.is_dir():
        return None
    try:
        index = load(entry, key, restore)
    except Exception as exc:
        log.warning("index cache %s unusable (%s); rebuilding", entry, exc)
        _set_aside(entry)
        return None
    with contextlib.suppress(OSError):  # a read-only cache is fine
        os.utime(entry)  # recently used: kept when old entries are pruned
    return index


def load_saved(
    cache_dir: Path | str | None, key: str, restore: Callable[[dict[str, Any]], Any]
) -> Any:
    """The index saved for ``key`` under ``cache_dir``, or None: nothing is built."""
    if cache_dir is None:
        return None
    return _load_entry(Path(cache_dir) / key[:40], key, restore)


@dataclass(frozen=True)
class SavedBase:
    """A saved index of the same family as the one asked for, over some of the same
    documents (:func:`nearest_base`)."""

    entry: Path
    key: str
    #: Its documents as (id, digest), in its order.
    documents: tuple[tuple[str, str], ...]
    #: How many of them the documents asked for lack, and how many they add.
    withdrawn: int
    added: int


def nearest_base(
    cache_dir: Path | str | None, family: str, digests: Sequence[str], limit: int
) -> SavedBase | None:
    """The saved index of ``family`` that differs least from the documents of
    ``digests`` (:func:`document_digest`; added plus withdrawn), if by at most ``limit``
    and by something; the most recently used on a tie. Only each entry's meta.json is
    read."""
    if cache_dir is None:
        return None
    root = Path(cache_dir)
    try:
        entries = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return None
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    wanted = set(digests)
    best: SavedBase | None = None
    for entry in entries[:KEEP_ENTRIES]:
        try:
            meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("family") != family or meta.get("format") != INDEX_FORMAT:
            continue
        have = tuple((str(i), str(g)) for i, g in meta.get("documents_digests") or ())
        if not have:
            continue
        held = {g for _, g in have}
        withdrawn, added = len(held - wanted), len(wanted - held)
        if not 0 < withdrawn + added <= limit:
            continue
        if best is None or withdrawn + added < best.withdrawn + best.added:
            best = SavedBase(entry, str(meta.get("key", "")), have, withdrawn, added)
    return best


@contextlib.contextmanager
def _build_lock(root: Path, key: str) -> Iterator[None]:
    """An exclusive lock on building ``key`` in ``root`` (flock: released when the
    holder exits, however it exits). Without a lockable file, no lock."""
    try:
        fd = os.open(root / f".lock-{key[:40]}", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _build_and_save(
    root: Path,
    entry: Path,
    key: str,
    build: Callable[[Any], Any],
    restore: Callable[[dict[str, Any]], Any],
    record: Mapping[str, Any] | None = None,
) -> Any:
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".build-{key[:12]}-", dir=root))
    except OSError as exc:
        log.warning("index cache %s not writable (%s); index kept in memory", root, exc)
        return build(None)
    try:

        def alloc(name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
            path = tmp / f"sem_{name}.npy"
            return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)

        index = build(alloc)
        try:
            if not save(index, tmp, key, record):
                return index
        except Exception as exc:  # a full disk, or a bug: the index itself is fine
            log.warning("index cache %s: could not write (%s); index kept in memory", root, exc)
            return index
        del index
        try:
            os.rename(tmp, entry)
        except OSError:  # another process finished first: use its entry if it is sound
            try:
                return load(entry, key, restore)
            except Exception:
                _set_aside(entry)
                try:
                    os.rename(tmp, entry)
                except OSError:  # still in the way: use ours (mappings outlive the files)
                    return load(tmp, key, restore)
        _prune(root, entry)
        return load(entry, key, restore)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
