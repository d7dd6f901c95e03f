"""Each statement version is read, cut into clauses and read for dates once: a restart
reuses what an earlier process derived, and re-derives only what changed."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date

import pytest
from paths import CORPUS, SHARED

import bot.dated.segments
import bot.live
import bot.reading.documents
from bot.library import Library, preview
from bot.live import build_snapshot
from bot.reading.documents import load_corpus
from bot.store import Store

SAMPLES = SHARED / "corpus-samples"
# A raw web export (front matter over wrapped, escaped text): loading it cleans it.
RAW = "2024-04-15_us-iraq-joint-statement.txt"


@pytest.fixture
def calls(monkeypatch):
    """How many times files were parsed (cleaning included), documents segmented and
    documents read for dates."""
    seen: Counter[str] = Counter()

    def counting(name, module, attr):
        real = getattr(module, attr)

        def wrapper(*args, **kwargs):
            seen[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, attr, wrapper)

    counting("parse", bot.reading.documents, "parse_document")
    counting("clean", bot.reading.documents, "clean_raw")
    counting("segment", bot.dated.segments, "segment")
    counting("extract", bot.live, "extract")
    return seen


@pytest.fixture
def corpus_dir(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    if (SAMPLES / RAW).exists():
        shutil.copy(SAMPLES / RAW, folder / RAW)
    return folder


def start(corpus_dir, cache, stored=()):
    """What a process start does: load the corpus directory, build the snapshot."""
    corpus = load_corpus(corpus_dir, cache_dir=cache)
    return corpus, build_snapshot(corpus, list(stored), index_cache=cache)


def test_a_restart_derives_nothing_for_unchanged_statements(tmp_path, corpus_dir, calls):
    cache = tmp_path / "cache"
    corpus, first = start(corpus_dir, cache)
    n = len(corpus.documents)
    assert calls["parse"] == n and calls["segment"] == n and calls["extract"] == n
    if (corpus_dir / RAW).exists():
        assert calls["clean"] >= 1
    calls.clear()
    again_corpus, again = start(corpus_dir, cache)  # a new process: nothing in memory
    assert calls == Counter()
    assert again_corpus.documents == corpus.documents
    assert again_corpus.warnings == corpus.warnings
    assert again_corpus.renamed == corpus.renamed
    assert list(again.index.clauses) == list(first.index.clauses)
    assert again.commitments == first.commitments
    assert len(first.commitments) > 20


def test_kept_documents_equal_read_ones_and_carry_their_path(tmp_path, corpus_dir):
    plain = load_corpus(corpus_dir)
    load_corpus(corpus_dir, cache_dir=tmp_path / "cache")
    moved = tmp_path / "moved"
    shutil.copytree(corpus_dir, moved)
    kept = load_corpus(moved, cache_dir=tmp_path / "cache")
    assert [d.path for d in kept.documents] == [
        str(moved / d.path.rsplit("/", 1)[1]) for d in plain.documents
    ]
    for a, b in zip(plain.documents, kept.documents, strict=True):
        assert a.body == b.body and a.doc_id == b.doc_id and a.removed == b.removed
    assert kept.warnings == plain.warnings


def test_a_changed_file_is_derived_again_and_only_it(tmp_path, corpus_dir, calls):
    cache = tmp_path / "cache"
    start(corpus_dir, cache)
    path = sorted(corpus_dir.glob("*.md"))[1]
    path.write_text(
        path.read_text("utf-8").rstrip("\n") + "\n\nThe sides will meet again by 2031.\n",
        "utf-8",
    )
    calls.clear()
    corpus, snapshot = start(corpus_dir, cache)
    assert calls["parse"] == 1 and calls["segment"] == 1 and calls["extract"] == 1
    changed = next(d for d in corpus.documents if d.path == str(path))
    assert changed.body.rstrip().endswith("The sides will meet again by 2031.")
    assert any(
        c.doc_id == changed.doc_id and c.due and c.due.year == 2031 for c in snapshot.commitments
    )


def test_one_more_stored_statement_is_the_only_one_derived(tmp_path, corpus_dir, calls):
    cache = tmp_path / "cache"
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    bundled, _ = start(corpus_dir, cache)
    library = Library(store, bundled)
    text = "The two sides will open a joint river commission by 1 March 2031.\n"
    draft = preview(text, title="Joint statement on river cooperation", date=date(2026, 5, 4))
    library.add(draft, added_by="test")
    calls.clear()
    _, snapshot = start(corpus_dir, cache, [s.document() for s in library.list_statements()])
    assert calls["parse"] == 0 and calls["segment"] == 1 and calls["extract"] == 1
    assert any(c.due and c.due.year == 2031 for c in snapshot.commitments)


def test_a_code_version_change_derives_everything_again(tmp_path, corpus_dir, calls, monkeypatch):
    cache = tmp_path / "cache"
    corpus, first = start(corpus_dir, cache)
    n = len(corpus.documents)
    monkeypatch.setattr(bot.reading.documents, "code_version", lambda sources: "another-reader")
    monkeypatch.setattr(bot.dated.segments, "code_version", lambda sources: "another-cutter")
    monkeypatch.setattr(bot.live.DatedCache, "__init__", _dated_cache_of_version("other"))
    monkeypatch.setattr("bot.search.persist.code_version", lambda: "another-index")
    calls.clear()
    again_corpus, again = start(corpus_dir, cache)
    assert calls["parse"] == n and calls["segment"] == n and calls["extract"] == n
    assert again_corpus.documents == corpus.documents
    assert again.commitments == first.commitments
    # what the old code derived is gone: never read again
    assert sorted(p.name for p in cache.glob(".derived-*")) == [
        ".derived-clauses-another-cutter",
        ".derived-parsed-another-reader",
    ]


def _dated_cache_of_version(version):
    real = bot.live.DatedCache.__init__

    def init(self, directory):
        real(self, directory)
        if self.path is not None:
            self.path = self.path.with_name(f".dated-{version}.json")

    return init


def test_a_damaged_kept_file_is_derived_again(tmp_path, corpus_dir, calls):
    cache = tmp_path / "cache"
    corpus, _ = start(corpus_dir, cache)
    for path in cache.glob(".derived-*/*.json"):
        path.write_text('{"key": "cut sh', "utf-8")
    calls.clear()
    again, _ = start(corpus_dir, cache)
    assert calls["parse"] == len(corpus.documents)
    assert again.documents == corpus.documents


def test_an_unwritable_cache_still_loads(tmp_path, corpus_dir):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be", "utf-8")
    corpus = load_corpus(corpus_dir, cache_dir=blocker)
    assert corpus.documents == load_corpus(corpus_dir).documents
