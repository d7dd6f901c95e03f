"""`briefbot show DOC_ID`: a statement as briefbot reads it (clauses with citations, what
was removed as debris and why); removals kept in corpus files and in the database; the
console's `show` and the Full text modal built on the same core function."""

from __future__ import annotations

import io
import json
import re

import pytest
import yaml
from paths import COMMUNIQUE, CORPUS
from slack_sdk.models.views import View

from bot.cli import main
from bot.reading.clean import Removal
from bot.reading.documents import Document, parse_document, render_document
from bot.reading.safeio import MAX_FRONT_MATTER_BYTES
from bot.reading.view import statement_view

RAW = """# Joint Statement on Coastal Fisheries

Suva, 4 March 2026

The two governments will open a joint fisheries office in Suva by June 2026.

They agreed to share catch data every quarter & to meet again in 2027.

Share this:

Tweet

###
"""
DEBRIS = {("share widget", "Share this:"), ("share widget", "Tweet"), ("end marker", "###")}
STATEMENT_KEYS = {"doc_id", "title", "date", "parties", "clauses", "removed"}
CLAUSE_KEYS = {"clause_id", "paragraph", "section", "citation", "text"}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def shown_id(report: str) -> str:
    """The document id in an ingest report."""
    return re.search(r"^   id:\s+(\S+)$", report, re.M).group(1)


# ------------------------------------------------------------------------- the command


def test_show_json_follows_the_contract(index):
    code, out, err = run("--corpus", str(CORPUS), "show", COMMUNIQUE, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= STATEMENT_KEYS
    assert (data["doc_id"], data["date"], data["parties"]) == (
        COMMUNIQUE,
        "2012-12-06",
        ["China", "Russia"],
    )
    assert [c["clause_id"] for c in data["clauses"]] == [
        c.clause_id for c in index.clauses_of(COMMUNIQUE)
    ]
    first = data["clauses"][0]
    assert set(first) >= CLAUSE_KEYS and first["paragraph"] == "1" and first["section"] == ""
    assert first["citation"] == "China–Russia Joint Communiqué, 6 Dec 2012, ¶1"
    assert all(set(r) == {"text", "reason"} and r["text"] for r in data["removed"])
    assert {"reason": "site breadcrumb", "text": "World / Asia-Pacific"} in data["removed"]


def test_show_prints_citations_clauses_and_the_removed_debris():
    code, out, _ = run("--corpus", str(CORPUS), "show", COMMUNIQUE)
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == [
        COMMUNIQUE,
        "Joint Communiqué of the 17th Regular Meeting of the Chinese and Russian Heads of "
        "Government",
        "2012-12-06 · China, Russia · 47 clauses",
    ]
    at = lines.index("— China–Russia Joint Communiqué, 6 Dec 2012, ¶1")
    assert lines[at + 1].startswith("   “MOSCOW - China and Russia on Thursday issued")
    removed = json.loads(run("--corpus", str(CORPUS), "show", COMMUNIQUE, "--json")[1])["removed"]
    debris = lines.index(f"Removed as debris ({len(removed)}):")
    first = removed[0]
    assert lines[debris + 1 : debris + 3] == [f"- {first['reason']}:", f"    {first['text']}"]


@pytest.mark.parametrize(
    ("doc_id", "hint"),
    [
        ("2012-12-06_china-russia-joint-communiq", f"did you mean {COMMUNIQUE}? "),
        ("nothing-like-it", ""),
    ],
)
def test_unknown_id_exits_2_with_one_line_that_points_to_docs(doc_id, hint):
    code, out, err = run("--corpus", str(CORPUS), "show", doc_id, "--json")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"briefbot: no statement {doc_id!r}; {hint}'briefbot docs' lists the ids"
    ]


