"""Ingesting an unseen statement as a new user would (issue 8): id, parties, short title,
clean clauses with sections, dated items by kind."""

from __future__ import annotations

import io
import re
import shutil

import pytest
from paths import ROOT

from bot.cli import main
from bot.commitments import extract
from bot.ingest import ingest_file
from bot.reading.clauses import segment
from bot.reading.documents import load_corpus
from bot.reading.parties import infer_parties, propose_short_title, slugify

DEVSET = ROOT / "tests" / "data" / "devset"
CANADA = DEVSET / "2024-05-16_us-canada-energy-transformation-task-force.txt"


@pytest.fixture
def uscanada(tmp_path):
    """The U.S.-Canada statement saved under an unhelpful name, as in the issue."""
    src = tmp_path / "uscanada.txt"
    shutil.copy(CANADA, src)
    return src


def test_id_and_file_name_come_from_date_and_short_title(uscanada, tmp_path):
    rep = ingest_file(uscanada, tmp_path / "out")
    assert rep.target.name == "2024-05-16_us-canada-joint-statement.md"
    assert rep.doc_id == "2024-05-16_us-canada-joint-statement"
    assert rep.short_title == "U.S.-Canada Joint Statement"
    assert rep.parties == ["United States", "Canada"]
    assert set(rep.inferred) == {"title", "short_title", "parties"}
    assert "parties inferred from the text: United States, Canada" in rep.warnings


def test_the_cli_prints_what_was_inferred_and_how_to_correct_it(uscanada, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(["ingest", str(uscanada), "--out", str(tmp_path / "out")], stdout=out, stderr=err)
    text = out.getvalue()
    assert code == 0, err.getvalue()
    assert "   id:    2024-05-16_us-canada-joint-statement\n" in text
    assert "   short title: U.S.-Canada Joint Statement\n" in text
    assert "   parties: United States, Canada\n" in text
    assert "inferred values can be corrected with --title, --short-title, --parties" in text


def test_flags_override_the_inferred_values(uscanada, tmp_path):
    rep = ingest_file(
        uscanada,
        tmp_path / "out",
        short_title="ETTF Extension",
        parties=["Canada", "United States"],
    )
    assert rep.target.name == "2024-05-16_ettf-extension.md"
    assert rep.parties == ["Canada", "United States"] and "parties" not in rep.inferred


def test_no_parties_found_warns(tmp_path):
    src = tmp_path / "note.txt"
    src.write_text("---\ntitle: A note\ndate: 2024-01-02\n---\n\nWe will meet in 2025.\n")
    rep = ingest_file(src, tmp_path / "out")
    assert rep.parties == []
    assert any(w.startswith("no parties found") for w in rep.warnings)
    assert rep.target.name == "2024-01-02_a-note.md"


def test_clauses_of_an_ingested_statement_are_clean(uscanada, tmp_path):
    ingest_file(uscanada, tmp_path / "out")
    doc = load_corpus(tmp_path / "out").documents[0]
    clauses = segment(doc)
    texts = [c.text for c in clauses]
    assert all("*" not in t and "<" not in t and "](" not in t for t in texts)
    assert "Expanding Cooperation on Critical Minerals" not in texts
    first = clauses[0]
    assert first.text.endswith("Energy Transformation Task Force (ETTF) for an additional year.")
    dpa = next(c for c in clauses if "Defense Production Act" in c.text)
    assert dpa.section == "Expanding Cooperation on Critical Minerals"
    assert "Expanding Cooperation on Critical Minerals" in dpa.citation
    wrapped = [c for c in clauses if c.section.startswith("Developing Resilient")]
    assert wrapped and wrapped[0].section.endswith("Civil Nuclear Supply Chains")
    items = {(c.expression, c.kind, c.due.isoformat()) for c in extract(doc) if c.due}
    assert ("for an additional year", "commitment", "2025-05-16") in items
    assert ("in 2025", "event", "2025-12-31") in items
    assert not any(e.lower() == "this year" for e, _, _ in items)  # signed into law: past


@pytest.mark.parametrize(
    ("title", "parties"),
    [
        ("U.S.-Canada Joint Statement on the Extension", ["United States", "Canada"]),
        ("Joint Statement from Quad Leaders", ["Australia", "India", "Japan", "United States"]),
        (
            "Joint Statement of Japan, the Republic of Korea, and the United States",
            ["Japan", "Republic of Korea", "United States"],
        ),
        ("G20 Bali Leaders’ Declaration", ["G20"]),
        ("Chairman’s remarks", []),
    ],
)
def test_infer_parties_from_titles(title, parties):
    assert infer_parties(title, "") == parties


@pytest.mark.parametrize(
    ("title", "parties", "short"),
    [
        ("Joint Statement from Quad Leaders", [], None),
        (
            "Joint Statement from the Leaders of the United States and the Republic of Iraq",
            ["United States", "Iraq"],
            "U.S.–Iraq Joint Statement",
        ),
        (
            "The Wilmington Declaration Joint Statement from the Leaders of Australia, India, "
            "Japan, and the United States",
            ["Australia", "India", "Japan", "United States"],
            "The Wilmington Declaration",
        ),
        # a page's label is never the title (it named every archive fact sheet
        # "FACT SHEET" in citations, and gave them ids like 2021-11-02_fact-sheet)
        (
            "FACT SHEET: New Strategy Outlines Five Priorities for Reducing Military and "
            "Veteran Suicide",
            [],
            "New Strategy Outlines Five Priorities",
        ),
        ("ICYMI: Communities Welcome New Portal", [], "Communities Welcome New Portal"),
        ("Readout: A short one", [], "A short one"),
    ],
)
def test_short_titles(title, parties, short):
    assert propose_short_title(title, parties) == short


def test_slugify():
    assert slugify("U.S.–Iraq Joint Statement") == "us-iraq-joint-statement"
    assert len(slugify("word " * 40)) <= 60


@pytest.mark.parametrize("path", sorted(DEVSET.glob("2*.txt")), ids=lambda p: p.stem[:30])
def test_every_development_statement_ingests_clean(path, tmp_path):
    rep = ingest_file(path, tmp_path / "out")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}_[a-z0-9-]+", rep.doc_id)
    assert rep.parties, rep.warnings
    doc = load_corpus(tmp_path / "out").documents[0]
    clauses = segment(doc)
    assert clauses
    for c in clauses:
        assert not re.search(r"\*|</?\w|\]\(|\\", c.text), c.text
        assert not c.text.startswith("#"), c.text
        assert c.text in doc.body
    assert len({c.clause_id for c in clauses}) == len(clauses)
    assert all(i.kind in {"commitment", "call", "event", "target"} for i in extract(doc))
