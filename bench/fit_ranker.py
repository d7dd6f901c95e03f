"""Fit the search ranker (``bot/search/ranker.json``) on the labelled query tables,
and report hit@1 and top-3 per table and split.

    python bench/fit_ranker.py                # fit, write the weights, report
    python bench/fit_ranker.py --report-only  # report with the weights as they are
    python bench/fit_ranker.py --generate     # (re)write tests/data/generated_queries.tsv

**Data.** The tables of ``tests/data`` (:data:`TABLES`), one row a query with the
clause it should find (``bot.search.evaluate``): questions and paraphrases as people
type them, keyword, typo'd, name and phrase queries written by reading the bundled
corpus and the 2024 samples, queries with no answer (``nonsense``), and typo'd
phrases and keyword queries generated from the bundled clauses the way
``bench/search_bench.py`` makes them (another seed). Each row is in the ``fit`` or
the ``held`` split, fixed by a digest of its query (``evaluate.split_of``); the
fresh paraphrases and the archive questions are held out whole. Only ``fit`` rows
are fitted on.

**Corpora.** Every row is run on three corpora of different sizes: the bundled corpus
alone (what ``briefbot ask`` reads by default; fitted on, not reported, as most rows'
statements are not in it), the bundled corpus plus the 2024 samples of
``../shared/corpus-samples``, and the same with the 3,366 statements of
``../shared/archive`` as distractors (``--no-archive`` leaves that out). Sentence
vectors come from ``BRIEFBOT_CACHE_DIR`` (or the default cache); clauses not there
are encoded once (the archive's ~84k clauses: about half an hour on 2 cores).

**Fit.** For every row, :meth:`ClauseIndex.explain` with ``force`` gives every
candidate clause with its features (all stages run); a candidate is positive when
the row accepts it. Two models (``bot.search.ranker``) are fitted: ``words``
(without the sentence encoder) on every row, then ``sentences`` on the rows that
reach the encoder at run time (not misspelt, and ``words`` not sure of its best
candidate). Each is a conditional logit for the ranking and a logistic regression
for the calibration, both L2-regularised and fitted by Newton's method; nothing is
random, so the same data give the same weights.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.reading.documents import load_corpus  # noqa: E402
from bot.search import ClauseIndex, ranker  # noqa: E402
from bot.search.evaluate import (  # noqa: E402
    Case,
    evaluate,
    is_right,
    load_cases,
    prepare_corpus,
    read_samples,
    split_of,
)
from bot.search.sentences import SEED_DIR  # noqa: E402

DATA = ROOT / "tests" / "data"
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "corpus-samples"
ARCHIVE = SHARED / "archive" / "statements-2021-2022.tar.xz"

#: Its statements are only in the archive corpus.
ARCHIVE_TABLE = "archive questions"
BUNDLED, SMALL, WITH_ARCHIVE = "bundled", "bundled + samples", "+ archive"
#: name -> (file, held out whole?)
TABLES: dict[str, tuple[Path, bool]] = {
    "questions": (DATA / "questions.tsv", False),
    "paraphrases (held-out table)": (DATA / "paraphrases_heldout.tsv", False),
    "paraphrases (fresh table)": (DATA / "paraphrases_fresh.tsv", True),
    "written rows": (DATA / "ranker_rows.tsv", False),
    "generated": (DATA / "generated_queries.tsv", False),
    ARCHIVE_TABLE: (DATA / "archive_questions.tsv", True),
}
GENERATED_SEED = 1001
GENERATED_ROWS = 240
#: L2 penalty on the standardised weights (the loss is summed over candidates).
L2 = 1.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data


def split(case: Case, whole_held: bool) -> str:
    return "held" if whole_held else split_of(case)


def load_tables() -> dict[str, list[tuple[Case, str]]]:
    """Each table's rows with their split (tables not written yet are left out)."""
    out = {}
    for name, (path, whole_held) in TABLES.items():
        if path.exists():
            out[name] = [(c, split(c, whole_held)) for c in load_cases(path)]
    return out


