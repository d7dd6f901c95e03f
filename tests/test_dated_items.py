"""Dated items with a kind: commitments, calls, events and targets (issue 8)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.commitments import KINDS, extract
from bot.documents import Document

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
