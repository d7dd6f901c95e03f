"""Search the way people ask: questions, parties, titles, date words, filters, typos."""

from __future__ import annotations

import io
import json
from datetime import date

import numpy as np
import pytest
from paths import COMMUNIQUE, CORPUS, STATEMENT

from bot.cli import main
from bot.search import QueryError, date_range, parse_period, read_query
from bot.search.lexical import LexicalIndex
from bot.search.words import is_english

G20 = "2022-11-16_g20-bali-leaders-declaration"
QUAD = "2021-09-24_quad-leaders-joint-statement"
GENEVA = "2025-05-12_us-china-geneva-trade-joint-statement"
PARTIES = ["China", "Russia", "United States", "Republic of Korea", "G20"]


@pytest.mark.parametrize(
    ("query", "content", "parties", "order", "asks"),
    [
        (
            "what did China and Russia say about Syria?",
            "china russia syria",
            ("China", "Russia"),
            None,
            None,
        ),
        ("is there anything on ransomware", "ransomware", (), None, None),
        ("where will the next G20 summit be?", "g20 summit", ("G20",), "next", "where"),
        (
            "when will the US hold talks",
            "united states hold talks",
            ("United States",),
            None,
            "when",
        ),
        ("latest on Syria", "on syria", (), "latest", None),
        ("first half of 2013", "first half of 2013", (), None, None),
        ("in the next five years", "in the next five years", (), None, None),
        ("what did the Chinese side say about gas?", "chinese side gas", ("China",), None, None),
        ("North Korea denuclearization", "north korea denuclearization", (), None, None),
        ("tell us about the U.S. position", "united states", ("United States",), None, None),
        ("navgation talks heixiazi", "navgation talks heixiazi", (), None, None),
    ],
)
def test_read_query(query, content, parties, order, asks):
    r = read_query(query, PARTIES)
    assert (r.content, r.parties, r.order, r.asks) == (content, parties, order, asks)


@pytest.mark.parametrize(
    ("query", "speakers"),
    [
        ("what did Biden and Prabowo say about Gaza?", {"biden", "prabowo"}),
        ("What has the G7 said on Ukraine", {"g7"}),
        ("how did the Quad leaders agree on vaccines?", {"quad", "leaders"}),
        # Party names are parties, read from the metadata, not speakers.
        ("what did China and Russia say about Syria?", set()),
        # Not of the form "what did WHO say about …".
        ("when will the Quad meet?", set()),
        ("what did they agree on trade?", set()),
        ("Biden said about Gaza", set()),
    ],
)
def test_read_query_finds_who_spoke(query, speakers):
    reading = read_query(query, ["China", "Russia"])
    assert set(reading.speakers) == speakers
    assert set(reading.speakers) <= set(reading.content.split())


@pytest.mark.parametrize(
    ("query", "read_as"),
    [
        ("what did China and Russia say about Syria?", "Syria · parties China, Russia"),
        ("navgation talks heixiazi", ""),
        (
            "where will the next G20 summit be?",
            "summit · parties G20 · next (forward-looking) · asks where",
        ),
    ],
)
def test_read_as_line(index, query, read_as):
    assert index.search(query).read_as == read_as


@pytest.mark.parametrize(
    ("query", "doc_id", "phrase"),
    [
        ("what did China and Russia say about Syria?", STATEMENT, "Syria"),
        ("<@U123> <#C123|general> Kofi Annan", STATEMENT, "Kofi Annan"),
        ("where will the next G20 summit be?", G20, "in Brazil in 2024"),
        ("Geneva", GENEVA, ""),
        ("Quad", QUAD, "Quad"),
        ("is there anything on the Heixiazi navigation pact?", COMMUNIQUE, "Heixiazi"),
        ("who will represent the Chinese side in the trade talks?", GENEVA, "He Lifeng"),
        ("what did the P5 say about nuclear war?", "2022-01-03", "cannot be won"),
    ],
)
def test_issue_examples_find_the_clause(index, query, doc_id, phrase):
    result = index.search(query)
    assert result.hits, (query, result.suggestion)
    top = result.hits[0].clause
    assert top.doc_id.startswith(doc_id) and phrase in top.text, top.text


def test_title_only_word_finds_the_document(index):
    result = index.search("Geneva", limit=5)
    assert result.hits and {h.clause.doc_id for h in result.hits} == {GENEVA}
    assert not any("Geneva" in h.clause.text for h in result.hits)  # only in the title


@pytest.mark.parametrize("word", ["truce", "trace", "trade", "peace", "sea"])
def test_real_english_words_are_never_corrected(index, word):
    assert is_english(word)
    result = index.search(f"trade war {word}")
    assert word not in result.corrections


