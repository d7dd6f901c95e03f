"""Capitals read as their country, and former place names as today's (bot.search.gazetteer)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.reading.clean import normalise
from bot.reading.parties import _ALIASES, _STATES
from bot.search import read_query
from bot.search.gazetteer import (
    CAPITALS,
    FORMER_NAMES,
    capital_words,
    capitals_of,
    same_name_variants,
)
from bot.search.lexical import LexicalIndex
from bot.search.understand import CAPITAL_WEIGHT, alias_words, metadata_words, place_words

PARTIES = [
    *("China", "Russia", "United States", "Republic of Korea", "France", "India"),
    *("Chile", "Japan", "Ukraine", "Haiti"),
]


def test_every_capital_names_a_country_the_party_gazetteer_knows():
    known = {normalise(n) for n in [*_STATES, *_ALIASES.values()]} | {"north korea", "taiwan"}
    assert {c for c in CAPITALS.values()} - known == set()
    assert all(k == normalise(k) for k in [*CAPITALS, *FORMER_NAMES, *FORMER_NAMES.values()])


def test_capital_words_leave_out_generic_words():
    assert set(capitals_of("india")) == {"new delhi", "delhi"}
    assert capital_words("india") == {"delhi"}
    assert "delhi" in metadata_words("", ["India"]) and "new" not in metadata_words("", ["India"])
    assert capitals_of("atlantis") == () and capital_words("atlantis") == frozenset()
    # "Port-au-Prince" must not make "AU" or "prince" a word of every Haitian document
    assert capital_words("haiti") == frozenset()
    assert set(capitals_of("ukraine")) == {"kyiv", "kiev"}


@pytest.mark.parametrize(
    ("query", "parties", "read_as"),
    [
        (
            "war drills between the armies of Moscow and Beijing",
            ("Russia", "China"),
            "war drills between the armies · parties Russia, China",
        ),
        ("what did Seoul say about Pyongyang?", ("Republic of Korea",), "pyongyang"),
        ("Paris summit", ("France",), "summit"),
        # A capital before a text's or process's noun names that text, not the country.
        ("Paris Agreement", (), "paris agreement"),
        ("the Paris agreement on climate", (), "the paris agreement on climate"),
        ("New Delhi talks", ("India",), "talks"),
        ("what did Kiev say about grain?", ("Ukraine",), "grain"),
        ("Peking summit", ("China",), "summit"),
        ("Washington Post", (), "washington post"),
    ],
)
def test_a_capital_is_read_as_its_country(query, parties, read_as):
    r = read_query(query, PARTIES)
    assert r.parties == parties
    assert r.describe().split(" · ")[0].lower() == read_as.split(" · ")[0]


@pytest.mark.parametrize(
    ("query", "parties"),
    [
        ("what did Washington and Manila say about the South China Sea?", ("United States",)),
        ("peace on the Korean Peninsula", ()),
        ("Indian Ocean security", ()),
        ("the Sea of Japan", ()),
        ("the Chinese side on the Korean question", ("China", "Republic of Korea")),
        # questions lose their small words; the party before a place noun is still read
        ("what did Chile say about ocean protection?", ("Chile",)),
        ("what did China say about the sea?", ("China",)),
        ("what did China say about the South China Sea?", ("China",)),
        ("what about the Sea of Japan?", ()),
        ("what is said of the Gulf of Mexico?", ()),
    ],
)
def test_a_country_name_inside_a_place_name_is_no_party(query, parties):
    assert read_query(query, PARTIES).parties == parties


def test_read_as_drops_the_small_words_that_joined_party_names():
    r = read_query("what did China and Russia say about trade with the US?", PARTIES)
    assert r.describe() == "trade · parties China, Russia, United States"


def test_former_names_are_aliases_both_ways_and_capitals_read_as_their_country():
    a = alias_words()
    assert "mumbai" in a["bombay"] and "bombay" in a["mumbai"]  # the same place
    # a capital the corpus uses stays itself: only its other names are aliases
    assert a["kyiv"] == ("kiev",) and a["beijing"] == ("peking",)
    p = {k: dict(v) for k, v in place_words().items()}
    assert p["bombay"] == {"mumbai": 1.0} and p["mumbai"] == {"bombay": 1.0}
    assert p["kyiv"] == {"kiev": 1.0, "ukraine": CAPITAL_WEIGHT}
    assert p["kiev"] == {"kyiv": 1.0, "ukraine": CAPITAL_WEIGHT}
    assert p["moscow"] == {"russia": CAPITAL_WEIGHT, "russian": CAPITAL_WEIGHT}
    # a country named in several words has no one word to stand for it: "korea" would
    # also find North Korea
    assert "seoul" not in p and "washington" not in p


def test_a_place_the_corpus_names_another_way_is_read_as_that_name_not_as_a_typo():
    texts = [
        normalise(t)
        for t in ["attacks in Mumbai", "a bomb at the bay", "war in Ukraine", "North Korea"]
    ]
    lex = LexicalIndex(texts, np.zeros(len(texts), dtype=np.int32))
    places = place_words()
    for typed, clause, score in [("bombay", 0, 100.0), ("kyiv", 2, 85.0), ("kiev", 2, 85.0)]:
        m = lex.match([typed], aliases=alias_words(), places=places)
        assert m.corrections == {}, typed
        assert int(np.argmax(m.coverage)) == clause
        assert m.coverage[clause] == pytest.approx(score)
    assert lex.match(["seoul"], places=places).coverage.max() == 0.0


def test_a_synonym_the_corpus_lacks_is_not_read_at_full_weight():
    """'pact' is no place: the corpus's 'deal' does not stand in for it as if typed."""
    texts = [normalise(t) for t in ["deal with climate change", "climate pledges"]]
    lex = LexicalIndex(texts, np.zeros(len(texts), dtype=np.int32))
    m = lex.match(["pact", "climate"], aliases=alias_words(), places=place_words())
    assert m.coverage[0] < 100.0 and m.related.get("pact") is None


