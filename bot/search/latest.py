"""The latest word on a topic: a question about how things stand now ("when does the
truce expire?", "is the target still 2030?") is answered from the latest statement
that says it, not from an earlier one it restated or extended.

The ranker scores clauses one by one; it cannot know that a later statement
supersedes an earlier one. This step looks at the good matches together: when the
question asks about the present, and a later statement among them says much the same
thing as the best one (the same subject in other words: "extend the suspension ... for
another 90 days" after "suspend ... for an initial period of 90 days"), the latest
comes first and the answer says which statement it follows, with the topic for a
timeline of all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

__all__ = ["LatestWord", "asks_about_now", "latest_first"]

#: "when does / do / will / is", "until when", "is … still", "currently", "now", "as of".
_NOW = re.compile(
    r"\b(?:when\s+(?:does|do|will|is|are|would)|until\s+when|how\s+long\s+(?:does|will|is)|"
    r"(?:is|are|does|do)\b.*\bstill|currently|current|right\s+now|as\s+of\s+now|now|"
    r"still\s+in\s+(?:force|place|effect))\b",
    re.IGNORECASE,
)
#: A year or a month-and-year in the question pins it to that time: not "now".
_PINNED = re.compile(r"\b(?:1[89]|20)\d\d\b")
#: How alike two clauses' words must be (rapidfuzz token_set_ratio of their normalised
#: texts) to count as the same thing said again.
SAME_TOPIC = 55.0
#: How good (a share of the best score) a later clause must be to come first.
CLOSE_ENOUGH = 0.5
#: How far down the good matches to look.
LOOK = 8


@dataclass(frozen=True)
class LatestWord:
    """A later statement's clause moved first: which earlier clause it follows."""

    earlier: int  # clause position of the clause that was first
    earlier_date: date
    later_date: date


def asks_about_now(question: str) -> bool:
    """True for a question about the present state of things, not pinned to a year."""
    return bool(_NOW.search(question)) and not _PINNED.search(question)


def latest_first(
    good: Sequence[tuple[int, float, list[int]]],
    norm: Callable[[int], str],
    doc: Callable[[int], tuple[date | None, frozenset[str]]],
) -> tuple[list[tuple[int, float, list[int]]], LatestWord | None]:
    """``good`` (clause, score, folded clauses; best first) with the latest clause on
    the best one's subject moved first, when a later statement of the same parties
    says it; and what was moved (None when the order stands). ``norm`` gives a
    clause's normalised text and ``doc`` its document's date and parties."""
    out = list(good)
    if len(out) < 2:
        return out, None
    top, top_score, _ = out[0]
    top_date, top_parties = doc(top)
    if top_date is None:
        return out, None
    best: tuple[int, date] | None = None
    for pos in range(1, min(len(out), LOOK)):
        i, score, _ = out[pos]
        d, parties = doc(i)
        if d is None or d <= top_date or score < CLOSE_ENOUGH * top_score:
            continue
        if parties != top_parties:  # another group of states says something else
            continue
        if fuzz.token_set_ratio(norm(top), norm(i)) < SAME_TOPIC:
            continue
        if best is None or d > best[1]:
            best = (pos, d)
    if best is None:
        return out, None
    pos, later = best
    moved = out.pop(pos)
    out.insert(0, moved)
    return out, LatestWord(top, top_date, later)
