"""Questions and paraphrases as people type them (tests/data/questions.tsv).

The table is run on the bundled corpus plus the 2024 development statements in
../shared/corpus-samples, ingested into a temporary corpus with their parties.
Targets (issue 9): hit@1 ≥ 0.9 on questions. Paraphrases that share no word with
their clause stay below the 0.75 target even with the sentence encoder (see README,
"Search, and what it costs"); their tests are floors that catch regressions, not
the target. ``paraphrases_heldout.tsv`` was written before the fusion was first tuned
(and looked at when it was tuned again); ``paraphrases_fresh.tsv`` was written before
that second tuning and never used for it.
"""

from __future__ import annotations

import os

import pytest
from paths import CORPUS, ROOT, SHARED

from bot.search.evaluate import evaluate, load_cases, prepare_corpus, read_samples, shared_words

DATA = ROOT / "tests" / "data"
CASES = load_cases(DATA / "questions.tsv")
HELD_OUT = load_cases(DATA / "paraphrases_heldout.tsv")
FRESH = load_cases(DATA / "paraphrases_fresh.tsv")
SAMPLES = SHARED / "corpus-samples"


@pytest.fixture(scope="module")
def eval_docs(tmp_path_factory):
    if not SAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SAMPLES} is missing")
        pytest.skip(f"{SAMPLES} is missing")
    from bot.reading.documents import load_corpus

    out = prepare_corpus(
        CORPUS, SAMPLES, read_samples(DATA / "samples.tsv"), tmp_path_factory.mktemp("eval")
    )
    return load_corpus(out).documents


@pytest.fixture(scope="module")
def eval_index(eval_docs, sentence_cache):
    from bot.search import ClauseIndex
    from bot.search.encoder import load_encoder

    index = ClauseIndex.from_documents(eval_docs)
    if load_encoder() is None and os.environ.get("CI") == "true":
        pytest.fail("the sentence encoder is not installed (the Makefile installs it)")
    index.build_sentences(cache_dir=sentence_cache)
    return index


def test_table_is_big_enough():
    kinds = [c.kind for c in CASES]
    assert len(CASES) >= 60
    assert kinds.count("question") >= 40 and kinds.count("paraphrase") >= 15
    assert set(kinds) == {"question", "paraphrase"}


@pytest.mark.parametrize(
    "case", [c for c in CASES + HELD_OUT + FRESH if c.kind == "paraphrase"], ids=str
)
def test_each_paraphrase_has_a_clause_sharing_no_word(eval_index, case):
    fits = [c for c in eval_index.clauses if case.accepts(c)]
    assert fits, f"no clause matches {case.doc} / {case.phrase!r}"
    assert any(not shared_words(case.query, c.text) for c in fits), [
        shared_words(case.query, c.text) for c in fits
    ]


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "question"], ids=str)
def test_each_question_has_an_answer_in_the_corpus(eval_index, case):
    assert any(case.accepts(c) for c in eval_index.clauses)


def test_questions_hit_at_1(eval_index):
    report = evaluate(eval_index, CASES)
    misses = [(c.query, shown) for c, shown in report.misses if c.kind == "question"]
    assert report.hit1("question") >= 0.9, misses


def test_paraphrases_floor(eval_index):
    if eval_index.sentences is None:
        pytest.skip("the sentence encoder is not installed")
    # Measured with the fitted ranker: 8 of 20, 7 of 21 and 8 of 25 (README), one case
    # of slack each. (The hand-set blend before it had 10 of 20 on the first table; the
    # ranker's calibrated score puts two right answers found on meaning alone under the
    # good-match bar, and wins far more rows with the archive loaded.)
    report = evaluate(eval_index, CASES)
    assert report.hit1("paraphrase") >= 0.35
    held_out = evaluate(eval_index, HELD_OUT)
    assert held_out.hit1("paraphrase") >= 0.28
    fresh = evaluate(eval_index, FRESH)
    assert fresh.hit1("paraphrase") >= 0.28


def test_sentence_signal_helps_paraphrases_without_costing_questions(eval_docs, eval_index):
    from bot.search import ClauseIndex

    if eval_index.sentences is None:
        pytest.skip("the sentence encoder is not installed")
    without = ClauseIndex.from_documents(eval_docs)
    assert without.sentences is None
    for cases in (CASES, HELD_OUT, FRESH):
        a, b = evaluate(eval_index, cases), evaluate(without, cases)
        assert a.hit1("paraphrase") > b.hit1("paraphrase")
    assert evaluate(eval_index, CASES).hit1("question") >= evaluate(without, CASES).hit1("question")


def test_nonsense_finds_no_good_match(eval_index):
    for query in [
        "banana spaceship",
        "recipe for lasagna",
        "how do I reset my password",
        "how to train a puppy",
        "knitting patterns for scarves",
        "my laptop will not turn on",
        "gardening tips for tomatoes",
        "symptoms of flu in children",
    ]:
        assert eval_index.search(query).hits == [], query


def test_semantic_signal_helps_questions(eval_docs, eval_index):
    from bot.search import ClauseIndex

    words_only = ClauseIndex.from_documents(eval_docs, semantic=False)
    assert words_only.semantic is None and eval_index.semantic is not None
    with_meaning = evaluate(eval_index, CASES)
    without = evaluate(words_only, CASES)
    assert with_meaning.hit1("question") > without.hit1("question")
    assert with_meaning.shown1("paraphrase") >= without.shown1("paraphrase")
