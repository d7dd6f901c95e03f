"""Query -> expected clause, on the bundled corpus (seeds first)."""

from __future__ import annotations

import pytest
from paths import COMMUNIQUE, STATEMENT

G20 = "2022-11-16_g20-bali-leaders-declaration"
QUAD = "2021-09-24_quad-leaders-joint-statement"
P5 = "2022-01-03_p5-leaders-statement-preventing-nuclear-war"
GENEVA = "2025-05-12_us-china-geneva-trade-joint-statement"

# (query, document, a phrase the expected clause contains verbatim)
CASES = [
    # typos
    ("navgation talks heixiazi", COMMUNIQUE, "navigation pact of Chinese and Russian ships"),
    ("mechanizm for safegarding common security", STATEMENT, "mechan ism for safeguarding"),
    ("next meeting of heads of goverment in china", COMMUNIQUE, "will be held in China in 2013"),
    ("partnerhsip coordination equality trust", STATEMENT, "committed to further strengthen"),
    ("Skolkvo science park", STATEMENT, "Skolkovo and Zhongguanxun"),
    ("suport for the medation effort by Kofi Anan", STATEMENT, "mediation effort by Kofi Annan"),
    ("denuclearisation of the korean peninsual", STATEMENT, "denuclearization"),
    ("youht delegatoins", STATEMENT, "mutual dispatch of youth delegations"),
    # reordered keywords
    ("100 billion trade target", STATEMENT, "$100 billion before 2015"),
    ("2020 200 billion", STATEMENT, "$200 billion before 2020"),
    ("heixiazi island navigation pact", COMMUNIQUE, "surrounding water of Heixiazi Island"),
    ("accession WTO russia opportunity", COMMUNIQUE, "accession into the World Trade Organization"),
    ("timber processing forest resources", COMMUNIQUE, "utilization of forest resources"),
    ("exercises military joint", STATEMENT, "joint military exercises"),
    ("immigration illegal", STATEMENT, "illegal immigration activity"),
    ("points 24 percentage suspending", GENEVA, "suspending 24 percentage points"),
    # names
    ("Skolkovo", STATEMENT, "Skolkovo"),
    ("Kofi Annan", STATEMENT, "Kofi Annan"),
    ("Resolution 2043", STATEMENT, "Resolution 2043"),
    ("Medvedev Wen energy cooperation", COMMUNIQUE, "Wen and Medvedev spoke highly"),
    ("Heixiazi", COMMUNIQUE, "Heixiazi Island"),
    ("Moscow University summer school", STATEMENT, "summer school for 300 young students"),
    ("He Lifeng Bessent Greer", GENEVA, "He Lifeng"),
    # phrases (partial, verbatim or nearly)
    ("a nuclear war cannot be won", P5, "cannot be won and must never be fought"),
    ("Chinese tourism year in Russia", STATEMENT, '"Chinese tourism year" in Russia'),
    ("Tourism Year of China to be held in Russia next year", COMMUNIQUE, "Tourism Year of China"),
    ("start transporting Russian gas to China", COMMUNIQUE, "transporting Russian gas to China"),
    ("the outline for implementing the 2013-2016 treaty", STATEMENT, "2013-2016 treaty"),
    ("BOTh sides maintained upcoming SCO Beijing Summit", STATEMENT, "upcoming SCO Beijing Summit"),
    ("meeting again in India in 2023", G20, "in Brazil in 2024"),
    # paraphrase sharing a distinctive word
    ("aluminium production and processing", COMMUNIQUE, "processing of aluminum"),
    ("cracking down on narcotics trafficking", STATEMENT, "terrorism, and narcotics"),
    ("vaccine doses pledged by the quad", QUAD, "1.2 billion doses"),
    ("Syria outside interference political talks", STATEMENT, "crisis in Syria must be resolved"),
    ("observer status for Afghanistan", STATEMENT, "observer status to Afghanistan"),
]

NONSENSE = [
    "purple elephant banana",
    "xyzzy plugh",
    "the weather in paris is lovely",
    "quantum chromodynamics lattice",
    "recipe for chocolate cake",
    "football world cup final score",
    "asdf qwer zxcv",
]


@pytest.mark.parametrize(("query", "doc_id", "phrase"), CASES)
def test_expected_clause_first(index, query, doc_id, phrase):
    result = index.search(query, limit=3)
    assert result.hits, f"no good match for {query!r}; suggestion {result.suggestion}"
    top = result.hits[0].clause
    assert (top.doc_id, phrase in top.text) == (doc_id, True), top.text


@pytest.mark.parametrize("query", NONSENSE)
def test_nonsense_is_no_good_match(index, query):
    result = index.search(query)
    assert result.hits == []


def test_table_is_big_enough():
    assert len(CASES) >= 30
    assert len(NONSENSE) >= 5
