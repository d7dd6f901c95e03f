"""Rule-based detection and normalisation of time expressions in English clauses.

The commitment tracker needs to know *when* a joint statement says something will
happen ("before 2015", "in the first half of 2013", "within six months").  Every
expression is resolved against the document's own date, the *anchor*, so that
relative phrases ("next year", "in the next five years") get absolute windows and
references to the past can be told apart from real commitments.

Design, in short:

* Each rule is one regular expression plus a small handler that turns a match into
  a :class:`TimeExpression` (or rejects it).  Most rules share one optional
  *prefix* ("by", "before", "in", "since", ...) whose meaning is applied in one
  place, :func:`_dated`.
* All rules run over the whole text; overlapping candidates are settled by
  "longest match wins", so "in the first half of 2013" beats the bare "of 2013".
* Any run of whitespace, including a line break or U+00A0, counts as one space:
  the patterns use ``\\s+`` (``\\s`` is Unicode-aware for ``str`` patterns), so
  the reported ``text`` remains a verbatim slice of the input.
* A four-digit number is only read as a year in a date context.  Numbers that name
  documents ("Resolution 2043", "No. 4 of 2025") and quantities ("2000 villages",
  "2020 tonnes") are rejected on purpose.

Counting and calendar conventions (one rule each, applied everywhere):

* Periods.  A period of N days (weeks, months, years) starting on day D ends on
  D + N: the start day counts as day 1, the period covers D .. D + N - 1 and runs
  out on D + N, which is the date the parties' own orders give as its end ("an
  additional period of 90 days, starting on August 12, 2025" runs "until 12:01
  a.m. ... on November 10, 2025", so ``due`` is 2025-11-10).  Weeks are 7 days;
  months and years are calendar months (Aug 31 + 6 months = Feb 28/29).  A period
  with a stated start ("for 90 days, starting on ...", "for a continuous period of
  30 days beginning June 24, 2021") is one expression whose ``start`` is that day,
  never a duration counted from the document plus a separate start.  Without a
  stated start it is counted from the document's date ("within six months").  A
  period counted from an event the text does not date ("within 100 days of a
  future pandemic threat being identified", "for 30 days from the start of the
  incident period") has no date and is not reported.
* Durations that look back are past, never due dates: "for the first time in 50
  years", "the lowest level in over 52 years", "the first such exchange in four
  years", "over the past 30 years", "has been a partner for 75 years".  "Over 60
  years of joint activities" is a quantity and not an expression at all.
* Seasons are the northern meteorological ones: spring March-May, summer
  June-August, fall/autumn September-November (so "by fall of 2025" is due
  2025-11-30), winter December-February (of the next year).  A season without a
  year ("by summer") is the next one that has not ended at the document's date.
  "early" is January-April, "mid" June, "late" September-December.
* "this year", "later this year", "by the end of (this|the) year" are the
  document's year, due 31 December.
* Fiscal years are the country's: Japan's runs April-March and is named after the
  year it starts in (JFY 2027 = 2027-04-01 .. 2028-03-31); the United States'
  runs October-September and is named after the year it ends in (FY 2024 =
  2023-10-01 .. 2024-09-30).  The country is the one named in the expression
  ("Japanese Fiscal Year (JFY) 2027", "U.S. fiscal year") or, failing that, the
  nearest one named around it in the same text (Japan/Japanese, or U.S./United
  States/American/federal/Congress and US federal agencies such as EPA, USAID or
  DFC).  The name of a budget ("the FY 2023 Budget Request") is not a date.  An
  unknown fiscal year is read as the calendar year (FY 2026 = 2026-01-01 ..
  2026-12-31).  "this/next fiscal year" is resolved the same way from the
  document's date.

Only the standard library is used.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

__all__ = ["TimeExpression", "find_time_expressions", "forward_expressions", "month_end"]

FUTURE_REF = "FUTURE_REF"


@dataclass(frozen=True)
class TimeExpression:
    """One time expression found in a text.

    Attributes:
        text: The phrase exactly as written; always ``source[start_char:end_char]``.
        start_char: Offset of the first character in the source text.
        end_char: Offset just past the last character.
        value: TIMEX3-style value: ``"2013"``, ``"2013-H1"``, ``"2013-Q2"``,
            ``"2013-05"``, ``"2015-05-14"``, ``"2013/2016"`` for a range, ``"P5Y"``,
            ``"P6M"``, ``"P90D"`` for durations, ``"FUTURE_REF"`` for vague ones.
        start: First day of the window; ``None`` when open-ended or vague.
        due: Last day by which it must happen; ``None`` for vague expressions.
        kind: ``"deadline"``, ``"during"``, ``"range"``, ``"duration"``, ``"start"``
            (only a start: "starting in 2025") or ``"vague"``.
        past: Whether it refers to the past relative to the anchor.
    """

    text: str
    start_char: int
    end_char: int
    value: str
    start: date | None
    due: date | None
    kind: str
    past: bool


# --------------------------------------------------------------------------------------
# Regular-expression building blocks
# --------------------------------------------------------------------------------------

# A year is a 4-digit number in 1900..2100 that is not glued to other digits,
# letters, currency signs or decimal separators ("$2013", "12013", "1.2013").
_YEAR = r"(?<![\w$€£¥.,/])(?:19\d{2}|20\d{2}|2100)"

# What may not follow a year: more digits ("2013.5", "2,013,000")...
_DIGIT_TAIL = r"(?!\d|[.,]\d)"
# ...a unit, which makes it a quantity ("2000 km", "2020 percent")...
_UNIT_TAIL = (
    r"(?!\s*(?:%|per\s*cent\b|percent(?:age)?\b|million\b|billion\b|trillion\b|thousand\b"
    r"|hundred\b|km\b|kg\b|[kmgt]wh?\b|mt\b|bcm\b|usd\b|rmb\b|yuan\b|dollars?\b|euros?\b))"
)
# ...or a lower-case plural noun ("in 2000 villages", "for 2050 students").  The
# handful of common words ending in "s" that can follow a year are allowed.
_PLURAL_TAIL = (
    r"(?-i:(?!\s+(?!(?:was|is|has|as|this|thus|its|his|plus|towards|versus|whereas)\b)"
    r"[a-z]{1,40}s\b))"
)
_YEAR_TAIL = _DIGIT_TAIL + _UNIT_TAIL + _PLURAL_TAIL

_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# Spelled out rather than taken from calendar.month_name, which follows the locale.
#: The month names as one regular-expression alternation (case matters: use it inside
#: ``(?-i:...)`` under re.I where "May" must not match "may").
FULL_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
# Month names are case-sensitive so that the modal "may" and the verb "march"
# are never read as months.
_MONTH = (
    rf"(?-i:(?P<mon>(?:{FULL_MONTHS})\b"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?))"
)
_MONTH_FULL = rf"(?-i:(?P<mon>(?:{FULL_MONTHS})\b))"
_DAY = r"(?<![\w./-])(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"

# "this year", "next year", ... used inside half-year and quarter expressions.
_YEAR_OR_REL = rf"(?:(?P<y>{_YEAR}){_DIGIT_TAIL}|(?P<rel>this|next|last|the\s+current)\s+year\b)"

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "ninety": 90, "a": 1, "an": 1,
}  # fmt: skip
_NUMBER_ALTERNATIVES = "|".join(
    sorted((w for w in _NUMBER_WORDS if w not in ("a", "an")), key=len, reverse=True)
)
_NUMBER = rf"(?P<n>(?<![\d.,])\d{{1,3}}(?![\d.,]\d)|(?:{_NUMBER_ALTERNATIVES})\b)"
# "within a year", "for an initial period of ..."
_NUMBER_OR_A = _NUMBER.replace("(?P<n>", r"(?P<n>an?\b|", 1)
_UNIT = r"(?P<u>days?|weeks?|months?|years?|decades?)\b"

# The optional word(s) before a date.  Each alternative carries its own trailing
# separator so that "by end-2022" works as well as "by the end of 2022".  Longer
# alternatives come first because regex alternation is ordered.
_PREFIX = (
    r"(?P<pre>(?:(?:by|at|before|until)\s+)?(?:the\s+)?end(?:\s+of\s+|-)"
    r"|(?:no|not)\s+later\s+than\s+"
    r"|prior\s+to\s+|ahead\s+of\s+|before\s+"
    r"|(?:ever\s+)?since\s+"
    r"|(?:starting|beginning|commencing)(?:\s+(?:in|from|on))?\s+"
    r"|(?:preferably\s+)?by\s+|until\s+|till\s+|through\s+to\s+|through\s+|up\s+to\s+"
    r"|in\s+|during\s+|within\s+|throughout\s+|for\s+|on\s+|from\s+)"
)
_OPT_PREFIX = rf"(?:\b{_PREFIX})?"
_REQ_PREFIX = rf"\b{_PREFIX}"

# The country before "fiscal year": "Japanese Fiscal Year", "the U.S. fiscal year".
_FY_COUNTRY = r"(?-i:Japan(?:ese|['’]s)?|U\.\s?S\.|USA?|United\s+States['’]?|American|[Ff]ederal)"

_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"
# A bare year followed by a noun phrase that ends in "year", possibly quoted:
# the 2013 "Chinese tourism year".  Up to four words may intervene, none of them a
# determiner or preposition, so "2043 this year" or "2015 marks the year" do not count.
# Word length is bounded so that a long run like "2013-2013-2013-..." cannot make
# the look-ahead backtrack over the whole text at every position.
_YEAR_NOUN_AHEAD = (
    rf"(?=[\s{_QUOTES}]*"
    r"(?:(?!(?:this|next|last|that|the|an?|per|each|every|of|in)\b)"
    rf"[\w-]{{1,40}}[\s{_QUOTES}]+){{0,4}}"
    r"years?\b)"
)

# Names of documents that are followed by a number: "Resolution 2043",
# "Executive Order 14257", "No. 4 of 2025".  Such numbers are never years.
_DESIGNATION = (
    r"(?:resolution|order|no|nos|nr|number|article|art|paragraph|para|unscr|decree|law|act"
    r"|decision|directive|regulation|circular|section|rule|chapter|annex|document|doc"
    r"|announcement|notice)"
)
_DESIGNATION_BEFORE = re.compile(rf"\b{_DESIGNATION}\.?\s*$", re.IGNORECASE)
# "... No. 4 of 2025": the year after "of" is part of the document's name.
_DESIGNATION_OF = re.compile(rf"\b{_DESIGNATION}\.?\s*[\w./-]*\d[\w./-]*\s*$", re.IGNORECASE)


# --------------------------------------------------------------------------------------
# Windows and calendar arithmetic
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    start: date
    end: date
    value: str


def _year_window(year: int) -> _Window:
    return _Window(date(year, 1, 1), date(year, 12, 31), str(year))


def _half_window(year: int, half: int) -> _Window:
    if half == 1:
        return _Window(date(year, 1, 1), date(year, 6, 30), f"{year}-H1")
    return _Window(date(year, 7, 1), date(year, 12, 31), f"{year}-H2")


def _quarter_window(year: int, quarter: int) -> _Window:
    first_month = 3 * quarter - 2
    return _Window(
        date(year, first_month, 1),
        month_end(year, first_month + 2),
        f"{year}-Q{quarter}",
    )


def _month_window(year: int, month: int) -> _Window:
    return _Window(date(year, month, 1), month_end(year, month), f"{year}-{month:02d}")


def _day_window(day: date) -> _Window:
    return _Window(day, day, day.isoformat())


def month_end(year: int, month: int) -> date:
    """The last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    """Calendar month arithmetic; the day is clamped (Aug 31 + 6 months = Feb 28/29)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _shift(day: date, amount: int, unit: str) -> date:
    """``day`` moved by ``amount`` units (negative moves back); days and weeks are exact."""
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return day + timedelta(days=amount)
    if unit == "week":
        return day + timedelta(weeks=amount)
    months = {"month": 1, "year": 12, "decade": 120}[unit]
    return _add_months(day, amount * months)


def _duration_value(amount: int, unit: str) -> str:
    unit = unit.lower().rstrip("s")
    if unit == "decade":
        return f"P{amount * 10}Y"
    return f"P{amount}{unit[0].upper()}"


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.lower()]


def _month_number(name: str) -> int:
    return _MONTH_NUMBERS[name[:3].lower()]


def _relative_year(rel: str, anchor: date) -> int:
    rel = rel.lower()
    if rel.startswith("next"):
        return anchor.year + 1
    if rel.startswith("last"):
        return anchor.year - 1
    return anchor.year  # "this", "the current"


# --------------------------------------------------------------------------------------
# Past references
# --------------------------------------------------------------------------------------

# A past-tense verb right before the expression: "which started in 2011", "was held
# in 2011".  The passive future "will be held in 2013" / "to be held in 2013" has
# "be" in front of the participle and is therefore not past.
_PAST_VERB_BEFORE = re.compile(
    r"(?:\b(?P<aux>[a-z]+)\s+)?\b(?:started|began|begun|launched|held|hosted|took\s+place"
    r"|signed|adopted|established|founded|concluded|met|visited|served|happened|occurred"
    r"|was|were|had|ended|expired)\s+$",
    re.IGNORECASE,
)
# "from 2011 to 2012 when China served the presidency", "in 2011, ten years ago".
_PAST_AFTER = re.compile(
    r"^[\s,]*(?:when\s+(?:[\w'’-]+\s+){0,4}?(?:served|was|were|held|had|hosted|chaired|took)\b"
    r"|(?:[\w-]+\s+){1,2}ago\b)",
    re.IGNORECASE,
)


def _marked_past(source: str, start: int, end: int) -> bool:
    """Whether the words around ``source[start:end]`` put it in the past.

    Deliberately small: an adjacent past-tense verb before it, or "when ... served"
    / "... ago" right after it.  Dates alone settle most cases; this only catches
    windows that are still open at the anchor but which the sentence narrates as
    history.  "since" and "last"/"past" are handled by the rules themselves.
    """
    before = _PAST_VERB_BEFORE.search(source, max(0, start - 60), start)
    if before and (before["aux"] or "").lower() != "be":
        return True
    return _PAST_AFTER.match(source[end : end + 100]) is not None


# --------------------------------------------------------------------------------------
# Building expressions
# --------------------------------------------------------------------------------------


def _make(
    source: str,
    span: tuple[int, int],
    anchor: date,
    value: str,
    start: date | None,
    due: date | None,
    kind: str,
    force_past: bool = False,
) -> TimeExpression:
    """Assemble a dated expression and decide whether it is past."""
    begin, end = span
    last = due if due is not None else start
    past = force_past or (last is not None and last < anchor) or _marked_past(source, begin, end)
    return TimeExpression(source[begin:end], begin, end, value, start, due, kind, past)


def _prefix_role(prefix: str | None) -> str:
    """Map the prefix word(s) to "by", "before", "since" or "during"."""
    words = " ".join((prefix or "").lower().replace("-", " ").split())
    words = words.removeprefix("preferably ")  # "preferably by 2050": still a deadline
    first = words.split()[0] if words else ""
    if "end" in words.split() or words.startswith(("by", "no later", "not later")):
        return "by"
    if first in ("until", "till", "through") or words.startswith("up to"):
        return "by"
    if words.startswith(("before", "prior", "ahead")):
        return "before"
    if "since" in words:
        return "since"
    if words.startswith(("starting", "beginning", "commencing")):
        return "start"
    return "during"


def _dated(
    source: str,
    match: re.Match[str],
    anchor: date,
    window: _Window,
    *,
    window_kind: str = "during",
    span: tuple[int, int] | None = None,
    force_past: bool = False,
) -> TimeExpression:
    """Apply the match's prefix to a window.

    by / no later than / until / (by) the end of -> deadline, due = last day
    before / prior to                           -> deadline, due = the day before it starts
    since                                       -> the window itself, always past
    starting in / beginning in                  -> a start only (no due date)
    in / during / none                          -> ``window_kind`` over the window
    """
    role = _prefix_role(match.groupdict().get("pre"))
    start: date | None
    if role == "by":
        kind, start, due = "deadline", None, window.end
    elif role == "before":
        kind, start, due = "deadline", None, window.start - timedelta(days=1)
    elif role == "start":
        # "starting in 2025" says when it begins, not by when it is done.
        kind, start, due = "start", window.start, None
    else:
        kind, start, due = window_kind, window.start, window.end
    return _make(
        source,
        span or match.span(),
        anchor,
        window.value,
        start,
        due,
        kind,
        force_past=force_past or role == "since",
    )


def _resolve_yearless_month(month: int, day: int | None, anchor: date, back: bool) -> date:
    """First day of the month (or the day) meant by "by March" / "since 14 May".

    Forward by default (the next occurrence that has not ended at the anchor); the
    most recent occurrence when ``back`` (the phrase looks backwards).
    """
    year = anchor.year
    if back:
        if (month, day or 1) > (anchor.month, anchor.day):
            year -= 1
    elif (month, day or calendar.monthrange(year, month)[1]) < (anchor.month, anchor.day):
        year += 1
    return date(year, month, day or 1)


# --------------------------------------------------------------------------------------
# Rule handlers
# --------------------------------------------------------------------------------------

Handler = Callable[[re.Match[str], str, date], TimeExpression | None]


def _h_year(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    return _dated(source, m, anchor, _year_window(int(m["y"])))


def _h_year_noun(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """The 2013 "Chinese tourism year": the expression is the year alone."""
    return _dated(source, m, anchor, _year_window(int(m["y"])))


def _h_of_year(m: re.Match[str], source: str, anchor: date) -> TimeExpression | None:
    """A year after "of": "of" is only context, so the expression is the year alone.

    "No. 4 of 2025" is the name of a document, not a date, and is skipped.
    """
    if _DESIGNATION_OF.search(source, max(0, m.start() - 60), m.start()):
        return None
    return _dated(source, m, anchor, _year_window(int(m["y"])), span=m.span("y"))


# Part of a year, with TIMEX3-like values. Seasons are the northern meteorological ones
# (most of our statements' parties); "the middle" is June.
_PART_WINDOWS: dict[str, tuple[tuple[int, int], tuple[int, int], str]] = {
    "beginning": ((1, 1), (1, 31), "START"),
    "start": ((1, 1), (1, 31), "START"),
    "early": ((1, 1), (4, 30), "EARLY"),
    "middle": ((6, 1), (6, 30), "MID"),
    "mid": ((6, 1), (6, 30), "MID"),
    "late": ((9, 1), (12, 31), "LATE"),
    "spring": ((3, 1), (5, 31), "SP"),
    "summer": ((6, 1), (8, 31), "SU"),
    "autumn": ((9, 1), (11, 30), "FA"),
    "fall": ((9, 1), (11, 30), "FA"),
}


def _part_window(year: int, part: str) -> _Window:
    """The window of a part of ``year``; winter runs from December into the next year."""
    if part == "winter":
        return _Window(date(year, 12, 1), month_end(year + 1, 2), f"{year}-WI")
    (m1, d1), (m2, d2), tag = _PART_WINDOWS[part]
    return _Window(date(year, m1, d1), date(year, m2, d2), f"{year}-{tag}")


def _h_part_of_year(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "by the beginning of 2014", "in mid-2013", "in the spring of 2013"."""
    part = m["part"].lower()
    groups = m.groupdict()
    year = int(groups["y"]) if groups.get("y") else _relative_year(groups["rel"], anchor)
    return _dated(source, m, anchor, _part_window(year, part))


