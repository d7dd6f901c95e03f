"""Tests for bot.timeexpr: detection and normalisation of time expressions.

Each row of the main table is (anchor, sentence, expected), where expected lists
(text, value, start, due, kind, past) for every expression, in order.  Dates are
written as ISO strings to keep the table readable.
"""

from __future__ import annotations

import itertools
import re
import time
from datetime import date

import pytest

from bot.timeexpr import TimeExpression, find_time_expressions, forward_expressions

A2012_06 = date(2012, 6, 6)
A2012_12 = date(2012, 12, 6)
A2021 = date(2021, 9, 24)
A2022 = date(2022, 11, 16)
A2025 = date(2025, 5, 12)

Row = tuple[str, str | None, str | None, str | None, str, bool]


def _row(expr: TimeExpression) -> Row:
    return (
        expr.text,
        expr.value,
        expr.start.isoformat() if expr.start else None,
        expr.due.isoformat() if expr.due else None,
        expr.kind,
        expr.past,
    )


VAGUE = "FUTURE_REF"

# fmt: off
CASES: list[tuple[date, str, list[Row]]] = [
    # --- parts of a year and ISO days (found in review: they fell back to the bare year)
    (A2012_06, "to finish the survey by the beginning of 2014",
     [("by the beginning of 2014", "2014-START", None, "2014-01-31", "deadline", False)]),
    (A2012_06, "will be ratified by the middle of 2013",
     [("by the middle of 2013", "2013-MID", None, "2013-06-30", "deadline", False)]),
    (A2012_06, "a summit in the spring of 2013",
     [("in the spring of 2013", "2013-SP", "2013-03-01", "2013-05-31", "during", False)]),
    (A2012_06, "talks in mid-2013",
     [("in mid-2013", "2013-MID", "2013-06-01", "2013-06-30", "during", False)]),
    (A2012_06, "the plan will be adopted by 2013-03-31",
     [("by 2013-03-31", "2013-03-31", None, "2013-03-31", "deadline", False)]),
    (A2012_06, "a meeting in the winter of 2013",
     [("in the winter of 2013", "2013-WI", "2013-12-01", "2014-02-28", "during", False)]),
    # --- real sentences from the corpus -----------------------------------------------
    (A2012_06, "striving to increase bilateral trade to $100 billion before 2015 and "
               "$200 billion before 2020",
     [("before 2015", "2015", None, "2014-12-31", "deadline", False),
      ("before 2020", "2020", None, "2019-12-31", "deadline", False)]),
    (A2012_06, 'successfully hosting the 2012 "Russian tourism year" in China and the 2013 '
               '"Chinese tourism year" in Russia',
     [("2012", "2012", "2012-01-01", "2012-12-31", "during", False),  # current, not past
      ("2013", "2013", "2013-01-01", "2013-12-31", "during", False)]),
    (A2012_06, "consulting and deciding on the mechanism for mutual dispatch of youth "
               "delegations in the next five years",
     [("in the next five years", "P5Y", "2012-06-06", "2017-06-06", "duration", False)]),
    (A2012_06, "to formulate and approve the outline for implementing the 2013-2016 treaty",
     [("2013-2016", "2013/2016", "2013-01-01", "2016-12-31", "range", False)]),
    # Not past by dates (it ends after the anchor), and rightly so: the clause "To
    # complete the Outline ... 2009-2012" is a genuine commitment to finish in 2012.
    (A2012_06, "the Outline for Implementing the 2009-2012 PRC-Russian Federation Treaty",
     [("2009-2012", "2009/2012", "2009-01-01", "2012-12-31", "range", False)]),
    (A2012_12, "The two sides agreed to start formal negotiation in the first half of 2013 "
               "on a navigation pact",
     [("in the first half of 2013", "2013-H1", "2013-01-01", "2013-06-30", "during", False)]),
    (A2012_12, "the next regular meeting between the two countries' heads of government "
               "will be held in China in 2013",
     [("in 2013", "2013", "2013-01-01", "2013-12-31", "during", False)]),
    (A2012_12, "ensure the success of the Tourism Year of China to be held in Russia next year",
     [("next year", "2013", "2013-01-01", "2013-12-31", "during", False)]),
    (A2012_12, "Big thematic and sports activities will be held in the next five years.",
     [("in the next five years", "P5Y", "2012-12-06", "2017-12-06", "duration", False)]),
    (A2012_12, "the first joint inspection of the China-Russia border, which started in 2011",
     [("in 2011", "2011", "2011-01-01", "2011-12-31", "during", True)]),
    (A2012_12, "during the 17th regular meeting of prime ministers", []),
    (A2012_12, "so as to start transporting Russian gas to China at an early date",
     [("at an early date", VAGUE, None, None, "vague", False)]),
    (A2012_06, "UN Security Council Resolution 2043", []),
    (A2012_06, "summer school for 300 young students of Moscow University", []),
    (A2025, "The Parties commit to take the following actions by May 14, 2025:",
     [("by May 14, 2025", "2025-05-14", None, "2025-05-14", "deadline", False)]),
    (A2025, "set forth in Executive Order 14257 of April 2,\n2025, by suspending 24 percentage "
            "points of that rate for an initial\nperiod of 90 days",
     [("April 2,\n2025", "2025-04-02", "2025-04-02", "2025-04-02", "during", True),
      ("for an initial\nperiod of 90 days", "P90D", "2025-05-12", "2025-08-10", "duration",
       False)]),
    (A2025, "Announcement of the Customs Tariff Commission of the State Council No. 4\nof 2025",
     []),
    (A2021, "to donate more than 1.2 billion doses ... by the end of 2022",
     [("by the end of 2022", "2022", None, "2022-12-31", "deadline", False)]),
    (A2022, "We look forward to meeting again in India in 2023, in Brazil in 2024 and in "
            "South Africa in 2025.",
     [("in 2023", "2023", "2023-01-01", "2023-12-31", "during", False),
      ("in 2024", "2024", "2024-01-01", "2024-12-31", "during", False),
      ("in 2025", "2025", "2025-01-01", "2025-12-31", "during", False)]),
    (A2022, "net zero emissions by or around mid-century",
     [("by or around mid-century", VAGUE, None, None, "vague", False)]),
    (A2022, "in Resolution No. ES-11/1 dated 2 March 2022, as adopted by majority vote "
            "(141 votes for, 5 against",
     [("2 March 2022", "2022-03-02", "2022-03-02", "2022-03-02", "during", True)]),

    # --- deadlines ----------------------------------------------------------------------
    (A2021, "We will phase out the subsidies by 2022.",
     [("by 2022", "2022", None, "2022-12-31", "deadline", False)]),
    (A2021, "coal power will be retired by end-2022",
     [("by end-2022", "2022", None, "2022-12-31", "deadline", False)]),
    (A2022, "carbon neutrality no later than 2050",
     [("no later than 2050", "2050", None, "2050-12-31", "deadline", False)]),
    (A2022, "peaking not later than 2030",
     [("not later than 2030", "2030", None, "2030-12-31", "deadline", False)]),
    (A2022, "The pact will be signed by March 2023.",
     [("by March 2023", "2023-03", None, "2023-03-31", "deadline", False)]),
    (A2025, "Tariffs shall be reduced by 14 May 2025.",
     [("by 14 May 2025", "2025-05-14", None, "2025-05-14", "deadline", False)]),
    (A2022, "The waiver remains in force until 31 December 2025.",
     [("until 31 December 2025", "2025-12-31", None, "2025-12-31", "deadline", False)]),
    (A2012_06, "talks to conclude before the second half of 2013",
     [("before the second half of 2013", "2013-H2", None, "2013-06-30", "deadline", False)]),
    (A2022, "a report by the end of this year",
     [("by the end of this year", "2022", None, "2022-12-31", "deadline", False)]),
    (A2022, "a report by the end of the year",
     [("by the end of the year", "2022", None, "2022-12-31", "deadline", False)]),
    (A2012_06, "a treaty to be ratified before 2012", [  # its deadline has passed
        ("before 2012", "2012", None, "2011-12-31", "deadline", True)]),

    # --- windows ------------------------------------------------------------------------
    (A2012_06, "Exchanges will intensify during 2013.",
     [("during 2013", "2013", "2013-01-01", "2013-12-31", "during", False)]),
    (A2012_06, "The fair opens in the second half of 2013.",
     [("in the second half of 2013", "2013-H2", "2013-07-01", "2013-12-31", "during", False)]),
    (A2022, "delivery in the third quarter of 2024",
     [("in the third quarter of 2024", "2024-Q3", "2024-07-01", "2024-09-30", "during",
       False)]),
    (A2022, "shipments resume Q3 2024",
     [("Q3 2024", "2024-Q3", "2024-07-01", "2024-09-30", "during", False)]),
    (date(2024, 5, 1), "a review in the fourth quarter",
     [("in the fourth quarter", "2024-Q4", "2024-10-01", "2024-12-31", "during", False)]),
    # The first quarter of the anchor's year is over, so it is next year's.
    (date(2024, 5, 1), "a review in the first quarter",
     [("in the first quarter", "2025-Q1", "2025-01-01", "2025-03-31", "during", False)]),
    (A2022, "The summit will take place in March 2023.",
     [("in March 2023", "2023-03", "2023-03-01", "2023-03-31", "during", False)]),
    (A2022, "The rules apply on 1 January 2024.",
     [("on 1 January 2024", "2024-01-01", "2024-01-01", "2024-01-01", "during", False)]),
    (A2012_06, "hold the exhibition this year",
     [("this year", "2012", "2012-06-06", "2012-12-31", "during", False)]),
    (A2022, "a second meeting later this year",
     [("later this year", "2022", "2022-11-16", "2022-12-31", "during", False)]),
    (A2012_06, "agree on a work plan in the coming year",
     [("in the coming year", "P1Y", "2012-06-06", "2013-06-06", "duration", False)]),

    # --- ranges -------------------------------------------------------------------------
    (A2012_06, "the 2013–2016 plan",
     [("2013–2016", "2013/2016", "2013-01-01", "2016-12-31", "range", False)]),
    (A2012_06, "cooperation from 2013 to 2016 in energy",
     [("from 2013 to 2016", "2013/2016", "2013-01-01", "2016-12-31", "range", False)]),
    (A2012_06, "programmes between 2013 and 2016",
     [("between 2013 and 2016", "2013/2016", "2013-01-01", "2016-12-31", "range", False)]),
    (A2021, "an action plan for 2021-2025",
     [("for 2021-2025", "2021/2025", "2021-01-01", "2025-12-31", "range", False)]),
    (A2021, "the plan for 2021-25",
     [("for 2021-25", "2021/2025", "2021-01-01", "2025-12-31", "range", False)]),
    (A2012_06, "from 2011 to 2012 when China served the presidency",
     [("from 2011 to 2012", "2011/2012", "2011-01-01", "2012-12-31", "range", True)]),

    # --- durations and vague references -----------------------------------------------
    (A2022, "investment over the next 5 years",
     [("over the next 5 years", "P5Y", "2022-11-16", "2027-11-16", "duration", False)]),
    (A2022, "a decision within six months",
     [("within six months", "P6M", "2022-11-16", "2023-05-16", "duration", False)]),
    (A2022, "respond within 30 days",
     [("within 30 days", "P30D", "2022-11-16", "2022-12-16", "duration", False)]),
    (A2022, "a feasibility study within a year",
     [("within a year", "P1Y", "2022-11-16", "2023-11-16", "duration", False)]),
    (A2022, "a review in five years' time",
     [("in five years' time", "P5Y", "2022-11-16", "2027-11-16", "duration", False)]),
    (A2022, "trade has doubled over the past five years",
     [("over the past five years", "P5Y", "2017-11-16", "2022-11-16", "duration", True)]),
    (A2022, "further steps in the months ahead",
     [("in the months ahead", VAGUE, None, None, "vague", False)]),
    (A2022, "to conclude the talks as soon as possible",
     [("as soon as possible", VAGUE, None, None, "vague", False)]),
    (A2022, "to visit in the near future",
     [("in the near future", VAGUE, None, None, "vague", False)]),
    (A2022, "to be notified in a timely manner",
     [("in a timely manner", VAGUE, None, None, "vague", False)]),
    (A2022, "details will be announced in due course",
     [("in due course", VAGUE, None, None, "vague", False)]),

    # --- wrapped lines and no-break spaces ---------------------------------------------
    (A2012_12, "start formal negotiation in the first half\nof 2013",
     [("in the first half\nof 2013", "2013-H1", "2013-01-01", "2013-06-30", "during", False)]),
    (A2021, "more than 1.2 billion doses by the end of\n2022",
     [("by the end of\n2022", "2022", None, "2022-12-31", "deadline", False)]),
    (A2012_06, "$100 billion before\u00a02015",
     [("before\u00a02015", "2015", None, "2014-12-31", "deadline", False)]),

    # --- past references ----------------------------------------------------------------
    (A2022, "Since March, the two sides have held four rounds of talks.",
     [("Since March", "2022-03", "2022-03-01", "2022-03-31", "during", True)]),
    (A2012_12, "border demarcation has continued since 2011",
     [("since 2011", "2011", "2011-01-01", "2011-12-31", "during", True)]),
    (A2022, "trade grew by 10 percent last year",
     [("last year", "2021", "2021-01-01", "2021-12-31", "during", True)]),
    # The window still contains the anchor, but "was held" narrates it as history...
    (A2012_06, "the expo, which was held in 2012",
     [("in 2012", "2012", "2012-01-01", "2012-12-31", "during", True)]),
    # ...whereas "to be held" is the passive future.
    (A2012_12, "the summit to be held in 2013",
     [("in 2013", "2013", "2013-01-01", "2013-12-31", "during", False)]),
    # "ago" looks back, so the yearless month is resolved backwards too.
    (A2022, "the talks in January, ten months ago, were useful",
     [("in January", "2022-01", "2022-01-01", "2022-01-31", "during", True)]),

    # --- numbers that are not dates -----------------------------------------------------
    (A2025, "UNSCR 2593, Executive Order 14257 and Order 14259 remain in force", []),
    (A2022, "SDG 7, Covid-19, the G20 and paragraph 33 of the declaration", []),
    (A2022, "a 1000 km pipeline, 79 million people, 10 percent and 100 graduate fellowships",
     []),
    (A2022, "the 2030 Agenda for Sustainable Development", []),
    (A2012_06, "in Resolution 2043 of 2012", []),
    (A2022, "water supply in 2000 villages and cuts by 2030 tonnes", []),
    (A2022, "on February 30, 2024", []),  # not a real day
]
# fmt: on


