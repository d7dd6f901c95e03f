"""`briefbot ingest FILE|URL` into the database, `export`, `remove`, `docs --json`, and
fetching web pages and PDFs from a loopback server."""

from __future__ import annotations

import json

import pytest
from clirun import run, use_fresh_env
from paths import CORPUS
from webfixtures import PDF_LINES, STATEMENT_PAGE, make_pdf, web_server

from bot.fetch import raw_from_bytes, read_source
from bot.ingest import IngestError


@pytest.fixture
def web():
    with web_server() as server:
        yield server


@pytest.fixture
def env(tmp_path, monkeypatch):
    return use_fresh_env(tmp_path, monkeypatch)


# ------------------------------------------------------------------------- fetching


def test_a_web_page_is_reduced_to_its_main_text(web):
    raw = read_source(web.add("/statements/cables.html", STATEMENT_PAGE), allow_private=True)
    assert raw.kind == "html" and raw.name == "cables.html"
    assert "title: Joint Statement on Undersea Cables\n" in raw.text
    assert "date: '2026-03-03'" in raw.text
    assert "within 24 hours of detection." in raw.text
    for chrome in ("Contact us", "Subscribe to our newsletter", "Ministry of Foreign Affairs"):
        assert chrome not in raw.text


def test_pdf_text_comes_out_in_paragraphs(web):
    raw = read_source(
        web.add("/seabed.pdf", make_pdf(PDF_LINES), "application/pdf"), allow_private=True
    )
    assert raw.kind == "pdf"
    assert raw.text.split("\n\n") == [line for line in PDF_LINES if line]


def test_pdf_is_recognised_by_its_bytes_whatever_the_content_type():
    raw = raw_from_bytes(make_pdf(PDF_LINES), content_type="application/octet-stream")
    assert raw.kind == "pdf" and "Norwegian Sea" in raw.text


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda w: w.add("/gone", "no", status=404), "the server answered HTTP 404"),
        (lambda w: w.add("/big", "x" * 5000), "larger than 1 KiB; refused"),
        (lambda w: w.add("/slow", STATEMENT_PAGE, delay=2.0), "no answer within"),
        (lambda w: w.add("/empty", "<html><body><script></script></body></html>"), "no statement"),
        (lambda w: w.add("/bad.pdf", b"%PDF-1.4 broken", "application/pdf"), "not a readable"),
    ],
    ids=["404", "too-big", "timeout", "no-text", "broken-pdf"],
)
def test_fetch_problems_are_one_clear_line(web, setup, message):
    url = setup(web)
    with pytest.raises(IngestError) as exc:
        read_source(url, timeout=0.5, max_bytes=1024, allow_private=True)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_redirects_are_followed(web):
    target = web.add("/final.html", STATEMENT_PAGE)
    start = web.add("/start", target.encode(), status=302)
    assert "undersea cable routes" in read_source(start, allow_private=True).text


def test_urls_on_private_networks_are_refused_unless_allowed(web):
    """A URL pasted in Slack must not make the bot read the internal network."""
    from bot.library import preview

    url = web.add("/cables.html", STATEMENT_PAGE)
    for call in (lambda: read_source(url), lambda: preview(url)):
        with pytest.raises(IngestError, match=r"127\.0\.0\.1 is not a public address; refused"):
            call()
    assert preview(url, allow_private=True).title == "Joint Statement on Undersea Cables"


# ------------------------------------------------------------------------- the CLI


def test_ingest_stores_by_default_and_serves_it(env, tmp_path):
    src = tmp_path / "2026-03-03_cables.txt"
    src.write_text(
        "Joint Statement on Undersea Cables\n\nLisbon, 3 March 2026\n\n"
        "The two sides will complete a joint survey of undersea cable routes by 2027.\n"
    )
    code, out, err = run("ingest", str(src), "--parties", "Portugal,Norway")
    assert code == 0, err
    doc_id = "2026-03-03_cables"
    assert f"-> stored as {doc_id}" in out and "1 clauses, 1 dated items" in out
    assert not (CORPUS / f"{doc_id}.md").exists()  # the corpus directory is untouched

    code, out, _ = run("ask", "survey of undersea cable routes", "--json", "--limit", "1")
    assert json.loads(out)["hits"][0]["doc_id"] == doc_id
    code, out, _ = run("commitments", "--json")
    assert [r["due"] for r in json.loads(out) if r["doc_id"] == doc_id] == ["2027-12-31"]

    code, out, _ = run("docs", "--json")
    rows = {r["doc_id"]: r for r in json.loads(out)}
    assert rows[doc_id]["origin"] == "added" and rows[doc_id]["parties"] == ["Portugal", "Norway"]
    assert {r["origin"] for d, r in rows.items() if d != doc_id} == {"bundled"}

    # The same text again: refused with the existing id, exit 2, one line.
    code, out, err = run("ingest", str(src))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: {src}: the same text is already stored as {doc_id}",
    ]


