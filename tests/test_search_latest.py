"""The latest word on a topic (bot/search/latest.py, issue 18): a question about how
things stand now prefers the later statement that restates or extends an earlier one,
and says which one it follows.

The two statements below are made up for the test (a truce agreed, then extended);
nothing here is quoted from a real statement.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from bot.reading.documents import Document
from bot.search import ClauseIndex
from bot.search.latest import asks_about_now, latest_first

FIRST = Document(
    "2025-05-12_alpha-beta-geneva-trade-statement",
    "Alpha–Beta Joint Statement on Trade Talks in Geneva",
    date(2025, 5, 12),
    "Alpha and Beta held talks in Geneva on their trade relationship.\n\n"
    "Alpha will suspend the additional tariff on goods of Beta for an initial period "
    "of 90 days, and Beta will do the same.\n\n"
    "The two sides will establish a mechanism to continue discussions.",
    parties=("Alpha", "Beta"),
)
LATER = Document(
    "2025-08-11_alpha-beta-stockholm-trade-statement",
    "Alpha–Beta Joint Statement on Trade Talks in Stockholm",
    date(2025, 8, 11),
    "Alpha and Beta met again in Stockholm.\n\n"
    "Alpha will extend the suspension of the additional tariff on goods of Beta for a "
    "further period of 90 days, and Beta will do the same.\n\n"
    "The sides agreed to meet again before the end of the year.",
    parties=("Alpha", "Beta"),
)
OTHER = Document(
    "2025-09-01_gamma-delta-fisheries-statement",
    "Gamma–Delta Statement on Fisheries",
    date(2025, 9, 1),
    "Gamma and Delta will keep their fisheries agreement in force for a period of 5 years.",
    parties=("Gamma", "Delta"),
)


@pytest.fixture(scope="module")
def index() -> ClauseIndex:
    return ClauseIndex.from_documents([FIRST, LATER, OTHER], semantic=False)


@pytest.mark.parametrize(
    ("question", "now"),
    [
        ("when does the tariff suspension expire?", True),
        ("is the tariff suspension still in force?", True),
        ("what is the current tariff suspension?", True),
        ("when did Alpha suspend the tariff?", False),
        ("what did Alpha say about tariffs in 2025?", False),
        ("tariff suspension", False),
    ],
)
def test_which_questions_ask_about_now(question, now):
    assert asks_about_now(question) is now


def test_a_question_about_now_gets_the_later_statement_first(index):
    result = index.search("when does Alpha suspend the tariff on goods of Beta?")
    assert result.hits, result.suggestion
    top = result.hits[0].clause
    assert top.doc_id == LATER.doc_id and "extend the suspension" in top.text
    assert any(h.clause.doc_id == FIRST.doc_id for h in result.hits)
    (note,) = [n for n in result.notes if n.startswith("latest statement first")]
    assert "11 Aug 2025" in note and "Geneva" in note
    assert result.timeline_topic == "suspend tariff goods"  # the topic, parties aside


def test_a_question_about_the_past_keeps_the_ranking(index):
    asked = "when did Alpha first suspend the tariff on Beta's goods for an initial period?"
    result = index.search(asked)
    assert result.hits[0].clause.doc_id == FIRST.doc_id
    assert not result.timeline_topic
    assert not any(n.startswith("latest statement first") for n in result.notes)


def test_a_date_filter_keeps_the_ranking(index):
    result = index.search("when does Alpha suspend the tariff on goods of Beta? after:2025-01")
    assert result.hits[0].clause.doc_id == FIRST.doc_id
    assert not result.timeline_topic


ALPHA_BETA = frozenset({"Alpha", "Beta"})


def docs(*dates: date, parties: frozenset[str] = ALPHA_BETA):
    return [(d, parties) for d in dates].__getitem__


def test_an_unrelated_later_clause_is_not_moved_first():
    good = [(0, 80.0, []), (1, 70.0, [])]
    texts = ["alpha will suspend the tariff for 90 days", "fisheries agreement in force"]
    order, moved = latest_first(good, texts.__getitem__, docs(date(2025, 5, 12), date(2025, 9, 1)))
    assert [i for i, _, _ in order] == [0, 1] and moved is None


def test_a_weak_later_clause_is_not_moved_first():
    good = [(0, 80.0, []), (1, 30.0, [])]
    texts = ["alpha will suspend the tariff for 90 days"] * 2
    order, moved = latest_first(good, texts.__getitem__, docs(date(2025, 5, 12), date(2025, 9, 1)))
    assert [i for i, _, _ in order] == [0, 1] and moved is None


def test_a_later_clause_of_other_parties_is_not_moved_first():
    # The Quad's commerce ministers "preparing to meet" (September) are not answered
    # by another group's ministers' "next convening" (November).
    good = [(0, 97.0, []), (1, 90.0, [])]
    texts = ["our commerce and industry ministers will meet"] * 2
    meta = [
        (date(2024, 9, 21), frozenset({"Australia", "India", "Japan", "United States"})),
        (date(2024, 11, 15), frozenset({"Japan", "Republic of Korea", "United States"})),
    ]
    order, moved = latest_first(good, texts.__getitem__, meta.__getitem__)
    assert [i for i, _, _ in order] == [0, 1] and moved is None


def test_the_latest_of_several_restatements_comes_first():
    good = [(0, 80.0, []), (1, 75.0, []), (2, 60.0, [])]
    texts = ["alpha will suspend the tariff for 90 days"] * 3
    dates = docs(date(2025, 5, 12), date(2025, 11, 1), date(2025, 8, 11))
    order, moved = latest_first(good, texts.__getitem__, dates)
    assert [i for i, _, _ in order] == [1, 0, 2]
    assert moved is not None and moved.earlier == 0 and moved.later_date == date(2025, 11, 1)


def test_the_cli_and_slack_point_to_the_timeline(index):
    from bot.cli import format_result, result_json
    from handlers.blocks import search_message

    result = index.search("when does Alpha suspend the tariff on goods of Beta?")
    out = io.StringIO()
    format_result(result, out)
    assert "briefbot ask --timeline" in out.getvalue()
    assert result_json(result)["timeline_topic"] == result.timeline_topic
    message = json.dumps(search_message(result, query="when does the suspension end?"))
    assert "/brief timeline" in message
