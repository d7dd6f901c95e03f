"""The statement before its echoes, measured with the shared archive loaded.

Loads the archive (default ``/tmp/arch/statements``, else ``../shared/archive``)
beside the bundled corpus and ``shared/corpus-samples``, then prints:

* how many statements of each kind were loaded (:mod:`bot.kinds`);
* the echo pairs in it: a readout or fact-sheet clause that restates a clause of a
  joint statement, communiqué or declaration dated within 14 days
  (:func:`bot.search.echoes.restates`);
* for each pair, a query made of the echo's own first words (the hard case: the
  words favour the echo): how often the statement's clause comes first, and how
  often the echo takes a separate place in the top 3, with echo folding on and off;
* the folds that look wrong: a shown hit with an echo attached whose text does not
  restate it (a check on :func:`fold_echoes`);
* the time folding adds to a search (p50 / p99 over those queries), the first time
  and again (what it works out about nearby statements is kept for later searches).

Usage: python bench/echoes_bench.py [--archive DIR] [--pairs N] [--words N] [--semantic]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.kinds import ECHO_KINDS, STATEMENT_KINDS, kind_label  # noqa: E402
from bot.reading.documents import Document, load_corpus  # noqa: E402
from bot.search import ClauseIndex  # noqa: E402
from bot.search import index as index_module  # noqa: E402
from bot.search.echoes import ECHO_DAYS, ECHO_RATIO, MIN_LENGTH, MIN_WORDS, restates  # noqa: E402


def _archive_dir() -> Path | None:
    for p in (Path("/tmp/arch/statements"), ROOT.parent / "shared" / "archive"):
        if p.is_dir():
            return p
    return None


def load(dirs: Sequence[Path]) -> list[Document]:
    """Documents from ``dirs`` (a later directory's duplicate id is left out)."""
    docs: dict[str, Document] = {}
    for d in dirs:
        if d.is_dir():
            for doc in load_corpus(d).documents:
                docs.setdefault(doc.doc_id, doc)
    return list(docs.values())


def echo_pairs(index: ClauseIndex) -> list[tuple[int, int]]:
    """(echo clause, statement clause) pairs: readout / fact-sheet clauses nearly equal to
    a clause of a statement dated within ECHO_DAYS days."""
    docs = index._docs
    clause_doc = np.asarray(index._clause_doc)
    kinds = [index.kinds.get(m.doc_id, "other") for m in docs]
    dates = index._doc_dates
    by_doc: dict[int, np.ndarray] = {}
    order = np.argsort(clause_doc, kind="stable")
    cuts = np.searchsorted(clause_doc[order], np.arange(len(docs) + 1))
    for k in range(len(docs)):
        by_doc[k] = order[cuts[k] : cuts[k + 1]]
    statements = [k for k, kind in enumerate(kinds) if kind in STATEMENT_KINDS and dates[k] > 0]
    pairs: list[tuple[int, int]] = []
    for k, kind in enumerate(kinds):
        if kind not in ECHO_KINDS or dates[k] == 0:
            continue
        near = [s for s in statements if abs(int(dates[s]) - int(dates[k])) <= ECHO_DAYS]
        if not near:
            continue
        mine = [int(i) for i in by_doc[k] if len(index._norm[i].split()) >= MIN_WORDS]
        theirs = [
            int(i) for s in near for i in by_doc[s] if len(index._norm[i].split()) >= MIN_WORDS
        ]
        if not mine or not theirs:
            continue
        scores = process.cdist(
            [index._norm[i] for i in mine],
            [index._norm[i] for i in theirs],
            scorer=fuzz.token_set_ratio,
            score_cutoff=ECHO_RATIO,
            workers=1,
        )
        for a, b in zip(*np.nonzero(scores), strict=True):
            if restates(index._norm[mine[a]], index._norm[theirs[b]]):
                pairs.append((mine[a], theirs[b]))
    return pairs


def measure(
    index: ClauseIndex,
    pairs: list[tuple[int, set[int]]],
    words: int,
    fold: str,
) -> tuple[int, int, int, list[float]]:
    """(a statement clause the echo restates first, echo in a separate top-3 place,
    folds that look wrong, fold ms per query)."""
    real, real_view = index_module.fold_echoes, index_module.echo_view
    spent: list[float] = []
    started: list[float] = []

    def view(index: ClauseIndex, mask: object) -> dict:
        started.append(time.perf_counter())
        return real_view(index, mask)

    def timed(groups, **kw):
        out = real(groups, **kw) if fold else list(groups)
        spent.append((time.perf_counter() - started.pop()) * 1000)
        return out

    index_module.fold_echoes, index_module.echo_view = timed, view
    first = separate = wrong = 0
    try:
        for echo, statements in pairs:
            query = " ".join(index.clauses[echo].text.split()[:words])
            result = index.search(query, limit=3)
            ids = [h.clause.clause_id for h in result.hits]
            want = {index.clauses[s].clause_id for s in statements}
            if ids and ids[0] in want:
                first += 1
            if index.clauses[echo].clause_id in ids:
                separate += 1
            for hit in result.hits:
                mine = index._norm[index._by_id[hit.clause.clause_id]]
                for other, kind in zip(hit.also_in, hit.also_kinds, strict=True):
                    theirs = index._norm[index._by_id[other.clause_id]]
                    # near-identical clauses are grouped whatever their kind
                    if kind in ECHO_KINDS and not (
                        restates(mine, theirs) or fuzz.ratio(mine, theirs) >= 95
                    ):
                        wrong += 1
    finally:
        index_module.fold_echoes, index_module.echo_view = real, real_view
    return first, separate, wrong, spent


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=_archive_dir())
    ap.add_argument("--pairs", type=int, default=200, help="echo pairs to query (at most)")
    ap.add_argument("--words", type=int, default=10, help="words of the echo in each query")
    ap.add_argument("--semantic", action="store_true", help="with the word-vector signal")
    args = ap.parse_args(argv)
    dirs = [ROOT / "corpus", ROOT.parent / "shared" / "corpus-samples"]
    if args.archive is not None:
        dirs.append(args.archive)
    t = time.perf_counter()
    docs = load(dirs)
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    index = ClauseIndex.from_documents(docs, semantic=args.semantic)
    built = time.perf_counter() - t
    print(
        f"loaded {len(docs):,} statements ({loaded:.1f} s), {len(index):,} clauses "
        f"indexed ({built:.1f} s); archive: {args.archive}"
    )
    counts = Counter(d.kind for d in docs)
    print("kinds: " + ", ".join(f"{kind_label(k)} {n:,}" for k, n in counts.most_common()))
    pairs = echo_pairs(index)
    echo_docs = {index.clauses[e].doc_id for e, _ in pairs}
    print(
        f"echo pairs (token_set_ratio >= {ECHO_RATIO:.0f}, >= {MIN_WORDS} words, lengths "
        f"within {MIN_LENGTH:.0%}, within {ECHO_DAYS} days): {len(pairs):,} clauses in "
        f"{len(echo_docs):,} readouts/fact sheets"
    )
    partners: dict[int, set[int]] = {}
    for e, s in pairs:  # each echo clause with the statement clauses it restates
        partners.setdefault(e, set()).add(s)
    chosen = list(partners.items())[: args.pairs]
    if not chosen:
        print("no echo pairs to query")
        return 0
    print(f"\nqueries: the first {args.words} words of {len(chosen)} echo clauses")
    print(
        "| folding | statement first | echo takes its own top-3 place | wrong folds "
        "| ms p50 / p99 |"
    )
    print("|---|---|---|---|---|")
    # "on, again": the same queries once more (what a server works out is kept).
    for fold, name in (("", "off"), ("on", "on"), ("on", "on, again")):
        first, separate, wrong, spent = measure(index, chosen, args.words, fold)
        n = len(chosen)
        ms = f"{np.percentile(spent, 50):.2f} / {np.percentile(spent, 99):.2f}"
        print(
            f"| {name} | {first}/{n} ({first / n:.2f}) "
            f"| {separate}/{n} ({separate / n:.2f}) | {wrong} | {ms} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
