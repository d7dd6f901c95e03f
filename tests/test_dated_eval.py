"""The hand-checked table of dated items (tests/data/dated_items.tsv) and its scores."""

from __future__ import annotations

import pytest
from benchscripts import bench_script

from bot.commitments import KINDS


@pytest.fixture(scope="module")
def dated_eval():
    with bench_script("dated_eval") as module:
        yield module


@pytest.fixture(scope="module")
def table(dated_eval):
    return dated_eval.load_table()


@pytest.fixture(scope="module")
def devset(dated_eval):
    return dated_eval.load_devset()


def test_table_is_big_enough_and_well_formed(dated_eval, table, devset):
    rows, exhaustive = table
    assert len(rows) >= 150
    assert sum(r.positive for r in rows) >= 60 and sum(not r.positive for r in rows) >= 60
    assert exhaustive <= set(devset)
    kinds = {*KINDS, "none"}
    for row in rows:
        assert row.kind in kinds, row
        assert row.positive == (row.due is not None or row.start is not None), row
        clause = dated_eval.clauses_of(devset[row.doc]).get(row.clause)
        assert clause is not None, row
        assert row.expression in clause.text, row


def test_no_duplicate_rows(table):
    rows, _ = table
    keys = [(r.doc, r.clause, r.expression) for r in rows]
    assert len(keys) == len(set(keys))


def test_figures_meet_the_targets(dated_eval, table, devset):
    rows, exhaustive = table
    result = dated_eval.evaluate(rows, exhaustive, devset)
    assert result.recall >= 0.9, result.misses
    assert result.precision >= 0.9, result.false_alarms
    assert result.wrong_dates == []
    assert result.kind_accuracy >= 0.8, result.wrong_kinds


def test_script_prints_the_figures(dated_eval, capsys):
    assert dated_eval.main([]) == 0
    out = capsys.readouterr().out
    for label in ("recall:", "precision:", "wrong dates:", "kind accuracy:"):
        assert label in out


# --- Fresh sentences a reader annotated (tests/data/dated_fresh.yml, issue 17 item 6) ----


@pytest.fixture(scope="module")
def dated_fresh():
    with bench_script("dated_fresh") as module:
        yield module


def test_fresh_table_is_big_enough_and_well_formed(dated_fresh):
    rows = dated_fresh.load_table()
    assert len(rows) >= 40
    assert len({r["id"] for r in rows}) == len(rows)
    held_out = [r for r in rows if r["split"] == "held-out"]
    assert {r["split"] for r in rows} == {"tuned", "held-out"}
    assert abs(len(held_out) - len(rows) / 2) <= 1
    assert sum(not r["items"] for r in rows) >= 15  # negatives: look-backs, past dates, ...
    for row in rows:
        assert row["source"].endswith(".md") and row["sentence"], row["id"]
        for item in row["items"]:
            assert item["expression"] in row["sentence"], row["id"]
            assert set(item) <= {"expression", "due", "start"}, row["id"]


def test_fresh_figures(dated_fresh, capsys):
    scores = dated_fresh.evaluate(dated_fresh.load_table())
    with capsys.disabled():
        print()
        for name in (*dated_fresh.SPLITS, "all"):
            print(scores[name].line(name))
    whole = scores["all"]
    assert whole.recall >= 0.90, whole.misses
    assert whole.wrong_dates == []


def test_fresh_script_prints_the_figures(dated_fresh, capsys):
    assert dated_fresh.main([]) == 0
    out = capsys.readouterr().out
    for label in ("tuned", "held-out", "all", "recall", "wrong dates"):
        assert label in out
