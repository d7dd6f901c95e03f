"""Dated items with a kind: commitments, calls, events and targets (issue 8)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.commitments import KINDS, extract
from bot.reading.documents import Document

ANCHOR = date(2024, 5, 16)


def _items(sentence: str, anchor: date = ANCHOR):
    doc = Document("d", "T", anchor, sentence + "\n")
    return [(c.expression, c.kind, _iso(c.start), _iso(c.due), c.actor) for c in extract(doc)]


def _iso(d):
    return d.isoformat() if d else None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Over the coming year, the United States and Canada will work to amplify areas of "
            "common priority.",
            [
                (
                    "the coming year",
                    "commitment",
                    "2024-05-16",
                    "2025-05-16",
                    "The United States and Canada",
                )
            ],
        ),
        (
            "We call on all parties to conclude the negotiations by the end of 2025.",
            [("by the end of 2025", "call", None, "2025-12-31", "all parties")],
        ),
        (
            "We look forward to the next Leaders’ Summit hosted by India in 2025.",
            [("in 2025", "event", "2025-01-01", "2025-12-31", "We")],
        ),
        (
            "We will help Pacific island countries achieve cable connectivity by the end of 2026.",
            [("by the end of 2026", "target", None, "2026-12-31", "We")],
        ),
        (
            "The United States intends to support trainings starting in 2025, and more.",
            [("starting in 2025", "commitment", "2025-01-01", None, "The United States")],
        ),
        (
            "In South Asia, we will coordinate our policies towards Afghanistan and will deepen "
            "our cooperation in 2025.",
            [("in 2025", "commitment", "2025-01-01", "2025-12-31", "We")],
        ),
        (
            "We look forward to meetings in 2025 and to more talks in 2025.",
            [("in 2025", "event", "2025-01-01", "2025-12-31", "We")],
        ),
        (
            "This year, President Biden signed into law a series of actions.",
            [],
        ),
        (
            "In support of these efforts, Australia launched the Centre in July, which delivers.",
            [],
        ),
        (
            "We also welcome the first Nuclear Energy Summit in Brussels on March 21, where "
            "participants met.",
            [],
        ),
        (
            "We applaud the successful first Youth Summit this year and look forward to the "
            "2025 Youth Summit in Japan.",
            [("2025", "event", "2025-01-01", "2025-12-31", "")],
        ),
        ("We reaffirm our commitment to the 2030 Agenda for Sustainable Development.", []),
        ("It was set forth in Executive Order 14257 and costs $100 billion.", []),
        ("We hope for peace in the years to come.", []),
        (
            "The ministers met in Rome on 3 April 2024 and agreed to meet again next spring.",
            [("next spring", "event", "2025-03-01", "2025-05-31", "")],
        ),
        (
            "We call on Iran to return to compliance by June 30.",
            [("by June 30", "call", None, "2024-06-30", "Iran")],
        ),
        (
            "Germany’s term on the Security Council for 2027-28 was welcomed.",
            [("for 2027-28", "event", "2027-01-01", "2028-12-31", "")],
        ),
        ("We welcomed the summit held in Lima in November.", []),
        (
            "We urge all parties to show restraint, and we will hold a summit in 2025.",
            [("in 2025", "event", "2025-01-01", "2025-12-31", "We")],
        ),
        ("We note the Outcome Document from the 2024 Investors Dialogue.", []),
        (
            "We look forward to the upcoming 2024 Economic Empowerment Conference.",
            [("2024", "event", "2024-01-01", "2024-12-31", "We")],
        ),
        (
            "We recognize efforts to ensure that 30% of land is conserved or protected by 2030 "
            "and we will help to reach this objective.",
            [("by 2030", "target", None, "2030-12-31", "We")],
        ),
        (
            "Canada hopes that the credits will pass into law by this summer.",
            [("by this summer", "target", None, "2024-08-31", "Canada")],
        ),
    ],
)
def test_dated_items_and_kinds(sentence, expected):
    assert _items(sentence) == expected


def test_every_kind_is_known(corpus):
    kinds = {c.kind for d in corpus.documents for c in extract(d)}
    assert kinds <= set(KINDS)


def test_json_has_kind_and_actor():
    doc = Document("d", "T", ANCHOR, "We call on the IMF to report back in 2025.\n")
    data = extract(doc)[0].to_json()
    assert data["kind"] == "call" and data["actor"] == "the IMF"


# --- Issue 17 item 6: one item per commitment, with dates a reader agrees with -----------


def _dated(sentence: str, anchor: date) -> list[tuple[str, str | None, str | None]]:
    doc = Document(f"{anchor.isoformat()}_d", "T", anchor, sentence + "\n")
    return [(c.expression, _iso(c.start), _iso(c.due)) for c in extract(doc) if c.due or c.start]


def test_the_stockholm_period_is_one_item_ending_on_the_parties_date():
    # Joint Statement on U.S.-China Economic and Trade Meeting in Stockholm (11 August 2025):
    # briefbot gave "for an additional period of 90 days" due 9 November (counted from the
    # statement) and a second, start-only item for "starting on August 12, 2025".
    sentence = (
        "The United States will continue to modify the application of the additional ad "
        "valorem rate of duty on articles of China (including articles of the Hong Kong Special "
        "Administrative Region and the Macau Special Administrative Region) set forth in "
        "Executive Order 14257 of April 2, 2025, by suspending 24 percentage points of that rate "
        "for an additional period of 90 days, starting on August 12, 2025, while retaining the "
        "remaining ad valorem rate of 10 percent on those articles pursuant to the terms of said "
        "Order."
    )
    doc = Document("2025-08-11_stockholm", "T", date(2025, 8, 11), sentence + "\n")
    (item,) = extract(doc)
    assert (item.expression, item.start, item.due) == (
        "for an additional period of 90 days, starting on August 12, 2025",
        date(2025, 8, 12),
        date(2025, 11, 10),
    )
    assert item.id.endswith("/p90d")  # the id the period had before: statuses stay attached


@pytest.mark.parametrize(
    ("anchor", "sentence", "expected"),
    [
        # "for the first time in 50 years" used to be a commitment due 2074.
        (date(2024, 11, 12), "The leaders will meet in Jakarta for the first time in 50 years.",
         []),
        # "For many, this will mark the first time in three years that families and friends
        # will be able to gather around the Seder table" (15 April 2022)
        (date(2022, 4, 15), "For many, this will mark the first time in three years that "
         "families and friends will be able to gather around the Seder table.", []),
        (date(2024, 11, 12), "We will celebrate the 75th anniversary of our relations with a "
         "series of events.", []),
        # "On this historic occasion of March 12, 2021, the first-ever leader-level summit of
        # the Quad, we pledge to strengthen our cooperation": the statement's own day.
        (date(2021, 3, 12), "On this historic occasion of March 12, 2021, the first-ever "
         "leader-level summit of the Quad, we pledge to strengthen our cooperation on the "
         "defining challenges of our time.", []),
        # ...but an event announced for the same day is kept.
        (date(2022, 5, 16), "On May 16, 2022, President Joseph R. Biden, Jr., will award the "
         "Medal of Valor to fifteen public safety officers.",
         [("On May 16, 2022", "2022-05-16", "2022-05-16")]),
        (date(2023, 1, 11), "Japan will increase its defense spending to two percent of GDP in "
         "Japanese Fiscal Year (JFY) 2027.",
         [("in Japanese Fiscal Year (JFY) 2027", "2027-04-01", "2028-03-31")]),
        (date(2024, 4, 15), "The leaders welcomed the progress made towards opening "
         "negotiations this year.", [("this year", "2024-04-15", "2024-12-31")]),
        (date(2025, 2, 7), "The new plant is expected to open by fall of 2025.",
         [("by fall of 2025", None, "2025-11-30")]),
        # "And the Department announced that, by summer, it would launch a pilot program for
        # VA Medical Centers" (24 March 2022)
        (date(2022, 3, 24), "And the Department announced that, by summer, it would launch a "
         "pilot program for VA Medical Centers and other offices in six states.",
         [("by summer", None, "2022-08-31")]),
        # "In the fall of 2022, HHS expects to award over $225 million in training programs"
        (date(2022, 3, 1), "In the fall of 2022, HHS expects to award over $225 million in "
         "training programs.", [("In the fall of 2022", "2022-09-01", "2022-11-30")]),
        # "...that will help close America’s housing supply shortfall in 5 years" (16 May 2022)
        (date(2022, 5, 16), "His plan includes actions that will help close America’s housing "
         "supply shortfall in 5 years.", [("in 5 years", "2022-05-16", "2027-05-16")]),
    ],
)  # fmt: skip
def test_dated_items_a_reader_agrees_with(anchor, sentence, expected):
    assert _dated(sentence, anchor) == expected
