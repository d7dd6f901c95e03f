"""Ids users keep (statuses, reminder ledger) must survive segmentation changes.

The pins were generated from the code *before* issue 8 changed segmentation and
extraction: the seeds' clauses, citations and commitments must stay exactly the
same, and any bundled clause whose text did not change keeps its id.
"""

from __future__ import annotations

import json

import pytest
from paths import COMMUNIQUE, ROOT, STATEMENT

from bot.commitments import extract
from bot.reading.clauses import segment

PINS = json.loads((ROOT / "tests" / "data" / "seed_pins.json").read_text("utf-8"))
OLD_IDS = json.loads((ROOT / "tests" / "data" / "corpus_clause_ids.json").read_text("utf-8"))


@pytest.mark.parametrize("doc_id", [STATEMENT, COMMUNIQUE])
def test_seed_clauses_are_pinned(corpus, doc_id):
    clauses = segment(corpus.get(doc_id))
    assert [[c.clause_id, c.text, c.citation] for c in clauses] == PINS[doc_id]["clauses"]


@pytest.mark.parametrize("doc_id", [STATEMENT, COMMUNIQUE])
def test_seed_commitments_are_pinned(corpus, doc_id):
    doc = corpus.get(doc_id)
    got = [
        [
            m.id,
            m.clause_id,
            m.expression,
            m.value,
            m.start.isoformat() if m.start else None,
            m.due.isoformat() if m.due else None,
        ]
        for m in extract(doc, segment(doc))
    ]
    assert got == PINS[doc_id]["commitments"]


@pytest.mark.parametrize("doc_id", sorted(OLD_IDS))
def test_unchanged_clause_text_keeps_its_id(corpus, doc_id):
    now = {c.text: c.clause_id for c in segment(corpus.get(doc_id))}
    moved = {
        old_id: (text, now[text])
        for old_id, text in OLD_IDS[doc_id].items()
        if text in now and now[text] != old_id
    }
    assert moved == {}
