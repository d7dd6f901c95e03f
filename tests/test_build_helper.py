"""The build's helper process: same index with or without it, and a failing helper
costs time, never a wrong or missing result."""

from __future__ import annotations

import io
import itertools
import logging
import pickle
from pathlib import Path

import numpy as np
import pytest

from bot.reading.clauses import segment_all
from bot.reading.documents import load_corpus
from bot.search import ClauseIndex
from bot.search import helper as helper_mod
from bot.search.columns import ClauseColumns, StringColumn
from bot.search.flags import clause_flags
from bot.search.helper import BuildHelper, fold_texts, serve
from bot.search.lexical import WordTokens

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def docs():
    return load_corpus(ROOT / "corpus").documents


def _state(index: ClauseIndex) -> dict[str, object]:
    lex = index.lexical
    return {
        "norm": list(index._norm),
        "terms": lex.terms,
        **{name: getattr(lex, name).tolist() for name in ("_weights", "_post_docs", "_offsets")},
        "flags": [index._ahead.tolist(), index._dated.tolist(), index._place.tolist()],
        "docs": index._docs,
        "vectors": index.semantic.full.tolist() if index.semantic is not None else None,
    }


def test_a_build_with_the_helper_equals_one_without(docs, monkeypatch):
    clauses = ClauseColumns.of(segment_all(docs))
    alone = ClauseIndex(clauses, documents=docs)
    monkeypatch.setattr(helper_mod, "PARALLEL_MIN", 0)
    started: list[BuildHelper] = []
    real_init = BuildHelper.__init__

    def spy(self: BuildHelper, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)
        started.append(self)

    monkeypatch.setattr(BuildHelper, "__init__", spy)
    helped = ClauseIndex(clauses, documents=docs)
    if not started or not started[0]._asked:
        pytest.skip("one core here: the build never starts a helper")
    assert _state(helped) == _state(alone)
    for q in ("Syria", "next summit", "where will they meet", "navigation pact 2013"):
        assert helped.search(q, limit=5).hits == alone.search(q, limit=5).hits, q


def test_folding_in_parts_equals_folding_at_once(docs):
    clauses = list(segment_all(docs))
    sections = [c.section for c in clauses]
    texts = [c.text for c in clauses]
    whole_norm, whole_tokens = fold_texts(sections, texts)
    cut = [0, 1, 400, 401, len(texts)]  # an empty part and a one-clause part too
    parts = [fold_texts(sections[a:b], texts[a:b]) for a, b in itertools.pairwise(cut)]
    norm = StringColumn.concat([p[0] for p in parts])
    tokens = WordTokens.concat([p[1] for p in parts])
    assert list(norm) == list(whole_norm)
    assert tokens.words == whole_tokens.words
    assert np.array_equal(tokens.wids, whole_tokens.wids)
    assert np.array_equal(tokens.starts, whole_tokens.starts)
    assert list(StringColumn.concat([])) == []


def test_a_helper_that_dies_is_replaced_by_doing_the_step_here(caplog):
    texts = ["We will meet in Geneva in 2031.", "Nothing dated here."] * 50
    years = np.full(len(texts), 2024, dtype=np.int32)
    expected = clause_flags(texts, years)
    with BuildHelper(len(texts), minimum=0) as h:
        if not h.active:
            pytest.skip("one core here: no helper to lose")
        first = h.submit(clause_flags, texts, years)
        assert [a.tolist() for a in first()] == [a.tolist() for a in expected]
        h._proc.kill()
        h._proc.wait()
        second = h.submit(clause_flags, texts, years)
        with caplog.at_level(logging.WARNING, logger="bot.search.helper"):
            got = second()
    assert [a.tolist() for a in got] == [a.tolist() for a in expected]
    assert any("failed" in r.message and "doing it here" in r.message for r in caplog.records)


def test_a_step_that_raises_in_the_helper_raises_here_too(caplog):
    with BuildHelper(10, minimum=0) as h:
        step = h.submit(fold_texts, ["one"], ["one", "two"])  # lengths disagree
        with (
            caplog.at_level(logging.WARNING, logger="bot.search.helper"),
            pytest.raises(ValueError),
        ):
            step()
    if h.active:
        assert any("raised ValueError" in r.message for r in caplog.records)


def test_only_named_steps_go_to_the_helper():
    calls: list[int] = []

    def not_a_step(x: int) -> int:
        calls.append(x)
        return x * 2

    with BuildHelper(10, minimum=0) as h:
        assert h.submit(not_a_step, 21)() == 42
    assert calls == [21]  # ran here, not pickled off to the helper
    with BuildHelper(10) as small:  # below PARALLEL_MIN: no process at all
        assert not small.active
        assert small.submit(fold_texts, ["a"], ["b"])()[1].words == ["a", "b"]


def test_the_helper_loop_answers_in_order_and_reports_errors():
    inp = io.BytesIO()
    for request in (
        ("fold_texts", (["", "Heading"], ["Both sides agreed.", "Text"])),
        ("no_such_step", ()),
        ("clause_flags", (["next year"], [2024])),
    ):
        pickle.dump(request, inp)
    inp.seek(0)
    out = io.BytesIO()
    serve(inp, out)
    out.seek(0)
    (ok1, (norm, tokens)), (ok2, err), (ok3, flags) = (pickle.load(out) for _ in range(3))
    assert ok1 and list(norm) == ["both sides agreed", "heading text"]
    assert tokens.words == ["both", "sides", "agreed", "heading", "text"]
    assert not ok2 and "KeyError" in err
    assert ok3 and flags[1].tolist() == [True]


def test_stopping_the_helper_logs_its_peak_memory(caplog):
    with (
        caplog.at_level(logging.INFO, logger="bot.search.helper"),
        BuildHelper(10, minimum=0) as h,
    ):
        if not h.active:
            pytest.skip("one core here: no helper")
        assert h.submit(fold_texts, ["", ""], ["a b", "b c"])()[1].words == ["a", "b", "c"]
    (record,) = [r for r in caplog.records if hasattr(r, "helper_peak_mib")]
    assert "ran 1 steps" in record.getMessage()
    if Path("/proc/self/status").exists():
        assert 5 < record.helper_peak_mib < 2048


def test_word_tokens_from_word_lists_check_their_count():
    tokens = WordTokens.of_words(iter([["a", "b"], [], ["b", "c"]]), 3)
    assert tokens.words == ["a", "b", "c"]
    assert tokens.wids.tolist() == [0, 1, 1, 2] and tokens.starts.tolist() == [0, 2, 2, 4]
    with pytest.raises(ValueError):
        WordTokens.of_words(iter([["a"]]), 2)
