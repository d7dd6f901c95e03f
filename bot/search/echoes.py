"""The statement before its echoes.

Readouts and fact sheets often restate a joint statement: "the leaders reaffirmed
…" word for word, a day later. Ranked on words alone the restatement can come first
and the statement itself lower, or both take a place each. :func:`fold_echoes` puts
the statement's clause first and attaches the echo to it ("also in: <readout>").

An *echo* is a result clause from a readout or fact sheet (:data:`ECHO_KINDS`)
that restates (:func:`restates`) a clause of a joint statement, communiqué or
declaration (:data:`STATEMENT_KINDS`) in the same result list or, when none is,
one from a statement dated within :data:`ECHO_DAYS` days of it.

Measured with the shared archive loaded: ``python bench/echoes_bench.py``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.kinds import ECHO_KINDS, STATEMENT_KINDS

__all__ = [
    "ECHO_DAYS",
    "ECHO_RATIO",
    "LOOK",
    "LOOK_NEARBY",
    "MIN_LENGTH",
    "MIN_SHARED",
    "MIN_WORDS",
    "Group",
    "echo_view",
    "fold_echoes",
    "restates",
]

#: How near (``token_set_ratio``) an echo's text is to the statement's clause.
ECHO_RATIO = 90.0
#: Words the shorter of the two clauses needs: a short clause is a subset of many.
MIN_WORDS = 6
#: The shorter clause's share of the longer one's (distinct) words: token_set_ratio
#: is 100 for any clause whose words all occur in a longer one ("That is not who we
#: are." in a long declaration clause), which is no restatement.
MIN_LENGTH = 0.5
#: Days between a statement and a readout or fact sheet that restates it.
ECHO_DAYS = 14

#: A ranked result as search assembles it: (clause, score, clauses folded into it).
Group = tuple[int, float, list[int]]


#: How many of the first results are looked at as possible echoes (each costs a
#: comparison with the statement clauses among the results) …
LOOK = 20
#: … and how many of them may be echoes of a statement found outside the results
#: (a comparison with the clauses of statements dated near it).
LOOK_NEARBY = 10
#: Share of the shorter clause's words the two must have in common to be compared
#: (a token_set_ratio of 90 needs far more: this only skips hopeless pairs cheaply).
MIN_SHARED = 0.6


def _words(text: str) -> int:
    return len(text.split())


def _comparable(a: frozenset[str], b: frozenset[str]) -> bool:
    """Cheap checks before the fuzzy one: lengths alike, most words shared."""
    short, long = sorted((len(a), len(b)))
    if short < MIN_WORDS or short < MIN_LENGTH * long:
        return False
    return len(a & b) >= MIN_SHARED * short


def restates(a: str, b: str) -> bool:
    """True when clause texts ``a`` and ``b`` say the same: at least :data:`MIN_WORDS`
    words each, lengths within :data:`MIN_LENGTH`, and rapidfuzz ``token_set_ratio``
    at least :data:`ECHO_RATIO`."""
    wa, wb = frozenset(a.split()), frozenset(b.split())
    return _comparable(wa, wb) and fuzz.token_set_ratio(a, b) >= ECHO_RATIO


def _first_same(
    own: str,
    choices: Mapping[int, str],
    ok: Callable[[int], bool],
    words: Callable[[str], frozenset[str]],
) -> int | None:
    """The first key (in key order) of ``choices`` whose text nearly equals ``own``
    (those sharing too few words are not compared: :data:`MIN_SHARED`)."""
    mine = words(own)
    keep = {k: t for k, t in choices.items() if ok(k) and _comparable(mine, words(t))}
    if not keep:
        return None
    found = process.extract(
        own, keep, scorer=fuzz.token_set_ratio, score_cutoff=ECHO_RATIO, limit=None
    )
    return min((key for _, _, key in found), default=None)


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
    document (searched only when no statement in ``groups`` matches). Only the first
    :data:`LOOK` results are looked at as echoes (:data:`LOOK_NEARBY` for statements
    outside the results), except that a statement clause folded into one as
    near-identical always leads it. The statement's clause takes the better of the two
    places and scores; the echo (and whatever was folded into it) is attached to it.
    Groups with no echo keep their order; the input is not changed.
    """
    out: list[Group | None] = [(i, s, list(x)) for i, s, x in groups]
    if not any(kind(g[0]) in ECHO_KINDS for g in groups):
        return [g for g in out if g is not None]
    texts: dict[int, str] = {}
    word_sets: dict[str, frozenset[str]] = {}

    def get(i: int) -> str:
        if i not in texts:
            texts[i] = text(i)
        return texts[i]

    def words(t: str) -> frozenset[str]:
        if t not in word_sets:
            word_sets[t] = frozenset(t.split())
        return word_sets[t]

    heads = {g[0] for g in groups}
    # Statement clauses heading a result, by position (long enough to compare).
    statement_heads = {
        p: get(g[0])
        for p, g in enumerate(groups)
        if kind(g[0]) in STATEMENT_KINDS and _words(get(g[0])) >= MIN_WORDS
    }
    near_choices: dict[int, tuple[Sequence[int], dict[int, str]]] = {}
    for pos in range(len(out)):
        g = out[pos]
        if g is None or kind(g[0]) not in ECHO_KINDS:
            continue
        head, score, extra = g
        # 1. A statement clause already folded into it (near-identical): it leads.
        inside = next((c for c in extra if kind(c) in STATEMENT_KINDS), None)
        if inside is not None:
            out[pos] = (inside, score, [head, *(c for c in extra if c != inside)])
            if _words(get(inside)) >= MIN_WORDS:
                statement_heads[pos] = get(inside)
            continue
        own = get(head)
        if pos >= LOOK or _words(own) < MIN_WORDS:
            continue
        # 2. A statement clause heading another result.
        other = _first_same(own, statement_heads, lambda p, here=pos: p != here, words)
        if other is not None:
            st_head, st_score, st_extra = out[other]  # type: ignore[misc]
            first = min(pos, other)
            out[pos] = out[other] = None
            out[first] = (st_head, max(score, st_score), [*st_extra, head, *extra])
            statement_heads[first] = statement_heads.pop(other)  # it moved up
            continue
        # 3. A statement dated near it that says the same.
        if nearby is None or pos >= LOOK_NEARBY:
            continue
        clauses = nearby(head)
        cached = near_choices.get(id(clauses))
        if cached is None:
            choices = {c: get(c) for c in clauses if c not in heads}
            choices = {c: t for c, t in choices.items() if _words(t) >= MIN_WORDS}
            cached = near_choices[id(clauses)] = (clauses, choices)
        found = _first_same(own, cached[1], lambda c: c not in heads, words)
        if found is not None:
            out[pos] = (found, score, [head, *extra])
            heads.add(found)
            statement_heads[pos] = cached[1][found]
    return [g for g in out if g is not None]


