"""How long a process takes to swap in a new corpus version: the bundled corpus plus one
added statement, built as :meth:`bot.services.Services.refresh` builds it.

    python bench/live_rebuild.py [--repeat 5] [--statement FILE]

Prints the median and worst of: the clause index alone, built in one piece or as a
segment on the previous index (:meth:`bot.search.ClauseIndex.with_segment`), a full
snapshot (index + dated items + curation) and a snapshot on the previous one (its index
as the base, its dated items reused: what refresh does).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.library import preview  # noqa: E402
from bot.live import build_snapshot  # noqa: E402
from bot.reading.documents import load_corpus  # noqa: E402
from bot.search import ClauseIndex  # noqa: E402
from bot.services import CURATED_FILE  # noqa: E402

DEFAULT = ROOT / "tests" / "data" / "devset" / "2024-04-15_us-iraq-joint-statement.txt"


def _time(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--statement", type=Path, default=DEFAULT)
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = p.parse_args(argv)
    bundled = load_corpus(args.corpus)
    added = preview(args.statement.read_text("utf-8")).document
    docs = [*bundled.documents, added]
    curated = args.corpus / CURATED_FILE
    previous = build_snapshot(bundled, curated=curated)  # also warms models and caches
    rows = {
        "clause index only": lambda: ClauseIndex.from_documents(docs),
        "clause index as a segment on the previous": lambda: ClauseIndex.with_segment(
            previous.index, [added]
        ),
        "full snapshot": lambda: build_snapshot(bundled, [added], curated=curated),
        "snapshot on the previous one": lambda: build_snapshot(
            bundled, [added], curated=curated, previous=previous
        ),
    }
    clauses = len(build_snapshot(bundled, [added]).index.clauses)
    print(f"bundled corpus + 1 statement: {len(docs)} documents, {clauses} clauses")
    print("| build | median s | worst s |")
    print("|---|---|---|")
    for name, fn in rows.items():
        times = [_time(fn) for _ in range(args.repeat)]
        print(f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