def _sentence(start: str) -> str:
    """The one table sentence that starts with ``start``."""
    (sentence,) = [case[1] for case in CASES if case[1].startswith(start)]
    return sentence


def _case_id(case: tuple[date, str, list[Row]]) -> str:
    return re.sub(r"\s+", " ", case[1])[:50]


@pytest.mark.parametrize(("anchor", "sentence", "expected"), CASES, ids=map(_case_id, CASES))
def test_table(anchor: date, sentence: str, expected: list[Row]) -> None:
    assert [_row(e) for e in find_time_expressions(sentence, anchor)] == expected


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 45


@pytest.mark.parametrize(("anchor", "sentence", "expected"), CASES, ids=map(_case_id, CASES))
def test_text_is_a_verbatim_slice(anchor: date, sentence: str, expected: list[Row]) -> None:
    found = find_time_expressions(sentence, anchor)
    assert len(found) == len(expected)
    for expr in found:
        assert sentence[expr.start_char : expr.end_char] == expr.text


def test_first_half_is_not_read_as_a_day() -> None:
    # dateparser reads "first half of 2013" as 5 January 2013.
    (expr,) = find_time_expressions("in the first half of 2013", A2012_12)
    assert (expr.start, expr.due) == (date(2013, 1, 1), date(2013, 6, 30))


