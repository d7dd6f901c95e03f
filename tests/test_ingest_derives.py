"""`briefbot ingest` derives what serving a statement needs (clauses, dated items,
sentence vectors) in the ingesting process: the first command after it derives nothing."""

from __future__ import annotations

import json

import pytest
from clirun import run, use_fresh_env
from paths import SHARED

import bot.dated.segments
import bot.library_cli
import bot.live
from bot.search.encoder import load_encoder

SAMPLE = SHARED / "corpus-samples" / "2024-04-15_us-iraq-joint-statement.txt"

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared/corpus-samples")


@pytest.fixture
def env(tmp_path, monkeypatch):
    use_fresh_env(tmp_path, monkeypatch)
    monkeypatch.setenv("BRIEFBOT_CACHE_DIR", str(tmp_path / "vectors"))
    monkeypatch.setenv("BRIEFBOT_INDEX_CACHE", str(tmp_path / "index"))
    return tmp_path


@pytest.fixture
def counts(monkeypatch):
    """Calls of segmentation, dated-item reading and the sentence encoder."""
    seen = {"segment": 0, "extract": 0, "encoded": 0}

    def wrap(module, attr, name):
        real = getattr(module, attr)

        def counting(*args, **kwargs):
            seen[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, attr, counting)

    wrap(bot.dated.segments, "segment", "segment")
    wrap(bot.live, "extract", "extract")
    encoder = load_encoder()
    if encoder is not None:
        real = encoder.encode

        def encode(texts, *args, **kwargs):
            seen["encoded"] += len(texts)
            return real(texts, *args, **kwargs)

        monkeypatch.setattr(encoder, "encode", encode)
    return seen


def test_the_command_after_an_ingest_derives_nothing(env, counts):
    code, out, err = run("docs", "--json")  # the bundled corpus, derived once
    assert code == 0, err
    for k in counts:
        counts[k] = 0
    code, out, err = run("ingest", str(SAMPLE))
    assert code == 0, err
    doc_id = out.split("stored as ", 1)[1].split()[0]
    # its clauses cut once more under its final id; its dated items kept from the draft
    assert counts["segment"] == 1 and counts["extract"] == 0
    if load_encoder() is not None:
        assert counts["encoded"] > 10  # its clauses, encoded by the ingest
    for k in counts:
        counts[k] = 0
    code, out, err = run("docs", "--json")
    assert code == 0, err
    rows = {r["doc_id"]: r for r in json.loads(out)}
    assert rows[doc_id]["clauses"] > 10
    assert counts == {"segment": 0, "extract": 0, "encoded": 0}


def test_without_the_encoder_an_ingest_still_derives_clauses_and_dates(env, counts, monkeypatch):
    monkeypatch.setenv("BRIEFBOT_SENTENCE_ENCODER", "off")
    code, _, err = run("ingest", str(SAMPLE))
    assert code == 0, err
    assert counts["segment"] == 1 and counts["encoded"] == 0


def test_a_long_ingest_says_how_far_it_got(env, monkeypatch):
    monkeypatch.setattr(bot.library_cli._Ahead, "EVERY", 0.0)  # every step is "long"
    monkeypatch.setenv("BRIEFBOT_SENTENCE_ENCODER", "off")
    code, _, err = run("ingest", str(SAMPLE))
    assert code == 0, err
    lines = [ln for ln in err.splitlines() if ln.startswith("ingest: ")]
    assert lines and lines[-1].startswith("ingest: 1/1 stored; ")
    assert "clauses derived" in lines[-1] and lines[-1].endswith(" s)")
    assert "clauses and dated items 1/1" in err


@pytest.mark.skipif(load_encoder() is None, reason="the sentence encoder is not installed")
def test_commands_that_never_search_never_encode(env, counts, monkeypatch):
    monkeypatch.setenv("BRIEFBOT_SENTENCE_ENCODER", "off")
    code, out, err = run("ingest", str(SAMPLE))  # stored without sentence vectors
    assert code == 0, err
    doc_id = out.split("stored as ", 1)[1].split()[0]
    monkeypatch.setenv("BRIEFBOT_SENTENCE_ENCODER", "on")
    counts["encoded"] = 0
    for argv in (["docs"], ["show", doc_id], ["commitments"], ["commitments", "--json"]):
        code, _, err = run(*argv)
        assert code == 0, (argv, err)
    assert counts["encoded"] == 0
    code, _, err = run("commitments", "grid")  # words: searched, so the vectors are read
    assert code == 0, err
    assert counts["encoded"] > 10
