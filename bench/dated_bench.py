"""Time dated-item extraction per clause on archive statements.

Reads the first ``--docs`` statements (sorted by file name) of the 2021-2022 archive
(front matter and Markdown body read directly, not cleaned, so that the figures do not
move with the cleaning code), cuts them into clauses once, then times
:func:`bot.timeexpr.find_time_expressions` and :func:`bot.commitments.dated_items`
over every clause (best of ``--repeat`` runs) and prints milliseconds per clause::

    python bench/dated_bench.py                      # 300 statements, best of 5
    python bench/dated_bench.py --docs 1000 --repeat 3

The archive is unpacked to ``/tmp/arch`` when it is not there yet.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.commitments import dated_items  # noqa: E402
from bot.reading.clauses import segment  # noqa: E402
from bot.reading.documents import Document  # noqa: E402
from bot.timeexpr import find_time_expressions  # noqa: E402

ARCHIVE = ROOT.parent / "shared" / "archive" / "statements-2021-2022.tar.xz"
UNPACKED = Path("/tmp/arch")


def _statements(limit: int) -> list[Path]:
    folder = UNPACKED / "statements"
    if not folder.is_dir():
        UNPACKED.mkdir(parents=True, exist_ok=True)
        subprocess.run(["tar", "xJf", str(ARCHIVE), "-C", str(UNPACKED)], check=True)
    return sorted(folder.glob("*.md"))[:limit]


def _document(path: Path) -> Document | None:
    """The statement as a document, read directly (front matter date, Markdown body), so
    that the figures do not move with the cleaning code."""
    text = path.read_text("utf-8")
    found = re.search(r"^date: '?(\d{4}-\d{2}-\d{2})", text, re.M)
    if found is None or not text.startswith("---"):
        return None
    body = text.split("---", 2)[2]
    return Document(path.stem, path.stem, date.fromisoformat(found[1]), body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    clauses = []
    for path in _statements(args.docs):
        doc = _document(path)
        if doc is not None:
            clauses.extend((c, doc.date) for c in segment(doc))
    for name, func in (
        ("find_time_expressions", lambda c, d: find_time_expressions(c.text, d)),
        ("dated_items", dated_items),
    ):
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            for clause, anchor in clauses:
                func(clause, anchor)
            best = min(best, time.perf_counter() - started)
        print(
            f"{name:22s} {1000 * best / len(clauses):.4f} ms/clause "
            f"({len(clauses)} clauses of {args.docs} statements, best of {args.repeat})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
