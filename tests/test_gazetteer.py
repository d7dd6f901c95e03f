"""Capitals read as their country, and former place names as today's (bot.search.gazetteer)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.clean import normalise
from bot.parties import _ALIASES, _STATES
from bot.search import read_query
from bot.search.gazetteer import CAPITALS, FORMER_NAMES, capital_words, capitals_of
from bot.search.lexical import LexicalIndex
from bot.search.understand import alias_words, metadata_words

PARTIES = ["China", "Russia", "United States", "Republic of Korea", "France", "India"]


def test_every_capital_names_a_country_the_party_gazetteer_knows():
    known = {normalise(n) for n in [*_STATES, *_ALIASES.values()]} | {"north korea", "taiwan"}
    assert {c for c in CAPITALS.values()} - known == set()
    assert all(k == normalise(k) for k in [*CAPITALS, *FORMER_NAMES, *FORMER_NAMES.values()])


def test_capital_words_leave_out_generic_words():
    assert set(capitals_of("india")) == {"new delhi", "delhi"}
    assert capital_words("india") == {"delhi"}
    assert "delhi" in metadata_words("", ["India"]) and "new" not in metadata_words("", ["India"])
    assert capitals_of("atlantis") == () and capital_words("atlantis") == frozenset()


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
    ],
)
def test_a_country_name_inside_a_place_name_is_no_party(query, parties):
    assert read_query(query, PARTIES).parties == parties


def test_read_as_drops_the_small_words_that_joined_party_names():
    r = read_query("what did China and Russia say about trade with the US?", PARTIES)
    assert r.describe() == "trade · parties China, Russia, United States"


def test_former_names_and_capitals_are_aliases_one_way_or_both():
    a = alias_words()
    assert "mumbai" in a["bombay"] and "bombay" in a["mumbai"]  # the same place
    assert "ukraine" in a["kyiv"] and "kyiv" not in a.get("ukraine", ())  # a capital
    assert {"kyiv", "ukraine"} <= set(a["kiev"])  # an old spelling of a capital


def test_a_name_the_corpus_spells_another_way_is_not_read_as_a_typo():
    texts = [normalise(t) for t in ["attacks in Mumbai", "a bomb at the bay", "war in Ukraine"]]
    lex = LexicalIndex(texts, np.zeros(len(texts), dtype=np.int32))
    aliases = alias_words()
    for typed, clause in [("bombay", 0), ("kyiv", 2), ("kiev", 2)]:
        m = lex.match([typed], aliases=aliases)
        assert m.corrections == {}, typed
        assert int(np.argmax(m.coverage)) == clause and m.coverage[clause] == 100.0


def test_bundled_corpus_answers_a_capital_and_a_former_name(index):
    kyiv = index.search("the war around Kyiv")
    assert kyiv.hits and "Ukraine" in kyiv.hits[0].clause.text
    assert kyiv.corrections == {}
    peking = index.search("Peking summit")
    assert peking.hits and "Beijing Summit" in peking.hits[0].clause.text
