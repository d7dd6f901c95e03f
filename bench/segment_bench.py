"""A base index with one statement added in a segment, against the base alone.

    python bench/segment_bench.py [--keep DIR] [--repeat 20]

Without ``--keep`` the base is the bundled corpus; with it, the served corpus of an
earlier ``bench/archive_bench.py --keep DIR`` run (its database and index cache).
Prints: the time to build the segment (``ClauseIndex.with_segment``), this process's
PSS before and after, the time of ``--repeat`` lexical matches of common words and of
a few searches on the base and on base + segment (medians), and whether the base's
BM25 weights are renormalised when read.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

QUERIES = (
    "what did the united states say about ukraine",
    "climate change cooperation",
    "president meeting with the prime minister",
    "trade and investment",
    "nuclear weapons",
)
WORDS = "united states cooperation security president minister trade"


def memory_mib() -> float:
    """This process's PSS (or RSS where smaps_rollup is missing), MiB."""
    try:
        text = Path("/proc/self/smaps_rollup").read_text()
        found = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
        if found:
            return int(found.group(1)) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="the DIR of a kept archive_bench run")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each timing")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        print("--repeat must be 1 or more", file=sys.stderr)
        return 2
    from bot.search import ClauseIndex
    from bot.search.words import stem

    if args.keep is not None:
        if not (args.keep / "archive.db").is_file():
            print(f"no kept archive_bench run in {args.keep}", file=sys.stderr)
            return 2
        import archive_bench

        from bot.config import Settings
        from bot.services import build_services

        env = archive_bench.bench_env(args.keep, encoder=False)
        base = build_services(Settings.from_env(dict(env))).index
    else:
        from bot.reading.documents import load_corpus

        base = ClauseIndex.from_documents(load_corpus(ROOT / "corpus").documents)
    docs = base.documents
    if not docs:
        print("the base index does not know its documents", file=sys.stderr)
        return 1
    last = docs[-1]
    added = dataclasses.replace(last, doc_id=f"{last.doc_id}-bench", title=f"{last.title} (bench)")
    before = memory_mib()
    started = time.perf_counter()
    merged = ClauseIndex.with_segment(base, [added])
    built = time.perf_counter() - started
    after = memory_mib()
    print(
        f"base: {len(docs)} statements, {len(base)} clauses; segment: 1 statement, "
        f"{len(merged) - len(base)} clauses, built in {built:.2f} s"
    )
    print(f"PSS: {before:.0f} MiB before the segment, {after:.0f} MiB with it")
    lex = merged.lexical
    print(f"base weights renormalised when read: {'yes' if lex._renormalise else 'no'}")
    words = [stem(w) for w in WORDS.split()]
    for name, index in (("base", base), ("base + segment", merged)):
        match = _median(lambda index=index: index.lexical.match(words), args.repeat)
        search = statistics.median(
            _median(lambda q=q, index=index: index.search(q), max(1, args.repeat // 4))
            for q in QUERIES
        )
        print(f"{name}: lexical match {match * 1000:.1f} ms, search {search * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
