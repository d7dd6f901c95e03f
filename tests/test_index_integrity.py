"""The persisted index is checked on load (issue 20): a byte edited in place, the size
unchanged, is found, logged, and the entry rebuilt; it is never served as a quote."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bot.reading.documents import load_corpus
from bot.search import ClauseIndex, persist

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def docs():
    return load_corpus(ROOT / "corpus").documents


@pytest.fixture(scope="module")
def fresh(docs):
    return ClauseIndex.from_documents(docs)


def _entry(cache: Path) -> Path:
    (entry,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    return entry


def _edit_one_byte(path: Path, at: int) -> None:
    """Change the byte at ``at`` in place (same file, same size), as a bad disk would."""
    with open(path, "r+b") as fh:
        fh.seek(at)
        old = fh.read(1)
        new = b"X" if old != b"X" else b"Y"
        fh.seek(at)
        fh.write(new)


def _offset_in_npy(path: Path, row: int, field_bytes: int = 1) -> int:
    """The file offset of element ``row`` of the 1-D array saved in ``path``."""
    with open(path, "rb") as fh:
        major, _ = np.lib.format.read_magic(fh)
        read_header = (
            np.lib.format.read_array_header_1_0
            if major == 1
            else np.lib.format.read_array_header_2_0
        )
        read_header(fh)  # moves past the header
        return fh.tell() + row * field_bytes


def _clause_with_text(fresh: ClauseIndex) -> tuple[str, str]:
    clause = next(c for c in fresh.clauses if len(c.text) > 80 and c.text.isascii())
    return clause.clause_id, clause.text


@pytest.mark.parametrize(
    "where", ["text.buf", "clause_id.buf", "norm.buf", "lex_weights", "sem_full", "meta.json"]
)
def test_a_byte_edited_in_place_is_found_logged_and_rebuilt(docs, fresh, tmp_path, caplog, where):
    ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    entry = _entry(tmp_path)
    clause_id, text = _clause_with_text(fresh)
    if where == "text.buf":  # a letter inside the very clause we will ask for
        path = entry / "text.buf.npy"
        at = path.read_bytes().index(text.encode()) + 10
    elif where == "meta.json":  # a letter of the title its citation shows
        path = entry / "meta.json"
        at = path.read_bytes().index(fresh.get(clause_id).doc_title.encode()) + 3
    else:
        path = entry / f"{where}.npy"
        at = _offset_in_npy(path, 5)
    size = path.stat().st_size
    _edit_one_byte(path, at)
    assert path.stat().st_size == size
    with caplog.at_level(logging.WARNING, logger="bot.search.persist"):
        index = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    (warning,) = [r.getMessage() for r in caplog.records if "unusable" in r.getMessage()]
    assert "checksum" in warning
    assert index.get(clause_id) == fresh.get(clause_id)  # as published, not as edited
    hits = index.search(text[:60], limit=1).hits
    assert hits and hits[0].clause.text == text
    rebuilt = _entry(tmp_path)  # the damaged entry was set aside and written again
    assert ClauseIndex.load_saved(
        rebuilt, persist.documents_key(docs, candidates=60, semantic=True)
    )


def test_a_sound_entry_loads_without_a_warning(docs, tmp_path, caplog):
    ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.search.persist"):
        index = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    assert not [r for r in caplog.records if r.name == "bot.search.persist"]
    assert isinstance(index.clauses.column("text").buf, np.memmap)  # served from the cache entry
