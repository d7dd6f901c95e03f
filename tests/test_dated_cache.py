"""Dated items are read once per statement version: a restart reads them from disk."""

from __future__ import annotations

import dataclasses

import pytest
from paths import CORPUS

import bot.live
from bot.dated.cache import DatedCache, code_version
from bot.live import build_snapshot
from bot.reading.documents import load_corpus


@pytest.fixture
def calls(monkeypatch):
    """Documents read for dates by build_snapshot, in order."""
    seen: list[str] = []
    real = bot.live.extract

    def counting(doc, clauses=None):
        seen.append(doc.doc_id)
        return real(doc, clauses)

    monkeypatch.setattr(bot.live, "extract", counting)
    return seen


def test_a_restart_reads_no_unchanged_statement_for_dates(tmp_path, calls):
    corpus = load_corpus(CORPUS)
    first = build_snapshot(corpus, index_cache=tmp_path)
    assert len(calls) == len(corpus.documents)
    calls.clear()
    again = build_snapshot(corpus, index_cache=tmp_path)  # a new process: no previous
    assert calls == []
    assert again.commitments == first.commitments
    assert len(first.commitments) > 20


def test_a_changed_statement_is_read_again_and_only_it(tmp_path, calls):
    corpus = load_corpus(CORPUS)
    build_snapshot(corpus, index_cache=tmp_path)
    calls.clear()
    doc = corpus.documents[0]
    changed = dataclasses.replace(doc, body=doc.body + "\nThe sides will meet again by 2031.\n")
    corpus.documents[0] = changed
    snapshot = build_snapshot(corpus, index_cache=tmp_path)
    assert calls == [doc.doc_id]
    assert any(c.due and c.due.year == 2031 for c in snapshot.commitments)


def test_without_a_cache_directory_every_start_reads_them(calls):
    corpus = load_corpus(CORPUS)
    build_snapshot(corpus, index_cache=None)
    build_snapshot(corpus, index_cache=None)
    assert len(calls) == 2 * len(corpus.documents)


def test_a_damaged_cache_file_is_read_again_not_trusted(tmp_path, calls):
    corpus = load_corpus(CORPUS)
    first = build_snapshot(corpus, index_cache=tmp_path)
    cache_file = DatedCache(tmp_path).path
    assert cache_file is not None and cache_file.name.startswith(f".dated-{code_version()[:16]}")
    cache_file.write_text('{"truncated": [', "utf-8")
    calls.clear()
    again = build_snapshot(corpus, index_cache=tmp_path)
    assert len(calls) == len(corpus.documents)
    assert again.commitments == first.commitments


def test_another_code_versions_file_is_removed(tmp_path):
    stale = tmp_path / ".dated-0000000000000000.json"
    stale.write_text("{}", "utf-8")
    build_snapshot(load_corpus(CORPUS), index_cache=tmp_path)
    assert not stale.exists()
    assert DatedCache(tmp_path).path.exists()
