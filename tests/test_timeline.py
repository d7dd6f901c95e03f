"""Topic timelines: one clause per statement, oldest first, with word-level diffs."""

from __future__ import annotations

import io
import json

import pytest
from paths import COMMUNIQUE, CORPUS, STATEMENT
from slack_sdk.models.blocks import Block

from bot.cli import main
from bot.search import build_timeline, word_diff
from bot.services import Services
from handlers.commands import brief_reply


@pytest.mark.parametrize(
    ("old", "new", "added", "dropped"),
    [
        ("a b c", "a b c", [], []),
        ("to start talks in 2013", "to start formal talks in 2014", ["formal", "2014"], ["2013"]),
        ("Both Sides agreed", "both sides agreed firmly", ["firmly"], []),
        ("the two sides will hold talks", "the two sides", [], ["will hold talks"]),
    ],
)
def test_word_diff(old, new, added, dropped):
    assert word_diff(old, new) == (added, dropped)


def test_timeline_is_one_clause_per_statement_oldest_first(index):
    tl = build_timeline(index, "tourism year")
    docs = [e.hit.clause.doc_id for e in tl.entries]
    assert docs[:2] == [STATEMENT, COMMUNIQUE] and len(docs) == len(set(docs))
    dates = [e.hit.clause.doc_date for e in tl.entries]
    assert dates == sorted(dates)
    first, second = tl.entries[0], tl.entries[1]
    assert first.first and (first.added, first.dropped) == ([], [])
    assert (second.added, second.dropped) == word_diff(
        first.hit.clause.text, second.hit.clause.text
    )
    assert "leaders spoke highly" in second.added and "2013 Chinese" in second.dropped


def test_timeline_json_has_hits_and_diffs(index):
    data = build_timeline(index, "nuclear weapons").to_json()
    assert data["topic"] == "nuclear weapons" and len(data["entries"]) >= 2
    entry = data["entries"][1]
    assert {"doc_id", "clause_id", "citation", "text", "score", "added", "dropped"} <= set(entry)


def test_timeline_with_no_good_match_is_empty(index):
    tl = build_timeline(index, "purple elephant banana")
    assert tl.entries == []


def test_timeline_respects_date_filters(index):
    tl = build_timeline(index, "cooperation", after="2013")
    assert tl.entries and all(e.hit.clause.doc_date.year >= 2013 for e in tl.entries)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(
        ["--corpus", str(CORPUS), *argv], stdout=out, stderr=io.StringIO(), stdin=io.StringIO()
    )
    return code, out.getvalue()


def test_cli_timeline_text_and_json():
    code, out = run("ask", "--timeline", "tourism year")
    assert code == 0 and out.startswith("Timeline for 'tourism year': ")
    assert "1. 2012-06-06" in out and "+ added:" in out and "− dropped:" in out
    code, out = run("ask", "--timeline", "tourism year", "--json")
    data = json.loads(out)
    assert code == 0 and data["entries"][0]["doc_id"] == STATEMENT


def test_cli_timeline_refuses_stdin():
    code, _ = run("ask", "--timeline", "--stdin")
    assert code == 2


@pytest.mark.parametrize("topic", ["tourism year", "cooperation", "nuclear", "no such topic"])
def test_slack_timeline_blocks_are_valid(corpus, index, topic):
    services = Services(settings=None, corpus=corpus, index=index)
    message = brief_reply(services, f"timeline {topic}")
    blocks = message["blocks"]
    assert blocks and len(blocks) <= 50 and len(json.dumps(blocks)) < 13_000
    for b in blocks:
        Block.parse(b).validate_json()
    text = json.dumps(message, ensure_ascii=False)
    if topic == "no such topic":
        assert "No statement has a good match" in text
    else:
        assert "Timeline for “" in text and "oldest first" in text


def test_slack_timeline_without_topic_is_an_error(corpus, index):
    services = Services(settings=None, corpus=corpus, index=index)
    assert "empty query" in brief_reply(services, "timeline")["text"]
