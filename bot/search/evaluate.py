"""Question and paraphrase evaluation: a table of queries with the clause each should find.

Used by ``tests/test_search_questions.py`` (the targets) and ``bench/search_bench.py``
(the figures in the README). A row is ``kind<TAB>query<TAB>doc<TAB>phrase``: the top
hit is right when its document id starts with ``doc`` (``*`` for any) and its text
contains ``phrase`` (case-insensitive; ``all:w1 w2`` — every one of these normalised
words). A ``paraphrase`` counts only when the clause
found shares no content word with the query. A ``nonsense`` row (doc and phrase
``-``) has no answer: it is right when the search finds no good match.

Rows are split once, by a digest of their query (:func:`split_of`): about a third
are ``held`` out, and the ranker (``bench/fit_ranker.py``) is fitted on the rest.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.reading.clean import normalise
from bot.search.words import STOP_WORDS, stem

__all__ = [
    "Case",
    "Report",
    "evaluate",
    "is_right",
    "load_cases",
    "prepare_corpus",
    "shared_words",
    "split_of",
]

#: How many good hits the mean reciprocal rank looks at.
MRR_DEPTH = 10
#: Share of rows held out of the ranker's fit (by a digest of the query).
HELD_SHARE = 0.3


@dataclass(frozen=True)
class Case:
    """One row of the table."""

    kind: str
    query: str
    doc: str
    phrase: str

    def accepts(self, clause: Any) -> bool:
        """True when ``clause`` is an answer this row expects."""
        if self.kind == "nonsense":
            return False
        in_doc = self.doc == "*" or clause.doc_id.startswith(self.doc)
        if self.phrase.startswith("all:"):  # every one of these (normalised) words
            return in_doc and set(self.phrase[4:].split()) <= set(normalise(clause.text).split())
        return in_doc and self.phrase.lower() in clause.text.lower()


@dataclass
class Report:
    """hit@1 per kind, and the misses (query, what came first)."""

    hits: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    # a right clause among the first three good hits
    top3: dict[str, int] = field(default_factory=dict)
    # the first clause shown, good match or weak "closest clause" suggestion
    shown: dict[str, int] = field(default_factory=dict)
    # sum of 1/rank of the first right one among the first MRR_DEPTH good hits
    rr: dict[str, float] = field(default_factory=dict)
    misses: list[tuple[Case, str]] = field(default_factory=list)

    def hit1(self, kind: str) -> float:
        """Share of ``kind`` rows whose first hit is right (a good match, ≥ min score)."""
        return self.hits.get(kind, 0) / max(self.totals.get(kind, 0), 1)

    def top3_share(self, kind: str) -> float:
        """Share of ``kind`` rows with a right clause among the first three good hits."""
        return self.top3.get(kind, 0) / max(self.totals.get(kind, 0), 1)

    def mrr(self, kind: str) -> float:
        """Mean reciprocal rank of the first right hit among the first
        :data:`MRR_DEPTH` good hits (0 for a row with none) of ``kind`` rows."""
        return self.rr.get(kind, 0.0) / max(self.totals.get(kind, 0), 1)

    def shown1(self, kind: str) -> float:
        """Share of ``kind`` rows whose first clause shown is right, counting the weak
        "closest clause" suggestion given when there is no good match."""
        return self.shown.get(kind, 0) / max(self.totals.get(kind, 0), 1)


def load_cases(path: str | Path) -> list[Case]:
    """Rows of a questions table (``#`` lines are comments)."""
    cases = []
    for line in Path(path).read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, query, doc, phrase = line.split("\t")
        cases.append(Case(kind, query, doc, phrase))
    return cases


def split_of(case: Case) -> str:
    """``held`` for about :data:`HELD_SHARE` of the rows (fixed by the query's digest),
    else ``fit``."""
    digest = hashlib.blake2b(case.query.encode(), digest_size=8).digest()
    return "held" if int.from_bytes(digest) % 1000 < HELD_SHARE * 1000 else "fit"


def shared_words(query: str, text: str) -> set[str]:
    """Content words (plural-folded) that the query and the text have in common."""

    def words(s: str) -> set[str]:
        return {stem(w) for w in normalise(s).split() if w not in STOP_WORDS}

    return words(query) & words(text)


def is_right(case: Case, clause: Any) -> bool:
    """True when ``clause`` answers ``case`` (a paraphrase also shares no content word)."""
    if clause is None or not case.accepts(clause):
        return False
    return not (case.kind == "paraphrase" and shared_words(case.query, clause.text))


def evaluate(index: Any, cases: Iterable[Case]) -> Report:
    """Run every case against ``index`` and count first-hit answers, top-3 and the
    reciprocal rank (one search a case: the first three of a longer page are the
    same three)."""
    report = Report()
    for case in cases:
        report.totals[case.kind] = report.totals.get(case.kind, 0) + 1
        result = index.search(case.query, limit=MRR_DEPTH)
        if case.kind == "nonsense":
            # Right when nothing is offered as a good match.
            if not result.hits:
                for counts in (report.hits, report.top3, report.shown):
                    counts[case.kind] = counts.get(case.kind, 0) + 1
            else:
                top = result.hits[0].clause
                report.misses.append((case, f"{top.clause_id}: {top.text[:90]}"))
            continue
        top = result.hits[0].clause if result.hits else None
        first = top or (result.suggestion.clause if result.suggestion else None)

        ok = is_right(case, top)
        if ok:
            report.hits[case.kind] = report.hits.get(case.kind, 0) + 1
        if any(is_right(case, h.clause) for h in result.hits[:3]):
            report.top3[case.kind] = report.top3.get(case.kind, 0) + 1
        rank = next((k for k, h in enumerate(result.hits, 1) if is_right(case, h.clause)), 0)
        if rank:
            report.rr[case.kind] = report.rr.get(case.kind, 0.0) + 1.0 / rank
        if is_right(case, first):
            report.shown[case.kind] = report.shown.get(case.kind, 0) + 1
        else:
            shown = f"{top.clause_id}: {top.text[:90]}" if top else "(no good match)"
            report.misses.append((case, shown))
    return report


def prepare_corpus(
    bundled: Path, samples_dir: Path, samples: Sequence[tuple[str, str]], out: Path
) -> Path:
    """A corpus directory: the bundled statements plus ingested samples (with parties)."""
    from bot.ingest import ingest_file

    out.mkdir(parents=True, exist_ok=True)
    for f in bundled.glob("*.md"):
        if f.name != "README.md":
            shutil.copy(f, out / f.name)
    for name, parties in samples:
        ingest_file(samples_dir / name, out, force=True, parties=parties.split(","))
    return out


def read_samples(path: str | Path) -> list[tuple[str, str]]:
    """(file, parties) rows of ``tests/data/samples.tsv``."""
    rows = []
    for line in Path(path).read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, parties = line.split("\t")
            rows.append((name, parties))
    return rows
