"""Clause segmentation: sentences, bullets with lead-ins, stable ids, citations."""

from __future__ import annotations

import pytest
from paths import COMMUNIQUE, STATEMENT

from bot.clauses import segment, split_sentences
from bot.documents import Document


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