# --- forward_expressions ---------------------------------------------------------------


def test_forward_keeps_future_windows() -> None:
    sentence = _sentence("We look forward to meeting again in India")
    assert [e.text for e in forward_expressions(sentence, A2022)] == [
        "in 2023",
        "in 2024",
        "in 2025",
    ]


def test_forward_drops_past_dates_and_keeps_the_duration() -> None:
    sentence = _sentence("set forth in Executive Order 14257")
    assert [e.value for e in forward_expressions(sentence, A2025)] == ["P90D"]


def test_forward_drops_document_designations() -> None:
    sentence = "Announcement of the Customs Tariff Commission of the State Council No. 4\nof 2025"
    assert forward_expressions(sentence, A2025) == []
    assert forward_expressions("the Law No. 12 of 2030 on energy", A2025) == []


def test_forward_keeps_the_current_year() -> None:
    sentence = _sentence('successfully hosting the 2012 "Russian tourism year"')
    assert [e.value for e in forward_expressions(sentence, A2012_06)] == ["2012", "2013"]
    # Half a year later, 2012 is still current; a year later it is over.
    assert [e.value for e in forward_expressions(sentence, date(2013, 1, 1))] == ["2013"]


def test_forward_drops_narrated_past_even_when_the_window_is_open() -> None:
    sentence = "from 2011 to 2012 when China served the presidency"
    (expr,) = find_time_expressions(sentence, A2012_06)
    assert expr.due is not None and expr.due >= A2012_06
    assert forward_expressions(sentence, A2012_06) == []


