"""The kind in citations: `briefbot ask` and `briefbot docs` output, and Slack blocks."""

from __future__ import annotations

import io
import json

import pytest
from paths import CORPUS
from slack_sdk.models.blocks import Block

from bot.cli import main
from bot.reading.documents import render_document
from bot.search import ClauseIndex
from handlers.blocks import citation_line, search_message

AGREED = (
    "The two sides agreed to lower reciprocal tariffs on steel, aluminium and copper by "
    "ninety percent within one hundred days, and to establish a standing mechanism for "
    "consultations on economic and trade relations."
)
ECHO = "The leaders welcomed that " + AGREED[0].lower() + AGREED[1:]
QUERY = "leaders welcomed lower reciprocal tariffs on steel aluminium and copper"


def run(corpus, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--corpus", str(corpus), *argv], stdout=out, stderr=err, stdin=io.StringIO())
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """A joint statement and, the next day, a readout that restates it."""
    folder = tmp_path_factory.mktemp("kinds-corpus")
    files = {
        "2025-05-12_freedonia-sylvania-joint-statement": (
            "Joint Statement on Freedonia-Sylvania Trade Talks in Lisbon",
            "2025-05-12",
            ["Freedonia and Sylvania held talks in Lisbon.", AGREED],
        ),
        "2025-05-13_readout-call-sylvania": (
            "Readout of the President’s Call with the Prime Minister of Sylvania",
            "2025-05-13",
            ["The President spoke today with the Prime Minister of Sylvania.", ECHO],
        ),
    }
    for doc_id, (title, when, paragraphs) in files.items():
        meta = {"title": title, "date": when, "parties": ["Freedonia", "Sylvania"]}
        meta["kind"] = "statement"  # what ingest writes: the title decides
        text = render_document(meta, "\n\n".join(paragraphs))
        (folder / f"{doc_id}.md").write_text(text, encoding="utf-8")
    return folder


def test_ask_shows_the_kind_in_the_citation_line():
    code, out, _ = run(CORPUS, "ask", "navigation Heixiazi")
    assert code == 0
    assert "— China–Russia Joint Communiqué, 6 Dec 2012, ¶35 (communiqué)  (score " in out


def test_ask_echoes_the_kind_filter_and_keeps_to_it():
    code, out, _ = run(CORPUS, "ask", "nuclear war kind:joint")
    assert code == 0 and "note: filter: kind joint statement" in out
    assert "(joint statement)  (score " in out and "(declaration)" not in out


def test_ask_with_an_unknown_kind_exits_2_naming_the_kinds():
    code, out, err = run(CORPUS, "ask", "trade kind:memo")
    assert code == 2 and out == ""
    assert "'memo' is not a kind of document" in err and "joint-statement" in err
    assert "Traceback" not in err


def test_ask_json_has_the_kind():
    code, out, _ = run(CORPUS, "ask", "navigation Heixiazi", "--json")
    assert code == 0 and json.loads(out)["hits"][0]["kind"] == "communique"


def test_ask_puts_the_statement_first_and_its_echo_under_it(small_corpus):
    code, out, _ = run(small_corpus, "ask", QUERY)
    assert code == 0
    first = out.split("\n\n")[0]
    assert first.startswith("1. “The two sides agreed to lower reciprocal tariffs")
    assert "— Joint Statement on Freedonia-Sylvania Trade Talks in Lisbon, 12 May 2025" in first
    assert "(joint statement)  (score " in first
    assert "also in: Readout of the President’s Call with the Prime Minister of Sylvania" in first
    assert first.rstrip().endswith("(readout)")
    assert "“The leaders welcomed" not in out  # no separate place for the echo


def test_docs_shows_each_documents_kind():
    code, out, _ = run(CORPUS, "docs")
    assert code == 0
    assert "2012-12-06 · communiqué · " in out and "2022-11-16 · declaration · " in out
    code, out, _ = run(CORPUS, "docs", "--json")
    kinds = {r["doc_id"]: r["kind"] for r in json.loads(out)}
    assert kinds["2012-06-06_china-russia-joint-statement"] == "joint-statement"
    assert kinds["2012-12-06_china-russia-joint-communique"] == "communique"


def test_slack_citation_line_has_the_kind(small_corpus):
    from bot.reading.documents import load_corpus

    index = ClauseIndex.from_documents(load_corpus(small_corpus).documents, semantic=False)
    result = index.search(QUERY)
    message = search_message(result, query=QUERY)
    for block in message["blocks"]:
        Block.parse(block).validate_json()
    contexts = [
        " ".join(e["text"] for e in b["elements"])
        for b in message["blocks"]
        if b["type"] == "context"
    ]
    line = next(c for c in contexts if "Freedonia-Sylvania" in c)
    assert "12 May 2025, ¶2* · joint statement · score " in line
    assert "also in Readout of the President’s Call" in line and "(readout)" in line


def test_citation_line_without_a_kind_is_as_before(corpus):
    clause = ClauseIndex.from_documents(corpus.documents, semantic=False).clauses[0]
    assert citation_line(clause, 91.0) == f"*{clause.citation}* · score 91"
    assert citation_line(clause, None, kind="fact-sheet") == f"*{clause.citation}* · fact sheet"
