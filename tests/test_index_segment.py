"""A base index plus a small segment of added (and withdrawn) statements searches as one
index built in one piece would (issue 19, "Incremental index")."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from paths import CORPUS, ROOT, SHARED

from bot.live import build_snapshot, segment_limit
from bot.reading.documents import Corpus, load_corpus
from bot.search import ClauseIndex
from bot.search.evaluate import load_cases, prepare_corpus, read_samples

DATA = ROOT / "tests" / "data"
SAMPLES = SHARED / "corpus-samples"
QUERIES = [c.query for c in load_cases(DATA / "questions.tsv")] + [
    "trade in:2012-12-06",
    "nuclear war after:2020",
    "cooperation before:2013",
    "joint statement kind:joint",
    "synthetic drugs fentanyl",
    "zzqx unknownword",
]


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    if not SAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SAMPLES} is missing")
        pytest.skip(f"{SAMPLES} is missing")
    out = prepare_corpus(
        CORPUS, SAMPLES, read_samples(DATA / "samples.tsv"), tmp_path_factory.mktemp("seg")
    )
    found = load_corpus(out).documents
    assert len(found) >= 6
    return found


def _hits(index: ClauseIndex, query: str, **kw) -> list[tuple[str, float]]:
    """Each hit's clause id (with the ids of the echoes folded into it) and score."""
    result = index.search(query, limit=5, **kw)
    return [
        (" ".join([h.clause.clause_id, *sorted(c.clause_id for c in h.also_in)]), h.score)
        for h in result.hits
    ]


def _same(whole: ClauseIndex, other: ClauseIndex, queries=QUERIES, tol: float = 0.1) -> None:
    for q in queries:
        a, b = _hits(whole, q), _hits(other, q)
        assert [i for i, _ in a] == [i for i, _ in b], q
        for (_, s1), (_, s2) in zip(a, b, strict=True):
            assert abs(s1 - s2) <= tol, (q, s1, s2)


@pytest.fixture(scope="module")
def lexical_pair(docs):
    whole = ClauseIndex.from_documents(docs, semantic=False)
    base = ClauseIndex.from_documents(docs[:-2], semantic=False)
    return whole, base, ClauseIndex.with_segment(base, docs[-2:])


def test_base_plus_segment_ranks_as_one_build(lexical_pair):
    whole, base, merged = lexical_pair
    assert len(merged) == len(whole) and merged.base is base
    assert merged.segment_size == 2
    _same(whole, merged)
    # A hit in the segment carries its clause, document and kind.
    q = "synthetic drugs fentanyl"
    assert merged.search(q).hits[0].to_json() == whole.search(q).hits[0].to_json()