def test_forward_keeps_vague_and_drops_passed_deadlines() -> None:
    sentence = "ratify before 2012 and start gas deliveries at an early date"
    assert [e.text for e in find_time_expressions(sentence, A2012_06)] == [
        "before 2012",
        "at an early date",
    ]
    assert [e.kind for e in forward_expressions(sentence, A2012_06)] == ["vague"]


def test_forward_respects_the_anchor_for_day_dates() -> None:
    sentence = "in Resolution No. ES-11/1 dated 2 March 2022"
    assert forward_expressions(sentence, A2022) == []
    assert [e.value for e in forward_expressions(sentence, date(2022, 3, 1))] == ["2022-03-02"]


# --- longest match, overlap and order ---------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("in the first half of 2013", "2013-H1"),
        ("by the end of 2022", "2022"),
        ("from 2013 to 2016", "2013/2016"),
        ("for 2021-2025", "2021/2025"),
        ("by May 14, 2025", "2025-05-14"),
        ("in the third quarter of 2024", "2024-Q3"),
        ("by or around mid-century", "FUTURE_REF"),
    ],
)
def test_longest_match_wins(phrase: str, value: str) -> None:
    found = find_time_expressions(f"We agreed {phrase}.", A2012_06)
    assert [(e.text, e.value) for e in found] == [(phrase, value)]


