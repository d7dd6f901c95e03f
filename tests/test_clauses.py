"""Clause segmentation: sentences, bullets with lead-ins, stable ids, citations."""

from __future__ import annotations

from datetime import date

import pytest
from paths import COMMUNIQUE, STATEMENT

from bot.reading.clauses import heading_text, segment, split_sentences
from bot.reading.documents import Document


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        (
            "It comply with the U.N. Charter. Next one.",
            ["It comply with the U.N. Charter.", "Next one."],
        ),
        ('He said "stop." Then left.', ['He said "stop."', "Then left."]),
        (
            "Announcement No. 4 of 2025 applies. Done.",
            ["Announcement No. 4 of 2025 applies.", "Done."],
        ),
        (
            "Both sides maintained: The summit will help.",
            ["Both sides maintained: The summit will help."],
        ),
        ("What now? We act!", ["What now?", "We act!"]),
        ("Trade grew 1.5 percent. Good.", ["Trade grew 1.5 percent.", "Good."]),
        (
            "They renewed the bilateral Canada-U.S. Energy Transformation Task Force for an "
            "additional year. Next.",
            [
                "They renewed the bilateral Canada-U.S. Energy Transformation Task Force for an "
                "additional year.",
                "Next.",
            ],
        ),
        (
            "The U.K. and the E.U. Commission met. Done.",
            ["The U.K. and the E.U. Commission met.", "Done."],
        ),
        (
            "Mr. Smith met Mrs. Jones at St. Paul at 9 a.m. Monday. Done.",
            ["Mr. Smith met Mrs. Jones at St. Paul at 9 a.m. Monday.", "Done."],
        ),
        ("Support (U.S. Army) forces. Done.", ["Support (U.S. Army) forces.", "Done."]),
    ],
)
def test_split_sentences(text, expected):
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_em_dash_bullets_are_clauses_with_their_lead_in(corpus):
    clauses = segment(corpus.get(STATEMENT))
    bullet = next(c for c in clauses if c.text.startswith("To maintain close high-level"))
    assert bullet.is_bullet
    assert bullet.lead_in == "To this end, the two sides have agreed the following:"
    assert bullet.text.endswith("departments;")
    trade = next(c for c in clauses if "$100 billion" in c.text)
    assert trade.lead_in == bullet.lead_in
    after = next(
        c for c in clauses if c.text.startswith("The two sides pointed out: International")
    )
    assert after.lead_in == "" and not after.is_bullet


def test_citation_format(corpus):
    c = next(c for c in segment(corpus.get(COMMUNIQUE)) if "Heixiazi" in c.text)
    assert c.citation == f"China–Russia Joint Communiqué, 6 Dec 2012, ¶{c.paragraph}"
    assert c.clause_id == f"{COMMUNIQUE}#p{c.block}.{c.sentence}"


def test_explicit_paragraph_numbers_are_used_for_citations(corpus):
    g20 = next(d for d in corpus.documents if d.doc_id.startswith("2022-11-16"))
    clauses = segment(g20)
    meet = next(c for c in clauses if "meeting again in India in 2023" in c.text)
    assert meet.paragraph == "52"
    stay = next(c for c in clauses if c.text.startswith("Stay agile"))
    assert stay.paragraph == "5" and stay.is_bullet and stay.lead_in.endswith("we will:")


def test_ids_do_not_depend_on_other_documents(corpus, index):
    alone = segment(corpus.get(COMMUNIQUE))
    in_index = [c for c in index.clauses if c.doc_id == COMMUNIQUE]
    assert [c.clause_id for c in alone] == [c.clause_id for c in in_index]
    assert len({c.clause_id for c in index.clauses}) == len(index.clauses)


def test_every_clause_is_verbatim_in_its_document(corpus, index):
    bodies = {d.doc_id: d.body for d in corpus.documents}
    assert all(c.text in bodies[c.doc_id] for c in index.clauses)


def test_document_without_date_cites_without_one():
    doc = Document("x", "Title", None, "One sentence. Another.\n")
    assert [c.citation for c in segment(doc)] == ["Title, ¶1", "Title, ¶1"]


def _doc(body: str) -> Document:
    return Document("d", "Title", date(2024, 4, 15), body)


def test_headings_become_sections_not_clauses():
    body = (
        "Opening words.\n\n## Energy and Environment\n\nThey will build a grid. It helps.\n\n"
        "Regional Integration and Political Cooperation\n\nThey met.\n"
    )
    clauses = segment(_doc(body))
    assert [(c.clause_id, c.section, c.text) for c in clauses] == [
        ("d#p1.1", "", "Opening words."),
        ("d#p3.1", "Energy and Environment", "They will build a grid."),
        ("d#p3.2", "Energy and Environment", "It helps."),
        ("d#p5.1", "Regional Integration and Political Cooperation", "They met."),
    ]
    # Paragraphs are counted as a reader counts them: headings are not paragraphs
    # (ids keep their block numbers, so they do not move).
    assert clauses[1].citation == "Title, 15 Apr 2024, Energy and Environment, ¶2"
    assert [c.paragraph for c in clauses] == ["1", "2", "2", "3"]
    assert "Energy and Environment" in clauses[1].search_text


@pytest.mark.parametrize(
    ("block", "heading"),
    [
        ("## Energy and Environment", "Energy and Environment"),
        (
            "Humanitarian Assistance and Disaster Relief (HADR)",
            "Humanitarian Assistance and Disaster Relief (HADR)",
        ),
        ("The Quad is here to stay.", None),
        ("Bali, Indonesia, 15-16 November 2022", None),
        ("We will act", None),
        ("- Bullet Point Item", None),
    ],
)
def test_heading_text(block, heading):
    assert heading_text(block) == heading


def test_last_block_is_never_a_heading():
    assert [c.text for c in segment(_doc("One.\n\nThe End\n"))] == ["One.", "The End"]


def test_search_finds_a_clause_by_its_section():
    from bot.search import ClauseIndex

    doc = _doc(
        "## Decarbonizing Steel and Aluminum\n\nThey will cooperate closely.\n\n"
        "## Health Security\n\nOther words here.\n"
    )
    hits = ClauseIndex.from_documents([doc]).search("decarbonizing steel", limit=1)
    assert hits.hits and hits.hits[0].clause.text == "They will cooperate closely."


def test_a_number_followed_by_an_invisible_space_is_the_paragraph_number():
    """'14.\u200b' was cited as the paragraph before it, and '1.\u200b' as 'preamble'."""
    body = "".join(f"{n}.\u200bThe sides agreed on point {n}.\n\n" for n in range(1, 15))
    clauses = segment(_doc(body))
    assert [c.paragraph for c in clauses] == [str(n) for n in range(1, 15)]


def test_a_heading_as_the_last_line_is_quoted_without_its_marker():
    """From an archive fact sheet ending '## To view this fact sheet in your browser…'."""
    clauses = segment(_doc("They met.\n\n## To view this fact sheet, click here\n"))
    assert [c.text for c in clauses] == ["They met.", "To view this fact sheet, click here"]


def test_invisible_characters_of_a_stored_body_never_reach_a_quote():
    """Bodies stored before cleaning removed them still held zero-width spaces."""
    clauses = segment(_doc("The talks\u200b went well.\u00ad\n\nBoth\u2060 sides agreed.\n"))
    assert [c.text for c in clauses] == ["The talks went well.", "Both sides agreed."]
