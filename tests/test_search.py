"""Search behaviour beyond the query table: filters, grouping, paging, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from paths import COMMUNIQUE, STATEMENT

from bot.reading.clauses import Clause
from bot.search import MAX_QUERY_CHARS, ClauseIndex, QueryError, parse_query


def make_clause(cid: str, doc: str, text: str, when: date = date(2020, 1, 1)) -> Clause:
    return Clause(cid, doc, doc.title(), when, text, "1", 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("navigation in:communique", ("navigation", "communique", None, None)),
        (
            'trade in:"joint statement" after:2012',
            ("trade", "joint statement", date(2012, 1, 1), None),
        ),
        ("trade before:2013-06", ("trade", None, None, date(2013, 6, 30))),
        ("after:2012-06-06 gas", ("gas", None, date(2012, 6, 6), None)),
        ("plain words", ("plain words", None, None, None)),
    ],
)
def test_parse_query(text, expected):
    p = parse_query(text)
    assert (p.text, p.doc, p.after, p.before) == expected


@pytest.mark.parametrize("bad", ["after:20x2", "before:2013-13", "in:"])
def test_bad_filters_raise_clear_errors(bad):
    with pytest.raises(QueryError):
        parse_query(f"trade {bad}")


def test_document_filter_by_title_words_and_id_prefix(index):
    by_title = index.search("cooperation in:communique", limit=10)
    assert by_title.hits and {h.clause.doc_id for h in by_title.hits} == {COMMUNIQUE}
    by_id = index.search("cooperation", doc="2012-06", limit=10)
    assert by_id.hits and {h.clause.doc_id for h in by_id.hits} == {STATEMENT}


def test_date_filters(index):
    later = index.search("nuclear", after=date(2021, 12, 31), limit=20)
    assert later.hits and all(h.clause.doc_date > date(2021, 12, 31) for h in later.hits)
    early = index.search("nuclear before:2013", limit=20)
    assert early.hits and all(h.clause.doc_date < date(2013, 1, 1) for h in early.hits)


def test_filter_matching_nothing_says_so(index):
    result = index.search("trade in:nonexistentdocument")
    assert result.hits == [] and "no document matches the filters" in result.notes


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_an_error(index, query):
    with pytest.raises(QueryError, match="empty query"):
        index.search(query)


def test_overlong_query_names_the_limit(index):
    with pytest.raises(QueryError, match=f"limit is {MAX_QUERY_CHARS}"):
        index.search("trade " * 100)


@pytest.mark.parametrize(
    "query",
    [
        "\x00\x01navigation\x7f",
        "naviga\u200btion heixiazi",
        "🚢 navigation ⚓",
        "ＨＥＩＸＩＡＺＩ",
        "!!!???",
        "\ud800x",
    ],
)
def test_odd_input_never_crashes(index, query):
    result = index.search(query)
    assert isinstance(result.hits, list)


def test_fullwidth_and_control_characters_still_match(index):
    assert index.search("ＨＥＩＸＩＡＺＩ").hits[0].clause.doc_id == COMMUNIQUE
    assert index.search("\x00navigation\x7f heixiazi").hits[0].clause.doc_id == COMMUNIQUE


def test_scores_are_0_to_100_and_sorted(index):
    hits = index.search("cooperation energy", limit=10).hits
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)


def test_paging_returns_the_next_hits_without_repeats(index):
    first = index.search("cooperation", limit=3)
    second = index.search("cooperation", limit=3, offset=3)
    assert first.has_more and first.total > 3
    ids1 = {h.clause.clause_id for h in first.hits}
    ids2 = {h.clause.clause_id for h in second.hits}
    assert len(ids2) == 3 and not ids1 & ids2


def test_no_match_offers_the_closest_suggestion():
    idx = ClauseIndex(
        [make_clause("d#p1.1", "d", "The parties will build a bridge over the river.")]
    )
    result = idx.search("bridge tunnel canal aqueduct viaduct")
    assert result.hits == []
    assert result.suggestion is not None and result.suggestion.clause.clause_id == "d#p1.1"


def test_near_identical_clauses_from_two_documents_are_grouped():
    text = "The two sides agreed to start formal negotiation on a navigation pact."
    idx = ClauseIndex(
        [
            make_clause("a#p1.1", "a", text),
            make_clause("b#p4.2", "b", text.replace("pact.", "pact")),
            make_clause("c#p1.1", "c", "Navigation on the river will be improved by both parties."),
        ]
    )
    hits = idx.search("formal negotiation navigation pact", limit=5).hits
    assert [h.clause.clause_id for h in hits][:1] == ["a#p1.1"]
    assert [o.clause_id for o in hits[0].also_in] == ["b#p4.2"]
    assert all(h.clause.clause_id != "b#p4.2" for h in hits)


def test_split_words_in_the_source_match_the_whole_word(index):
    # The statement says "mechan ism" (a stray space); a query for "mechanism" finds it.
    hits = index.search("effective mechanism for safeguarding indivisible security").hits
    assert "mechan ism" in hits[0].clause.text


def test_hits_are_verbatim_source_text(index, corpus):
    for hit in index.search("BOTh sides maintained", limit=5).hits:
        doc = corpus.get(hit.clause.doc_id)
        assert hit.clause.text in doc.body


def test_json_shape_follows_the_contract(index):
    data = index.search("Kofi Annan").hits[0].to_json()
    assert {"doc_id", "title", "date", "clause_id", "citation", "text", "score"} <= set(data)
    assert data["date"] == "2012-06-06"
    assert data["citation"].startswith("China–Russia Joint Statement, 6 Jun 2012, ¶")


def test_empty_index_returns_no_hits():
    assert ClauseIndex([]).search("anything").hits == []


def test_context_returns_neighbours_in_the_same_document(index):
    hit = index.search("dispatch a UN supervisory team Resolution 2043").hits[0]
    ctx = index.context(hit.clause.clause_id)
    assert hit.clause in ctx and len(ctx) == 3
    assert {c.doc_id for c in ctx} == {STATEMENT}
    assert index.context("no-such-id") == []