def test_ingest_urls_html_and_pdf_then_export_and_load_the_export(env, web, tmp_path):
    page = web.add("/news/2026/cables", STATEMENT_PAGE)
    pdf = web.add("/docs/seabed.pdf", make_pdf(PDF_LINES), "application/pdf")
    code, out, err = run("ingest", page, pdf)
    assert code == 0, err
    assert "-> stored as 2026-03-03_joint-statement-on-undersea-cables" in out
    assert "-> stored as 2026-05-05_" in out

    code, out, err = run("export", str(tmp_path / "review"))
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "review").iterdir())
    assert len(files) == 2 and "2026-03-03_joint-statement-on-undersea-cables.md" in files
    text = (tmp_path / "review" / files[0]).read_text()
    assert f"source: {page}" in text

    # The export is a plain corpus directory: --corpus DIR ask works on it alone.
    code, out, err = run(
        "--corpus", str(tmp_path / "review"), "--db", f"sqlite:///{tmp_path}/none.db",
        "ask", "seabed Norwegian Sea", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["hits"][0]["doc_id"].startswith("2026-05-05_")
    assert not (tmp_path / "none.db").exists()  # reading never creates a database

    code, _, err = run("export", str(tmp_path / "review"))
    assert code == 2 and err.count("\n") == 1 and "already exists" in err


def test_remove_stops_serving_and_reminding_and_keeps_history(env, tmp_path):
    src = tmp_path / "cables.txt"
    src.write_text(
        "Joint Statement on Undersea Cables\n\nLisbon, 3 March 2026\n\n"
        "The two sides will complete a joint survey of undersea cable routes by 2027.\n"
    )
    assert run("ingest", str(src))[0] == 0
    doc_id = json.loads(run("docs", "--json")[1])[-1]["doc_id"]
    code, out, err = run("remove", doc_id, "--by", "U0EDITOR")
    assert code == 0, err and "removed" in out
    assert doc_id not in run("docs", "--json")[1]
    assert doc_id not in run("commitments", "--json")[1]
    from bot.library import Library
    from bot.store import Store

    (old,) = Library(Store(f"sqlite:///{env / 'store.db'}")).history(doc_id)
    assert old.removed_by == "U0EDITOR" and old.body.startswith("The two sides")

    code, _, err = run("remove", doc_id)
    assert code == 2 and err.splitlines() == [
        f"error: no added statement {doc_id!r}; 'briefbot docs' lists them"
    ]
    code, _, err = run("remove", "2012-06-06_china-russia-joint-statement")
    assert code == 2 and "bundled in the corpus directory" in err


def test_replace_keeps_the_id(env, tmp_path):
    src = tmp_path / "cables.txt"
    src.write_text("Cables\n\nLisbon, 3 March 2026\n\nThe parties will meet by 2027.\n")
    assert run("ingest", str(src))[0] == 0
    doc_id = json.loads(run("docs", "--json")[1])[-1]["doc_id"]
    src.write_text("Cables\n\nLisbon, 3 March 2026\n\nThe parties will meet by 2028.\n")
    code, out, err = run("ingest", str(src), "--replace", doc_id)
    assert code == 0, err
    assert f"replaced {doc_id} (version 2)" in out
    dues = [r["due"] for r in json.loads(run("commitments", "--json")[1]) if r["doc_id"] == doc_id]
    assert dues == ["2028-12-31"]


def test_out_dir_keeps_writing_files_and_takes_urls(env, web, tmp_path):
    page = web.add("/cables.html", STATEMENT_PAGE)
    code, out, err = run("ingest", page, "--out", str(tmp_path / "files"))
    assert code == 0, err
    (written,) = (tmp_path / "files").iterdir()
    assert written.name == "2026-03-03_joint-statement-on-undersea-cables.md"
    assert "stored as" not in out and not (env / "store.db").exists()


def test_a_url_whose_last_segment_looks_like_an_id_is_still_named_by_the_rule(env, web, tmp_path):
    page = web.add("/2026-03-03_old-page", STATEMENT_PAGE)
    code, _, err = run("ingest", page, "--out", str(tmp_path / "files"))
    assert code == 0, err
    (written,) = (tmp_path / "files").iterdir()
    assert written.name == "2026-03-03_joint-statement-on-undersea-cables.md"


def test_a_bad_url_is_one_line_and_exit_2(env, web):
    code, out, err = run("ingest", web.add("/missing", "x", status=404))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "HTTP 404" in err


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("10.0.0.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped
        ("64:ff9b::a00:1", False),  # NAT64 form of 10.0.0.1
        ("2002:7f00:1::1", False),  # 6to4 form of 127.0.0.1
        ("64:ff9b::5db8:d822", True),  # NAT64 form of a public address
        ("not an address", False),
    ],
)
def test_public_address(address, public):
    from bot.fetch import public_address

    assert public_address(address) is public


def test_a_pdf_decompression_bomb_is_a_clear_error():
    """A small PDF whose page inflates to ~90 MB: pypdf stops at its limit; one line says so."""
    with pytest.raises(IngestError, match=r"not a readable PDF \(LimitReachedError\)"):
        raw_from_bytes(_bomb_pdf(), content_type="application/pdf", name="bomb.pdf")


def _bomb_pdf() -> bytes:
    import zlib

    stream = zlib.compress(b"0" * 80_000_000, 9)
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d/Filter/FlateDecode>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj" % n + body + b"endobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF" % (len(objects) + 1, xref)
    return bytes(out)
