"""A command loads only what it uses: a persisted index leaves the query-time tables
(typo correction, the parties' patterns, the word model) unmade until a query needs
them, and makes them exactly as a build does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from paths import CORPUS, ROOT

from bot.reading.documents import load_corpus
from bot.search import ClauseIndex

#: Run in a fresh process (so ``sys.modules`` says what this command imported): the
#: CLI commands given, then what was made. Counts the typo tables' deletions and the
#: parties' patterns made.
PROBE = textwrap.dedent(
    """
    import io, json, sys
    import bot.search.lexical as lexical
    import bot.search.understand as understand
    from bot.cli import main

    made = {"deletes": 0, "patterns": 0}
    real_deletes, real_patterns = lexical.deletes, understand._party_patterns

    def deletes(word):
        made["deletes"] += 1
        return real_deletes(word)

    def patterns(parties):
        made["patterns"] += 1
        return real_patterns(parties)

    lexical.deletes, understand._party_patterns = deletes, patterns
    codes = []
    for argv in json.loads(sys.argv[1]):
        out, err = io.StringIO(), io.StringIO()
        codes.append(main(argv, stdout=out, stderr=err))
    made["codes"] = codes
    made["wordllama"] = "wordllama" in sys.modules
    print(json.dumps(made))
    """
)


@pytest.fixture
def env(tmp_path):
    out = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    out.update(
        BRIEFBOT_CORPUS=str(CORPUS),
        DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}",
        BRIEFBOT_INDEX_CACHE=str(tmp_path / "index"),
        BRIEFBOT_CACHE_DIR=str(tmp_path / "cache"),
        BRIEFBOT_SENTENCE_ENCODER="off",
        BRIEFBOT_ENV_FILE=str(tmp_path / "none.env"),
    )
    return out


def probe(env: dict[str, str], *commands: list[str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(commands))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_commands_that_never_search_leave_the_query_tables_unmade(env):
    built = probe(env, ["ask", "nuclear energy"])  # builds and keeps the index
    assert built["codes"] == [0] and built["wordllama"]
    doc = load_corpus(CORPUS).documents[0].doc_id
    first = probe(env, ["docs", "--json"], ["show", doc], ["commitments", "--json"])
    assert first["codes"] == [0, 0, 0]
    assert first == {"deletes": 0, "patterns": 0, "codes": [0, 0, 0], "wordllama": False}
    # A search makes what it needs: the patterns and the word model (a word the
    # vocabulary lacks, the typo tables too).
    asked = probe(env, ["docs"], ["ask", "nucleer energy"])
    assert asked["codes"] == [0, 0]
    assert asked["patterns"] == 1 and asked["deletes"] > 1000 and asked["wordllama"]


def test_after_an_ingest_commands_that_never_search_still_make_nothing(env, tmp_path):
    """One statement added since the index was kept: a command maps the kept base and
    indexes the statement in a segment, still making no query table or word model."""
    built = probe(env, ["ask", "nuclear energy"])  # builds and keeps the index
    assert built["codes"] == [0]
    extra = tmp_path / "2024-03-01_extra.txt"
    extra.write_text(
        "Extra Joint Statement\n\nThe two sides agreed to hold lighthouse talks in 2025.\n",
        encoding="utf-8",
    )
    added = probe(env, ["ingest", "--by", "test", "--parties", "A,B", str(extra)])
    assert added["codes"] == [0]
    after = probe(env, ["docs", "--json"], ["commitments", "--json"])
    assert after == {"deletes": 0, "patterns": 0, "codes": [0, 0], "wordllama": False}
    asked = probe(env, ["ask", "lighthouse talks"])
    assert asked["codes"] == [0] and asked["wordllama"]
    assert len(os.listdir(tmp_path / "index")) >= 1


@pytest.fixture(scope="module")
def docs():
    return load_corpus(CORPUS).documents


def test_a_loaded_index_makes_its_query_tables_as_a_build_does(docs, tmp_path):
    fresh = ClauseIndex.from_documents(docs)
    ClauseIndex.from_documents(docs, cache_dir=tmp_path)  # built and kept
    loaded = ClauseIndex.from_documents(docs, cache_dir=tmp_path)  # read back
    lazy = ("_deletes", "_buckets", "_sorted_terms")
    assert not any(name in loaded.lexical.__dict__ for name in lazy)
    assert "_patterns" not in loaded.reader.__dict__
    assert "_model" not in loaded.semantic.__dict__
    loaded.warm()
    assert all(name in loaded.lexical.__dict__ for name in lazy)
    assert "_patterns" in loaded.reader.__dict__
    assert loaded.semantic._model is not None
    for name in lazy:
        assert getattr(loaded.lexical, name) == getattr(fresh.lexical, name), name
    assert loaded.reader._patterns == fresh.reader._patterns
    for word in ("nucleer", "proliferaton", "representative", "xq"):
        assert loaded.lexical.correct(word) == fresh.lexical.correct(word)
        assert loaded.lexical.longer_forms(word) == fresh.lexical.longer_forms(word)


def test_a_query_on_a_loaded_index_answers_as_before_it_is_warmed(docs, tmp_path):
    """The tables made on a query's demand give the answers the warmed ones give."""
    ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    cold = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    warm = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    warm.warm()
    for q in ("nucleer non-proliferaton", "What did Russia say about Syria?", "Skolkovo"):
        a, b = cold.search(q, limit=5), warm.search(q, limit=5)
        assert [h.to_json() for h in a.hits] == [h.to_json() for h in b.hits]
        assert a.corrections == b.corrections and a.read_as == b.read_as


