"""`briefbot ingest`: clean output, never overwrite without --force, never a partial file."""

from __future__ import annotations

import io
import os

import pytest
from paths import SHARED

from bot.cli import main
from bot.ingest import IngestError, ingest_file, write_atomic
from bot.reading.documents import load_corpus

RAW = "Leaders issue statement\n\nThe two sides will meet in 2013.\n\nMost Popular\nA\nB\n"


def test_ingest_writes_a_loadable_corpus_file_and_reports_removals(tmp_path):
    src = tmp_path / "2013-01-02_statement.txt"
    src.write_text(RAW, "utf-8")
    rep = ingest_file(src, tmp_path / "out", parties=["A", "B"])
    assert rep.target.name == "2013-01-02_statement.md"
    assert any(r.startswith("headline list") for r in rep.removed)
    doc = load_corpus(tmp_path / "out").documents[0]
    assert (doc.title, doc.date.isoformat(), doc.parties) == (
        "Leaders issue statement",
        "2013-01-02",
        ("A", "B"),
    )
    assert doc.body == "The two sides will meet in 2013.\n"


def test_existing_file_is_not_overwritten_without_force(tmp_path):
    src = tmp_path / "s.txt"
    src.write_text(RAW, "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "undated_leaders-issue-statement.md"  # no date in RAW: pass --date
    target.write_text("precious", "utf-8")
    with pytest.raises(IngestError, match="already exists; use --force"):
        ingest_file(src, out, when=None)
    assert target.read_text("utf-8") == "precious"
    ingest_file(src, out, force=True)
    assert "The two sides will meet" in target.read_text("utf-8")


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "x.md"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "content")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.pdf", b"%PDF", "unsupported file type '.pdf'"),
        ("a.txt", b"\xff\xfe\x00bad", "not UTF-8"),
        ("a.txt", b"  \n", "empty file"),
    ],
)
def test_bad_input_files(tmp_path, name, content, message):
    src = tmp_path / name
    src.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        ingest_file(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_ingest_reports_and_exits_2_on_failure(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(RAW, "utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["ingest", str(good), str(tmp_path / "missing.txt"), "--out", str(tmp_path / "c")],
        stdout=out,
        stderr=err,
    )
    assert code == 2
    assert "removed:" in out.getvalue() and "headline list" in out.getvalue()
    assert "missing.txt: no such file" in err.getvalue()
    assert (tmp_path / "c" / "undated_leaders-issue-statement.md").exists()


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="../shared is not beside this checkout")
def test_committed_corpus_is_exactly_what_ingest_produces(tmp_path):
    """corpus/ingest-all.sh on ../shared reproduces the committed files byte for byte."""
    import shutil
    import subprocess
    import sys

    from paths import CORPUS, ROOT

    work = tmp_path / "repo"
    (work / "corpus").mkdir(parents=True)
    shutil.copy(CORPUS / "ingest-all.sh", work / "corpus")
    shim = tmp_path / "briefbot"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bot "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "SHARED": str(SHARED),
        "BRIEFBOT": str(shim),
        "FORCE": "",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run(
        ["bash", "corpus/ingest-all.sh"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    made = sorted(p.name for p in (work / "corpus").glob("*.md"))
    committed = sorted(p.name for p in CORPUS.glob("*.md") if p.name != "README.md")
    assert made == committed
    for name in made:
        assert (work / "corpus" / name).read_bytes() == (CORPUS / name).read_bytes(), name
