"""The id rule and the sameness rule of bot/reading/identity.py, as tables.

What the sameness rule does on the 2021-2022 archive is measured by
``bench/near_duplicates.py`` (see its docstring)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.reading.identity import compare, doc_id_for, is_doc_id, same_statement

D = date(2026, 3, 3)
T = "Joint Statement on Undersea Cables"
RULE = "2026-03-03_joint-statement-on-undersea-cables"


@pytest.mark.parametrize(
    ("when", "title", "name", "doc_id"),
    [
        (D, T, "", RULE),
        (D, T, "2026-03-03-cables.html", RULE),
        (D, T, "Statement (final).txt", RULE),
        (D, T, "2026-03-03_cables.raw.txt", "2026-03-03_cables"),
        (D, T, "2026-03-03_cables.md", "2026-03-03_cables"),
        (D, T, "2026-03-03_Cables.md", RULE),
        (None, "Leaders issue statement", "", "undated_leaders-issue-statement"),
        (D, "", "", "2026-03-03_statement"),
        (D, "Côte d’Ivoire–Ghana Communiqué", "", "2026-03-03_cote-divoire-ghana-communique"),
        (D, "A" * 70, "", "2026-03-03_" + "a" * 60),
    ],
)
def test_doc_id_rule(when, title, name, doc_id):
    assert doc_id_for(when, title, name) == doc_id
    assert is_doc_id(doc_id)


@pytest.mark.parametrize(
    "text", ["2026-03-03-cables", "2026-03-03_Cables", "cables", "2026-03-03_", "2026-03-03_a--b"]
)
def test_not_ids(text):
    assert not is_doc_id(text)


STATEMENT = (
    "Lisbon, 3 March 2026\n\n"
    "1. Portugal and Norway share an interest in secure undersea cables that carry the "
    "world's data and underpin the economies of both countries.\n\n"
    "2. The two sides will complete a joint survey of undersea cable routes in the North "
    "Atlantic by the end of 2027.\n\n"
    "3. They call on industry to report cable faults within 24 hours of detection.\n"
)
STUB = "To view the letter, visit:\nhttps://example.gov/uploads/2021/11/Letter-to-{who}.pdf\n"


@pytest.mark.parametrize(
    ("a", "b", "days", "same"),
    [
        (STATEMENT, STATEMENT.replace("\n\n", "\n\n\n").replace(" the ", "  the\n"), 0, True),
        (STATEMENT, STATEMENT.replace("world's", "world’s").replace("2027", "**2027**"), 0, True),
        (STATEMENT, "Joint Statement on Undersea Cables\n\n" + STATEMENT, 1, True),
        (STATEMENT, STATEMENT + "\nShare on Facebook | Share on Twitter | Email\n", 0, True),
        (  # one page's footer where the other has its own
            STATEMENT + "\nShare on Facebook | Share on Twitter | Email\n",
            STATEMENT + "\nPrint this page | Back to top\n",
            0,
            True,
        ),
        (STATEMENT, STATEMENT.replace("U.S.", "US"), 0, True),
        (STATEMENT, STATEMENT.replace("Norway", "Iceland"), 0, False),  # another party
        (STATEMENT, STATEMENT.replace("2027", "2028"), 0, False),  # another date in it
        (STATEMENT, STATEMENT, 4, False),  # the same words, dated days apart
        (STATEMENT, STATEMENT + "\n4. " + "They will also meet again. " * 8, 0, False),  # more
        (STUB.format(who="Senator-Leahy"), STUB.format(who="the-Speaker"), 0, False),
    ],
    ids=[
        "whitespace",
        "quotes-and-emphasis",
        "heading-line",
        "share-widget",
        "footer-swapped",
        "abbreviation",
        "substituted-name",
        "substituted-year",
        "days-apart",
        "added-paragraph",
        "letters-to-two-addressees",
    ],
)
def test_same_statement(a, b, days, same):
    got = same_statement(a, b, a_date=D, b_date=date.fromordinal(D.toordinal() + days))
    assert got is same, compare(a, b)
