"""Clauses kept as columns: the same clauses back, and an index that answers the same."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.reading.clauses import Clause, search_text, segment_all
from bot.reading.documents import load_corpus
from bot.search import ClauseIndex
from bot.search.columns import ClauseColumns, StringColumn, StringsBuilder

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def docs():
    return load_corpus(ROOT / "corpus").documents


def _clause(i: int, **changes: object) -> Clause:
    base = Clause(
        clause_id=f"doc#p{i}.1",
        doc_id="doc",
        doc_title="A Statement",
        doc_date=date(2024, 5, 16),
        text=f"Clause number {i}.",
        paragraph=str(i),
        block=i,
        sentence=1,
    )
    return replace(base, **changes)


def test_columns_give_back_every_clause_exactly():
    clauses = [
        _clause(1),
        _clause(2, text="Communiqué — «Kyiv» 东海 and ✈️", lead_in="Both sides:", is_bullet=True),
        _clause(3, text="", section="Économie"),
        _clause(4, doc_id="other", doc_title="Another", doc_date=None),
        # one document id with two titles: both kept, each clause keeps its own
        _clause(5, doc_title="A Statement (corrected)"),
    ]
    cols = ClauseColumns.of(iter(clauses))  # a generator is enough
    assert len(cols) == len(clauses)
    assert list(cols) == clauses
    assert [cols[i] for i in range(len(clauses))] == clauses
    assert cols[-1] == clauses[-1] and cols[1:3] == clauses[1:3]
    sections, texts = cols.column("section"), cols.column("text")
    assert [search_text(s, t) for s, t in zip(sections, texts, strict=True)] == [
        c.search_text for c in clauses
    ]
    assert len(cols.doc_rows) == 3
    with pytest.raises(IndexError):
        cols[len(clauses)]
    assert list(ClauseColumns.of([])) == []


def test_string_columns_across_batches_and_blocks():
    strings = [f"word {i}" if i % 3 else f"mot é{i}" for i in range(40_000)]
    strings[5] = ""
    col = StringColumn.of(strings)
    assert len(col) == len(strings)
    assert list(col) == strings
    assert col[16_383:16_390] == strings[16_383:16_390]  # across a decoding block
    assert list(col.iter_range(100, 20_000)) == strings[100:20_000]
    assert col[-1] == strings[-1] and col[::5000] == strings[::5000]
    assert col.buf.dtype == np.uint8 and int(col.offsets[-1]) == len(col.buf)
    empty = StringsBuilder().build()
    assert len(empty) == 0 and list(empty) == []


def test_an_index_over_columns_answers_like_one_over_clause_objects(docs):
    clauses = list(segment_all(docs))
    as_list = ClauseIndex(clauses, documents=docs, semantic=False)
    as_columns = ClauseIndex(ClauseColumns.of(clauses), documents=docs, semantic=False)
    assert isinstance(as_columns.clauses, ClauseColumns)
    assert list(as_columns._norm) == list(as_list._norm)
    assert as_columns._clause_doc.tolist() == as_list._clause_doc.tolist()
    assert as_columns._docs == as_list._docs
    for name in ("_ahead", "_dated", "_place"):
        assert np.array_equal(getattr(as_columns, name), getattr(as_list, name)), name
    for q in ("Syria", "next summit", "in:2012 navigation", "where will they meet"):
        assert as_columns.search(q, limit=5).hits == as_list.search(q, limit=5).hits, q


def test_a_document_whose_clauses_disagree_on_its_title_is_not_cached(docs, tmp_path, caplog):
    clauses = list(segment_all(docs))
    clauses[1] = replace(clauses[1], doc_title="Some other title")
    with caplog.at_level(logging.INFO, logger="bot.search.persist"):
        index = ClauseIndex.cached(
            ClauseColumns.of(clauses), cache_dir=tmp_path, documents=docs, semantic=False
        )
    assert any("disagree on their title" in r.message for r in caplog.records)
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert index.get(clauses[1].clause_id) == clauses[1]  # answered, just not cached


def test_per_document_lookups_make_only_that_documents_clauses(docs):
    clauses = list(segment_all(docs))
    for index in (
        ClauseIndex(clauses, documents=docs, semantic=False),
        ClauseIndex(ClauseColumns.of(clauses), documents=docs, semantic=False),
    ):
        for doc in docs:
            assert index.clauses_of(doc.doc_id) == [c for c in clauses if c.doc_id == doc.doc_id]
        assert index.clauses_of("no-such-document") == []
        expected: dict[str, int] = {}
        for c in clauses:
            expected[c.doc_id] = expected.get(c.doc_id, 0) + 1
        assert index.clause_counts() == expected


def test_a_search_makes_clause_objects_only_for_what_it_shows(docs, monkeypatch):
    """Dozens of clauses are ranked and grouped for a query; only the hits on the page
    (and what is folded into them) become Clause objects."""
    index = ClauseIndex(ClauseColumns.of(segment_all(docs)), documents=docs, semantic=False)
    made: list[int] = []
    real = ClauseColumns.__getitem__

    def counting(self, i):
        made.append(i)
        return real(self, i)

    monkeypatch.setattr(ClauseColumns, "__getitem__", counting)
    result = index.search("cooperation", limit=2)
    monkeypatch.undo()
    assert result.total > 10 and len(result.hits) == 2
    shown = [h.clause for h in result.hits] + [c for h in result.hits for c in h.also_in]
    assert [index.clauses[i].clause_id for i in made] == [c.clause_id for c in shown]