def generate(path: Path) -> int:
    """Typo'd phrases and keyword queries on the bundled clauses, as the search
    benchmark makes them but with another seed, written as table rows."""
    from bot.reading.clauses import segment_all
    from bot.reading.clean import normalise

    sys.path.insert(0, str(ROOT / "bench"))
    import search_bench

    real = list(segment_all(load_corpus(CORPUS).documents))
    rows = []
    for q in search_bench.make_queries(real, GENERATED_ROWS, GENERATED_SEED):
        if q.kind == "typo":
            # The phrase as the clause has it (the query's span before the typos).
            words = q.expect_phrase.split()
            tokens = q.target.text.split()
            phrase = next(
                (
                    " ".join(tokens[i : i + len(words)])
                    for i in range(len(tokens) - len(words) + 1)
                    if normalise(" ".join(tokens[i : i + len(words)])) == q.expect_phrase
                ),
                "",
            )
            if not phrase or phrase not in q.target.text:
                continue
            rows.append(("typo", q.text, "*", phrase))
        else:
            rows.append(("keywords", q.text, "*", "all:" + " ".join(q.expect_words)))
    head = (
        "# Generated by `python bench/fit_ranker.py --generate` (seed "
        f"{GENERATED_SEED}; bench/search_bench.py's query maker on the bundled clauses).\n"
        "# Same columns as questions.tsv; 'all:w1 w2' means every one of these words. As in\n"
        "# the benchmark, any clause with the phrase (or all the words) is right.\n"
    )
    path.write_text(head + "".join("\t".join(r) + "\n" for r in rows), "utf-8")
    return len(rows)


def archive_documents(tmp: Path, source: Path = ARCHIVE) -> list[Any]:
    """The archive's statements (unpacked into ``tmp``)."""
    folder = tmp / "archive"
    if not (folder / "statements").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source) as tar:
            tar.extractall(folder, filter="data")
    return load_corpus(folder / "statements").documents