def test_results_are_ordered_and_do_not_overlap() -> None:
    text = " ".join(case[1] for case in CASES)
    found = find_time_expressions(text, A2022)
    assert len(found) > 60
    for previous, current in itertools.pairwise(found):
        assert previous.end_char <= current.start_char


def test_expressions_are_immutable() -> None:
    (expr,) = find_time_expressions("by 2022", A2021)
    with pytest.raises(AttributeError):
        expr.due = None  # type: ignore[misc]


# --- robustness -------------------------------------------------------------------------


def test_empty_text() -> None:
    assert find_time_expressions("", A2022) == []
    assert forward_expressions("", A2022) == []


def test_control_characters() -> None:
    text = "\x00\x01\x1b[0m held \x7f\x0c in 2013\x00 \u200b\ufeff 2013\x002016"
    found = find_time_expressions(text, A2012_06)
    assert [e.text for e in found] == ["in 2013"]


def test_very_long_input() -> None:
    sentence = "The sides will meet in 2013 and finish before 2015. $100 billion. Order 14257. "
    text = (sentence * (50_000 // len(sentence) + 1))[:50_000]
    started = time.perf_counter()
    found = find_time_expressions(text, A2012_06)
    elapsed = time.perf_counter() - started
    assert len(found) == 2 * text.count("before 2015")
    assert all(text[e.start_char : e.end_char] == e.text for e in found)
    assert elapsed < 10  # generous; it takes well under a second


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("2013-" * 10_000, 0),  # used to backtrack quadratically in the "year" look-ahead
        ("in " * 20_000, 0),
        ("1" * 50_000, 0),
        ("by the end of " * 4_000, 0),
        ("the " + '"year" ' * 8_000, 0),
        ("within 999 decades", 0),  # past date.max: skipped, not raised
        ("in 2013 " + "a" * 50_000, 1),
    ],
    ids=["year-dash-run", "in-run", "digits", "prefix-run", "quotes", "overflow", "long-word"],
)
def test_pathological_input_runs(text: str, count: int) -> None:
    started = time.perf_counter()
    found = find_time_expressions(text, A2012_06)
    assert time.perf_counter() - started < 10
    assert len(found) == count
    assert all(text[e.start_char : e.end_char] == e.text for e in found)


