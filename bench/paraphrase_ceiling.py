"""How far the sentence encoder alone can take paraphrase search: where it ranks the
right clause, for each paraphrase table.

    python bench/paraphrase_ceiling.py [--json FILE]

For every paraphrase row (``tests/data/questions.tsv`` paraphrases, the held-out and
the fresh tables) the clauses of the bundled corpus plus the 2024 samples are ranked
by the encoder's cosine similarity with the query alone, and the rank of the first
right clause (as :func:`bot.search.evaluate` judges it) is recorded. It prints, per
table, how often that rank is 1, within 3 and within 10, next to briefbot's own
hit@1. "Within 10" bounds what any reranker of the encoder's top ten could reach:
a reranker cannot put first a clause the encoder did not give it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.reading.documents import load_corpus  # noqa: E402
from bot.search import ClauseIndex  # noqa: E402
from bot.search.encoder import load_encoder  # noqa: E402
from bot.search.evaluate import (  # noqa: E402
    Case,
    is_right,
    load_cases,
    prepare_corpus,
    read_samples,
)
from bot.search.sentences import SEED_DIR  # noqa: E402

DATA = ROOT / "tests" / "data"
TABLES = {
    "tuned": DATA / "questions.tsv",
    "held-out": DATA / "paraphrases_heldout.tsv",
    "fresh": DATA / "paraphrases_fresh.tsv",
}
SAMPLES_DIR = ROOT.parent / "shared" / "corpus-samples"


def encoder_rank(index: ClauseIndex, case: Case) -> int:
    """1-based rank of the first right clause by the encoder's similarity alone (0: none)."""
    sentences = index.sentences
    scores = sentences.scores(sentences.embed(case.query))
    order = np.argsort(-scores, kind="stable")
    right = np.fromiter((is_right(case, index.clauses[int(i)]) for i in order), dtype=bool)
    hits = np.flatnonzero(right)
    return int(hits[0]) + 1 if len(hits) else 0


def measure(index: ClauseIndex, tables: dict[str, Sequence[Case]]) -> list[dict[str, Any]]:
    """One row per table: counts of encoder ranks 1 / ≤3 / ≤10 and briefbot's hit@1."""
    rows = []
    for name, cases in tables.items():
        ranks = [encoder_rank(index, c) for c in cases]
        found = [r for r in ranks if r]
        top = [index.search(c.query, limit=1).hits for c in cases]
        hit1 = sum(bool(h) and is_right(c, h[0].clause) for c, h in zip(cases, top, strict=True))
        rows.append(
            {
                "table": name,
                "paraphrases": len(cases),
                "encoder_first": sum(r == 1 for r in found),
                "encoder_top3": sum(r <= 3 for r in found),
                "encoder_top10": sum(r <= 10 for r in found),
                "briefbot_hit1": hit1,
            }
        )
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as a Markdown table, with a total row."""
    lines = [
        "| table | paraphrases | encoder ranks it 1st | in encoder's top 3 | "
        "in encoder's top 10 | briefbot hit@1 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    keys = ["paraphrases", "encoder_first", "encoder_top3", "encoder_top10", "briefbot_hit1"]
    total = {k: sum(r[k] for r in rows) for k in keys}
    for r in [*rows, {"table": "all", **total}]:
        n = r["paraphrases"]
        cells = [f"{r[k]} ({r[k] / n:.2f})" if n else "0" for k in keys[1:]]
        lines.append(f"| {r['table']} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--cache", type=Path, help="sentence-vector cache (default: a temp dir)")
    args = parser.parse_args(argv)
    if load_encoder() is None:
        print("the sentence encoder is not installed (see requirements-model.txt)", file=sys.stderr)
        return 2
    if not SAMPLES_DIR.is_dir():
        print(f"{SAMPLES_DIR} is missing: the tables are written on those samples", file=sys.stderr)
        return 2
    tables = {
        name: [c for c in load_cases(path) if c.kind == "paraphrase"]
        for name, path in TABLES.items()
    }
    with tempfile.TemporaryDirectory() as tmp:
        corpus = prepare_corpus(
            ROOT / "corpus", SAMPLES_DIR, read_samples(DATA / "samples.tsv"), Path(tmp) / "c"
        )
        index = ClauseIndex.from_documents(load_corpus(corpus).documents)
        index.build_sentences(
            cache_dir=args.cache or Path(tmp) / "cache", seeds=[ROOT / "corpus" / SEED_DIR]
        )
        rows = measure(index, tables)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
