"""What "next", "when" and "where" questions look for, worked out once per clause.

:func:`clause_flags` marks every clause that looks ahead (names a later year than its
statement, or says something will be held, hosted or met), names a date, or names a
place ("in Geneva", "at the Kremlin"). The expressions below define the flags; the
build only adds shortcuts that never change one (``tests/test_index_cache.py``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

import numpy as np

from bot.timeexpr import FULL_MONTHS

__all__ = ["FORWARD", "MONTH", "PLACE", "YEAR", "clause_flags", "looks_ahead"]

# A clause that looks ahead: names a later year, or says something will be held /
# hosted / met, or looks forward to it.
FORWARD = re.compile(
    r"\b(?:next|upcoming|will (?:be held|host|hold|meet|take place|convene)|"
    r"look(?:s|ing)? forward|to be held)\b",
    re.I,
)
YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
MONTH = re.compile(
    rf"\b(?:{FULL_MONTHS})\b|\b(?:\d+|coming|next|few|several) (?:days|weeks|months|years)\b"
    r"|\b(?:this|next|later this) year\b|\bat an early date\b|\bsoon\b",
    re.I,
)
PLACE = re.compile(rf"\b(?:in|at) (?:the )?(?!(?:{FULL_MONTHS})\b)[A-Z][a-z]+")


def looks_ahead(text: str, year: int | None) -> bool:
    """``text`` names something later than its statement's ``year`` (a later year,
    "will be held", "looking forward")."""
    if FORWARD.search(text):
        return True
    return bool(year and any(int(y) > year for y in YEAR.findall(text)))


# Words every match of these (case-blind) expressions contains, lower case: only the
# clauses that contain one are searched. Characters that match an ASCII letter under
# re.I without lower-casing to it (long s, Kelvin sign, dotless and dotted i) send
# their clauses to the expressions anyway.
_FORWARD_KEYS = ("next", "upcoming", "will ", "look", "to be held")
_MONTH_KEYS = (
    *"january february march april may june july august september october november".split(),
    *"december day week month year soon".split(),
    "early date",
)
_CASE_ODD = re.compile("[\u017f\u212a\u0131\u0130]")
_PLACE_PREFIXES = (re.compile("in (?:the )?[A-Z]"), re.compile("at (?:the )?[A-Z]"))


def _containing(hay: str, bounds: list[int], keys: Sequence[str]) -> np.ndarray:
    """Which texts (``hay[bounds[k]:bounds[k+1]]``) contain one of ``keys``."""
    found = np.zeros(len(bounds) - 1, dtype=bool)
    last = len(bounds) - 1
    for key in keys:
        i = hay.find(key)
        while i != -1:
            k = bisect.bisect_right(bounds, i) - 1
            found[k] = True
            i = hay.find(key, bounds[k + 1]) if k + 1 < last else -1
    return found


def clause_flags(
    texts: Sequence[str], years: Sequence[int] | np.ndarray, chunk: int = 4096
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per text: looks ahead (as :func:`looks_ahead`, ``years[k]`` its statement's year
    or 0), names a date, names a place.

    Texts are joined by newlines a chunk at a time (no expression matches across a
    newline); the expressions run only on texts that contain a word they need."""
    n = len(texts)
    ahead = np.zeros(n, dtype=bool)
    dated = np.zeros(n, dtype=bool)
    place = np.zeros(n, dtype=bool)
    for lo in range(0, n, chunk):
        part = list(texts[lo : lo + chunk])
        bounds = [0]
        for t in part:
            bounds.append(bounds[-1] + len(t) + 1)
        joined = "\n".join(part)
        low = joined.lower()
        if len(low) != len(joined):
            maybe_forward = maybe_month = np.ones(len(part), dtype=bool)
        else:
            maybe_forward = _containing(low, bounds, _FORWARD_KEYS)
            maybe_month = _containing(low, bounds, _MONTH_KEYS)
            if not joined.isascii():
                for m in _CASE_ODD.finditer(joined):
                    k = bisect.bisect_right(bounds, m.start()) - 1
                    maybe_forward[k] = maybe_month[k] = True
        maybe_year = _containing(joined, bounds, ("19", "20"))
        for k in np.flatnonzero(maybe_forward | maybe_year | maybe_month).tolist():
            text = part[k]
            found = YEAR.findall(text) if maybe_year[k] else []
            if maybe_forward[k] and FORWARD.search(text):
                ahead[lo + k] = True
            elif found and (year := int(years[lo + k])):
                ahead[lo + k] = any(int(y) > year for y in found)
            dated[lo + k] = bool(found) or bool(maybe_month[k] and MONTH.search(text))
        # A place needs "in " or "at " (maybe "the ") before a capital: two scans
        # with a literal start (fast), then the expression on those texts only.
        near: set[int] = set()
        for prefix in _PLACE_PREFIXES:
            for m in prefix.finditer(joined):
                near.add(bisect.bisect_right(bounds, m.start()) - 1)
        for k in near:
            if PLACE.search(part[k]):
                place[lo + k] = True
    return ahead, dated, place
