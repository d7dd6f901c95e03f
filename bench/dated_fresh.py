"""Score dated items on fresh sentences a reader annotated (tests/data/dated_fresh.yml).

Each row is one sentence of a real statement with its date and the dated items a
reader would track in it (or none). The sentence is read as a one-sentence
statement of that date by :func:`bot.commitments.extract`; its dated items (a due
date or a start; vague ones are not scored) are compared with the row's::

    python bench/dated_fresh.py            # recall and wrong dates, per split
    python bench/dated_fresh.py --verbose  # plus every miss and wrong date (tuned rows)
    python bench/dated_fresh.py --verbose --held-out   # held-out rows listed too

A wrong date is an item found with another due date (or start, when the row gives
one) than the reader's, or a dated item the reader would not list at all ("for the
first time in 50 years" due 2074).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.commitments import Commitment, extract  # noqa: E402
from bot.reading.documents import Document  # noqa: E402

TABLE = ROOT / "tests" / "data" / "dated_fresh.yml"
SPLITS = ("tuned", "held-out")
_UNSET = object()


@dataclass
class Score:
    """Figures of one set of rows."""

    rows: int = 0
    positives: int = 0
    found: int = 0
    misses: list[str] = field(default_factory=list)
    misdated: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0

    @property
    def wrong_dates(self) -> list[str]:
        return self.misdated + self.spurious

    def line(self, name: str) -> str:
        return (
            f"{name:9s} rows {self.rows:3d}  recall {self.recall:.3f} "
            f"({self.found}/{self.positives})  wrong dates {len(self.wrong_dates)} "
            f"({len(self.misdated)} misdated, {len(self.spurious)} not dated items)"
        )


def load_table(path: Path = TABLE) -> list[dict[str, Any]]:
    rows = yaml.safe_load(path.read_text("utf-8"))
    for row in rows:
        row["sentence"] = " ".join(str(row["sentence"]).split())
        row["items"] = row.get("items") or []
    return rows


def _iso(value: date | None) -> str:
    return value.isoformat() if value else "-"


def _overlaps(item: Commitment, expression: str) -> bool:
    """The item's phrase and the expected one overlap where they occur in the clause."""
    text = item.text
    expected = [m.start() for m in re.finditer(re.escape(expression), text)]
    found = [m.start() for m in re.finditer(re.escape(item.expression), text)]
    if not expected or not found:
        return expression in item.expression or item.expression in expression
    return any(
        a < b + len(expression) and b < a + len(item.expression) for a in found for b in expected
    )


def dated(row: dict[str, Any]) -> list[Commitment]:
    """The dated items briefbot extracts from the row's sentence."""
    doc = Document(f"{row['date']}_{row['id']}", "Fresh", row["date"], row["sentence"] + "\n")
    return [c for c in extract(doc) if c.due is not None or c.start is not None]


def score_row(row: dict[str, Any], score: Score) -> None:
    score.rows += 1
    items = dated(row)
    used: set[int] = set()
    for want in row["items"]:
        score.positives += 1
        where = f"{row['id']} {want['expression']!r}"
        index = next(
            (i for i, c in enumerate(items) if i not in used and _overlaps(c, want["expression"])),
            None,
        )
        if index is None:
            score.misses.append(f"{where} (due {_iso(want.get('due'))})")
            continue
        used.add(index)
        score.found += 1
        got = items[index]
        start = want.get("start", _UNSET)
        if got.due != want.get("due") or (start is not _UNSET and got.start != start):
            score.misdated.append(
                f"{where}: {got.expression!r} start {_iso(got.start)} due {_iso(got.due)}, "
                f"expected start {'any' if start is _UNSET else _iso(start)} "  # type: ignore[arg-type]
                f"due {_iso(want.get('due'))}"
            )
    for i, got in enumerate(items):
        if i not in used:
            score.spurious.append(
                f"{row['id']} {got.expression!r} start {_iso(got.start)} due {_iso(got.due)}"
            )


def evaluate(rows: list[dict[str, Any]]) -> dict[str, Score]:
    """Scores per split and for the whole table (key ``"all"``)."""
    scores = {name: Score() for name in (*SPLITS, "all")}
    for row in rows:
        score_row(row, scores[row["split"]])
        score_row(row, scores["all"])
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--held-out", action="store_true", help="list held-out rows too")
    args = parser.parse_args(argv)
    scores = evaluate(load_table())
    for name in (*SPLITS, "all"):
        print(scores[name].line(name))
    if args.verbose:
        for name in SPLITS if args.held_out else ("tuned",):
            score = scores[name]
            for title, lines in (("misses", score.misses), ("wrong dates", score.wrong_dates)):
                print(f"\n{name} {title} ({len(lines)}):")
                for line in lines:
                    print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
