"""The command line: contract output, exit codes, messages (run in-process and as a subprocess)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from paths import COMMUNIQUE, CORPUS, ROOT

from bot.cli import main


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--corpus", str(CORPUS), *argv], stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_ask_prints_quote_citation_and_score():
    code, out, _ = run("ask", "navgation talks heixiazi")
    assert code == 0
    assert out.startswith("(read as: navgation → navigation)")
    assert "“The two sides agreed to start formal negotiation in the first half of 2013" in out
    assert "— China–Russia Joint Communiqué, 6 Dec 2012, ¶" in out and "(score " in out


def test_ask_json_follows_the_contract():
    code, out, _ = run("ask", "navgation talks heixiazi", "--json", "--limit", "2")
    data = json.loads(out)
    assert code == 0 and data["query"] == "navgation talks heixiazi"
    hit = data["hits"][0]
    assert hit["doc_id"] == COMMUNIQUE and hit["date"] == "2012-12-06"
    assert "Heixiazi Island" in hit["text"] and 0 <= hit["score"] <= 100
    assert len(data["hits"]) <= 2


def test_ask_no_good_match_is_success_with_a_message():
    code, out, _ = run("ask", "recipe for chocolate cake")
    assert code == 0 and "No good match for 'recipe for chocolate cake'." in out


def test_ask_stdin_one_json_line_per_query_in_order():
    code, out, _ = run("ask", "--stdin", stdin="Kofi Annan\n\nSkolkovo\n" + "x" * 600 + "\n")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0
    assert [x["query"] for x in lines] == ["Kofi Annan", "", "Skolkovo", "x" * 600]
    assert "Kofi Annan" in lines[0]["hits"][0]["text"]
    assert lines[1]["hits"] == [] and "empty query" in lines[1]["error"]
    assert "limit is 500" in lines[3]["error"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask"], "ask needs a query"),
        (["ask", "   "], "ask needs a query"),
        (["ask", "y" * 501], "query is 501 characters long; the limit is 500"),
        (["ask", "trade after:20x"], "'20x' is not a date"),
        (["ask", "trade", "--limit", "0"], "is not a number from 1 to 50"),
        (["ask", "Kofi", "--stdin"], "not both"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_usage_exits_2_with_one_line(argv, message):
    code, _, err = run(*argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_missing_corpus_exits_2_saying_how_to_add_documents(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(["--corpus", str(tmp_path / "none"), "ask", "trade"], stdout=out, stderr=err)
    assert code == 2 and "briefbot ingest" in err.getvalue()


def test_empty_corpus_exits_2(tmp_path):
    err = io.StringIO()
    assert main(["--corpus", str(tmp_path), "docs"], stdout=io.StringIO(), stderr=err) == 2
    assert "no statements in corpus directory" in err.getvalue()


def test_docs_lists_documents_with_counts():
    code, out, _ = run("docs", "--json")
    rows = json.loads(out)
    assert code == 0
    comm = next(r for r in rows if r["doc_id"] == COMMUNIQUE)
    assert comm["date"] == "2012-12-06" and comm["clauses"] > 40
    assert {"clauses", "commitments", "title"} <= set(comm)


def test_python_dash_m_bot_is_the_same_cli():
    env = {**os.environ, "BRIEFBOT_CORPUS": str(CORPUS)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "Skolkovo", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Skolkovo" in json.loads(proc.stdout)["hits"][0]["text"]
