"""The ``kind:`` filter typed into a query, and the filters echoed back."""

from __future__ import annotations

import pytest
from paths import COMMUNIQUE

from bot.search import QueryError, parse_query


@pytest.mark.parametrize(
    ("text", "kinds", "rest"),
    [
        ("trade kind:readout", ("readout",), "trade"),
        ("kind:joint trade", ("joint-statement",), "trade"),
        ("trade kind:joint-statement", ("joint-statement",), "trade"),
        ("trade kind:communiqué", ("communique",), "trade"),
        ("trade KIND:Communique", ("communique",), "trade"),
        ("trade kind:readout,fact-sheet", ("readout", "fact-sheet"), "trade"),
        ("trade kind:readout kind:factsheet kind:readout", ("readout", "fact-sheet"), "trade"),
        ('trade kind:"fact sheet"', ("fact-sheet",), "trade"),
        ("trade", (), "trade"),
    ],
)
def test_kind_filters_parse(text, kinds, rest):
    parsed = parse_query(text)
    assert (parsed.kinds, parsed.text) == (kinds, rest)


@pytest.mark.parametrize("bad", ["kind:memo", "kind:", "kind:,", "kind:readout,memo"])
def test_bad_kinds_get_a_clear_message(bad):
    with pytest.raises(QueryError) as info:
        parse_query(f"trade {bad}")
    message = str(info.value)
    assert "kind" in message and "readout" in message


def test_kind_filter_keeps_that_kind_and_says_so(index):
    result = index.search("cooperation kind:communique", limit=10)
    assert result.hits and {h.clause.doc_id for h in result.hits} == {COMMUNIQUE}
    assert {h.kind for h in result.hits} == {"communique"}
    assert "filter: kind communiqué" in result.notes


def test_a_kind_no_document_has_says_so(index):
    result = index.search("cooperation kind:readout")
    assert result.hits == []
    assert "filter: kind readout" in result.notes
    assert "no document matches the filters" in result.notes


def test_in_filter_is_echoed_back_too(index):
    result = index.search("cooperation in:communique")
    assert "filter: in “communique”" in result.notes


def test_hits_carry_their_kind(index):
    hit = index.search("navigation Heixiazi").hits[0]
    assert hit.kind in {"joint-statement", "communique"}
    assert hit.to_json()["kind"] == hit.kind


def test_a_cached_index_keeps_the_kinds_given_in_front_matter(tmp_path):
    from datetime import date

    from bot.reading.documents import Document
    from bot.search import ClauseIndex

    docs = [
        Document(
            "2025-05-13_notes",
            "Joint Statement on Trade",  # the title says joint statement …
            date(2025, 5, 13),
            "The two sides agreed to meet again in the autumn of 2025 in Lisbon.\n",
            kind="readout",  # … the front matter says readout: it wins
        )
    ]
    built = ClauseIndex.from_documents(docs, cache_dir=tmp_path, semantic=False)
    loaded = ClauseIndex.from_documents(docs, cache_dir=tmp_path, semantic=False)
    assert built.kinds == loaded.kinds == {"2025-05-13_notes": "readout"}
    hits = loaded.search("meet again in Lisbon kind:readout").hits
    assert hits and hits[0].kind == "readout"


def test_slack_help_names_every_query_filter():
    import json

    from handlers.blocks import help_message

    text = json.dumps(help_message())
    for filter_ in ("in:<document>", "after:", "before:", "kind:readout", "kind:joint"):
        assert filter_ in text, filter_