def test_a_rarer_dictionary_word_is_only_read_as_a_one_letter_slip():
    """'caliphate' is no misspelt 'calibrate' (two edits), 'herat' is 'heart' (one)."""
    texts = ["we calibrate the policy", "the heart of the region", "insurance schemes"]
    lex = LexicalIndex(texts, np.zeros(len(texts), dtype=np.int32))
    assert is_english("caliphate", rare=True) and not is_english("caliphate")
    assert is_english("issuance", rare=True) and not is_english("issuance")
    assert lex.correct("caliphate") == [] and lex.correct("issuance") == []
    assert lex.correct("herat") == ["heart"]
    assert lex.correct("calibrat") == ["calibrate"]  # not a word at all: two edits fine
    assert lex.correct("insurnace") == ["insurance"]


def test_trade_war_truce_is_not_read_as_true(index):
    result = index.search("trade war truce")
    assert result.corrections == {}
    assert "true" not in result.read_as


@pytest.mark.parametrize(
    ("word", "fixed"),
    [("navgation", "navigation"), ("heixiazi", "heixiazi"), ("goverment", "government")],
)
def test_typos_are_still_corrected(index, word, fixed):
    assert index.correct(word)[0] == fixed


def test_longer_forms_share_a_root():
    import numpy as np

    lex = LexicalIndex(
        ["the representative said", "they condemn it", "gas exported"], np.zeros(3, np.int32)
    )
    assert lex.longer_forms("represent") == ["representative"]
    assert lex.longer_forms("condemned") == ["condemn"]
    assert lex.longer_forms("exports") == ["exported"]
    assert lex.longer_forms("gas") == []


# ---------------------------------------------------------------- date filters


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("2012", date(2012, 1, 1), date(2012, 12, 31)),
        ("2013-06", date(2013, 6, 1), date(2013, 6, 30)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2012-06-06", date(2012, 6, 6), date(2012, 6, 6)),
        (date(2020, 5, 5), date(2020, 5, 5), date(2020, 5, 5)),
    ],
)
def test_parse_period(value, first, last):
    assert parse_period(value) == (first, last)


@pytest.mark.parametrize("bad", ["2012-13", "12", "2012/06", "2012-02-30", "june"])
def test_bad_periods_are_clear_errors(bad):
    with pytest.raises(QueryError, match="date"):
        parse_period(bad)


def test_date_range_is_inclusive_and_checked():
    r = date_range("2012", "2013-06")
    assert (r.start, r.end) == (date(2012, 1, 1), date(2013, 6, 30))
    assert r.contains(date(2012, 6, 6)) and r.contains(date(2013, 6, 30))
    assert not r.contains(date(2013, 7, 1)) and not r.contains(None)
    with pytest.raises(QueryError, match="later than"):
        date_range("2014", "2013")


def test_after_a_year_includes_that_year(index):
    typed = index.search("Kofi Annan after:2012")
    flag = index.search("Kofi Annan", after="2012")
    assert typed.hits and flag.hits
    assert typed.hits[0].clause.doc_id == flag.hits[0].clause.doc_id == STATEMENT
    assert "filter: documents dated 2012-01-01 or later" in typed.notes


def test_filter_that_hides_the_only_good_matches_says_so(index):
    result = index.search("Kofi Annan after:2013")
    assert result.hits == []
    assert any(n.startswith("the filters hid") and "Joint Statement" in n for n in result.notes)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--corpus", str(CORPUS), *argv], stdout=out, stderr=err, stdin=io.StringIO())
    return code, out.getvalue(), err.getvalue()


def test_cli_flags_take_the_same_periods_as_the_query():
    code, out, _ = run("ask", "navigation", "--after", "2013", "--before", "2013-06")
    assert code == 0 and "documents dated 2013-01-01 to 2013-06-30" in out
    code, out, _ = run("ask", "navigation heixiazi", "--after", "2012", "--json")
    data = json.loads(out)
    assert code == 0 and data["hits"][0]["doc_id"] == COMMUNIQUE
    assert data["dates"] == {"after": "2012-01-01", "before": None}


def test_cli_bad_period_is_usage_error():
    code, _, err = run("ask", "navigation", "--after", "2013-13")
    assert code == 2 and "'2013-13' is not a valid date" in err


def test_cli_prints_read_as_for_a_question():
    code, out, _ = run("ask", "what did China and Russia say about Syria?", "--limit", "1")
    assert code == 0 and out.startswith("Read as: Syria · parties China, Russia")
