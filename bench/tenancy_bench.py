"""What hiding other workspaces' statements costs a search.

    python bench/tenancy_bench.py [--corpus DIR] [--queries 200] [--hidden 0.1] [--seed 7]

Indexes the statements in ``--corpus`` (default: ``corpus/``), marks a random
``--hidden`` share of the documents as another workspace's, and times the same queries
(6-word phrases of random clauses) through ``ClauseIndex.search`` with no filter, and
with ``exclude_docs`` as :class:`bot.services.TeamIndex` passes it. Single thread,
``time.perf_counter`` per query after one warm-up; prints p50 / p99 / max in ms and
how many hits of hidden documents each run returned (the filtered run must show 0).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.reading.documents import load_corpus  # noqa: E402
from bot.search import ClauseIndex  # noqa: E402


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):7.2f} {p99:7.2f} {ordered[-1]:7.2f}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints a small table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hidden", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    corpus = load_corpus(args.corpus)
    index = ClauseIndex.from_documents(corpus.documents)
    built = time.perf_counter() - started
    rng = random.Random(args.seed)
    doc_ids = [d.doc_id for d in corpus.documents]
    hidden = frozenset(rng.sample(doc_ids, max(1, int(len(doc_ids) * args.hidden))))
    queries = []
    clauses = [c for c in index.clauses if len(c.text.split()) >= 8]
    for c in rng.sample(clauses, min(args.queries, len(clauses))):
        words = c.text.split()
        start = rng.randrange(0, len(words) - 6)
        queries.append(" ".join(words[start : start + 6]))
    index.search(queries[0])  # warm-up
    print(f"corpus: {len(doc_ids)} documents, {len(index.clauses)} clauses, built in {built:.1f} s")
    print(f"hidden: {len(hidden)} documents; queries: {len(queries)}")
    print("run            p50 ms  p99 ms  max ms  hidden hits")
    for name, options in [("no filter", {}), ("exclude_docs", {"exclude_docs": hidden})]:
        times, leaked = [], 0
        for q in queries:
            t = time.perf_counter()
            result = index.search(q, limit=3, **options)
            times.append((time.perf_counter() - t) * 1000)
            leaked += sum(h.clause.doc_id in hidden for h in result.hits)
        print(f"{name:13} {_ms(times)}  {leaked:11d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
