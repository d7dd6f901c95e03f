"""`briefbot ingest` of many files stores them in batches (one transaction and one corpus
version a batch): the same statements, clauses and dated items as one at a time, the
same refusals in the same order. And the faster readers it relies on read the same."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest
import yaml
from clirun import run, use_fresh_env
from paths import CORPUS, SHARED

import bot.library_cli
from bot.library import DuplicateStatement, Library, preview
from bot.reading import parties
from bot.reading.documents import load_corpus, parse_document
from bot.reading.parties import _witness_text, infer_parties
from bot.reading.safeio import _NoAliasLoader, load_yaml
from bot.store import Store, statements_table

ARCHIVE = SHARED / "archive" / "statements-2021-2022.tar.xz"

CABLES = (
    "Joint Statement on Undersea Cables\n\nLisbon, 3 March 2026\n\n"
    "The two sides will complete a joint survey of undersea cable routes by 2027.\n"
)
PORTS = (
    "Joint Statement on Undersea Cables\n\nLisbon, 3 March 2026\n\n"
    "The ministers agreed to open two new deep-water ports by June 2028.\n"
)


def _archive_files(dest: Path, count: int) -> list[Path]:
    """``count`` statements of the archive, unpacked under ``dest``."""
    with tarfile.open(ARCHIVE) as tar:
        members = sorted(
            (m for m in tar.getmembers() if m.name.endswith(".md")), key=lambda m: m.name
        )[:count]
        tar.extractall(dest, members=members, filter="data")
    return [dest / m.name for m in members]


def _stored(db: Path) -> list[tuple]:
    """What the database holds of each statement, in the order stored."""
    store = Store(f"sqlite:///{db}")
    t = statements_table
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(t.select().order_by(t.c.id)).all()
    finally:
        store.close()
    return [
        (
            r.doc_id,
            r.version,
            r.live_doc_id,
            r.checksum,
            r.title,
            r.short_title,
            r.date,
            r.parties,
            r.source,
            r.kind,
            r.body,
            r.removed,
        )
        for r in rows
    ]


def _version(db: Path) -> int:
    store = Store(f"sqlite:///{db}")
    try:
        return Library(store).corpus_version()
    finally:
        store.close()


@pytest.mark.skipif(not ARCHIVE.exists(), reason="needs ../shared/archive")
def test_a_batched_ingest_stores_what_one_at_a_time_stores(tmp_path, monkeypatch):
    files = _archive_files(tmp_path / "src", 7)
    # The same text twice, and a different statement under the same title and date
    # (the second gets the id with "-2"): refused and named alike either way.
    (tmp_path / "src" / "cables.txt").write_text(CABLES)
    (tmp_path / "src" / "cables-again.txt").write_text(CABLES)
    (tmp_path / "src" / "ports.txt").write_text(PORTS)
    (tmp_path / "src" / "empty.txt").write_text("  \n")
    extra = [tmp_path / "src" / n for n in ("cables.txt", "cables-again.txt", "ports.txt")]
    specs = [str(f) for f in [*files[:3], *extra, tmp_path / "src" / "empty.txt", *files[3:]]]
    monkeypatch.setattr(bot.library_cli, "ADD_BATCH", 4)  # several batches, one cut mid-way

    figures = {}
    for how in ("one", "batched"):
        env = use_fresh_env(tmp_path / how, monkeypatch)
        (tmp_path / how).mkdir()
        monkeypatch.setenv("BRIEFBOT_INDEX_CACHE", str(env / "index"))
        monkeypatch.setenv("BRIEFBOT_SENTENCE_ENCODER", "off")
        if how == "one":
            outs, errs = [], []
            for spec in specs:
                _, out, err = run("ingest", "--by", "t", spec)
                outs.append(out)
                errs.append(err)
            out, err = "".join(outs), "".join(e for e in errs if e.startswith("error"))
        else:
            code, out, err = run("ingest", "--by", "t", *specs)
            assert code == 2  # two refused
        _, docs, _ = run("docs", "--json")
        _, items, _ = run("commitments", "--json")
        figures[how] = {
            "out": out,
            "errors": [ln for ln in err.splitlines() if ln.startswith("error")],
            "stored": _stored(env / "store.db"),
            "docs": json.loads(docs),
            "items": json.loads(items),
            "version": _version(env / "store.db"),
        }
    one, batched = figures["one"], figures["batched"]
    assert batched["out"] == one["out"]
    assert batched["errors"] == one["errors"]
    assert len(one["errors"]) == 2
    assert "cables-again.txt" in one["errors"][0] and "the same text" in one["errors"][0]
    assert "empty.txt" in one["errors"][1]
    assert batched["stored"] == one["stored"] and len(one["stored"]) == 9
    ids = [row[0] for row in one["stored"]]
    assert f"{ids[3]}-2" in ids  # ports.txt: another statement, the same title and date
    assert batched["docs"] == one["docs"]
    assert batched["items"] == one["items"] and one["items"]
    # One corpus version a statement, against one a batch of 4: 9 stored in 3 batches.
    assert one["version"] == 9 and batched["version"] == 3


def test_add_many_refuses_what_add_refuses_and_bumps_the_version_once(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        library = Library(store, load_corpus(CORPUS))
        cables, ports = preview(CABLES, name="c.txt"), preview(PORTS, name="p.txt")
        bundled = CORPUS / sorted(p.name for p in CORPUS.glob("*.md") if p.stem[:1].isdigit())[0]
        again = preview(bundled.read_text(), name=bundled.name)
        results = library.add_many([cables, cables, again, ports], added_by="t")
        assert [type(r).__name__ for r in results] == [
            "StoredStatement",
            "DuplicateStatement",
            "DuplicateStatement",
            "StoredStatement",
        ]
        assert results[1].existing_id == results[0].doc_id
        assert results[2].bundled
        assert results[3].doc_id == f"{results[0].doc_id}-2"
        assert library.corpus_version() == 1
        assert [s.doc_id for s in library.list_statements()] == [
            results[0].doc_id,
            results[3].doc_id,
        ]
        # Nothing new: nothing stored, the version unchanged.
        assert all(
            isinstance(r, DuplicateStatement)
            for r in library.add_many([cables, ports], added_by="t")
        )
        assert library.add_many([], added_by="t") == []
        assert library.corpus_version() == 1
    finally:
        store.close()


FRONT_MATTERS = [
    "title: A\ndate: 2026-03-03\nparties: [Japan, 'Korea, Republic of']\n",
    "title: 'Quoted: with colon'\nshort_title: Q\ndate: '2026-03-03'\nsource: https://x.test/\n",
    "title: |\n  Two\n  lines\nnumber: " + "1234567890" * 7 + "\n",
    "title: Überraschung — “quotes” ☃\nremoved:\n- text: Share this\n  reason: share links\n",
    "a: &x 1\nb: *x\n",  # an alias: refused
    "a: [1, 2\n",  # broken
    "date: 2012-02-30\n",  # no such day
    "a: !!int x\n",  # a tag that cannot be read
    "- just\n- a list\n",
    "",
]


@pytest.mark.parametrize("text", FRONT_MATTERS)
def test_front_matter_reads_as_the_python_loader_reads_it(text):
    """load_yaml reads texts without aliases with libyaml: the same values, and the same
    refusals (with their messages) as the pure-Python loader it had."""

    def outcome(call):
        try:
            return "ok", call()
        except yaml.YAMLError as exc:
            return "yaml", str(exc)
        except ValueError as exc:
            return "value", str(exc)

    def python_loader():
        try:
            return yaml.load(text, Loader=_NoAliasLoader)
        except (KeyError, AttributeError, IndexError, TypeError):
            raise yaml.MarkedYAMLError(problem="a tagged value (!!…) that cannot be read") from None

    assert outcome(lambda: load_yaml(text, limit=64 * 1024)) == outcome(python_loader)


def test_front_matter_with_a_huge_integer_keeps_it_as_text():
    meta = load_yaml("n: " + "9" * 100 + "\nm: 42\n", limit=1024)
    assert meta == {"n": "9" * 100, "m": 42}


@pytest.mark.parametrize(
    "text",
    [
        "Signed in Hanoi, with the United States and China as observers.",
        "Japan attended as an observer; Korea present as witness",
        "Thailand, as witnesses, and Laos",
        "Nothing here names an observer " * 200,
    ],
)
def test_witnesses_are_found_as_before(text):
    """The prefilter before the ``as observers`` pattern changes no answer."""
    assert _witness_text(text) == _witness_text_unfiltered(text)


def _witness_text_unfiltered(text: str) -> str:
    """:func:`bot.reading.parties._witness_text` as it was, without the prefilter."""
    parts = []
    for m in parties._WITNESS.finditer(text):
        rest = text[m.end() :]
        end = (parties._NEXT_SIGNATORY if m.group("label") else parties._CLAUSE_END).search(rest)
        parts.append(rest[: end.start() if end else len(rest)])
    for m in parties._AS_WITNESS.finditer(text):
        parts.append(re.split(r"\s(?:with|while|whereas)\s", m.group("who"))[-1])
    return "\n".join(parts)


def test_observers_are_not_parties():
    title = "Joint Statement of Vietnam and Cambodia"
    body = "Vietnam and Cambodia signed, with the United States and China as observers."
    assert infer_parties(title, body) == ["Vietnam", "Cambodia"]
    assert infer_parties("Joint Statement", body) == ["Vietnam", "Cambodia"]


def test_a_document_renders_and_reads_back_the_same():
    from bot.reading.clean import Removal
    from bot.reading.documents import (
        MAX_FRONT_MATTER_BYTES,
        _fitting,
        _front_matter,
        render_document,
    )

    meta = {"title": "T", "date": "2026-03-03", "parties": ["Japan"], "kind": "statement"}
    few = [Removal("Share this", "share links")]
    many = [Removal(f"Item {i} " + "x" * 200, "navigation") for i in range(1000)]
    for removed in ([], few, many):
        text = render_document(meta, "Body text.\n", removed=removed)
        head = text.split("\n---\n", 1)[0]
        assert len(head.encode()) <= MAX_FRONT_MATTER_BYTES + 4
        doc = parse_document(text, "2026-03-03_t.md", [])
        assert doc is not None and doc.body == "Body text.\n"
        # The one-dump path writes what measuring first, then writing, wrote.
        entries = _fitting(meta, removed, MAX_FRONT_MATTER_BYTES)
        whole = {**meta, "removed": entries} if entries else meta
        assert text == f"---\n{_front_matter(whole)}\n---\n\nBody text.\n"
        assert (len(doc.removed) == len(removed)) == (removed is not many)


def test_an_older_database_gets_the_index_the_duplicate_check_reads(tmp_path):
    """A statements table made before the date index: it is added at start-up, the
    statements stay, and a near-duplicate is still refused."""
    import sqlite3

    from sqlalchemy import inspect

    db = tmp_path / "old.db"
    store = Store(f"sqlite:///{db}")
    library = Library(store)
    first = library.add(preview(CABLES, name="c.txt"), added_by="t")
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("DROP INDEX ix_statements_date")
    store = Store(f"sqlite:///{db}")
    try:
        names = {i["name"] for i in inspect(store.engine).get_indexes("statements")}
        assert "ix_statements_date" in names
        library = Library(store)
        assert [s.doc_id for s in library.list_statements()] == [first.doc_id]
        retyped = preview(CABLES.replace("The two sides", "The  two sides"), name="r.txt")
        assert library.duplicate_of(retyped) is not None
    finally:
        store.close()
