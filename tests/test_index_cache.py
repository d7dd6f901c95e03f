"""The persisted clause index: a cache hit answers exactly as a fresh build does."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from bot.reading.documents import load_corpus
from bot.search import ClauseIndex, persist
from bot.search.evaluate import load_cases

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [c.query for c in load_cases(ROOT / "tests" / "data" / "questions.tsv")] + [
    "nucleer non-proliferaton",
    "undersea cables",
    "in:2012 Syria",
    "next summit",
    "where will they meet",
]


@pytest.fixture(scope="module")
def docs():
    return load_corpus(ROOT / "corpus").documents


@pytest.fixture(scope="module")
def fresh(docs):
    return ClauseIndex.from_documents(docs)


def _answers(index: ClauseIndex) -> list[object]:
    out = []
    for q in QUERIES:
        r = index.search(q, limit=5)
        out.append(
            (
                [h.to_json() for h in r.hits],
                r.suggestion.to_json() if r.suggestion else None,
                r.total,
                r.corrections,
                r.notes,
                r.read_as,
            )
        )
    return out


def _mapped(index: ClauseIndex) -> bool:
    """The index's clauses are read from a cache entry (memory-mapped), not built here."""
    return isinstance(index.clauses, persist.ClauseColumns) and isinstance(
        index.clauses.ids.buf, np.memmap
    )


def _entries(cache: Path) -> list[Path]:
    return [p for p in cache.iterdir() if not p.name.startswith(".")]


def test_cache_hit_answers_like_a_fresh_build_and_is_memory_mapped(docs, fresh, tmp_path):
    built = ClauseIndex.from_documents(docs, cache_dir=tmp_path)  # miss: built, saved, loaded
    assert len(_entries(tmp_path)) == 1
    loaded = ClauseIndex.from_documents(docs, cache_dir=tmp_path)  # hit
    expected = _answers(fresh)
    assert _answers(built) == expected
    assert _answers(loaded) == expected
    assert list(loaded.clauses) == list(fresh.clauses)
    some = fresh.clauses[17].clause_id
    assert loaded.get(some) == fresh.get(some)
    assert loaded.context(some) == fresh.context(some)
    for arr in (loaded.semantic.full, loaded.semantic.coarse, loaded.lexical._post_docs):
        assert isinstance(arr, np.memmap) and not arr.flags.writeable
    assert _mapped(loaded) and not _mapped(fresh)


def test_words_only_index_is_cached_apart(docs, tmp_path):
    words = ClauseIndex.from_documents(docs, cache_dir=tmp_path, semantic=False)
    again = ClauseIndex.from_documents(docs, cache_dir=tmp_path, semantic=False)
    assert words.semantic is None and again.semantic is None
    both = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    assert both.semantic is not None
    assert len(_entries(tmp_path)) == 2


def test_a_changed_document_or_code_version_misses(docs, tmp_path, monkeypatch):
    from dataclasses import replace

    base = persist.documents_key(docs, semantic=True)
    edited = [replace(docs[0], body=docs[0].body + " A new closing sentence."), *docs[1:]]
    retitled = [replace(docs[0], title=docs[0].title + " (corrected)"), *docs[1:]]
    assert persist.documents_key(edited, semantic=True) != base
    assert persist.documents_key(retitled, semantic=True) != base
    monkeypatch.setattr(persist, "INDEX_FORMAT", persist.INDEX_FORMAT + 1)
    persist.code_version.cache_clear()
    assert persist.documents_key(docs, semantic=True) != base
    monkeypatch.undo()
    persist.code_version.cache_clear()
    assert persist.documents_key(docs, semantic=True) == base

    ClauseIndex.from_documents(docs, cache_dir=tmp_path, semantic=False)
    index = ClauseIndex.from_documents(edited, cache_dir=tmp_path, semantic=False)
    assert len(_entries(tmp_path)) == 2
    assert index.search("A new closing sentence", limit=1).hits[0].clause.doc_id == docs[0].doc_id


@pytest.mark.parametrize("damage", ["truncate", "garbage-meta", "wrong-key"])
def test_a_corrupt_cache_is_rebuilt_not_crashed_on(docs, fresh, tmp_path, caplog, damage):
    ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    (entry,) = _entries(tmp_path)
    if damage == "truncate":
        path = entry / "sem_full.npy"
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "garbage-meta":
        (entry / "meta.json").write_text("{not json")
    else:
        meta = (entry / "meta.json").read_text().replace('"key": "', '"key": "x', 1)
        (entry / "meta.json").write_text(meta)
    with caplog.at_level(logging.WARNING, logger="bot.search.persist"):
        index = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    assert [r.message for r in caplog.records if "unusable" in r.message]
    assert _answers(index) == _answers(fresh)
    (rebuilt,) = _entries(tmp_path)
    assert ClauseIndex.load_saved(
        rebuilt, persist.documents_key(docs, candidates=60, semantic=True)
    )


def _build_in_child(cache: str, corpus: str, out: multiprocessing.Queue) -> None:
    index = ClauseIndex.from_documents(load_corpus(corpus).documents, cache_dir=cache)
    out.put(index.search("Syria", limit=1).hits[0].clause.clause_id)


def test_two_processes_building_at_once_end_with_one_valid_cache(docs, fresh, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_build_in_child, args=(str(tmp_path), str(ROOT / "corpus"), out))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    want = fresh.search("Syria", limit=1).hits[0].clause.clause_id
    assert [out.get(timeout=5), out.get(timeout=5)] == [want, want]
    assert len(_entries(tmp_path)) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]
    loaded = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    assert _answers(loaded) == _answers(fresh)