# Issue 8: expressions seen in unseen statements. Anchor 2024-05-16.
@pytest.mark.parametrize(
    ("text", "expression", "start", "due"),
    [
        (
            "the renewal of the Task Force for an additional year.",
            "for an additional year",
            "2024-05-16",
            "2025-05-16",
        ),
        ("will pass into law by this summer.", "by this summer", None, "2024-08-31"),
        (
            "the announcement of measures later this spring to",
            "later this spring",
            "2024-03-01",
            "2024-05-31",
        ),
        (
            "Throughout this fall, Quad countries plan",
            "Throughout this fall",
            "2024-09-01",
            "2024-11-30",
        ),
        ("to reach it in the 2030s", "in the 2030s", "2030-01-01", "2039-12-31"),
        ("enhanced actions during the 2020s,", "during the 2020s", "2020-01-01", "2029-12-31"),
        ("take urgent action this decade to", "this decade", "2024-05-16", "2029-12-31"),
        (
            "train 40,000 students over the next decade.",
            "over the next decade",
            "2024-05-16",
            "2034-05-16",
        ),
        ("its term 2025-26 on the Council", "2025-26", "2025-01-01", "2026-12-31"),
        ("hosted by India (2025) and Brazil", "2025", "2025-01-01", "2025-12-31"),
        ("revisit the 2030 targets in our NDCs", "2030", "2030-01-01", "2030-12-31"),
        ("look forward to the 2025 Youth Summit in Japan", "2025", "2025-01-01", "2025-12-31"),
        ("activities, including Balikatan 2025, to ensure", "2025", "2025-01-01", "2025-12-31"),
        ("net-zero emissions preferably by 2050, and", "preferably by 2050", None, "2050-12-31"),
        ("for Zambia by early 2025.", "by early 2025", None, "2025-04-30"),
        ("in mid-2025", "in mid-2025", "2025-06-01", "2025-06-30"),
        ("trainings starting in 2025, and", "starting in 2025", "2025-01-01", None),
        ("USD 100 billion per year through to 2025 in", "through to 2025", None, "2025-12-31"),
        ("a conference in October this year", "in October this year", "2024-10-01", "2024-10-31"),
        ("by the end of this year", "by the end of this year", None, "2024-12-31"),
        ("convene later this year the Dialogue", "later this year", "2024-05-16", "2024-12-31"),
        ("pledged to make 2024 the year of implementation", "2024", "2024-01-01", "2024-12-31"),
        ("deliver an update in Spring 2025.", "in Spring 2025", "2025-03-01", "2025-05-31"),
        ("open applications in November, providing", "in November", "2024-11-01", "2024-11-30"),
        ("will report back by the 2025 Spring Meetings.", "by the 2025 Spring", None, "2025-05-31"),
        ("look forward to the 2025 Shareholding Review.", "2025", "2025-01-01", "2025-12-31"),
    ],
)
def test_issue8_expressions(text, expression, start, due):
    found = forward_expressions(text, date(2024, 5, 16))
    assert [(e.text, _iso(e.start), _iso(e.due)) for e in found] == [(expression, start, due)]


@pytest.mark.parametrize(
    "text",
    [
        "set forth in Executive Order 14257 of April 2, 2024",
        "mobilize $100 billion a year",
        "consistent with the Vision 2030 plan",
        "We welcome UNSCR S/RES/2735 (2024), and",
        "met in Washington from September 30 – October 1, 2024 for the Gathering",
        "the plan for developing relations in the next decade, which",
    ],
)
def test_issue8_not_forward(text):
    assert forward_expressions(text, date(2024, 10, 2)) == []


def _iso(d):
    return d.isoformat() if d else None


# --- Issue 17 item 6: dated items a reader would agree with ------------------------------
# Real sentences (or, where only a phrase was reported, the phrase as quoted in the issue).

# The U.S.-China joint statement of 11 August 2025 (Stockholm), paragraph 1, verbatim.
STOCKHOLM = (
    "The United States will continue to modify the application of the additional ad valorem "
    "rate of duty on articles of China (including articles of the Hong Kong Special "
    "Administrative Region and the Macau Special Administrative Region) set forth in Executive "
    "Order 14257 of April 2, 2025, by suspending 24 percentage points of that rate for an "
    "additional period of 90 days, starting on August 12, 2025, while retaining the remaining "
    "ad valorem rate of 10 percent on those articles pursuant to the terms of said Order."
)


def test_a_period_with_a_stated_start_is_one_expression_counted_from_that_day() -> None:
    # The parties' orders end the suspension "at 12:01 a.m. ... on November 10, 2025":
    # a period of N days starting on D ends on D + N.  Briefbot used to count the 90 days
    # from the statement (9 November) and add a start-only item for 12 August.
    found = forward_expressions(STOCKHOLM, date(2025, 8, 11))
    assert [_row(e) for e in found] == [
        (
            "for an additional period of 90 days, starting on August 12, 2025",
            "P90D",
            "2025-08-12",
            "2025-11-10",
            "duration",
            False,
        )
    ]


