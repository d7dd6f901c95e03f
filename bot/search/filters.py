"""Query checks and the filters typed into a query: ``in:``, ``kind:``, ``after:``,
``before:``.

Dates have one meaning everywhere (typed in the query, passed as ``--after`` /
``--before`` on the command line, or as keyword arguments): a date is a *period*
(``2012``, ``2012-06`` or ``2012-06-06``) and both bounds are **inclusive**.
``after:2012`` keeps documents dated on or after 1 January 2012 (all of 2012
included); ``before:2013-06`` keeps documents dated on or before 30 June 2013.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.kinds import KindError, kind_label, parse_kind
from bot.timeexpr import month_end

__all__ = [
    "MAX_QUERY_CHARS",
    "DateRange",
    "ParsedQuery",
    "QueryError",
    "check_query",
    "date_range",
    "describe_kinds",
    "parse_kinds",
    "parse_period",
    "parse_query",
]

MAX_QUERY_CHARS = 500


class QueryError(ValueError):
    """The query cannot be searched (empty, too long, bad filter); the message says why."""


def check_query(query: str) -> str:
    """Validate a query's length and emptiness; returns it stripped."""
    q = query.strip()
    if not q:
        raise QueryError("empty query: type a phrase or keywords, e.g. 'navigation Heixiazi'")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}. "
            "Quote a shorter, distinctive phrase."
        )
    return q


_PERIOD = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def parse_period(value: str | date) -> tuple[date, date]:
    """``'2012'`` / ``'2012-06'`` / ``'2012-06-06'`` (or a date) as its first and last day."""
    if isinstance(value, date):
        return value, value
    m = _PERIOD.fullmatch(value.strip())
    if not m:
        raise QueryError(f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            day = date(y, int(mo), int(d))
            return day, day
        if mo:
            return date(y, int(mo), 1), month_end(y, int(mo))
        return date(y, 1, 1), date(y, 12, 31)
    except ValueError as exc:
        raise QueryError(f"{value!r} is not a valid date ({exc})") from None


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of document dates; ``None`` on a side means open."""

    start: date | None = None
    end: date | None = None

    def __bool__(self) -> bool:
        return self.start is not None or self.end is not None

    def contains(self, day: date | None) -> bool:
        """True when ``day`` lies in the range (an undated document never does)."""
        if not self:
            return True
        if day is None:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def describe(self) -> str:
        """'dated 2012-01-01 to 2013-06-30' (inclusive), '... or later', '... or earlier'."""
        if self.start and self.end:
            return f"dated {self.start.isoformat()} to {self.end.isoformat()}"
        if self.start:
            return f"dated {self.start.isoformat()} or later"
        if self.end:
            return f"dated {self.end.isoformat()} or earlier"
        return "any date"


def date_range(after: str | date | None = None, before: str | date | None = None) -> DateRange:
    """The one date-range parser: ``after`` and ``before`` as periods, both inclusive."""
    start = parse_period(after)[0] if after else None
    end = parse_period(before)[1] if before else None
    if start and end and start > end:
        raise QueryError(
            f"after:{start.isoformat()} is later than before:{end.isoformat()}; "
            "no date is in that range"
        )
    return DateRange(start, end)


@dataclass(frozen=True)
class ParsedQuery:
    """Free text plus the filters typed into it (``in:``, ``kind:``, ``after:``,
    ``before:``).

    ``after`` and ``before`` are inclusive bounds: the first day of the ``after``
    period and the last day of the ``before`` period."""

    text: str
    doc: str | None = None
    after: date | None = None
    before: date | None = None
    #: Kinds of document to keep (:data:`bot.kinds.KINDS`); empty keeps every kind.
    kinds: tuple[str, ...] = ()

    @property
    def dates(self) -> DateRange:
        """The date filter as a range."""
        return DateRange(self.after, self.before)


_FILTER = re.compile(r"(?<!\S)(in|kind|after|before):(\"[^\"]*\"|\S*)", re.I)


def parse_query(text: str) -> ParsedQuery:
    """Split filters out of a typed query.

    ``in:<doc>`` keeps documents whose id starts with, or whose title contains, the
    value (quote several words: ``in:"joint communique"``); ``after:2012`` keeps
    documents dated in 2012 or later; ``before:2013-06`` those dated in June 2013
    or earlier; ``kind:readout`` keeps readouts (``kind:joint``, ``kind:communique``,
    several as ``kind:readout,fact-sheet`` or typed twice; see :func:`parse_kinds`).
    """
    doc = None
    kinds: list[str] = []
    after: str | None = None
    before: str | None = None
    for m in _FILTER.finditer(text):
        key, value = m.group(1).lower(), m.group(2).strip('"')
        if not value:
            example = ", e.g. kind:readout or kind:joint-statement" if key == "kind" else ""
            raise QueryError(f"'{key}:' needs a value{example}")
        if key == "in":
            doc = value
        elif key == "kind":
            kinds.extend(k for k in parse_kinds(value) if k not in kinds)
        elif key == "after":
            after = value
        else:
            before = value
    rng = date_range(after, before)
    rest = " ".join(_FILTER.sub(" ", text).split())
    return ParsedQuery(text=rest, doc=doc, after=rng.start, before=rng.end, kinds=tuple(kinds))


def parse_kinds(value: str) -> tuple[str, ...]:
    """``'readout'`` / ``'joint,fact-sheet'`` as kinds; :class:`QueryError` naming the
    valid kinds for one that is not."""
    out: list[str] = []
    for part in value.split(","):
        if not part.strip():
            continue
        try:
            kind = parse_kind(part)
        except KindError as exc:
            raise QueryError(str(exc)) from None
        if kind not in out:
            out.append(kind)
    if not out:
        raise QueryError("'kind:' needs a value, e.g. kind:readout or kind:joint-statement")
    return tuple(out)


def describe_kinds(kinds: tuple[str, ...]) -> str:
    """'joint statement or readout' (the kinds as people read them)."""
    return " or ".join(kind_label(k) for k in kinds)
