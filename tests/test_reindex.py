"""`briefbot reindex` derives everything served ahead of the first request; `--force`
forgets what was kept first."""

from __future__ import annotations

import pytest
from clirun import run, use_fresh_env
from paths import SHARED

import bot.dated.segments
import bot.live

SAMPLE = SHARED / "corpus-samples" / "2024-04-15_us-iraq-joint-statement.txt"


@pytest.fixture
def env(tmp_path, monkeypatch):
    use_fresh_env(tmp_path, monkeypatch)
    monkeypatch.setenv("BRIEFBOT_CACHE_DIR", str(tmp_path / "vectors"))
    monkeypatch.setenv("BRIEFBOT_INDEX_CACHE", str(tmp_path / "index"))
    monkeypatch.setenv("BRIEFBOT_SENTENCE_ENCODER", "off")  # vectors: test_ingest_derives
    return tmp_path


@pytest.fixture
def counts(monkeypatch):
    seen = {"segment": 0, "extract": 0}

    def wrap(module, attr):
        real = getattr(module, attr)

        def counting(*args, **kwargs):
            seen[attr] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, attr, counting)

    wrap(bot.dated.segments, "segment")
    wrap(bot.live, "extract")
    return seen


def test_reindex_derives_all_then_commands_derive_nothing(env, counts):
    if SAMPLE.exists():
        code, _, err = run("ingest", str(SAMPLE))
        assert code == 0, err
    for k in counts:
        counts[k] = 0
    code, out, err = run("reindex")
    assert code == 0, err
    assert out.startswith("reindex: ") and " statements (" in out and " dated items" in out
    bundled = int(out.split("(", 1)[1].split()[0])
    # the bundled statements, derived now; not the one the ingest derived already
    assert counts["segment"] == bundled and counts["extract"] == bundled
    counts["segment"] = counts["extract"] = 0
    code, out, err = run("reindex")
    assert code == 0, err
    assert counts == {"segment": 0, "extract": 0}
    code, out, err = run("reindex", "--force")
    assert code == 0, err
    assert "reindex: forgot " in out
    documents = int(out.split("reindex: ")[2].split()[0])
    assert counts["segment"] == documents and counts["extract"] == documents
    for k in counts:
        counts[k] = 0
    code, _, err = run("commitments", "--json")
    assert code == 0, err
    assert counts == {"segment": 0, "extract": 0}


def test_reindex_on_a_missing_corpus_says_so(env, monkeypatch, tmp_path):
    monkeypatch.setenv("BRIEFBOT_CORPUS", str(tmp_path / "nowhere"))
    code, _, err = run("reindex")
    assert code == 2 and "does not exist" in err and "Traceback" not in err