def _h_bare_season(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "by summer", "before the fall": the next such season that has not ended at the
    anchor (the last one that has begun when the sentence looks back)."""
    part = m["part"].lower()
    back = _marked_past(source, m.start(), m.end())
    windows = [_part_window(year, part) for year in range(anchor.year - 1, anchor.year + 2)]
    if back:
        window = [w for w in windows if w.start <= anchor][-1]
    else:
        window = next(w for w in windows if w.end >= anchor)
    return _dated(source, m, anchor, window, force_past=back)


def _h_iso_day(m: re.Match[str], source: str, anchor: date) -> TimeExpression | None:
    try:
        day = date(int(m["y"]), int(m["mo"]), int(m["d"]))
    except ValueError:
        return None  # "2013-02-30": not a date
    return _dated(source, m, anchor, _day_window(day))


def _h_range(m: re.Match[str], source: str, anchor: date) -> TimeExpression | None:
    first = int(m["y1"])
    last_text = m["y2"]
    # "2021-25" abbreviates the second year.
    last = int(last_text) if len(last_text) == 4 else first // 100 * 100 + int(last_text)
    if not first < last <= first + 50:
        return None  # "2025-05" (an ISO month) or nonsense
    window = _Window(date(first, 1, 1), date(last, 12, 31), f"{first}/{last}")
    return _make(source, m.span(), anchor, window.value, window.start, window.end, "range")


def _h_half(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    half = m["h"].lower()
    number = 1 if half in ("first", "1st", "1") else 2
    year = int(m["y"]) if m["y"] else _relative_year(m["rel"], anchor)
    return _dated(source, m, anchor, _half_window(year, number))


#: Capitalised words that make "<Word> 2030" a name rather than an event of that year.
_NOT_EVENT_NAMES = frozenset(
    "vision agenda strategy horizon plan order resolution act law declaration convention "
    "treaty accord agreement charter framework roadmap report statement initiative "
    "january february march april may june july august september october november december "
    "spring summer autumn fall winter early late mid end".split()
)
_EVENT_OR_GOAL_NOUN = (
    r"(?:targets?|goals?|NDCs?|nationally\s+determined\s+contributions|summit|conference"
    r"|meetings?|forum|dialogue|exercises?|games|expo|presidency|chair(?:manship)?|elections?"
    r"|gathering|session|ministerial|workshop|olympics|world\s+cup|review)\b"
)

_QUARTER_NUMBERS = {
    "first": 1, "1st": 1, "1": 1, "second": 2, "2nd": 2, "2": 2, "third": 3, "3rd": 3, "3": 3,
    "fourth": 4, "4th": 4, "4": 4, "last": 4, "final": 4,
}  # fmt: skip


def _h_quarter(m: re.Match[str], source: str, anchor: date) -> TimeExpression | None:
    ordinal = m["q"].lower()
    quarter = _QUARTER_NUMBERS[ordinal]
    if m["y"]:
        year = int(m["y"])
    elif m.groupdict().get("rel"):
        year = _relative_year(m["rel"], anchor)
    else:
        # "in the fourth quarter": only with a prefix (a bare "the third quarter" is too
        # often about something else), and "last quarter" without a year looks back.
        if not m["pre"] or ordinal in ("last", "final"):
            return None
        year = anchor.year
        if _quarter_window(year, quarter).end < anchor:
            year += 1  # that quarter is over: the next one
    return _dated(source, m, anchor, _quarter_window(year, quarter))


def _h_month_year(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    return _dated(source, m, anchor, _month_window(int(m["y"]), _month_number(m["mon"])))


def _h_day(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    day = date(int(m["y"]), _month_number(m["mon"]), int(m["d"]))
    return _dated(source, m, anchor, _day_window(day))


def _h_yearless(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """A month or day without a year ("by March", "since 14 May"): the anchor supplies it."""
    month = _month_number(m["mon"])
    day = int(m["d"]) if m["d"] else None
    back = _prefix_role(m["pre"]) == "since" or _marked_past(source, m.start(), m.end())
    first = _resolve_yearless_month(month, day, anchor, back)
    window = _day_window(first) if day else _month_window(first.year, month)
    return _dated(source, m, anchor, window, force_past=back)


def _h_relative_year(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    rel = " ".join(m["rel"].lower().split())
    if rel in ("the coming", "the next"):
        # "in the coming year" is the next twelve months, not the next calendar year.
        window = _Window(anchor, _shift(anchor, 1, "year"), "P1Y")
        return _dated(source, m, anchor, window, window_kind="duration")
    year = _relative_year(rel.split()[-1], anchor)
    if rel == "earlier this":
        window = _Window(date(year, 1, 1), anchor, str(year))
        return _dated(source, m, anchor, window, force_past=True)
    window = _year_window(year)
    if rel in ("this", "later this", "the current"):
        # The part of the current year that is still ahead.
        window = _Window(anchor, window.end, window.value)
    return _dated(source, m, anchor, window)


def _h_end_of_year(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    window = _year_window(anchor.year)
    return _make(source, m.span(), anchor, window.value, None, window.end, "deadline")


def _h_duration(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """A duration counted forward from the anchor: start = anchor, due = anchor + it."""
    amount, unit = _number(m["n"]), m["u"]
    due = _shift(anchor, amount, unit)
    return _make(source, m.span(), anchor, _duration_value(amount, unit), anchor, due, "duration")


def _h_past_duration(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """A duration counted back ("over the past five years"); always past."""
    amount, unit = _number(m["n"]), m["u"]
    start = _shift(anchor, -amount, unit)
    value = _duration_value(amount, unit)
    return _make(source, m.span(), anchor, value, start, anchor, "duration", force_past=True)


# Before "in N years": a superlative or "first" makes the span look back from the
# statement ("for the first time in 50 years", "the lowest level in 50 years", "the
# first such exchange from the SPR in four years").  No comma may intervene.
_LOOK_BACK_BEFORE = re.compile(
    r"\b(?:first|only|last|most|least|best|worst|record|ever|never"
    r"|(?:low|high|fast|larg|bigg|strong|long|great|small|slow|steep|sharp|deep|warm|hott"
    r"|cold|wid|hard|cheap|short|clos|weak|rich|poor)est)\b[^.;:!?,]{0,80}$",
    re.IGNORECASE,
)
# Before "for N years": a perfect or past tense with no future-looking verb after it
# ("has been a partner for 75 years", "she was a staff attorney ... for twelve years");
# "have agreed to suspend tariffs for five years" looks forward.
_PERFECT_BEFORE = re.compile(
    r"\b(?:has|have|had|was|were)\b(?!\s+(?:also\s+|jointly\s+)?(?:committed|pledged|agreed"
    r"|promised|decided|announced|approved|allocated|resolved|undertaken)\b)"
    r"(?:(?!\b(?:will|shall|would)\b|\bto\s+(?!(?:the|a|an|our|their|its|this|these|those|all)\b)"
    r"(?-i:[a-z]))[^.;:!?]){0,100}$",
    re.IGNORECASE,
)
# "over 60 years of joint space activities", "fifteen years of experience": a quantity.
_QUANTITY_OF = re.compile(r"\s+of\s+(?!the\s+date\b)", re.IGNORECASE)


def _h_in_duration(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "in five years' time" (forward), or "for the first time in 50 years" (back)."""
    text = m.group(0)
    if not text.rstrip().lower().endswith("time") and (
        _LOOK_BACK_BEFORE.search(source, max(0, m.start() - 100), m.start())
        or re.match(r"\s+since\b", source[m.end() : m.end() + 12], re.IGNORECASE)
    ):
        return _h_past_duration(m, source, anchor)
    return _h_duration(m, source, anchor)


def _h_for_duration(m: re.Match[str], source: str, anchor: date) -> TimeExpression | None:
    """ "for 90 days", "over five years", "for an additional period of 90 days".

    "over 60 years of joint activities" is a quantity (no expression); "in over 10
    years" and "has been a partner for 75 years" look back.
    """
    if _QUANTITY_OF.match(source, m.end()):
        return None
    lead = m.group(0).split(None, 1)[0].lower()
    if lead == "over" and re.search(r"\bin\s+$", source[max(0, m.start() - 5) : m.start()]):
        return _h_past_duration(m, source, anchor)  # "the biggest progress in over 10 years"
    long_span = m["u"].lower().startswith(("year", "decade"))
    if (
        lead == "for"
        and long_span
        and _PERFECT_BEFORE.search(source, max(0, m.start() - 120), m.start())
    ):
        return _h_past_duration(m, source, anchor)
    return _h_duration(m, source, anchor)


def _h_decade(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "in the 2030s", "during the 2020s": the ten calendar years."""
    first = int(m["dec"])
    window = _Window(date(first, 1, 1), date(first + 9, 12, 31), f"{first // 10}X")
    return _dated(source, m, anchor, window)


def _h_relative_decade(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "this decade" (the rest of it), "the next decade" (ten years from the anchor)."""
    rel = " ".join((m["rel"] or m["rel2"]).lower().split())
    if rel in ("the next", "the coming"):
        window = _Window(anchor, _shift(anchor, 10, "year"), "P10Y")
        return _dated(source, m, anchor, window, window_kind="duration")
    first = anchor.year // 10 * 10
    return _dated(source, m, anchor, _Window(anchor, date(first + 9, 12, 31), f"{first // 10}X"))


def _h_one_more(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "for an additional year", "for another month": one more unit from the anchor."""
    unit = m["u"]
    due = _shift(anchor, 1, unit)
    return _make(source, m.span(), anchor, _duration_value(1, unit), anchor, due, "duration")


# Fiscal years: the country named in the expression, else the nearest one named
# around it (case matters: "US" is not "us").
_FY_MARK = re.compile(
    r"(?P<jp>\bJapan(?:ese)?\b|\bJFY)"
    r"|(?P<us>\bU\.\s?S\.|\bUSA?\b|\bUSFY|\bUnited\s+States\b|\bAmericans?\b|\bAmerica\b"
    r"|\b[Ff]ederal\b|\bCongress(?:ional)?\b"
    # US federal departments and agencies, which budget by the US fiscal year
    r"|\b(?:USAID|USDA|EPA|DOE|DOT|DOD|DoD|DHS|DOJ|DOL|HHS|HUD|DFC|MCC|FEMA|NASA|NOAA|OMB|SBA)\b)"
)


def _fiscal_country(m: re.Match[str], source: str) -> str:
    """ "JP", "US" or "" (unknown) for a fiscal-year expression."""
    own = _FY_MARK.search(m.group(0))
    if own is None:
        before = list(_FY_MARK.finditer(source, max(0, m.start() - 150), m.start()))
        own = before[-1] if before else _FY_MARK.search(source, m.end(), m.end() + 60)
    if own is None:
        return ""
    return "JP" if own["jp"] else "US"


def _fiscal_window(year: int, country: str) -> _Window:
    """Fiscal year ``year`` of ``country``.  The value is the year as named, as it was
    before fiscal years were read (commitment ids are made from values)."""
    if country == "JP":  # April to March, named after the year it starts in
        return _Window(date(year, 4, 1), date(year + 1, 3, 31), str(year))
    if country == "US":  # October to September, named after the year it ends in
        return _Window(date(year - 1, 10, 1), date(year, 9, 30), str(year))
    return _Window(date(year, 1, 1), date(year, 12, 31), str(year))  # unknown: the year


def _fiscal_year_of(day: date, country: str) -> int:
    if country == "JP":
        return day.year if day.month >= 4 else day.year - 1
    if country == "US":
        return day.year + 1 if day.month >= 10 else day.year
    return day.year


# "the FY 2023 Budget Request", "over FY 2021 enacted levels": the name of a budget.
_FY_BUDGET_AFTER = re.compile(
    r"\s+(?:\(\w+\)\s+)?(?:President['’]s\s+)?(?:[Bb]udget|[Aa]ppropriations?|[Ee]nacted"
    r"|[Dd]iscretionary|[Rr]equest|NDAA|[Nn]otice)\b"
)


def _h_fiscal_year(m: re.Match[str], source: str, anchor: date) -> TimeExpression | None:
    """ "in Japanese Fiscal Year (JFY) 2027", "by FY2024", "in fiscal year 2022"."""
    if _FY_BUDGET_AFTER.match(source, m.end()):
        return None
    if len(m["y"]) == 2 and not re.search(r"FY\s?\d\d$", m.group(0)):
        return None  # "fiscal 20 percent": only "FY22" abbreviates the year
    year = int(m["y"]) if len(m["y"]) == 4 else 2000 + int(m["y"])
    return _dated(source, m, anchor, _fiscal_window(year, _fiscal_country(m, source)))


def _h_fiscal_rel(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "this fiscal year" (the rest of it), "next fiscal year", "the coming fiscal year"."""
    country = _fiscal_country(m, source)
    rel = m["rel"].lower()
    year = _fiscal_year_of(anchor, country)
    if rel in ("next", "coming", "upcoming", "following"):
        year += 1
    elif rel in ("last", "previous"):
        year -= 1
    window = _fiscal_window(year, country)
    if rel in ("this", "current"):
        window = _Window(max(anchor, window.start), window.end, window.value)
    return _dated(source, m, anchor, window)


def _h_rel_month(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "this September" (of the anchor's year), "next March" (the next one after the
    anchor's month), "last May" (the last one before it)."""
    month, rel = _month_number(m["mon"]), m["rel"].lower()
    year = anchor.year
    if rel == "next" and month <= anchor.month:
        year += 1
    elif rel == "last" and month >= anchor.month:
        year -= 1
    return _dated(source, m, anchor, _month_window(year, month), force_past=rel == "last")


def _h_month_rel_year(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    """ "in October this year", "by March next year"."""
    year = _relative_year(m["rel"], anchor)
    return _dated(source, m, anchor, _month_window(year, _month_number(m["mon"])))


def _h_year_span(m: re.Match[str], source: str, anchor: date) -> TimeExpression | None:
    """A year whose context is not part of the expression: "make 2024 the year of ...",
    "India (2024)", "the 2025 Youth Summit", "2030 targets", "Balikatan 2025"."""
    if m.groupdict().get("name") and m["name"].lower() in _NOT_EVENT_NAMES:
        return None  # "Vision 2030", "Agenda 2063": names, not dates
    return _dated(source, m, anchor, _year_window(int(m["y"])), span=m.span("y"))


def _h_day_range(m: re.Match[str], source: str, anchor: date) -> TimeExpression | None:
    """ "September 30 – October 3, 2024", "15-16 November 2022"."""
    year = int(m["y"])
    first = date(year, _month_number(m["mon"]), int(m["d"]))
    last = date(year, _month_number(m["mon2"] or m["mon"]), int(m["d2"]))
    if last < first:
        return None
    window = _Window(first, last, f"{first.isoformat()}/{last.isoformat()}")
    return _dated(source, m, anchor, window, window_kind="range")


def _h_vague(m: re.Match[str], source: str, anchor: date) -> TimeExpression:
    begin, end = m.span()
    return TimeExpression(source[begin:end], begin, end, FUTURE_REF, None, None, "vague", False)


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    name: str
    source: str
    handler: Handler
    #: A cheap pattern every match of the rule contains; a text without it skips the rule.
    need: re.Pattern[str] | None = None

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The rule compiled, on the first text read (compiling all of them took about
        0.15 s of every process start, most of which read no text for dates)."""
        return re.compile(self.source, re.IGNORECASE)


# What each rule's matches must contain.  Most clauses lack most of these, so testing
# them once per text spares the rules (whose optional prefix makes them try every
# position) most of the work.
_NEED_YEAR = re.compile(r"19\d\d|20\d\d|2100")
_NEED_YEAR_OR_REL = re.compile(r"19\d\d|20\d\d|2100|year", re.IGNORECASE)
_NEED_MONTH = re.compile(rf"{FULL_MONTHS}")
_NEED_UNIT = re.compile(r"day|week|month|year|decade", re.IGNORECASE)
_NEED_SEASON = re.compile(r"spring|summer|autumn|fall|winter", re.IGNORECASE)
_NEED_FISCAL = re.compile(r"(?i:fiscal)|FY")
_RULE_NEEDS: dict[str, re.Pattern[str]] = {
    **dict.fromkeys(
        "year year-noun iso-day of-year range range-words h-half q-quarter month-year "
        "month-day-year day-month-year decade year-season-meeting year-the-year host-year "
        "year-adjective name-year day-range".split(),
        _NEED_YEAR,
    ),
    **dict.fromkeys(
        "part-of-year early-mid-late-year half relative-year end-of-year".split(),
        _NEED_YEAR_OR_REL,
    ),
    **dict.fromkeys(
        "yearless-month-day yearless-day-month relative-month month-relative-year".split(),
        _NEED_MONTH,
    ),
    **dict.fromkeys(
        "next-duration within-duration for-duration in-duration past-duration one-more".split(),
        _NEED_UNIT,
    ),
    **dict.fromkeys("season-relative season-year season-bare".split(), _NEED_SEASON),
    **dict.fromkeys("fiscal-year fiscal-relative".split(), _NEED_FISCAL),
    "quarter": re.compile("quarter", re.IGNORECASE),
    "relative-decade": re.compile("decade", re.IGNORECASE),
}


def _rule(name: str, pattern: str, handler: Handler) -> _Rule:
    return _Rule(name, pattern, handler, _RULE_NEEDS.get(name))


_RULES: tuple[_Rule, ...] = (
    # "before 2015", "by the end of 2022", "by end-2022", "in 2013", "since 2011"
    _rule("year", rf"{_REQ_PREFIX}(?:the\s+year\s+)?(?P<y>{_YEAR}){_YEAR_TAIL}", _h_year),
    # "the 2013 "Chinese tourism year"" -> just "2013"
    _rule("year-noun", rf"(?P<y>{_YEAR}){_DIGIT_TAIL}{_YEAR_NOUN_AHEAD}", _h_year_noun),
    # "by the beginning of 2014", "in the spring of 2013", "by mid-2013"
    _rule(
        "part-of-year",
        rf"{_OPT_PREFIX}\b(?:the\s+)?(?P<part>beginning|start|middle|spring|summer|autumn|fall"
        rf"|winter)\s+of\s+(?:the\s+year\s+)?{_YEAR_OR_REL}",
        _h_part_of_year,
    ),
    _rule(
        "early-mid-late-year",
        rf"{_OPT_PREFIX}\b(?P<part>early|mid|late)[-\s]+{_YEAR_OR_REL}",
        _h_part_of_year,
    ),
    # "by 2013-03-31" (ISO day)
    _rule(
        "iso-day",
        rf"{_OPT_PREFIX}(?P<y>{_YEAR})-(?P<mo>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?!\d)",
        _h_iso_day,
    ),
    # "... of 2013" -> just "2013" (but not "No. 4 of 2025")
    _rule("of-year", rf"\bof\s+(?P<y>{_YEAR}){_YEAR_TAIL}", _h_of_year),
    # "2013-2016", "2013–2016", "for 2021-25", "for the period 2021-2025"
    _rule(
        "range",
        r"(?:\b(?:for|in|during|over|throughout|covering)\s+(?:the\s+(?:period\s+)?)?)?"
        rf"(?P<y1>{_YEAR})\s*[-–—]\s*(?P<y2>{_YEAR}|\d{{2}})(?!\d|[.,]\d|\s*[-–—]\s*\d)"
        + _UNIT_TAIL,
        _h_range,
    ),
    # "from 2013 to 2016", "between 2013 and 2016"
    _rule(
        "range-words",
        rf"\b(?:from|between)\s+(?P<y1>{_YEAR})\s+(?:to|until|till|through|and)\s+"
        rf"(?P<y2>{_YEAR}){_DIGIT_TAIL}{_UNIT_TAIL}",
        _h_range,
    ),
    # "in the first half of 2013", "the second half of next year"
    _rule(
        "half",
        rf"{_OPT_PREFIX}\b(?:the\s+)?(?P<h>first|second|1st|2nd)\s+half\s+of\s+"
        rf"(?:the\s+year\s+)?{_YEAR_OR_REL}",
        _h_half,
    ),
    _rule("h-half", rf"{_OPT_PREFIX}\bH(?P<h>[12])\s+(?P<y>{_YEAR}){_DIGIT_TAIL}", _h_half),
    # "in the third quarter of 2024", "in the fourth quarter"
    _rule(
        "quarter",
        rf"{_OPT_PREFIX}\b(?:the\s+)?(?P<q>first|second|third|fourth|last|final|1st|2nd|3rd|4th)"
        rf"\s+quarter\b(?:\s+of\s+(?:the\s+year\s+)?{_YEAR_OR_REL})?",
        _h_quarter,
    ),
    # "Q3 2024"
    _rule(
        "q-quarter",
        rf"{_OPT_PREFIX}\bQ(?P<q>[1-4])\s*(?:of\s+)?(?P<y>{_YEAR}){_DIGIT_TAIL}",
        _h_quarter,
    ),
    # "in March 2023", "by March 2023"
    _rule(
        "month-year",
        rf"{_OPT_PREFIX}{_MONTH}(?:,|\s+of)?\s+(?P<y>{_YEAR}){_DIGIT_TAIL}",
        _h_month_year,
    ),
    # "by May 14, 2025", "April 2,\n2025"
    _rule(
        "month-day-year",
        rf"{_OPT_PREFIX}{_MONTH}\s+{_DAY},?\s+(?P<y>{_YEAR}){_DIGIT_TAIL}",
        _h_day,
    ),
    # "by 14 May 2025", "on 1 January 2024", "the 2nd of March, 2022"
    _rule(
        "day-month-year",
        rf"{_OPT_PREFIX}(?:\bthe\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+(?P<y>{_YEAR}){_DIGIT_TAIL}",
        _h_day,
    ),
    # "Since March", "by 14 May", "by May 14" (a prefix is required without a year)
    _rule(
        "yearless-month-day",
        rf"{_REQ_PREFIX}{_MONTH_FULL}(?:\s+{_DAY}\b)?",
        _h_yearless,
    ),
    _rule(
        "yearless-day-month",
        rf"{_REQ_PREFIX}(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH_FULL}",
        _h_yearless,
    ),
    # "next year", "this year", "last year", "in the coming year", "later this year"
    _rule(
        "relative-year",
        rf"{_OPT_PREFIX}\b(?P<rel>(?:later|earlier)\s+this|this|next|last|the\s+current"
        r"|the\s+(?:coming|next))\s+year\b",
        _h_relative_year,
    ),
    # "by the end of the year", "by year-end"
    _rule(
        "end-of-year",
        r"\b(?:(?:by|at|before|until)\s+)?the\s+end\s+of\s+the\s+year\b"
        r"|\bby\s+(?:the\s+)?year[\s-]?end\b",
        _h_end_of_year,
    ),
    # "in the next five years", "over the next 5 years", "the coming two months"
    _rule(
        "next-duration",
        r"(?:\b(?:in|within|over|during|for|throughout)\s+)?\bthe\s+(?:next|coming|following"
        rf"|upcoming)\s+{_NUMBER}\s+{_UNIT}",
        _h_duration,
    ),
    # "within six months", "within a period of 30 days", "within a year"
    _rule(
        "within-duration",
        rf"\bwithin\s+(?:a\s+period\s+of\s+)?{_NUMBER_OR_A}\s+{_UNIT}",
        _h_duration,
    ),
    # "for 90 days", "for an initial period of 90 days", "for a further six months",
    # "for a continuous period of 30 days"
    _rule(
        "for-duration",
        r"\b(?:for|over)\s+(?:an?\s+(?:(?:initial|additional|further|transitional|continuous"
        r"|consecutive|single|limited|maximum|minimum|total|extended|renewable|new)\s+){0,2}"
        rf"period\s+of\s+|another\s+|a\s+further\s+|an\s+additional\s+)?{_NUMBER_OR_A}\s+{_UNIT}",
        _h_for_duration,
    ),
    # "in five years", "in 10 years' time"; "for the first time in 50 years" looks back
    _rule(
        "in-duration",
        rf"\bin\s+{_NUMBER}\s+{_UNIT}(?:['’]s?(?=\s+time\b))?(?:\s+time\b)?",
        _h_in_duration,
    ),
    # "over the past five years", "in the last two decades"
    _rule(
        "past-duration",
        r"(?:\b(?:in|over|during|for|throughout)\s+)?\bthe\s+(?:past|last|previous)\s+"
        rf"{_NUMBER}\s+{_UNIT}",
        _h_past_duration,
    ),
    # "in the 2030s", "during the 2020s"
    _rule("decade", rf"{_OPT_PREFIX}\b(?:the\s+)?(?P<dec>(?:19|20)\d0)['’]?s\b", _h_decade),
    # "this decade", "over the next decade". "in the next decade" is left alone: it may
    # mean the next calendar decade or the next ten years, and often names the span of
    # a plan ("the plan for relations in the next decade") rather than a date.
    _rule(
        "relative-decade",
        r"(?:\b(?:in|during|throughout|by\s+the\s+end\s+of)\s+)?\b(?P<rel>this|the\s+current)"
        r"\s+decade\b"
        r"|\b(?:within|over|during|throughout|for)\s+(?P<rel2>the\s+next|the\s+coming)\s+decade\b",
        _h_relative_decade,
    ),
    # "for an additional year", "for another year", "for a further month"
    _rule(
        "one-more",
        r"\b(?:for|over)\s+(?:an\s+additional|another|a\s+further|one\s+more)\s+"
        r"(?P<u>year|month|week|day|decade)\b",
        _h_one_more,
    ),
    # "this summer", "later this spring", "throughout this fall", "next winter"
    _rule(
        "season-relative",
        rf"{_OPT_PREFIX}\b(?:later\s+)?(?P<rel>this|next|last)\s+"
        r"(?P<part>spring|summer|autumn|fall|winter)\b",
        _h_part_of_year,
    ),
    # "in Spring 2023", "by summer 2025"
    _rule(
        "season-year",
        rf"{_OPT_PREFIX}\b(?P<part>spring|summer|autumn|fall|winter)\s+(?P<y>{_YEAR}){_DIGIT_TAIL}",
        _h_part_of_year,
    ),
    # "by the 2023 Spring Meetings": the season of that year
    _rule(
        "year-season-meeting",
        rf"{_OPT_PREFIX}(?:the\s+)?(?P<y>{_YEAR})\s+(?-i:(?P<part>Spring|Summer|Autumn|Fall|Winter))"
        r"(?=\s+(?:Meetings?|Sessions?|Summit|Forum)\b)",
        _h_part_of_year,
    ),
    # "by summer", "before the fall": a deadline at a season without a year ("in the
    # summer" is too often any summer: "food during the summer")
    _rule(
        "season-bare",
        r"\b(?P<pre>(?:by|before|until|till)\s+)(?:the\s+)?"
        r"(?P<part>spring|summer|autumn|fall|winter)\b(?!\s+(?:of|in)\b|[\s-]*\d)",
        _h_bare_season,
    ),
    # "in Japanese Fiscal Year (JFY) 2027", "by FY2024", "during FY 2022", "fiscal 2027"
    _rule(
        "fiscal-year",
        rf"{_OPT_PREFIX}(?:the\s+)?(?:{_FY_COUNTRY}\s+)?(?:fiscal(?:\s+year)?|(?-i:J?FY|USFY))"
        r"\s*(?:\((?-i:J?FY|USFY)\)\s*)?(?P<y>(?:19|20)\d{2}|\d{2})(?![\w.,]\d|\w)"
        r"(?!\s*[-–—/]\s*\d)",
        _h_fiscal_year,
    ),
    # "this fiscal year", "next fiscal year", "for the coming fiscal year"
    _rule(
        "fiscal-relative",
        rf"{_OPT_PREFIX}(?:the\s+)?(?:{_FY_COUNTRY}\s+)?(?P<rel>this|next|last|previous|current"
        r"|coming|upcoming|following)\s+(?:fiscal\s+year|(?-i:J?FY|USFY))\b",
        _h_fiscal_rel,
    ),
    # "in October this year", "by March next year"
    _rule(
        "month-relative-year",
        rf"{_OPT_PREFIX}{_MONTH_FULL}\s+(?:of\s+)?(?P<rel>this|next)\s+year\b",
        _h_month_rel_year,
    ),
    # "this September", "next March", "later this October"
    _rule(
        "relative-month",
        rf"{_OPT_PREFIX}\b(?:later\s+)?(?P<rel>this|next|last)\s+{_MONTH_FULL}",
        _h_rel_month,
    ),
    # "make 2024 the year of implementation" -> "2024"
    _rule(
        "year-the-year",
        rf"(?P<y>{_YEAR}){_DIGIT_TAIL}(?=\s+(?:as\s+)?the\s+year\s+of\b)",
        _h_year_span,
    ),
    # A host and its year: "India (2024)" -> "2024"
    _rule(
        "host-year",
        rf"(?-i:\b[A-Z][A-Za-z’'.-]+)\s+\((?P<y>{_YEAR})\)",
        _h_year_span,
    ),
    # A year used as an adjective: "2030 targets", "the 2025 Youth Summit" -> "2025"
    _rule(
        "year-adjective",
        rf"(?P<y>{_YEAR}){_DIGIT_TAIL}(?=\s+(?:(?-i:[A-Z][\w’'-]*)\s+){{0,6}}{_EVENT_OR_GOAL_NOUN})",
        _h_year_span,
    ),
    # An event named with its year: "Balikatan 2025" -> "2025"
    _rule(
        "name-year",
        rf"(?-i:(?<![\w.])(?P<name>[A-Z][a-z]{{3,}}))\s+(?P<y>{_YEAR})(?!\d|[.,]\d|\s*[-–—/]\s*\d)",
        _h_year_span,
    ),
    # "September 30 – October 3, 2024", "15-16 November 2022"
    _rule(
        "day-range",
        rf"{_OPT_PREFIX}(?-i:(?P<mon>{FULL_MONTHS}))\s+(?P<d>\d{{1,2}})\s*[-–—]\s*"
        rf"(?:(?-i:(?P<mon2>{FULL_MONTHS}))\s+)?(?P<d2>\d{{1,2}}),?\s+(?P<y>{_YEAR}){_DIGIT_TAIL}",
        _h_day_range,
    ),
    # Vague future references.  "by or around mid-century" is vague on purpose: the
    # statement does not commit to a year.
    _rule(
        "vague",
        r"\b(?:at\s+an\s+early\s+date|at\s+the\s+earliest(?:\s+possible)?\s+date"
        r"|as\s+(?:soon|early)\s+as\s+(?:possible|practicable|feasible)"
        r"|in\s+the\s+near\s+(?:future|term)|in\s+a\s+timely\s+(?:manner|fashion)"
        r"|in\s+due\s+course|without\s+(?:further\s+|undue\s+)?delay"
        r"|in\s+the\s+(?:coming|next)\s+(?:days|weeks|months|years|decades)"
        r"|in\s+the\s+(?:days|weeks|months|years|decades)\s+(?:ahead|to\s+come)"
        r"|(?:by\s+or\s+around|by|around|towards|toward)\s+(?:the\s+)?mid-century"
        r"|in\s+the\s+future)\b",
        _h_vague,
    ),
)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def find_time_expressions(text: str, anchor: date) -> list[TimeExpression]:
    """All time expressions in ``text``, in order of appearance, non-overlapping.

    ``anchor`` is the document's date; relative expressions are resolved against it
    and anything wholly before it is marked ``past``.  When candidates overlap, the
    longest wins (ties go to the earlier start, then to the earlier rule).
    """
    candidates: list[tuple[int, int, int, TimeExpression]] = []
    present: dict[re.Pattern[str], bool] = {}
    for order, rule in enumerate(_RULES):
        if rule.need is not None:
            found = present.get(rule.need)
            if found is None:
                found = present[rule.need] = rule.need.search(text) is not None
            if not found:
                continue  # the rule cannot match here
        for match in rule.pattern.finditer(text):
            try:
                expr = rule.handler(match, text, anchor)
            except (ValueError, OverflowError):
                continue  # "February 30, 2024", "within 999 decades"
            if expr is None or _is_designation(text, expr):
                continue
            candidates.append((expr.start_char, expr.end_char, order, expr))

    candidates.sort(key=lambda c: (c[0] - c[1], c[0], c[2]))
    taken = bytearray(len(text))
    chosen: list[TimeExpression] = []
    for begin, end, _, expr in candidates:
        if any(taken[begin:end]):
            continue
        taken[begin:end] = b"\x01" * (end - begin)
        chosen.append(expr)
    chosen.sort(key=lambda e: e.start_char)
    if any(e.kind == "duration" for e in chosen):
        chosen = _settle_periods(text, chosen, anchor)
    return chosen


# Between a period and the day it starts: "for 90 days, starting on August 12, 2025",
# "for a continuous period of 30 days beginning June 24, 2021", "within 30 days of
# 1 January 2025".  The day's own prefix ("starting on") may be part of either.
_PERIOD_THEN_START = re.compile(
    r"[\s,]*(?:(?:starting|beginning|commencing|effective|running)(?:\s+(?:on|from|in))?"
    r"|as\s+of|with\s+effect\s+from|from|of|after|following)?\s*",
    re.IGNORECASE,
)
# ...and the other way round: "starting on August 12, 2025, for 90 days".
_START_THEN_PERIOD = re.compile(r"[\s,]*(?:and\s+)?", re.IGNORECASE)
_START_PREFIX = re.compile(r"(?:starting|beginning|commencing|from)\b", re.IGNORECASE)
# A day that starts a period when nothing links it: "..., starting on 12 August",
# "from 1 May"; but not "for 90 days in 2025" (a period inside 2025, start unknown).
_STARTING_DAY = re.compile(
    r"(?:starting|beginning|commencing|from|on|effective|as\s+of)\b", re.IGNORECASE
)
# A period counted from something else: "within 100 days of a future pandemic threat
# being identified", "for a period of 30 days from the start of the incident period".
_COUNTED_FROM = re.compile(
    r"\s*(?:(?:of|after|following|prior\s+to|before)\s+(?!(?:now|today|this|these)\b"
    r"|the\s+date\s+(?:hereof|of\s+(?:this|the\s+(?:order|memorandum|proclamation)))\b)"
    # "from" also names a source ("$120 million over five years from the Law"), so only
    # a point in time counts: "from the start of the incident period"
    r"|from\s+the\s+(?:date|day|start|beginning|end|entry|time|moment|launch|signing"
    r"|signature|receipt|submission|adoption|publication|completion|conclusion)\b)",
    re.IGNORECASE,
)
_PERIOD_UNITS = {"D": "day", "W": "week", "M": "month", "Y": "year"}


def _from_anchor(expr: TimeExpression, anchor: date) -> bool:
    """A forward period counted from the document's date ("for 90 days", "within a year")."""
    return (
        expr.kind == "duration"
        and not expr.past
        and expr.start == anchor
        and re.fullmatch(r"P\d+[DWMY]", expr.value) is not None
    )


def _can_start(expr: TimeExpression) -> bool:
    """A day that can be the start of a period ("starting on 12 August").  A month or
    a year is not: "over 3 years, from 2023" does not say which day it starts."""
    return (
        expr.start is not None
        and expr.kind in ("start", "during")
        and re.fullmatch(r"\d{4}-\d{2}-\d{2}", expr.value) is not None
        and not expr.text.lower().startswith("since")
    )


def _period_from(
    source: str, span: tuple[int, int], anchor: date, period: TimeExpression, first: date
) -> TimeExpression:
    """``period`` counted from ``first`` instead of the anchor: it ends on first + N."""
    amount, unit = int(period.value[1:-1]), _PERIOD_UNITS[period.value[-1]]
    due = _shift(first, amount, unit)
    return _make(source, span, anchor, period.value, first, due, "duration")


def _settle_periods(
    source: str, chosen: list[TimeExpression], anchor: date
) -> list[TimeExpression]:
    """Give periods their stated start, and drop periods counted from an undated event.

    "for an additional period of 90 days, starting on August 12, 2025" is one period
    (start 2025-08-12, due 2025-11-10), not a period from the document's date plus a
    start-only date; "within 100 days of a future pandemic threat" has no date.
    """
    out: list[TimeExpression] = []
    i = 0
    while i < len(chosen):
        expr = chosen[i]
        nxt = chosen[i + 1] if i + 1 < len(chosen) else None
        if _from_anchor(expr, anchor):
            gap = source[expr.end_char : nxt.start_char] if nxt is not None else ""
            if (
                nxt is not None
                and _can_start(nxt)
                and _PERIOD_THEN_START.fullmatch(gap)
                and (gap.strip(" ,\n\t") or _STARTING_DAY.match(nxt.text))
            ):
                span = (expr.start_char, nxt.end_char)
                out.append(_period_from(source, span, anchor, expr, nxt.start))  # type: ignore[arg-type]
                i += 2
                continue
            counted = _COUNTED_FROM.match(source, expr.end_char)
            if counted and counted.group(0).split()[0].lower() == "of":
                # only "within N days of <event>"; "the coming year of action" is a year
                counted = counted if expr.text.lower().startswith("within") else None
            if counted and not (nxt is not None and nxt.start_char <= counted.end() + 1):
                i += 1  # counted from an event the text does not date
                continue
        elif (
            nxt is not None
            and _can_start(expr)
            and _START_PREFIX.match(expr.text)
            and _from_anchor(nxt, anchor)
            and _START_THEN_PERIOD.fullmatch(source, expr.end_char, nxt.start_char)
        ):
            span = (expr.start_char, nxt.end_char)
            out.append(_period_from(source, span, anchor, nxt, expr.start))  # type: ignore[arg-type]
            i += 2
            continue
        out.append(expr)
        i += 1
    return out


def forward_expressions(text: str, anchor: date) -> list[TimeExpression]:
    """Only the expressions that can date a commitment.

    Keeps those that are not past and either vague ("at an early date"), dated with
    a due date on or after ``anchor``, or a start on or after it ("starting in 2025").
    """
    return [
        expr
        for expr in find_time_expressions(text, anchor)
        if not expr.past
        and (
            expr.kind == "vague"
            or (expr.due is not None and expr.due >= anchor)
            or (expr.kind == "start" and expr.start is not None and expr.start >= anchor)
        )
    ]


def _is_designation(source: str, expr: TimeExpression) -> bool:
    """A number right after "Resolution", "Order", "No.", "Article", ... is a name."""
    if not expr.text[:1].isdigit():
        return False
    window_start = max(0, expr.start_char - 40)
    return _DESIGNATION_BEFORE.search(source, window_start, expr.start_char) is not None