def test_a_party_pattern_skipped_for_a_text_would_have_found_nothing(docs):
    """A party's pattern is only compiled and run on a text holding one of its names or
    capitals: on every other text it could match nothing (checked against the pattern
    itself, on texts naming each party every way, in places it is no party too)."""
    from bot.search.understand import _party_patterns

    parties = {p for d in docs for p in d.parties} | {"Republic of Korea", "France", "Mexico"}
    patterns = _party_patterns(parties)
    assert len(patterns) > 5
    texts = ["nuclear energy cooperation", "the south china sea", "gulf of mexico shipping"]
    for p in patterns:
        for word in p.literals:
            texts += [word, f"the {word} position", f"north {word}", f"{word} sea", f"{word}n"]
    for p in patterns:
        for text in texts:
            assert [m.span() for m in p.finditer(text)] == [
                m.span() for m in re.compile(p.source).finditer(text)
            ], (p.party, text)


def test_a_loaded_index_reads_a_query_into_the_same_vector_as_a_build(docs, tmp_path):
    """A restored index reads queries with the model's own tokenizer (no copy made):
    the same token ids, so the same vector, as the unpadded copy a build uses."""
    from bot.search.semantic import _unpadded, load_model

    fresh = ClauseIndex.from_documents(docs)
    ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    loaded = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    queries = [
        "vaccination sites in communities",
        "What did Russia and China say about the Korean Peninsula?",
        "Skolkovo innovation centre — “modernisation” partnership, 2012–2020",
        "x",
        " ".join(["nuclear non-proliferation treaty review conference"] * 40),
    ]
    copy = _unpadded(load_model())
    for q in queries:
        own = loaded.semantic._query_tokenizer.encode(q, add_special_tokens=False).ids
        assert own == copy.encode(q, add_special_tokens=False).ids
        a, b = fresh.semantic.embed_query(q), loaded.semantic.embed_query(q)
        assert a is not None and b is not None and (a == b).all(), q


@pytest.mark.parametrize("width", [40, 73, 100])
def test_the_cli_fills_text_exactly_as_textwrap_does(docs, width):
    """Every clause of the corpus (and texts made to break in awkward places), wrapped as
    the CLI prints them: the same lines as ``textwrap.fill``, hyphens or none."""
    from bot.cli import _fill

    texts = [f"“{d.body[i : i + 400]}”" for d in docs for i in range(0, len(d.body), 400)]
    texts += [
        "a" * 250,
        "well-known   long-term\tcommitments — by 2030--or sooner",
        "x " * 90,
        "-" * 120 + " end",
        "  leading and trailing  ",
        "",
    ]
    for text in texts:
        for indents in (("", ""), ("   ", "    "), ("1. ", "   ")):
            assert _fill(text, width, *indents) == textwrap.fill(
                text, width, initial_indent=indents[0], subsequent_indent=indents[1]
            )


def test_a_served_snapshot_is_warmed_before_it_answers(tmp_path, monkeypatch):
    """A server's refreshed index has its query-time tables made before the swap (what
    a one-off command leaves unmade, a server never makes on a user's first query)."""
    from datetime import date

    from bot.config import Settings
    from bot.library import Library, preview
    from bot.services import build_services

    for k in ("BRIEFBOT_CORPUS", "DATABASE_URL", "BRIEFBOT_INDEX_CACHE", "BRIEFBOT_CACHE_DIR"):
        monkeypatch.delenv(k, raising=False)
    settings = Settings.from_env(
        {
            "BRIEFBOT_CORPUS": str(CORPUS),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "BRIEFBOT_INDEX_CACHE": str(tmp_path / "index"),
            "BRIEFBOT_CACHE_DIR": str(tmp_path / "cache"),
            "BRIEFBOT_SENTENCE_ENCODER": "off",
        }
    )
    services = build_services(settings)
    assert "_deletes" not in services.index.lexical.__dict__  # a command's start: unmade
    text = "The two sides will open a joint river commission by 1 March 2031.\n"
    draft = preview(text, title="Joint statement on river cooperation", date=date(2026, 5, 4))
    Library(services.store, services.bundled).add(draft, added_by="test")
    assert services.refresh()
    index = services.index
    assert "_deletes" in index.lexical.__dict__ and "_patterns" in index.reader.__dict__
    assert all("pattern" in p.__dict__ for p in index.reader._patterns)
    assert index.semantic is None or "_query_tokenizer" in index.semantic.__dict__
    assert index.search("river commission").hits


def test_a_loaded_index_whose_word_model_fails_to_load_answers_on_words(
    docs, tmp_path, monkeypatch
):
    """The model is loaded on the first query now: when it cannot be (a broken install
    found only then), the query runs on words, as a build without the model would."""
    import bot.search.semantic as semantic

    ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    loaded = ClauseIndex.from_documents(docs, cache_dir=tmp_path)
    monkeypatch.setattr(semantic, "load_model", lambda: None)
    result = loaded.search("Skolkovo innovation", limit=3)
    assert result.hits and "Skolkovo" in result.hits[0].clause.text
    assert loaded.semantic.embed_query("Skolkovo") is None
    assert loaded.semantic.neighbours("tumours") == []


def test_party_patterns_do_not_depend_on_the_order_parties_come_in():
    from bot.search.understand import QueryReader

    parties = ["China", "India", "Japan", "Italy", "Chile", "Egypt", "Russia", "Canada"]
    one = QueryReader(parties)._patterns
    other = QueryReader(list(reversed(parties)))._patterns
    assert one == other
    assert [p.party for p in one][:2] == ["Canada", "Russia"]  # longest first, then A-Z
