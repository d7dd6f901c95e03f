"""How the near-duplicate rule (:mod:`bot.reading.identity`) behaves on a directory of statements.

    mkdir -p /tmp/arch && tar xJf ../shared/archive/statements-2021-2022.tar.xz -C /tmp/arch
    python bench/near_duplicates.py /tmp/arch/statements [--floor 0.5] [--show]

Every file is read as the corpus loader reads it (front matter, raw bodies cleaned).
Every pair of texts that shares a word 5-shingle not found in hundreds of texts is
scored exactly, so the counts do not depend on the sketch index. Prints how many
pairs reach each Jaccard band and what each condition of the rule does to them, then
the pairs the rule merges, and checks that :class:`bot.reading.identity.DuplicateFinder` (the
sketch index the loader and the library use) finds exactly those. ``--show`` also
lists the pairs at or above ``--floor`` that the rule keeps apart, with the reason.

``--perturb`` measures the other side, on the same texts: each statement is given
again the way another route brings it (a heading line, a share widget, re-wrapped
lines, Markdown, HTML paragraphs, all of these at once), cleaned by
:func:`bot.reading.clean.clean_raw` as every route cleans, and looked up among the originals.
It prints, per kind of change, how often the original is found and how often another
statement is (a wrong merge).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.reading.clean import clean_raw  # noqa: E402
from bot.reading.documents import parse_document  # noqa: E402
from bot.reading.identity import (  # noqa: E402
    MIN_OVERLAP,
    SAME_DAYS,
    DuplicateFinder,
    _compare,
    _days,
    _shingles,
    words,
)

BANDS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


def _why_not(cmp) -> str:
    if cmp.days is not None and cmp.days > SAME_DAYS:
        return f"{cmp.days} days apart"
    if cmp.substitutions:
        return f"{cmp.substitutions} substitution(s)"
    return f"{cmp.extra} extra words of {max(cmp.words)}"


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]


PERTURB = {
    "heading line": lambda d: f"Statements and Releases\n\n{d.title}\n\n{d.body}",
    "share widget": lambda d: f"{d.body}\n\nShare on Facebook | Share on Twitter | Email\n",
    "re-wrapped": lambda d: "\n\n".join(textwrap.fill(p, 64) for p in _paragraphs(d.body)),
    "markdown": lambda d: (
        f"# {d.title}\n\n"
        + "\n\n".join(f"**{p}**" if i == 0 else p for i, p in enumerate(_paragraphs(d.body)))
    ),
    "html": lambda d: (
        f"<h1>{d.title}</h1>\n" + "\n".join(f"<p>{p}</p>" for p in _paragraphs(d.body))
    ),
}
PERTURB["all at once"] = lambda d: PERTURB["share widget"](
    type(d)(**{**d.__dict__, "body": PERTURB["markdown"](d)})
).replace(f"# {d.title}", f"Statements and Releases\n\n# {d.title}")


def _perturb(docs: list, merged: set[tuple[int, int]]) -> None:
    finder = DuplicateFinder()
    for n, doc in enumerate(docs):
        finder.add(str(n), doc.body, doc.date)
    same = {n: {n} for n in range(len(docs))}
    for a, b in merged:
        same[a].add(b)
        same[b].add(a)
    print(f"\n{'given again with':18} {'found':>7} {'missed':>7} {'wrong':>6}  (of {len(docs)})")
    for name, change in PERTURB.items():
        found = missed = wrong = 0
        examples = []
        for n, doc in enumerate(docs):
            body = clean_raw(change(doc)).body
            keys = {int(k) for k, _ in finder.matches(body, doc.date)}
            if keys & same[n]:
                found += 1
            else:
                missed += 1
                if len(examples) < 3:
                    examples.append(Path(docs[n].path).name)
            if keys - same[n]:
                wrong += 1
        print(f"{name:18} {found:7} {missed:7} {wrong:6}  {', '.join(examples)[:120]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("directory", type=Path)
    ap.add_argument("--floor", type=float, default=0.5, help="lowest Jaccard listed by --show")
    ap.add_argument("--show", action="store_true", help="list the pairs kept apart too")
    ap.add_argument("--perturb", action="store_true", help="find altered copies too")
    args = ap.parse_args()

    docs = []
    for path in sorted(args.directory.iterdir()):
        if path.suffix.lower() not in (".md", ".txt") or path.name.lower() == "readme.md":
            continue
        doc = parse_document(path.read_text("utf-8"), str(path), [])
        if doc is not None:
            docs.append(doc)
    ws = [words(d.body) for d in docs]
    shingles = [_shingles(w) for w in ws]

    postings: dict[int, list[int]] = {}
    for n, sh in enumerate(shingles):
        for h in sh.tolist():
            postings.setdefault(h, []).append(n)
    pairs: Counter[tuple[int, int]] = Counter()
    for ns in postings.values():
        if len(ns) <= 200:  # in hundreds of texts: boilerplate, cannot make a pair alone
            for i, a in enumerate(ns):
                for b in ns[i + 1 :]:
                    pairs[a, b] += 1
    scored = []
    for a, b in pairs:
        inter = len(np.intersect1d(shingles[a], shingles[b], assume_unique=True))
        if inter / min(len(shingles[a]), len(shingles[b])) < MIN_OVERLAP:
            continue
        cmp = _compare(ws[a], shingles[a], ws[b], shingles[b], _days(docs[a].date, docs[b].date))
        scored.append((cmp, a, b))
    scored.sort(key=lambda t: -t[0].jaccard)

    print(f"{len(docs)} statements in {args.directory}")
    print(
        f"{len(scored)} pairs share at least {MIN_OVERLAP:.0%} of the smaller text's "
        "5-shingles (the others are never the same statement)"
    )
    print(
        f"\n{'Jaccard':12} {'pairs':>6} {'>3 days':>8} {'substit.':>9} {'extra':>6} {'merged':>7}"
    )
    for lo, hi in zip(BANDS, (*BANDS[1:], 1.01), strict=True):
        band = [c for c, _, _ in scored if lo <= c.jaccard < hi]
        far = [c for c in band if c.days is not None and c.days > SAME_DAYS]
        near = [c for c in band if c not in far]
        subst = [c for c in near if c.substitutions]
        rest = [c for c in near if not c.substitutions]
        merged = [c for c in rest if c.same]
        label = f"[{lo:.2f}, {hi:.2f})" if hi <= 1 else "1.00"
        print(
            f"{label:12} {len(band):6} {len(far):8} {len(subst):9} "
            f"{len(rest) - len(merged):6} {len(merged):7}"
        )
    merged = [(c, a, b) for c, a, b in scored if c.same]
    print(f"\nthe rule merges {len(merged)} pairs:")
    for c, a, b in merged:
        print(
            f"  J={c.jaccard:.3f} extra={c.extra:3} days={c.days}  "
            f"{Path(docs[a].path).name}\n{'':31}{Path(docs[b].path).name}"
        )

    finder = DuplicateFinder()
    t0 = time.perf_counter()
    found = set()
    for n, doc in enumerate(docs):
        for key, _ in finder.matches(doc.body, doc.date):
            found.add((int(key), n))
        finder.add(str(n), doc.body, doc.date)
    elapsed = time.perf_counter() - t0
    want = {(a, b) for _, a, b in merged}
    print(
        f"\nDuplicateFinder over all {len(docs)}: {len(found)} pairs in {elapsed:.1f} s; "
        f"missed {len(want - found)}, extra {len(found - want)}"
    )

    if args.perturb:
        _perturb(docs, want)

    if args.show:
        print(f"\npairs with Jaccard >= {args.floor} kept apart:")
        for c, a, b in scored:
            if not c.same and c.jaccard >= args.floor:
                print(
                    f"  J={c.jaccard:.3f} {_why_not(c):28} {Path(docs[a].path).name[:70]}\n"
                    f"{'':40}{Path(docs[b].path).name[:70]}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