@pytest.mark.parametrize(
    ("anchor", "text", "expected"),
    [
        # the other order
        (date(2025, 8, 11), "starting on August 12, 2025, for an additional 90 days",
         ("starting on August 12, 2025, for an additional 90 days", "2025-08-12", "2025-11-10")),
        # "under the Public Assistance program has been increased to 100 percent of the total
        # eligible costs for a continuous period of 30 days beginning June 24, 2021."
        (date(2021, 7, 2), "eligible costs for a continuous period of 30 days beginning June 24, "
         "2021.", ("for a continuous period of 30 days beginning June 24, 2021", "2021-06-24",
                   "2021-07-24")),
        (date(2024, 11, 1), "notify within 30 days of 1 January 2025",
         ("within 30 days of 1 January 2025", "2025-01-01", "2025-01-31")),
        (date(2024, 11, 1), "for six months from 1 March 2025",
         ("for six months from 1 March 2025", "2025-03-01", "2025-09-01")),
        # without a stated start the period is counted from the statement, as before
        (date(2025, 5, 12), "for an initial period of 90 days",
         ("for an initial period of 90 days", "2025-05-12", "2025-08-10")),
    ],
)  # fmt: skip
def test_periods_and_their_starts(anchor, text, expected) -> None:
    assert [(e.text, _iso(e.start), _iso(e.due)) for e in forward_expressions(text, anchor)] == [
        expected
    ]


@pytest.mark.parametrize(
    ("anchor", "text"),
    [
        # "...vaccines, therapeutics and diagnostics within 100 days of a future pandemic
        # threat being identified." (UK-US joint statement, 10 June 2021)
        (date(2021, 6, 10), "diagnostics within 100 days of a future pandemic threat being "
         "identified."),
        # Louisiana disaster declaration, 29 August 2021
        (date(2021, 8, 29), "For a period of 30 days from the start of the incident period, "
         "assistance for debris removal"),
        (date(2021, 4, 9), "complete its report within 180 days of its first public meeting."),
    ],
)  # fmt: skip
def test_a_period_counted_from_an_undated_event_has_no_date(anchor, text) -> None:
    assert forward_expressions(text, anchor) == []


@pytest.mark.parametrize(
    ("anchor", "text", "looked_back"),
    [
        (date(2024, 11, 12), "for the first time in 50 years", "in 50 years"),
        # "Today, for the first time in 40 years, the United Nations Security Council
        # convened an Emergency Special Session" (2 March 2022)
        (date(2022, 3, 2), "Today, for the first time in 40 years, the United Nations Security "
         "Council convened", "in 40 years"),
        (date(2021, 7, 9), "to return the summer Olympic Games to American soil for the first "
         "time in three decades.", "in three decades"),
        (date(2021, 9, 2), "This is the first such exchange from the SPR in four years and",
         "in four years"),
        (date(2022, 2, 7), "it will probably be the biggest industrial modernization project in "
         "Germany in 100 years, with", "in 100 years"),
        (date(2021, 10, 28), "make the biggest progress in lowering the cost of health care in "
         "over 10 years.", "over 10 years"),
        (date(2022, 1, 14), "She was one of the original co-hosts of ABC’s “The View” for nine "
         "years", "for nine years"),
        (date(2024, 11, 12), "the two countries have been partners for 75 years", "for 75 years"),
        (date(2022, 11, 16), "trade has doubled over the past 30 years", "over the past 30 years"),
    ],
)  # fmt: skip
def test_durations_that_look_back_are_past(anchor, text, looked_back) -> None:
    found = find_time_expressions(text, anchor)
    assert [(e.text, e.kind, e.past, e.due) for e in found] == [
        (looked_back, "duration", True, anchor)
    ]
    assert forward_expressions(text, anchor) == []


@pytest.mark.parametrize(
    "text",
    [
        "Today marks the 48th anniversary of the U.S. Supreme Court’s landmark ruling",
        "We celebrate the 75th anniversary of our diplomatic relations.",
        "Based on this shared vision and over 60 years of joint space activities, the United "
        "States and France will seek greater cooperation",
        "Coes brings over fifteen years of experience in domestic policy",
        "for the first time in decades",
    ],
)
def test_anniversaries_and_quantities_of_years_are_not_dates(text) -> None:
    assert forward_expressions(text, date(2021, 11, 10)) == []


def test_a_forward_duration_is_still_a_due_date() -> None:
    # "...close America’s housing supply shortfall in 5 years" (16 May 2022)
    text = "actions that will help close America’s housing supply shortfall in 5 years"
    assert [(e.text, _iso(e.due)) for e in forward_expressions(text, date(2022, 5, 16))] == [
        ("in 5 years", "2027-05-16")
    ]
    text = "Both the U.S. and EU have agreed to suspend our tariffs for five years"
    assert [_iso(e.due) for e in forward_expressions(text, date(2021, 6, 15))] == ["2026-06-15"]


