"""What a process start costs on a real archive, cold and with its derived data kept.

Loads a corpus directory (default: the 3,366 statements of ../shared/archive,
unpacked to a temporary directory) and builds the served snapshot (search index and
dated items), each twice in a fresh cache directory: *cold* (nothing kept) and *warm*
(as a restarted process finds it), and prints each step's seconds::

    python bench/restart_bench.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot.live  # noqa: E402
from bot.live import build_snapshot  # noqa: E402
from bot.reading.documents import load_corpus  # noqa: E402

ARCHIVE = ROOT.parent / "shared" / "archive" / "statements-2021-2022.tar.xz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="a corpus directory (default: the archive)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        corpus_dir = args.corpus
        if corpus_dir is None:
            if not ARCHIVE.exists():
                print(f"no archive at {ARCHIVE}", file=sys.stderr)
                return 2
            with tarfile.open(ARCHIVE) as tar:
                tar.extractall(tmp, filter="data")
            corpus_dir = Path(tmp) / "statements"
        cache = Path(tmp) / "cache"
        loads = []
        for _ in range(2):  # cold (every file read and cleaned), then as a restart finds it
            started = time.perf_counter()
            corpus = load_corpus(corpus_dir, cache_dir=cache)
            loads.append(time.perf_counter() - started)
        clauses = 0
        read: list[str] = []
        real = bot.live.extract

        def counting(doc, clauses=None):
            read.append(doc.doc_id)
            return real(doc, clauses)

        bot.live.extract = counting
        print(
            f"statements: {len(corpus.documents)}; load the corpus directory: "
            f"{loads[0]:.1f} s cold, {loads[1]:.1f} s warm"
        )
        for label in ("cold (nothing kept)", "warm (a restart)"):
            read.clear()
            started = time.perf_counter()
            snapshot = build_snapshot(corpus, index_cache=cache)
            took = time.perf_counter() - started
            clauses = len(snapshot.index)
            print(
                f"{label:>20}: {took:6.1f} s  ({clauses} clauses, "
                f"{len(snapshot.commitments)} dated items, {len(read)} statements read for dates)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