@pytest.mark.parametrize("as_columns", [False, True], ids=["clause objects", "columns"])
def test_clause_key_covers_every_clause(fresh, tmp_path, as_columns):
    from dataclasses import replace

    def shape(clauses):
        return persist.ClauseColumns.of(clauses) if as_columns else clauses

    clauses = list(fresh.clauses)
    key = persist.clauses_key(shape(clauses), semantic=False)
    assert persist.clauses_key(shape(list(clauses)), semantic=False) == key
    last = clauses[-1]
    for change in (
        {"text": last.text + "!"},
        {"doc_title": "Another title"},
        {"block": last.block + 1},
        {"is_bullet": not last.is_bullet},
        {"section": "A heading"},
    ):
        changed = [*clauses[:-1], replace(last, **change)]
        assert persist.clauses_key(shape(changed), semantic=False) != key, change
    a = ClauseIndex.cached(shape(clauses), cache_dir=tmp_path, semantic=False)
    b = ClauseIndex.cached(shape(clauses), cache_dir=tmp_path, semantic=False)
    assert _mapped(b) and len(a) == len(b) == len(clauses)
    assert b.search("Syria").hits == a.search("Syria").hits
    assert list(b.clauses) == clauses


def test_clause_flags_match_the_regular_expressions(fresh):
    """The substring shortcuts in clause_flags never change a flag."""
    from bot.search.flags import MONTH, PLACE, YEAR, clause_flags, looks_ahead

    odd = [
        "\u017foon we meet",
        "in 2031 the \u212aelvin WEEK",
        "We will meet NEXT",
        "at Geneva",
        "the \u017feptember",
        "\u0131t \u0131s",
        "1999 2020 \u0662\u0660\u0662\u0660",
        "Looking Forward to it",
        "agreed in 2013 to meet in 2015",
    ]
    texts = [*(c.text for c in fresh.clauses), *odd]
    years = [*(c.doc_date.year if c.doc_date else 0 for c in fresh.clauses), *[2012] * len(odd)]
    ahead, dated, place = clause_flags(texts, years)
    assert [f.tolist() for f in clause_flags(texts, years, chunk=3)] == [
        ahead.tolist(),
        dated.tolist(),
        place.tolist(),
    ]
    assert ahead.tolist() == [looks_ahead(t, y) for t, y in zip(texts, years, strict=True)]
    assert dated.tolist() == [bool(YEAR.search(t) or MONTH.search(t)) for t in texts]
    assert place.tolist() == [bool(PLACE.search(t)) for t in texts]
    assert ahead.any() and dated.any() and place.any()
    assert ahead[-1] and not clause_flags(["agreed in 2013"], [2013])[0][0]


def test_build_services_loads_the_persisted_index(tmp_path):
    from bot.config import Settings
    from bot.services import build_services

    settings = Settings.from_env(
        {"BRIEFBOT_CORPUS": str(ROOT / "corpus"), "BRIEFBOT_INDEX_CACHE": str(tmp_path)}
    )
    first = build_services(settings, with_store=False)
    assert len(_entries(tmp_path)) == 1
    second = build_services(settings, with_store=False)
    assert _mapped(second.index)
    assert [c.id for c in second.commitments] == [c.id for c in first.commitments]
    assert second.index.search("Syria").hits == first.index.search("Syria").hits
    off = Settings.from_env(
        {"BRIEFBOT_CORPUS": str(ROOT / "corpus"), "BRIEFBOT_INDEX_CACHE": "off"}
    )
    assert not _mapped(build_services(off, with_store=False).index)


def test_postings_do_not_depend_on_the_block_size(fresh, monkeypatch):
    """Terms are counted a block of clauses at a time; any block size, same lists."""
    from bot.search import lexical

    texts = list(fresh._norm)
    whole = lexical.LexicalIndex(texts, fresh._clause_doc)
    monkeypatch.setattr(lexical, "_BLOCK", 7)
    blocks = lexical.LexicalIndex(texts, fresh._clause_doc)
    assert whole.terms == blocks.terms == fresh.lexical.terms
    for name in ("_weights", "_post_docs", "_offsets", "_df", "_idf"):
        assert np.array_equal(getattr(whole, name), getattr(blocks, name)), name
        assert np.array_equal(getattr(whole, name), getattr(fresh.lexical, name)), name


def test_an_unusable_cache_directory_builds_in_memory(docs, fresh, tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    with caplog.at_level(logging.WARNING, logger="bot.search.persist"):
        index = ClauseIndex.from_documents(docs, cache_dir=blocker / "index")
    assert [r.message for r in caplog.records if "kept in memory" in r.message]
    assert not _mapped(index)
    assert _answers(index) == _answers(fresh)


def test_processes_refreshing_together_build_an_index_once(tmp_path):
    """Every worker refreshes after the same ingest: one builds the index, the others
    wait for it and map what it saved (issue 19: memory during a refresh)."""
    import threading
    import time

    from bot.reading.clauses import segment_all

    docs = load_corpus(ROOT / "corpus").documents
    builds: list[int] = []

    def slow_segment_all(documents):
        builds.append(threading.get_ident())
        time.sleep(0.5)  # a build long enough for the others to arrive meanwhile
        return segment_all(documents)

    results: list[object] = []

    def refresh() -> None:
        index = ClauseIndex.from_documents(docs, cache_dir=tmp_path, segment=slow_segment_all)
        results.append(index)

    threads = [threading.Thread(target=refresh) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and len(builds) == 1
    assert all(_mapped(r) for r in results)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build-")] == []
