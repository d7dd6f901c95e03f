"""bench/paraphrase_ceiling.py: where the sentence encoder alone ranks the right clause."""

from __future__ import annotations

import json
import os

import pytest
from benchscripts import bench_script

from bot.search.evaluate import Case


@pytest.fixture(scope="module")
def ceiling():
    with bench_script("paraphrase_ceiling") as module:
        yield module


@pytest.fixture(scope="module")
def encoded(corpus, sentence_cache):
    from bot.search import ClauseIndex
    from bot.search.encoder import load_encoder

    if load_encoder() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the sentence encoder is not installed (the Makefile installs it)")
        pytest.skip("the sentence encoder is not installed")
    index = ClauseIndex.from_documents(corpus.documents)
    index.build_sentences(cache_dir=sentence_cache)
    return index


def test_a_clause_s_own_words_rank_it_first_and_an_absent_phrase_ranks_nowhere(ceiling, encoded):
    clause = next(c for c in encoded.clauses if "Heixiazi" in c.text)
    assert ceiling.encoder_rank(encoded, Case("question", clause.text, "*", "Heixiazi")) == 1
    absent = Case("question", "navigation pact", "*", "no clause says this")
    assert ceiling.encoder_rank(encoded, absent) == 0


def test_rows_count_ranks_and_the_table_totals_them(ceiling, encoded):
    cases = [
        Case("question", "navigation pact of ships around Heixiazi Island", "*", "Heixiazi"),
        Case("question", "navigation pact", "*", "no clause says this"),
    ]
    (row,) = ceiling.measure(encoded, {"t": cases})
    assert row == {
        "table": "t",
        "paraphrases": 2,
        "encoder_first": 1,
        "encoder_top3": 1,
        "encoder_top10": 1,
        "briefbot_hit1": 1,
    }
    text = ceiling.table([row, {**row, "table": "u"}])
    assert "| t | 2 | 1 (0.50) | 1 (0.50) | 1 (0.50) | 1 (0.50) |" in text
    assert text.splitlines()[-1] == "| all | 4 | 2 (0.50) | 2 (0.50) | 2 (0.50) | 2 (0.50) |"


def test_the_script_prints_every_table(ceiling, capsys, tmp_path, sentence_cache):
    if not ceiling.SAMPLES_DIR.is_dir():
        pytest.skip(f"{ceiling.SAMPLES_DIR} is missing")
    out_json = tmp_path / "rows.json"
    assert ceiling.main(["--cache", str(sentence_cache), "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    rows = json.loads(out_json.read_text("utf-8"))
    assert [r["table"] for r in rows] == ["tuned", "held-out", "fresh"]
    assert all(r["encoder_first"] <= r["encoder_top3"] <= r["encoder_top10"] for r in rows)
    rows_printed = [line for line in printed.splitlines() if line.startswith("| ")]
    assert len(rows_printed) == 5  # header, three tables, the total