def test_ingest_out_then_show_lists_each_removal_with_its_reason(tmp_path):
    src = tmp_path / "coastal.md"
    src.write_text(RAW, "utf-8")
    out_dir = tmp_path / "corpus"
    code, report, err = run("ingest", str(src), "--out", str(out_dir), "--parties", "Fiji,Tonga")
    assert code == 0, err
    doc_id = shown_id(report)
    (written,) = out_dir.glob("*.md")
    front = yaml.safe_load(written.read_text("utf-8").split("---\n")[1])
    assert {(r["reason"], r["text"]) for r in front["removed"]} >= DEBRIS

    code, out, err = run("--corpus", str(out_dir), "show", doc_id, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {(r["reason"], r["text"]) for r in data["removed"]} >= DEBRIS
    assert [c["text"] for c in data["clauses"]] == [
        "The two governments will open a joint fisheries office in Suva by June 2026.",
        "They agreed to share catch data every quarter & to meet again in 2027.",
    ]


def test_ingest_into_the_database_then_show_and_export_keep_the_removals(tmp_path):
    src = tmp_path / "coastal.md"
    src.write_text(RAW, "utf-8")
    where = ["--corpus", str(CORPUS), "--db", f"sqlite:///{tmp_path / 'store.db'}"]
    code, report, err = run(*where, "ingest", str(src), "--parties", "Fiji,Tonga")
    assert code == 0, err
    doc_id = re.search(r"-> stored as (\S+)", report).group(1)

    code, out, err = run(*where, "show", doc_id, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["doc_id"] == doc_id and data["parties"] == ["Fiji", "Tonga"]
    assert {(r["reason"], r["text"]) for r in data["removed"]} >= DEBRIS

    # Exported, the statement's file carries them too, and serves the same view.
    assert run(*where, "export", str(tmp_path / "review"))[0] == 0
    code, out, _ = run("--corpus", str(tmp_path / "review"), "show", doc_id, "--json")
    assert code == 0 and json.loads(out)["removed"] == data["removed"]


# ------------------------------------------------------------------------- the core


def test_statement_view_of_a_document_without_removals():
    doc = Document("2020-01-02_x", "X Statement", None, "One.\n\nTwo & three.\n", parties=("A",))
    view = statement_view(doc)
    assert view["date"] is None and view["removed"] == [] and view["parties"] == ["A"]
    assert [(c["paragraph"], c["text"]) for c in view["clauses"]] == [
        ("1", "One."),
        ("2", "Two & three."),
    ]
    assert json.loads(json.dumps(view)) == view


def test_front_matter_keeps_removals_within_its_size_limit():
    meta = {"title": "T", "date": "2020-01-02", "parties": ["A"], "kind": "statement"}
    removed = [Removal(f"piece {n} " + "x" * 2000, "share widget") for n in range(60)]
    text = render_document(meta, "The body.", removed=removed)
    front = text.split("---\n")[1]
    assert len(front.encode("utf-8")) <= MAX_FRONT_MATTER_BYTES
    warnings: list[str] = []
    doc = parse_document(text, "2020-01-02_t.md", warnings)
    assert warnings == [] and doc is not None
    *kept, note = doc.removed
    assert 25 < len(kept) < 60 and kept == removed[: len(kept)]
    assert note.reason == "not recorded"
    assert note.text.startswith(f"{60 - len(kept)} more removed piece(s) not recorded")


def test_front_matter_removals_survive_yaml_lookalikes():
    tricky = [Removal("a\n---\nb", "end marker"), Removal("x: y", "r"), Removal("- z  ", "r")]
    doc = parse_document(render_document({"title": "T"}, "Body.", removed=tricky), "t.md", [])
    assert doc.removed == tuple(tricky) and doc.body == "Body.\n"


@pytest.mark.parametrize(
    ("removed", "kept", "warning"),
    [
        ("[{text: '###', reason: end marker}]", [("###", "end marker")], None),
        ("[{text: 2013, reason: end marker}]", [("2013", "end marker")], None),
        ("not a list", [], "'removed' is not a list"),
        (
            "[{text: ok, reason: r}, {text: '', reason: r}, just text, {reason: r}]",
            [("ok", "r")],
            "entry 2 is not a text and a reason",
        ),
    ],
)
def test_malformed_removed_entries_are_ignored_with_a_warning(removed, kept, warning):
    warnings: list[str] = []
    text = f"---\ntitle: T\ndate: 2020-01-02\nremoved: {removed}\n---\n\nBody.\n"
    doc = parse_document(text, "2020-01-02_t.md", warnings)
    assert [(r.text, r.reason) for r in doc.removed] == kept
    if warning is None:
        assert warnings == []
    else:
        assert any(w.startswith("2020-01-02_t.md: 'removed'") and warning in w for w in warnings)


def test_a_corpus_file_without_a_removed_key_has_none(tmp_path):
    from bot.reading.documents import load_corpus

    (tmp_path / "2020-01-02_t.md").write_text("---\ntitle: T\ndate: 2020-01-02\n---\n\nBody.\n")
    (doc,) = load_corpus(tmp_path).documents
    assert doc.removed == () and statement_view(doc)["removed"] == []


# ------------------------------------------------------------------------- the database


def _old_statements(metadata):
    """The statements table as briefbot created it before removals were stored: today's
    table less its ``removed`` column."""
    from sqlalchemy import Table, UniqueConstraint

    from bot.store import statements_table

    columns = [c._copy() for c in statements_table.columns if c.name != "removed"]
    unique = UniqueConstraint("doc_id", "version", name="uq_statements_doc_version")
    return Table("statements", metadata, *columns, unique)


def _old_database_keeps_working(url: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, create_engine, insert, inspect

    from bot.fetch import RawSource
    from bot.library import Library, preview_source
    from bot.store import Store

    engine = create_engine(url)
    old = _old_statements(MetaData())
    with engine.begin() as conn:
        old.create(conn)
        conn.execute(
            insert(old).values(
                doc_id="2020-01-02_old", version=1, live_doc_id="2020-01-02_old",
                live_checksum="c" * 64, checksum="c" * 64, title="Old", date="2020-01-02",
                body="An old statement.\n", added_by="test", added_at=datetime.now(UTC),
            )
        )  # fmt: skip
    engine.dispose()

    store = Store(url)
    try:
        with store.engine.connect() as conn:
            assert "removed" in {c["name"] for c in inspect(conn).get_columns("statements")}
        library = Library(store)
        old_one = library.get("2020-01-02_old")
        assert old_one.removed == () and old_one.document().body == "An old statement.\n"
        assert statement_view(old_one.document())["removed"] == []

        draft = preview_source(RawSource(RAW, "coastal.md"), parties=["Fiji", "Tonga"])
        assert {(r.reason, r.text) for r in draft.removals} >= DEBRIS
        assert draft.removed and all(isinstance(r, str) for r in draft.removed)  # as before
        stored = library.add(draft, added_by="test")
        again = Library(Store(url)).get(stored.doc_id)
        assert again.removed == draft.removals
        assert again.document().removed == draft.removals
    finally:
        store.close()


def test_an_sqlite_file_made_before_removals_were_stored_keeps_working(tmp_path):
    from bot.library import Library
    from bot.store import Store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    _old_database_keeps_working(url)
    store = Store(url)  # a second start finds the column and changes nothing
    try:
        assert len(Library(store).list_statements()) == 2
    finally:
        store.close()


def test_a_postgres_database_made_before_removals_were_stored_keeps_working():
    from pgtest import fresh_schema_url, require_server

    require_server()
    for url in fresh_schema_url():
        _old_database_keeps_working(url)


# ------------------------------------------------------------------------- console, Slack


@pytest.fixture(scope="module")
def services(corpus, index):
    from bot.config import Settings
    from bot.services import Services

    return Services(Settings.from_env({"BRIEFBOT_CORPUS": str(CORPUS)}), corpus, index)


def test_console_show_is_the_full_text_button(services):
    from bot.console import Session

    session = Session(services)
    shown = session.answer(f"show {COMMUNIQUE}")
    assert shown.startswith("JOINT COMMUNIQUÉ OF THE 17TH REGULAR MEETING")
    assert "REMOVED AS DEBRIS" in shown and "• site breadcrumb: World / Asia-Pacific" in shown
    assert "No statement" in session.answer("show 2099-01-01_nothing")
    assert "Results" in session.answer("show tourism year")  # not an id: a search
    context = session.answer("/brief tourism year") and session.answer("context 1")
    assert f"[Full text]   → show {COMMUNIQUE}" in context


def test_full_text_modal_stays_within_slack_limits_and_points_to_show(services):
    from handlers import blocks as B

    g20 = "2022-11-16_g20-bali-leaders-declaration"
    view = B.full_text_view(services.statement(g20))
    View(**view).validate_json()
    assert len(view["blocks"]) <= 100 and len(json.dumps(view["blocks"])) < 13_000
    lines = [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(re.fullmatch(rf"… \d+ more clauses: use `briefbot show {g20}`", t) for t in lines)
    assert view["blocks"][-2]["text"]["text"] == "Removed as debris"


def test_full_text_modal_escapes_mrkdwn_and_quotes_verbatim():
    from handlers import blocks as B

    doc = Document(
        "2020-01-02_x", "Ping <!channel> & co", None, "We meet <!here> & <@U1>.\n",
        parties=("A<B>",), removed=(Removal("<!everyone>", "share widget"),),
    )  # fmt: skip
    view = B.full_text_view(statement_view(doc))
    View(**view).validate_json()
    mrkdwn = [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert "A&lt;B&gt;" in mrkdwn[0] and "<" not in "".join(mrkdwn)
    quotes = [
        el["text"]
        for b in view["blocks"]
        if b["type"] == "rich_text"
        for part in b["elements"]
        if part["type"] == "rich_text_quote"
        for el in part["elements"]
    ]
    assert quotes == ["We meet <!here> & <@U1>."]  # rich text: shown as written, never parsed