@pytest.mark.parametrize(
    ("anchor", "text", "expression", "start", "due"),
    [
        # Japan's fiscal year runs April to March: JFY 2027 ends on 31 March 2028.
        (date(2023, 1, 11), "two percent of GDP in Japanese Fiscal Year (JFY) 2027",
         "in Japanese Fiscal Year (JFY) 2027", "2027-04-01", "2028-03-31"),
        (date(2023, 1, 11), "Japan will reach two percent of GDP by JFY2027",
         "by JFY2027", None, "2028-03-31"),
        # The US fiscal year runs October to September and is named after its end.
        (date(2021, 6, 30), "The U.S. government will seek to continue this increased level of "
         "support during FY2022, pending Congressional notification",
         "during FY2022", "2021-10-01", "2022-09-30"),
        (date(2021, 11, 1), "The President will work with Congress to provide $3 billion in "
         "adaptation finance annually for PREPARE by FY2024", "by FY2024", None, "2024-09-30"),
        (date(2021, 5, 3), "to expand the United States’ capacity to admit refugees ... that I "
         "intend to set for the coming fiscal year.", "for the coming fiscal year", "2021-10-01",
         "2022-09-30"),
        # Unknown fiscal year: the calendar year.
        (date(2024, 3, 1), "The budget will be adopted in FY2026.", "in FY2026", "2026-01-01",
         "2026-12-31"),
        (date(2024, 3, 1), "to be adopted next fiscal year", "next fiscal year", "2025-01-01",
         "2025-12-31"),
        (date(2024, 5, 1), "by the end of this fiscal year, Japan will", "by the end of this "
         "fiscal year", None, "2025-03-31"),
    ],
)  # fmt: skip
def test_fiscal_years(anchor, text, expression, start, due) -> None:
    found = forward_expressions(text, anchor)
    assert [(e.text, _iso(e.start), _iso(e.due)) for e in found] == [(expression, start, due)]


def test_the_name_of_a_budget_is_not_a_date() -> None:
    text = "the Biden-Harris Administration’s FY 2023 Budget Request included over $800 million"
    assert forward_expressions(text, date(2022, 5, 12)) == []


@pytest.mark.parametrize(
    ("anchor", "text", "expression", "start", "due"),
    [
        # fall is September to November
        (date(2025, 2, 7), "to conclude the agreement by fall of 2025", "by fall of 2025", None,
         "2025-11-30"),
        (date(2022, 5, 12), "Will vaccinate 70% of eligible Tanzanians by fall 2022.",
         "by fall 2022", None, "2022-11-30"),
        # "And the Department announced that, by summer, it would launch a pilot program"
        (date(2022, 3, 24), "the Department announced that, by summer, it would launch",
         "by summer", None, "2022-08-31"),
        (date(2022, 10, 3), "to be completed by spring", "by spring", None, "2023-05-31"),
        (date(2022, 10, 3), "to be completed before winter", "before winter", None,
         "2022-11-30"),
        (date(2024, 4, 15), "opening negotiations this year", "this year", "2024-04-15",
         "2024-12-31"),
        (date(2024, 4, 15), "to conclude them by the end of this year", "by the end of this year",
         None, "2024-12-31"),
        (date(2024, 4, 15), "a second round later this year", "later this year", "2024-04-15",
         "2024-12-31"),
        (date(2025, 3, 1), "to conclude it by early 2026", "by early 2026", None, "2026-04-30"),
        (date(2022, 5, 4), "will host a Conference on Hunger, Nutrition and Health this "
         "September.", "this September", "2022-09-01", "2022-09-30"),
        (date(2022, 10, 4), "to meet again next March", "next March", "2023-03-01", "2023-03-31"),
    ],
)  # fmt: skip
def test_seasons_and_this_year(anchor, text, expression, start, due) -> None:
    found = forward_expressions(text, anchor)
    assert [(e.text, _iso(e.start), _iso(e.due)) for e in found] == [(expression, start, due)]


@pytest.mark.parametrize(
    "text",
    [
        "helping families purchase food during the summer.",
        "conditions resulting from a severe winter storm",
        "in the fall of the regime",
    ],
)
def test_seasons_that_are_not_dates(text) -> None:
    assert forward_expressions(text, date(2021, 3, 1)) == []
