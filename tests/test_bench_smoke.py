"""Smoke test of bench/search_bench.py: it runs, prints its table, and finds what it should.

No timing assertions; only a quality floor for briefbot on typo'd phrases.
"""

from __future__ import annotations

import json

import pytest
from benchscripts import bench_script


@pytest.fixture(scope="module")
def search_bench():
    with bench_script("search_bench") as module:
        yield module


def test_small_run_prints_table_and_finds_typod_phrases(
    search_bench, tmp_path, capsys, monkeypatch, sentence_cache
):
    # The question table's clause vectors: the session's, not encoded again.
    monkeypatch.setenv("BRIEFBOT_CACHE_DIR", str(sentence_cache))
    out_json = tmp_path / "bench.json"
    rc = search_bench.main(["--sizes", "1000", "--queries", "20", "--json", str(out_json)])
    assert rc == 0

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert search_bench.HEADER in lines
    rows = [
        line
        for line in lines
        if line.startswith("| ") and "| 1,000 |" in line and line.count("|") == 9
    ]
    methods = [row.split("|")[1].strip() for row in rows]
    assert methods == ["briefbot", "briefbot, words only", "rapidfuzz WRatio scan"]
    for row in rows:
        assert len(row.strip("|").split("|")) == 8, row
    assert "Machine:" in out
    assert "Command: `python bench/search_bench.py --sizes 1000 --queries 20" in out

    data = json.loads(out_json.read_text())
    by_method = {r["method"]: r for r in data["rows"]}
    bot = by_method["briefbot"]
    assert bot["clauses"] == 1000
    assert bot["typo_total"] == 10 and bot["keyword_total"] == 10
    assert bot["hit1_typo"] >= 0.8, data["failures"]
    # The printed figure is the same as the JSON one.
    assert f"{bot['hit1_typo']:.2f} ({bot['typo_hits']}/10)" in rows[0]
    assert bot["semantic_mib"] > 0 and by_method["briefbot, words only"]["semantic_mib"] == 0
    if data["questions"]:  # needs ../shared/corpus-samples
        assert search_bench.QUESTION_HEADER in lines
        q = {r["method"]: r for r in data["questions"]}
        assert q["briefbot"]["questions"] >= 40 and q["briefbot"]["hit1_question"] >= 0.9
    assert search_bench.STARTUP_HEADER in lines
    start = [ln for ln in lines if ln.startswith("| briefbot | 1,000 |") and ln.count("|") == 11]
    assert len(start) == 1
    assert bot["warm_s"] > 0 and bot["load_rss_mib"] > 0
    assert bot["helper_rss_mib"] == 0  # 1,000 clauses: no helper process
    base = by_method["rapidfuzz WRatio scan"]
    assert base["queries_timed"] == 20  # 1,000 clauses is well inside the time budget


def test_load_bench_quick_run_prints_its_table(tmp_path, capsys):
    """bench/load_bench.py --quick: a real server, a fake Slack, signed requests."""
    out_json = tmp_path / "load.json"
    with bench_script("load_bench") as module:
        assert module.main(["--quick", "--json", str(out_json)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert module.HEADER in lines
    cells = json.loads(out_json.read_text())["cells"]
    assert [(c["mode"], c["concurrency"]) for c in cells] == [("normal", 1), ("normal", 10)]
    for c in cells:
        assert c["connection_errors"] == 0 and c["acks"] == c["requests"]
        assert c["answered_once"] == c["requests"]  # every answer arrived, none twice