def test_bundled_corpus_answers_a_capital_and_a_former_name(index):
    kyiv = index.search("the war around Kyiv")
    assert kyiv.hits and "Ukraine" in kyiv.hits[0].clause.text
    assert kyiv.corrections == {}
    peking = index.search("Peking summit")
    assert peking.hits and "Beijing Summit" in peking.hits[0].clause.text


@pytest.mark.parametrize(
    ("words", "variants"),
    [
        ("north korea missile launches", ["dprk missile launches"]),
        ("dprk fisheries", ["north korea fisheries"]),
        ("democratic people republic of korea nuclear tests", ["dprk nuclear tests"]),
        # a question's content has lost "of"
        ("republic korea semiconductors", ["rok semiconductors"]),
        (
            "the republic of korea and the united nations",
            ["the rok and the united nations", "the republic of korea and the un"],
        ),
        # short names are not read as long ones, matched word by word
        ("eu energy", []),
        ("un women", []),
        ("rok", []),
        ("unclos and the korean peninsula", []),
    ],
)
def test_same_name_variants_swap_a_name_for_its_other_form(words, variants):
    assert [" ".join(v) for v in same_name_variants(words.split())] == variants


def test_the_topic_is_the_content_less_the_party_names_by_position():
    r = read_query("what did North Korea and the ROK say about missiles?", PARTIES)
    assert r.parties == ("Republic of Korea",) and r.topic == "north korea missiles"
    assert read_query("China, Russia", PARTIES).topic == ""


def test_a_query_naming_a_state_one_way_finds_a_clause_naming_it_the_other_way():
    from datetime import date

    from bot.reading.documents import Document
    from bot.search import ClauseIndex

    texts = [
        "We condemn the DPRK's missile launches.",
        "We condemn North Korea's missile launches and welcome the UN's support.",
        "The ROK reported missile launches.",
        "The United Nations offered support to all.",
    ]
    docs = [
        Document(f"2024-01-0{i + 1}_d{i}", f"Statement {i}", date(2024, 1, i + 1), t + "\n")
        for i, t in enumerate(texts)
    ]
    index = ClauseIndex.from_documents(docs, semantic=False)

    def found(query: str) -> list[str]:
        return [h.clause.text for h in index.search(query, limit=5).hits]

    # a clause naming the state the other way is found as well as the one naming it as typed
    for query in ("North Korea missile launches", "DPRK missile launches"):
        texts = found(query)
        assert any("DPRK" in t for t in texts) and any("North Korea" in t for t in texts)
    assert any("the UN's" in t for t in found("United Nations welcome"))
    # and no other state: "South Korea" is the ROK, never North Korea or the DPRK
    for query in ("ROK missile launches", "South Korea missile launches"):
        hits = index.search(query, limit=5).hits
        assert "ROK" in hits[0].clause.text, query
        assert all(h.score < hits[0].score for h in hits[1:]), query
