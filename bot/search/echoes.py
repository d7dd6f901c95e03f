"""The statement before its echoes.

Readouts and fact sheets often restate a joint statement: "the leaders reaffirmed
…" word for word, a day later. Ranked on words alone the restatement can come first
and the statement itself lower, or both take a place each. :func:`fold_echoes` puts
the statement's clause first and attaches the echo to it ("also in: <readout>").

An *echo* is a result clause from a readout or fact sheet (:data:`ECHO_KINDS`)
whose text nearly equals (rapidfuzz ``token_set_ratio`` ≥ :data:`ECHO_RATIO`, with
at least :data:`MIN_WORDS` words in the shorter) a clause of a joint statement,
communiqué or declaration (:data:`STATEMENT_KINDS`) that is in the same result list
or, when none is, from a statement dated within :data:`ECHO_DAYS` days of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from bot.kinds import ECHO_KINDS, STATEMENT_KINDS

__all__ = ["ECHO_DAYS", "ECHO_RATIO", "MIN_WORDS", "Group", "echo_view", "fold_echoes"]

#: How near (``token_set_ratio``) an echo's text is to the statement's clause.
ECHO_RATIO = 90.0
#: Words the shorter of the two clauses needs: a short clause is a subset of many.
MIN_WORDS = 6
#: Days between a statement and a readout or fact sheet that restates it.
ECHO_DAYS = 14

#: A ranked result as search assembles it: (clause, score, clauses folded into it).
Group = tuple[int, float, list[int]]


def _same(a: str, b: str) -> bool:
    if min(len(a.split()), len(b.split())) < MIN_WORDS:
        return False
    return fuzz.token_set_ratio(a, b) >= ECHO_RATIO


def fold_echoes(
    groups: Sequence[Group],
    *,
    kind: Callable[[int], str],
    text: Callable[[int], str],
    nearby: Callable[[int], Sequence[int]] | None = None,
) -> list[Group]:
    """``groups`` (best first) with each echo folded into the statement it restates.

    ``kind(clause)`` is the kind of the clause's document, ``text(clause)`` its text
    as matched; ``nearby(clause)`` lists clauses of statements dated near the clause's
    document (searched only when no statement in ``groups`` matches). The statement's
    clause takes the better of the two places and scores; the echo (and whatever was
    folded into it) is attached to it. Groups with no echo keep their order; the
    input is not changed.
    """
    out: list[Group | None] = [(i, s, list(x)) for i, s, x in groups]
    heads_of: dict[int, int] = {}  # clause -> position of the group it heads
    for pos, g in enumerate(out):
        assert g is not None
        heads_of[g[0]] = pos
    for pos in range(len(out)):
        g = out[pos]
        if g is None or kind(g[0]) not in ECHO_KINDS:
            continue
        head, score, extra = g
        own = text(head)
        # 1. A statement clause already folded into it (near-identical): it leads.
        inside = next((c for c in extra if kind(c) in STATEMENT_KINDS), None)
        if inside is not None:
            rest = [c for c in extra if c != inside]
            out[pos] = (inside, score, [head, *rest])
            continue
        # 2. A statement clause heading another result.
        other = next(
            (
                p
                for p, o in enumerate(out)
                if o is not None
                and p != pos
                and kind(o[0]) in STATEMENT_KINDS
                and _same(own, text(o[0]))
            ),
            None,
        )
        if other is not None:
            st_head, st_score, st_extra = out[other]  # type: ignore[misc]
            first = min(pos, other)
            merged = (st_head, max(score, st_score), [*st_extra, head, *extra])
            out[pos] = out[other] = None
            out[first] = merged
            continue
        # 3. A statement dated near it that says the same.
        if nearby is None:
            continue
        found = next((c for c in nearby(head) if c not in heads_of and _same(own, text(c))), None)
        if found is not None:
            out[pos] = (found, score, [head, *extra])
            heads_of[found] = pos
    return [g for g in out if g is not None]


def echo_view(index: Any, mask: np.ndarray | None) -> dict[str, Any]:
    """The ``kind``, ``text`` and ``nearby`` of :func:`fold_echoes` over a
    :class:`bot.search.index.ClauseIndex` (``nearby`` keeps to the clauses ``mask``
    lets through, so a ``kind:`` or ``in:`` filter is never undone)."""
    kinds = index.kinds
    docs = index._docs
    clause_doc = index._clause_doc
    norm = index._norm
    cache: dict[int, np.ndarray] = {}
    statements: list[np.ndarray] = []  # made on the first look for a nearby statement

    def kind(i: int) -> str:
        return kinds.get(docs[int(clause_doc[i])].doc_id, "other")

    def text(i: int) -> str:
        return norm[i]

    def nearby(i: int) -> Sequence[int]:
        k = int(clause_doc[i])
        if k in cache:
            return cache[k].tolist()
        when = docs[k].when
        near = np.zeros(0, dtype=np.int64)
        if when is not None:
            if not statements:
                statements.append(
                    np.array([kinds.get(m.doc_id) in STATEMENT_KINDS for m in docs], dtype=bool)
                )
            dates = index._doc_dates
            ok = statements[0] & (dates > 0) & (np.abs(dates - when.toordinal()) <= ECHO_DAYS)
            ok[k] = False
            if ok.any():
                hit = ok[np.asarray(clause_doc)]
                if mask is not None:
                    hit &= mask
                near = np.flatnonzero(hit)
        cache[k] = near
        return near.tolist()

    return {"kind": kind, "text": text, "nearby": nearby}
