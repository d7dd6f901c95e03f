"""PDFs read as their pages show them: running headers, footers and page numbers out,
sentences joined across page breaks, the PDF's own /Title used."""

from __future__ import annotations

from webfixtures import make_pdf

from bot.fetch import raw_from_bytes
from bot.ingest import prepare_text
from bot.reading.clauses import segment
from bot.reading.documents import parse_document
from bot.reading.pdfpages import strip_running_lines

HEADER = "THE WHITE HOUSE | Briefing Room"
PAGES = [
    [
        HEADER,
        "Joint Statement of Norway and Iceland on Seabed Mapping",
        "",
        "1. Iceland and Norway will map the seabed of the Norwegian Sea together, sharing",
        "vessels, data and the costs of the survey in equal parts from this year on.",
        "",
        "2. The two sides will publish the charts of the seabed jointly and will cut",
        "the emissions of their research fleets by half, relative to 2020 levels, by",
        "Page 1",
    ],
    [
        HEADER,
        "2030, and will report on progress to the Arctic Council every second year.",
        "",
        "3. The survey will be reviewed in 2027 by both governments together with the",
        "institutes named in the annex to this statement, and extended if they agree.",
        "Page 2",
    ],
    [
        HEADER,
        "4. Done at Oslo on 5 May 2026 in two originals in the English language.",
        "Page 3",
    ],
]


def _read(pdf: bytes):
    raw = raw_from_bytes(pdf, content_type="application/pdf", name="seabed.pdf")
    prepared = prepare_text(raw.text, "seabed.pdf")
    doc = parse_document(prepared.text, "seabed.md", [])
    assert doc is not None
    return prepared, doc, segment(doc)


def test_running_headers_and_page_numbers_are_removed_and_recorded():
    prepared, _, clauses = _read(make_pdf([], pages=PAGES))
    quoted = " ".join(c.text for c in clauses) + " ".join(c.section for c in clauses)
    assert "WHITE HOUSE" not in quoted and "Page" not in quoted
    assert [c.paragraph for c in clauses] == ["1", "2", "3", "4"]
    reasons = {(r.text, r.reason) for r in prepared.removals}
    assert (HEADER, "running header or footer") in reasons
    assert {("Page 1", "page number"), ("Page 3", "page number")} <= reasons


def test_a_sentence_broken_across_pages_is_one_clause_with_its_target():
    _, _, clauses = _read(make_pdf([], pages=PAGES))
    second = next(c for c in clauses if c.paragraph == "2")
    assert second.text.endswith(
        "by 2030, and will report on progress to the Arctic Council every second year."
    )


def test_the_pdf_title_is_the_statement_title():
    prepared, _, _ = _read(make_pdf([], pages=PAGES, title="Norway-Iceland Seabed Statement"))
    assert prepared.title == "Norway-Iceland Seabed Statement"


def test_a_file_name_title_is_not_a_title():
    prepared, _, _ = _read(make_pdf([], pages=PAGES, title="Microsoft Word - seabed_v3.docx"))
    assert prepared.title != "Microsoft Word - seabed_v3.docx"


def test_a_line_on_one_page_only_is_kept():
    pages = ["Title\nThe first page says this.\n1", "Other words here.\nMore words.\n2"]
    read = strip_running_lines(pages)
    assert read.pages == [
        ["Title", "The first page says this."],
        ["Other words here.", "More words."],
    ]
    assert [r.reason for r in read.removals] == ["page number", "page number"]


def test_one_page_keeps_every_line_but_a_page_number():
    read = strip_running_lines(["THE WHITE HOUSE\nWe agree.\nPage 1"])
    assert read.pages == [["THE WHITE HOUSE", "We agree."]]