def test_lookups_reach_both_parts(docs, lexical_pair):
    whole, _, merged = lexical_pair
    assert merged.clause_counts() == whole.clause_counts()
    for doc in (docs[0], docs[-1]):
        mine = merged.clauses_of(doc.doc_id)
        assert [c.clause_id for c in mine] == [c.clause_id for c in whole.clauses_of(doc.doc_id)]
        middle = mine[len(mine) // 2]
        assert merged.get(middle.clause_id) == middle
        assert merged.context(middle.clause_id) == whole.context(middle.clause_id)
    assert merged.get("no-such-clause#p1.1") is None
    assert sorted(merged.kinds.items()) == sorted(whole.kinds.items())


def test_workspace_deny_mask_covers_the_segment(docs, lexical_pair):
    whole, _, merged = lexical_pair
    added = docs[-1].doc_id
    q = "synthetic drugs fentanyl"
    assert any(h.clause.doc_id == added for h in merged.search(q).hits) or not any(
        h.clause.doc_id == added for h in whole.search(q).hits
    )
    for index in (whole, merged):
        hidden = index.search(q, exclude_docs={added})
        assert all(h.clause.doc_id != added for h in hidden.hits)
        if hidden.suggestion is not None:
            assert hidden.suggestion.clause.doc_id != added
    assert _hits(merged, q, exclude_docs={added}) == _hits(whole, q, exclude_docs={added})


def test_withdrawn_statement_is_gone_everywhere(docs):
    gone = docs[1]
    rest = [d for d in docs if d.doc_id != gone.doc_id]
    base = ClauseIndex.from_documents(docs, semantic=False)
    merged = ClauseIndex.with_segment(base, [], {gone.doc_id})
    whole = ClauseIndex.from_documents(rest, semantic=False)
    some = base.clauses_of(gone.doc_id)[0]
    assert merged.get(some.clause_id) is None
    assert merged.clauses_of(gone.doc_id) == []
    assert merged.context(some.clause_id) == []
    assert gone.doc_id not in merged.clause_counts()
    assert merged.search(f"{some.text[:60]} in:{gone.doc_id}").hits == []
    # The withdrawn clauses are taken out of the statistics too (the title-word
    # counts keep them: within a rounding step or two).
    _same(whole, merged, tol=0.25)
    # Its text is never quoted.
    for q in QUERIES:
        result = merged.search(q, limit=20)
        shown = [h.clause for h in result.hits] + [c for h in result.hits for c in h.also_in]
        assert all(c.doc_id != gone.doc_id for c in shown), q


def test_new_version_of_a_statement_replaces_the_old(docs):
    old = docs[0]
    extra = "The parties agreed to open a joint lighthouse observatory in Vladivostok by 2031."
    new = dataclasses.replace(old, body=old.body.rstrip() + "\n\n" + extra + "\n")
    base = ClauseIndex.from_documents(docs, semantic=False)
    merged = ClauseIndex.with_segment(base, [new], {old.doc_id})
    whole = ClauseIndex.from_documents([new, *docs[1:]], semantic=False)
    mine = merged.clauses_of(old.doc_id)
    assert [c.clause_id for c in mine] == [c.clause_id for c in whole.clauses_of(old.doc_id)]
    assert mine[-1].text == extra  # quoted verbatim
    assert merged.get(mine[-1].clause_id) == mine[-1]
    assert merged.get(mine[0].clause_id) is mine[0] or merged.get(mine[0].clause_id) == mine[0]
    assert merged.context(mine[-1].clause_id) == whole.context(mine[-1].clause_id)
    assert merged.clause_counts()[old.doc_id] == len(mine)
    hits = merged.search("lighthouse observatory Vladivostok").hits
    assert hits and hits[0].clause.text == extra
    assert all(len(h.also_in) == 0 for h in hits[:1])  # the old version is not an echo


def test_segment_on_a_persisted_base(docs, tmp_path):
    whole = ClauseIndex.from_documents(docs, semantic=False)
    ClauseIndex.from_documents(docs[:-2], cache_dir=tmp_path, semantic=False)  # saved
    base = ClauseIndex.from_documents(docs[:-2], cache_dir=tmp_path, semantic=False)
    assert isinstance(base.lexical._weights, np.memmap)  # mapped, not rebuilt
    assert base.documents == tuple(docs[:-2])
    merged = ClauseIndex.with_segment(base, docs[-2:])
    assert base.lexical._weights is merged.lexical._base._weights  # shared, not copied
    _same(whole, merged)


def test_segment_with_word_vectors_on_a_persisted_base(docs, tmp_path):
    """As a server runs it: the base loaded from disk (its word model loaded only when
    first needed) takes a segment with word vectors, and answers from both parts."""
    from bot.search.semantic import available

    if not available():
        pytest.skip("wordllama is not installed")
    ClauseIndex.from_documents(docs[:-2], cache_dir=tmp_path)  # saved
    base = ClauseIndex.from_documents(docs[:-2], cache_dir=tmp_path)
    assert isinstance(base.lexical._weights, np.memmap)  # loaded, not rebuilt
    merged = ClauseIndex.with_segment(base, docs[-2:])
    assert merged.semantic is not None and len(merged.semantic) == len(merged)
    added = {d.doc_id for d in docs[-2:]}
    clause = next(c for c in merged.clauses if c.doc_id in added)
    hits = merged.search(clause.text, limit=1).hits
    assert hits and hits[0].clause.clause_id == clause.clause_id


def test_a_segment_goes_on_a_base_only(lexical_pair, docs):
    _, _, merged = lexical_pair
    with pytest.raises(ValueError, match="base"):
        ClauseIndex.with_segment(merged, docs[:1])


def test_segment_with_word_vectors_stays_close(docs):
    from bot.search.semantic import available

    if not available():
        pytest.skip("wordllama is not installed")
    whole = ClauseIndex.from_documents(docs)
    base = ClauseIndex.from_documents(docs[:-2])
    merged = ClauseIndex.with_segment(base, docs[-2:])
    assert len(merged.semantic) == len(whole)

    # The segment's vectors pool with the base's token weights (a one-piece build
    # counts them over both): scores agree closely, the order where they are not tied.
    def ranked(index: ClauseIndex, q: str, limit: int) -> list[tuple[str, float]]:
        return [(h.clause.clause_id, h.score) for h in index.search(q, limit=limit).hits]

    for q in QUERIES:
        a, b = ranked(whole, q, 5), ranked(merged, q, 5)
        sb = dict(ranked(merged, q, 10))
        for cid, s in a[:3]:
            assert cid in sb and abs(sb[cid] - s) <= 1.5, (q, cid, s, sb.get(cid))
        if len(a) > 1 and a[0][1] - a[1][1] > 3.0:
            assert b[0][0] == a[0][0], q


def test_chained_sentence_vectors_score_as_one_matrix():
    from bot.search.sentences import ChainedSentences, SentenceIndex

    rng = np.random.default_rng(7)

    def made(rows: np.ndarray) -> SentenceIndex:
        s = SentenceIndex.__new__(SentenceIndex)
        s.matrix, s.encoder, s.encoded, s.missing, s.build_seconds = rows, None, 0, 0, 0.0
        return s

    a, b = rng.normal(size=(7, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)
    chained, whole = ChainedSentences(made(a), made(b)), made(np.vstack([a, b]))
    q = rng.normal(size=4).astype(np.float32)
    assert len(chained) == 10
    assert np.allclose(chained.scores(q), whole.scores(q))
    idx = np.array([9, 0, 7, 3])
    assert np.allclose(chained.scores(q, idx), whole.scores(q, idx))
    assert chained.scores(q, np.array([], dtype=np.int64)).shape == (0,)


def _corpus(docs) -> Corpus:
    return Corpus(documents=list(docs), warnings=[])


def test_refresh_indexes_only_the_added_statements(docs, monkeypatch):
    bundled = _corpus(docs[:6])
    first = build_snapshot(bundled, docs[6:-2], with_dated_items=False)
    built = []
    real = ClauseIndex.from_documents.__func__

    def counting(cls, *a, **kw):
        built.append(1)
        return real(cls, *a, **kw)

    monkeypatch.setattr(ClauseIndex, "from_documents", classmethod(counting))
    second = build_snapshot(bundled, docs[6:], previous=first, with_dated_items=False)
    assert built == [] and second.index.base is first.index
    assert [d.doc_id for d in second.corpus.documents] == [d.doc_id for d in docs]
    # One more refresh: the segment is rebuilt on the same base, not stacked.
    third = build_snapshot(bundled, docs[6:-1], previous=second, with_dated_items=False)
    assert built == [] and third.index.base is first.index
    assert third.index.clauses_of(docs[-1].doc_id) == []
    # Nothing changed: the base itself is served.
    fourth = build_snapshot(bundled, docs[6:-2], previous=third, with_dated_items=False)
    assert fourth.index is first.index and built == []


def test_refresh_builds_a_new_base_past_the_limit(docs, monkeypatch):
    import bot.live as live

    bundled = _corpus(docs[:2])
    first = build_snapshot(bundled, [], with_dated_items=False)
    monkeypatch.setattr(live, "SEGMENT_MIN", 1)
    assert segment_limit(2) == 1
    second = build_snapshot(bundled, docs[2:5], previous=first, with_dated_items=False)
    assert second.index.base is second.index and second.index.segment_size == 0
    assert second.index.documents == tuple(docs[:5])


def test_segment_reads_only_its_own_sentence_vectors(corpus, sentence_cache):
    from bot.search.encoder import load_encoder
    from bot.search.sentences import SEED_DIR, ChainedSentences

    if load_encoder() is None:
        pytest.skip("the sentence encoder is not installed")
    docs = corpus.documents
    seeds = [CORPUS / SEED_DIR]
    base = ClauseIndex.from_documents(docs[:-1], semantic=False)
    assert base.build_sentences(cache_dir=sentence_cache, seeds=seeds)
    merged = ClauseIndex.with_segment(base, docs[-1:])
    assert merged.build_sentences(cache_dir=sentence_cache, seeds=seeds, encode=False)
    assert isinstance(merged.sentences, ChainedSentences)
    assert merged.sentences.base is base.sentences  # the base's vectors, not a copy
    assert len(merged.sentences) == len(merged)
    whole = ClauseIndex.from_documents(docs, semantic=False)
    assert whole.build_sentences(cache_dir=sentence_cache, seeds=seeds, encode=False)
    q = whole.sentences.embed("a hotline between the two militaries")
    assert np.allclose(merged.sentences.scores(q), whole.sentences.scores(q), atol=1e-5)
    _same(whole, merged, QUERIES[:20])


def test_segment_bench_prints_its_figures(capsys, tmp_path):
    from benchscripts import bench_script

    with bench_script("segment_bench") as bench:
        assert bench.main(["--repeat", "1"]) == 0
        out = capsys.readouterr().out
        assert re.search(r"^base: \d+ statements, \d+ clauses; segment: 1 statement", out, re.M)
        assert re.search(r"^PSS: \d+ MiB before the segment, \d+ MiB with it$", out, re.M)
        for name in ("base", "base \\+ segment"):
            assert re.search(rf"^{name}: lexical match [\d.]+ ms, search [\d.]+ ms$", out, re.M)
        assert bench.main(["--repeat", "0"]) == 2
        assert bench.main(["--keep", str(tmp_path)]) == 2
    assert "no kept archive_bench run" in capsys.readouterr().err


def _counting_builds(monkeypatch) -> list[int]:
    built: list[int] = []
    real = ClauseIndex.from_documents.__func__

    def counting(cls, *a, **kw):
        built.append(1)
        return real(cls, *a, **kw)

    monkeypatch.setattr(ClauseIndex, "from_documents", classmethod(counting))
    return built


def test_a_start_builds_on_the_base_an_earlier_process_saved(docs, tmp_path, monkeypatch):
    """A restart after an ingest (one statement added, one changed, one withdrawn)
    maps the saved base and indexes only the rest: no full build, and it answers as a
    build over the new set does."""
    bundled = _corpus(docs[:4])
    stored = list(docs[4:-1])
    build_snapshot(bundled, stored, with_dated_items=False, index_cache=tmp_path)  # saved
    changed = dataclasses.replace(stored[0], body=stored[0].body + "\n\nA new closing line.")
    now = [changed, *stored[2:], docs[-1]]  # stored[1] withdrawn, docs[-1] added
    built = _counting_builds(monkeypatch)
    restart = build_snapshot(bundled, now, with_dated_items=False, index_cache=tmp_path)
    index = restart.index
    assert built == [] and index.base is not index
    assert index.clauses_of(stored[1].doc_id) == []
    assert any("A new closing line." in c.text for c in index.clauses_of(changed.doc_id))
    monkeypatch.undo()
    # As a build over the new set in one piece ranks (word vectors pooled with the
    # base's weights: the first hit the same where it leads clearly).
    whole = ClauseIndex.from_documents([*bundled.documents, *now])
    for q in QUERIES[:25]:
        a, b = _hits(whole, q), _hits(index, q)
        assert bool(a) == bool(b), q
        if len(a) > 1 and a[0][1] - a[1][1] > 3.0:
            assert b[0][0] == a[0][0], q
    # The next start after that refresh finds the same base again.
    again = build_snapshot(bundled, now, with_dated_items=False, index_cache=tmp_path)
    assert again.index.base is not again.index


def test_a_start_builds_a_whole_index_when_too_much_changed(docs, tmp_path, monkeypatch):
    import bot.live as live

    bundled = _corpus(docs[:2])
    build_snapshot(bundled, [], with_dated_items=False, index_cache=tmp_path)
    monkeypatch.setattr(live, "SEGMENT_MIN", 1)
    built = _counting_builds(monkeypatch)
    start = build_snapshot(bundled, docs[2:5], with_dated_items=False, index_cache=tmp_path)
    assert built == [1] and start.index.base is start.index


def test_a_start_with_an_unreadable_saved_base_builds_instead(docs, tmp_path, monkeypatch):
    bundled = _corpus(docs[:4])
    build_snapshot(bundled, [], with_dated_items=False, index_cache=tmp_path)
    for entry in tmp_path.iterdir():
        if entry.is_dir() and (entry / "lex_weights.npy").exists():
            with open(entry / "lex_weights.npy", "r+b") as f:
                f.seek(200)
                f.write(b"\xff\xff\xff\xff")
    built = _counting_builds(monkeypatch)
    start = build_snapshot(bundled, docs[4:5], with_dated_items=False, index_cache=tmp_path)
    assert built == [1] and start.index.base is start.index
    assert start.index.clauses_of(docs[4].doc_id)
