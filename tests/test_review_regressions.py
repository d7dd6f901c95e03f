"""Regressions for defects found in review: each reproduces the original report."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from paths import CORPUS

from bot.cli import main
from bot.commitments import Commitment, CurationError, extract_all
from bot.reading.clauses import PREAMBLE
from bot.reading.clean import clean_raw
from bot.reading.documents import load_corpus
from bot.tracking import to_ics
from handlers import blocks as B


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


@pytest.fixture
def corpus_copy(tmp_path):
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


def test_impossible_front_matter_date_skips_only_that_file(corpus_copy):
    (corpus_copy / "zz.md").write_text("---\ntitle: Z\ndate: 2012-02-30\n---\n\nText.\n")
    corpus = load_corpus(corpus_copy)
    assert "zz" not in [d.doc_id for d in corpus.documents] and len(corpus.documents) == 6
    assert any(w.startswith("zz.md: broken front matter") for w in corpus.warnings)


def test_cleaning_keeps_lines_inside_wrapped_sentences():
    raw = (
        "Both sides will strengthen the protection of patents, trademarks and intellectual\n"
        "Copyright 2013 protection as agreed, and the treaty will be signed today.\n"
        "The report will be prepared and the text approved and transmitted onward\n"
        "By China and Russia as agreed and will report back to the leaders in 2014.\n"
    )
    body = clean_raw(raw).body
    assert "Copyright 2013 protection as agreed" in body
    assert "By China and Russia as agreed" in body


def test_standalone_widgets_and_bylines_still_go():
    out = clean_raw("By John Smith\n\nThe parties will meet.\n\nCopyright © 2013 Example Media\n")
    assert out.body == "The parties will meet.\n"


def test_docs_shows_real_commitment_counts(tmp_path):
    code, out, _ = run("--corpus", str(CORPUS), "docs", "--json")
    rows = {r["doc_id"]: r["commitments"] for r in json.loads(out)}
    assert code == 0 and rows["2012-06-06_china-russia-joint-statement"] >= 7
    assert rows["2022-01-03_p5-leaders-statement-preventing-nuclear-war"] >= 1


@pytest.mark.parametrize(
    "text", ["due:0000", "due:9999-12", "navigation after:20x", "in: x", "y" * 600]
)
def test_bad_commitments_queries_are_specific_errors(tmp_path, text):
    from bot.config import Settings
    from bot.services import build_services
    from handlers.commitments import commitments_reply

    settings = Settings.from_env(
        {"BRIEFBOT_CORPUS": str(CORPUS), "DATABASE_URL": f"sqlite:///{tmp_path}/d.db"}
    )
    reply = commitments_reply(build_services(settings), text)
    assert reply["blocks"][0]["text"]["text"].startswith(":warning:")


def test_cli_bad_due_year_exits_2(tmp_path):
    code, _, err = run(
        "--corpus", str(CORPUS), "--db", f"sqlite:///{tmp_path}/d.db", "commitments", "due:0000"
    )
    assert code == 2 and "not a usable year" in err


@pytest.mark.parametrize(
    ("content", "check"),
    [
        ("redate:\n  - id: {nav}\n    due: 2013-09-30 10:00:00\n", "timestamp"),
        (
            "add:\n  - clause_id: {gas}\n    expression: at an early date\n    due: 2014-01-01\n"
            "    parties: China, Russia\n",
            "parties",
        ),
    ],
)
def test_curated_file_edge_cases(tmp_path, corpus, index, content, check):
    found = extract_all(corpus.documents, index.clauses)
    nav = next(c for c in found if "navigation pact" in c.text)
    gas = next(c for c in index.clauses if "Russian gas to China" in c.text)
    path = tmp_path / "commitments.yml"
    path.write_text(content.format(nav=nav.id, gas=gas.clause_id))
    out = extract_all(corpus.documents, index.clauses, path, [])
    if check == "timestamp":
        assert str(next(c for c in out if c.id == nav.id).due) == "2013-09-30"
    else:
        added = next(c for c in out if c.clause_id == gas.clause_id)
        assert added.parties == ("China", "Russia")


def test_curated_section_must_be_a_list(tmp_path, corpus, index):
    path = tmp_path / "commitments.yml"
    path.write_text("suppress: some-id\n")
    with pytest.raises(CurationError, match="'suppress' must be a list"):
        extract_all(corpus.documents, index.clauses, path, [])


def test_ingest_bad_front_matter_date_is_a_clear_error_and_others_continue(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: X\ndate: June 6, 2012\nparties: China, Russia\n---\n\nText.\n")
    good = tmp_path / "good.md"
    good.write_text("---\ntitle: G\ndate: 2012-06-06\nparties: China, Russia\n---\n\nText.\n")
    code, _, err = run("ingest", str(bad), str(good), "--out", str(tmp_path / "out"))
    assert code == 2 and "is not YYYY-MM-DD" in err
    # Issue 8: a source without a dated name is named YYYY-MM-DD_slug-of-title.
    written = (tmp_path / "out" / "2012-06-06_g.md").read_text()
    assert "parties:\n- China\n- Russia\n" in written


def test_future_as_of_is_refused_without_dry_run(tmp_path, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.setenv("BRIEFBOT_REMINDER_CHANNEL", "C1")
    code, _, err = run(
        "--corpus",
        str(CORPUS),
        "--db",
        f"sqlite:///{tmp_path}/d.db",
        "remind",
        "--as-of",
        "2199-01-01T09:00",
    )
    assert code == 2 and "in the future" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--db", "nonsense", "commitments"], "DATABASE_URL: not a database URL"),
        (["--db", "postgresql://u:pw@h:abc/db", "commitments"], "DATABASE_URL: not a database"),
        (["remind", "--as-of", "0001-01-01", "--dry-run"], "outside the years 1900-2200"),
    ],
)
def test_bad_database_url_and_instants_exit_2(argv, message):
    code, _, err = run("--corpus", str(CORPUS), *argv)
    assert code == 2 and message in err and "pw" not in err


def test_unreachable_database_exits_2_without_the_password():
    code, _, err = run(
        "--corpus",
        str(CORPUS),
        "--db",
        "postgresql+psycopg://u:secretpw@127.0.0.1:1/db",
        "commitments",
    )
    assert code == 2 and "DATABASE_URL: cannot open" in err and "secretpw" not in err


def test_non_ascii_file_names_get_distinct_ids(tmp_path):
    for stem in ("日本語", "中文"):  # ids come from the title now: a non-Latin one too
        (tmp_path / f"{stem}.md").write_text(
            f"---\ntitle: {stem}\ndate: 2020-01-01\n---\n\nThe parties met in {stem}.\n"
        )
    ids = [d.doc_id for d in load_corpus(tmp_path).documents]
    assert len(set(ids)) == 2 and all(ids)


def test_text_before_paragraph_one_is_cited_as_preamble(index):
    hit = index.search("Bali Indonesia 15-16 November 2022").hits[0]
    assert hit.clause.paragraph == PREAMBLE and hit.clause.citation.endswith(", preamble")


def test_context_shows_a_long_clause_in_full():
    from bot.reading.clauses import Clause

    text = " ".join(f"word{i} & more" for i in range(1500))
    clause = Clause("x#p1.1", "x", "X", None, text, "1", 1, 1)
    message = B.context_message([clause], clause)
    parts = [
        el
        for b in message["blocks"]
        if b["type"] == "rich_text"
        for q in b["elements"]
        for el in q["elements"]
    ]
    assert " ".join(p["text"].removesuffix(" …") for p in parts) == text  # verbatim, unescaped
    assert all(p["style"] == {"bold": True} and len(p["text"]) <= 3000 for p in parts)


def test_long_quote_is_cut_with_an_ellipsis():
    quote, was_cut = B.quote_block("a & b " * 700)
    (text,) = [e["text"] for q in quote["elements"] for e in q["elements"]]
    assert was_cut and len(text) <= B.QUOTE_LIMIT and text.endswith("…")


def test_ics_has_no_bare_carriage_returns():
    from datetime import date

    c = Commitment(
        id="c",
        doc_id="d",
        clause_id="d#p1.1",
        text="meet\rin 2023, ok; fine",
        citation="D, ¶1",
        expression="in 2023",
        value="2023",
        start=None,
        due=date(2023, 12, 31),
    )
    ics = to_ics([c], {})
    assert "\r" not in ics.replace("\r\n", "")
    assert "meet\\nin 2023\\, ok\\; fine" in ics.replace("\r\n ", "")