def build(docs: Sequence[Any], cache: Path, *, encoder: bool = True) -> ClauseIndex:
    t0 = time.perf_counter()
    index = ClauseIndex.from_documents(docs)
    log(f"  {len(index):,} clauses indexed in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    if not encoder:
        log("  no sentence vectors (--archive-words)")
        return index

    def progress(done: int, total: int) -> None:
        if done == total or done % 2560 == 0:
            log(f"  encoded {done:,} of {total:,} clauses")

    from bot.search.encoder import load_encoder
    from bot.search.sentences import SentenceIndex

    if load_encoder() is not None:
        texts = index.sentence_texts()
        index.attach_sentences(
            SentenceIndex(texts, cache_dir=cache, seeds=[CORPUS / SEED_DIR], progress=progress)
        )
        log(f"  sentence vectors in {time.perf_counter() - t0:.1f} s")
    return index


def corpora(
    tmp: Path, cache: Path, archive: bool, *, archive_encoder: bool = True
) -> dict[str, ClauseIndex]:
    """The evaluation indexes by name."""
    log("corpus: bundled")
    out = {BUNDLED: build(load_corpus(CORPUS).documents, cache)}
    docs = load_corpus(
        prepare_corpus(CORPUS, SAMPLES, read_samples(DATA / "samples.tsv"), tmp / "corpus")
    ).documents
    log("corpus: bundled + samples")
    out[SMALL] = build(docs, cache)
    if archive and ARCHIVE.exists():
        log("corpus: bundled + samples + archive")
        name = WITH_ARCHIVE if archive_encoder else WITH_ARCHIVE + " (words)"
        out[name] = build([*docs, *archive_documents(tmp)], cache, encoder=archive_encoder)
    return out


# --------------------------------------------------------------------------- fit


@dataclass
class Group:
    """One labelled query on one corpus: its candidates' features and labels."""

    features: dict[str, np.ndarray]
    labels: np.ndarray

    def matrix(self, names: Sequence[str]) -> np.ndarray:
        return ranker.matrix(self.features, tuple(names), len(self.labels))


def examples(index: ClauseIndex, rows: Iterable[Case]) -> list[Group]:
    """Every row's candidates (all stages run) with their features and labels."""
    out = []
    for case in rows:
        found = index.explain(case.query, force=True)
        if found is None or not len(found.ids):
            continue
        labels = np.array([case.accepts(index.clauses[int(i)]) for i in found.ids], float)
        out.append(Group(found.features, labels))
    return out


def models_features() -> dict[str, tuple[str, ...]]:
    return {
        "words": ranker.FEATURES,
        "sentences": ranker.FEATURES + ranker.SENTENCE_FEATURES,
    }


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression on ``x`` as it is
    (fitted on standardised columns, by Newton's method; the bias is not penalised)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (p - y) + penalty * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / scale
    return weights, float(w[-1] - weights @ mean)


def fit_conditional_logit(groups: Sequence[tuple[np.ndarray, np.ndarray]], l2: float = L2):
    """Weights of a linear score whose softmax over each group's rows puts the weight
    on its positive rows (an L2-regularised conditional logit; Newton's method with
    step halving). Groups without a positive row say nothing about ranking."""
    groups = [(z, y / y.sum()) for z, y in groups if y.sum() > 0]
    w = np.zeros(groups[0][0].shape[1])

    def loss(w: np.ndarray) -> float:
        total = 0.5 * l2 * float(w @ w)
        for z, t in groups:
            s = z @ w
            top = s.max()
            total -= float(t @ (s - top - np.log(np.exp(s - top).sum())))
        return total

    current = loss(w)
    for _ in range(200):
        grad = l2 * w
        hess = l2 * np.eye(len(w))
        for z, t in groups:
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            mu = p @ z
            grad = grad + z.T @ (p - t)
            hess = hess + (z * p[:, None]).T @ z - np.outer(mu, mu)
        step = np.linalg.solve(hess, grad)
        rate = 1.0
        while rate > 1e-6 and loss(w - rate * step) > current:
            rate /= 2
        w = w - rate * step
        new = loss(w)
        if current - new < 1e-10:
            break
        current = new
    return w


def neutral() -> dict[str, ranker.Model]:
    """Models that know nothing (every candidate alike): the fit's features must not
    depend on the weights being replaced (``force`` runs every stage anyway)."""
    calibration = {"bias": 0.0, **{k: 0.0 for k in ranker.TERMS}}
    return {
        m: ranker.Model(
            names, np.zeros(len(names)), np.ones(len(names)), np.zeros(len(names)), calibration
        )
        for m, names in models_features().items()
    }


def fit_model(names: tuple[str, ...], groups: Sequence[Group], l2: float = L2) -> ranker.Model:
    """The ranking part (conditional logit on standardised features), then its
    calibration (logistic regression: is the best-scored candidate right?)."""
    x = np.concatenate([g.matrix(names) for g in groups])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    standard = [((g.matrix(names) - mean) / scale, g.labels) for g in groups]
    # A weight of the words asked for that comes out negative is held at 0, and the
    # rest refitted, until none does.
    free = np.ones(len(names), dtype=bool)
    while True:
        weights = np.zeros(len(names))
        weights[free] = fit_conditional_logit([(z[:, free], y) for z, y in standard], l2)
        wrong = [j for j, n in enumerate(names) if n in ranker.WORDS_ASKED and weights[j] < 0]
        if not wrong:
            break
        free[wrong] = False
    model = ranker.Model(names, mean, scale, weights, {})
    rows, labels = [], []
    for g in groups:
        score = model.score(g.matrix(names))
        best = int(np.argmax(score))
        features = g.features
        if "sentence" not in names:  # the words model never sees the encoder's signals
            features = {k: v for k, v in features.items() if not k.startswith("sentence")}
        rows.append(ranker.calibration_terms(score[best : best + 1], features)[0])
        labels.append(g.labels[best])
    w, bias = fit_logistic(np.array(rows), np.array(labels), l2)
    calibration = {"bias": bias, **dict(zip(ranker.TERMS, w, strict=True))}
    return ranker.Model(names, mean, scale, weights, calibration)


def fit(indexes: dict[str, ClauseIndex], tables: dict[str, list[tuple[Case, str]]]) -> dict:
    log(f"fitting on {sum(s == 'fit' for t in tables.values() for _, s in t)} rows")
    loaded = ranker.load_models
    ranker.load_models = neutral  # type: ignore[assignment]
    try:
        rows = [c for table in tables.values() for c, s in table if s == "fit"]
        groups = [g for index in indexes.values() for g in examples(index, rows)]
    finally:
        ranker.load_models = loaded  # type: ignore[assignment]
    names = models_features()
    words = fit_model(names["words"], groups)
    # The sentence encoder reads only queries that are not misspelt and that the words
    # model is not sure of: its model learns from those.
    unsure = [
        g
        for g in groups
        if not g.features["corrected"][0]
        and words.probability(g.features, len(g.labels)).max() < ranker.SURE_PROBABILITY
    ]
    sentences = fit_model(names["sentences"], unsure)
    for name, used in (("words", groups), ("sentences", unsure)):
        right = sum(int(g.labels.sum()) for g in used)
        log(f"  {name}: {len(used)} queries, {right} right candidates")
    return {"models": {"words": words.to_json(), "sentences": sentences.to_json()}}


# --------------------------------------------------------------------------- report


#: Each signal alone, ranking the same candidates (``evaluate`` "signals" columns).
SIGNALS = ("coverage", "phrase", "keywords", "bm25_share", "cosine", "sentence")


def alone(index: ClauseIndex, case: Case) -> dict[str, bool]:
    """For each signal of :data:`SIGNALS` that the candidates have: is the candidate it
    ranks first right? (All stages run, so every signal sees the same candidates.)"""
    found = index.explain(case.query, force=True)
    if found is None or not len(found.ids):
        return {}
    out = {}
    for name in SIGNALS:
        values = found.features.get(name)
        if values is not None and len(values) == len(found.ids):
            best = int(found.ids[int(np.argmax(values))])
            out[name] = is_right(case, index.clauses[best])
    return out


def report(
    indexes: dict[str, ClauseIndex],
    tables: dict[str, list[tuple[Case, str]]],
    *,
    signals: bool = True,
) -> list[dict[str, Any]]:
    """hit@1, top-3 and MRR (first 10) per corpus, table, split and kind, and the
    hit@1 of each signal alone."""
    out = []
    for corpus, index in indexes.items():
        for table, rows in tables.items():
            if corpus == BUNDLED or (table == ARCHIVE_TABLE and corpus == SMALL):
                continue  # fitted on, not reported: most rows' statements are not in it
            for part in ("fit", "held"):
                cases = [c for c, s in rows if s == part]
                if not cases:
                    continue
                r = evaluate(index, cases)
                for kind in sorted(r.totals):
                    mine = [c for c in cases if c.kind == kind]
                    row: dict[str, Any] = {
                        "corpus": corpus,
                        "table": table,
                        "split": part,
                        "kind": kind,
                        "rows": r.totals[kind],
                        "hit1": r.hits.get(kind, 0),
                        "top3": r.top3.get(kind, 0),
                        "misses": [
                            f"{c.query} -> {shown}" for c, shown in r.misses if c.kind == kind
                        ],
                    }
                    if kind != "nonsense":
                        row["mrr"] = r.mrr(kind)
                        if signals:
                            counts: dict[str, int] = {}
                            for c in mine:
                                for name, ok in alone(index, c).items():
                                    counts[name] = counts.get(name, 0) + ok
                            row["alone"] = counts
                    out.append(row)
    return out


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The report as a Markdown table (a nonsense row's hit@1 is "no good match")."""
    shown = [s for s in SIGNALS if any(s in r.get("alone", {}) for r in rows)]
    lines = [
        "| corpus | table | split | kind | rows | hit@1 | top-3 | MRR | "
        + "".join(f"{s} alone | " for s in shown),
        "|---|---|---|---|---:|---:|---:|---:|" + "---:|" * len(shown),
    ]
    for r in rows:
        n = r["rows"]
        mrr = f"{r['mrr']:.2f}" if "mrr" in r else "–"
        alone_cells = "".join(
            f"{r['alone'][s] / n:.2f} | " if s in r.get("alone", {}) else "– | " for s in shown
        )
        lines.append(
            f"| {r['corpus']} | {r['table']} | {r['split']} | {r['kind']} | {n} | "
            f"{r['hit1'] / n:.2f} ({r['hit1']}) | {r['top3'] / n:.2f} ({r['top3']}) | {mrr} | "
            + alone_cells
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--report-only", action="store_true", help="do not fit: report only")
    p.add_argument("--generate", action="store_true", help="rewrite the generated table")
    p.add_argument("--no-archive", action="store_true", help="leave the archive corpus out")
    p.add_argument(
        "--archive-words",
        action="store_true",
        help="index the archive without sentence vectors (minutes, not half an hour)",
    )
    p.add_argument("--no-signals", action="store_true", help="leave out each signal alone")
    p.add_argument("--out", type=Path, default=ranker.WEIGHTS, help="where the weights go")
    p.add_argument("--json", metavar="FILE", help="also write the report as JSON here")
    p.add_argument("--misses", action="store_true", help="print the misses of the fit split")
    args = p.parse_args(argv)
    if args.archive_words and not args.report_only:
        p.error("the fit needs the encoder on the archive: --archive-words is for reports")
    if args.generate:
        n = generate(TABLES["generated"][0])
        print(f"wrote {n} rows to {TABLES['generated'][0].relative_to(ROOT)}")
        return 0
    if not SAMPLES.is_dir():
        print(f"error: {SAMPLES} is missing", file=sys.stderr)
        return 2
    from bot.config import default_cache_dir

    cache = Path(os.environ.get("BRIEFBOT_CACHE_DIR") or default_cache_dir(os.environ))
    tables = load_tables()
    random.seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        indexes = corpora(
            Path(tmp), cache, archive=not args.no_archive, archive_encoder=not args.archive_words
        )
        if not args.report_only:
            weights = fit(indexes, tables)
            weights["fitted_on"] = {
                "command": shlex.join(["python", "bench/fit_ranker.py", *argv]),
                "corpora": list(indexes),
                "tables": {name: sum(s == "fit" for _, s in rows) for name, rows in tables.items()},
            }
            args.out.write_text(json.dumps(weights, indent=2) + "\n", "utf-8")
            ranker.load_models.cache_clear()
            log(f"wrote {args.out}")
        rows = report(indexes, tables, signals=not args.no_signals)
        shutil.rmtree(Path(tmp) / "archive", ignore_errors=True)
    print(table(rows))
    if args.misses:
        for r in rows:
            if r["split"] == "fit" and r["misses"]:
                print(f"\n{r['corpus']} / {r['table']} / {r['kind']}:")
                for m in r["misses"]:
                    print(f"- {m}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
