"""Score dated-item extraction against the hand-checked table.

Reads ``tests/data/dated_items.tsv`` (rows written by reading the development set
in ``tests/data/devset/``), runs :func:`bot.commitments.extract` on those
statements and prints recall, precision, wrong dates and kind accuracy::

    python bench/dated_eval.py            # the figures
    python bench/dated_eval.py --verbose  # plus every miss, false alarm and wrong date

Only dated items (a due date or a start) are scored; vague ones ("as soon as
possible") are left out. An extracted item matches a table row when it is in the
same clause and the two phrases overlap there.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.commitments import Commitment, extract  # noqa: E402
from bot.ingest import ingest_file  # noqa: E402
from bot.reading.clauses import Clause, segment  # noqa: E402
from bot.reading.documents import Document, parse_document  # noqa: E402

TABLE = ROOT / "tests" / "data" / "dated_items.tsv"
DEVSET = ROOT / "tests" / "data" / "devset"


@dataclass(frozen=True)
class Row:
    """One hand-checked row: a forward-dated item (kind) or a negative (kind 'none')."""

    doc: str
    clause: str
    expression: str
    kind: str
    due: date | None
    start: date | None
    note: str = ""

    @property
    def positive(self) -> bool:
        return self.kind != "none"


@dataclass
class Result:
    """What one evaluation found."""

    positives: int = 0
    found: int = 0
    extracted: int = 0
    correct_extracted: int = 0
    wrong_dates: list[str] = field(default_factory=list)
    kind_right: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    wrong_kinds: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        return self.correct_extracted / self.extracted if self.extracted else 1.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_right / self.found if self.found else 1.0


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text.strip() else None


def load_table(path: Path = TABLE) -> tuple[list[Row], set[str]]:
    """The rows, and the documents annotated exhaustively."""
    rows: list[Row] = []
    exhaustive: set[str] = set()
    header_seen = False
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("# exhaustive:"):
            exhaustive.update(line.split(":", 1)[1].split())
            continue
        if not line.strip() or line.startswith("#"):
            continue
        if not header_seen:
            header_seen = True  # the column names
            continue
        cells = (line.split("\t") + [""] * 7)[:7]
        doc, clause, expression, kind, due, start, note = cells
        rows.append(Row(doc, clause, expression, kind, _date(due), _date(start), note))
    return rows, exhaustive


def load_devset(directory: Path = DEVSET) -> dict[str, Document]:
    """The development-set statements, ingested as a new user would (``briefbot ingest``)."""
    docs: dict[str, Document] = {}
    with tempfile.TemporaryDirectory() as out:
        for path in sorted(directory.glob("*.txt")):
            target = ingest_file(path, out).target
            doc = parse_document(target.read_text("utf-8"), path.stem + ".md", [])
            if doc is not None:
                docs[doc.doc_id] = doc
    return docs


def clauses_of(doc: Document) -> dict[str, Clause]:
    """Clauses by their id suffix ("p20.4")."""
    return {c.clause_id.split("#", 1)[1]: c for c in segment(doc)}


def _matches(item: Commitment, row: Row) -> bool:
    """Same clause, and the two phrases overlap where they occur in it."""
    if not item.clause_id.endswith("#" + row.clause):
        return False
    b = item.text.find(row.expression)
    starts = [m.start() for m in re.finditer(re.escape(item.expression), item.text)]
    if b < 0 or not starts:
        return row.expression in item.expression or item.expression in row.expression
    return any(a < b + len(row.expression) and b < a + len(item.expression) for a in starts)


def evaluate(rows: list[Row], exhaustive: set[str], docs: dict[str, Document]) -> Result:
    """Score extraction on ``docs`` against ``rows``."""
    result = Result()
    scored_clauses = {(r.doc, r.clause) for r in rows}
    items: list[Commitment] = []
    for doc_id in sorted({r.doc for r in rows} | (exhaustive & set(docs))):
        for item in extract(docs[doc_id]):
            if item.due is None and item.start is None:
                continue  # vague: not scored
            suffix = item.clause_id.split("#", 1)[1]
            if doc_id in exhaustive or (doc_id, suffix) in scored_clauses:
                items.append(item)
    positives = [r for r in rows if r.positive]
    result.positives = len(positives)
    for row in positives:
        match = next((i for i in items if i.doc_id == row.doc and _matches(i, row)), None)
        where = f"{row.doc[:24]} {row.clause} {row.expression!r}"
        if match is None:
            result.misses.append(f"{where} ({row.kind}, due {row.due})")
            continue
        result.found += 1
        if match.due != row.due or (row.start is not None and match.start != row.start):
            result.wrong_dates.append(
                f"{where}: due {match.due} start {match.start}, expected due {row.due}"
                + (f" start {row.start}" if row.start else "")
            )
        kind = getattr(match, "kind", "commitment")
        if kind == row.kind:
            result.kind_right += 1
        else:
            result.wrong_kinds.append(f"{where}: {kind}, expected {row.kind}")
    result.extracted = len(items)
    for item in items:
        if any(r.positive and r.doc == item.doc_id and _matches(item, r) for r in rows):
            result.correct_extracted += 1
        else:
            result.false_alarms.append(
                f"{item.clause_id.split('_', 1)[1][:40]} {item.expression!r} -> {item.due}"
            )
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the figures; ``--verbose`` lists every miss, false alarm and wrong date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    rows, exhaustive = load_table()
    result = evaluate(rows, exhaustive, load_devset())
    negatives = sum(1 for r in rows if not r.positive)
    print(f"rows: {len(rows)} ({result.positives} dated items, {negatives} negatives)")
    print(f"recall:        {result.recall:.3f} ({result.found}/{result.positives})")
    print(
        f"precision:     {result.precision:.3f} "
        f"({result.correct_extracted}/{result.extracted} extracted dated items)"
    )
    print(f"wrong dates:   {len(result.wrong_dates)}")
    print(f"kind accuracy: {result.kind_accuracy:.3f} ({result.kind_right}/{result.found})")
    if args.verbose:
        for title, lines in (
            ("misses", result.misses),
            ("false alarms", result.false_alarms),
            ("wrong dates", result.wrong_dates),
            ("wrong kinds", result.wrong_kinds),
        ):
            print(f"\n{title} ({len(lines)}):")
            for line in lines:
                print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