class _Memo:
    """What stays true of an index between searches: each statement document's long
    clauses (positions, texts, word sets) and each echo clause's nearby candidates."""

    def __init__(self) -> None:
        self.statements: np.ndarray | None = None  # per document: is it a statement?
        self.by_doc: tuple[np.ndarray, np.ndarray] | None = None  # clauses by document
        self.docs: dict[int, tuple[list[int], list[str], list[frozenset[str]]]] = {}
        self.candidates: dict[int, tuple[int, ...]] = {}


_MEMOS: weakref.WeakKeyDictionary[Any, _Memo] = weakref.WeakKeyDictionary()
_MEMO_LOCK = threading.Lock()


def _memo(index: Any) -> _Memo:
    with _MEMO_LOCK:
        memo = _MEMOS.get(index)
        if memo is None:
            memo = _MEMOS[index] = _Memo()
        return memo


def echo_view(index: Any, mask: np.ndarray | None) -> dict[str, Any]:
    """The ``kind``, ``text`` and ``nearby`` of :func:`fold_echoes` over a
    :class:`bot.search.index.ClauseIndex`.

    ``nearby`` lists the clauses of statements dated within :data:`ECHO_DAYS` days that
    share most of the clause's words (the only ones that can nearly equal it), kept to
    the clauses ``mask`` lets through: a ``kind:`` or ``in:`` filter is never undone.
    What it works out is kept for the index's later searches."""
    kinds = index.kinds
    docs = index._docs
    clause_doc = index._clause_doc
    norm = index._norm
    memo = _memo(index)

    def kind(i: int) -> str:
        return kinds.get(docs[int(clause_doc[i])].doc_id, "other")

    def text(i: int) -> str:
        return norm[i]

    def statement_clauses(k: int) -> tuple[list[int], list[str], list[frozenset[str]]]:
        if k not in memo.docs:
            ids, texts, words = [], [], []
            if memo.by_doc is None:
                order = np.argsort(np.asarray(clause_doc), kind="stable")
                cuts = np.searchsorted(np.asarray(clause_doc)[order], np.arange(len(docs) + 1))
                memo.by_doc = (order, cuts)
            order, cuts = memo.by_doc
            for c in order[cuts[k] : cuts[k + 1]].tolist():
                t = norm[c]
                w = t.split()
                if len(w) >= MIN_WORDS:
                    ids.append(c)
                    texts.append(t)
                    words.append(frozenset(w))
            memo.docs[k] = (ids, texts, words)
        return memo.docs[k]

    def candidates(i: int) -> tuple[int, ...]:
        k = int(clause_doc[i])
        when = docs[k].when
        if when is None:
            return ()
        if memo.statements is None:
            memo.statements = np.array(
                [kinds.get(m.doc_id) in STATEMENT_KINDS for m in docs], dtype=bool
            )
        dates = index._doc_dates
        ok = memo.statements & (dates > 0) & (np.abs(dates - when.toordinal()) <= ECHO_DAYS)
        ok[k] = False
        own = frozenset(norm[i].split())
        out: list[int] = []
        for d in np.flatnonzero(ok).tolist():
            ids, _, words = statement_clauses(d)
            out.extend(c for c, w in zip(ids, words, strict=True) if _comparable(own, w))
        return tuple(out)

    def nearby(i: int) -> Sequence[int]:
        found = memo.candidates.get(i)
        if found is None:
            found = memo.candidates[i] = candidates(i)
        if mask is not None:
            return tuple(c for c in found if mask[c])
        return found

    return {"kind": kind, "text": text, "nearby": nearby}
