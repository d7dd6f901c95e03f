"""Listing commitments with their statuses: filters, the /commitments query language, .ics.

Pure functions over :class:`~bot.commitments.Commitment` lists and a status map
(commitment id -> status), so the CLI, Slack and the console share them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.commitments import KINDS, OPEN_STATUSES, STATUSES, Commitment
from bot.timeexpr import month_end

__all__ = [
    "CommitmentQuery",
    "TrackingError",
    "check_kind",
    "parse_commitment_query",
    "rows",
    "to_ics",
]


class TrackingError(ValueError):
    """A bad filter (unknown status, bad date); the message says what is accepted."""


@dataclass(frozen=True)
class CommitmentQuery:
    """What to list: a view (all/upcoming/overdue), filters and optional words."""

    view: str = "all"
    status: str | None = None
    due_after: date | None = None
    due_before: date | None = None
    words: str = ""
    due_label: str = ""
    kind: str | None = None


def check_status(value: str) -> str:
    """A valid status name (case and spaces forgiven), or TrackingError listing them."""
    s = value.strip().lower().replace(" ", "_").replace("-", "_")
    if s not in STATUSES:
        raise TrackingError(f"unknown status {value!r}; use one of: {', '.join(STATUSES)}")
    return s


def check_kind(value: str) -> str:
    """A valid kind of dated item (case forgiven, plurals too), or TrackingError listing them."""
    k = value.strip().lower()
    k = k[:-1] if k.endswith("s") and k[:-1] in KINDS else k
    if k not in KINDS:
        raise TrackingError(f"unknown kind {value!r}; use one of: {', '.join(KINDS)}")
    return k


def _year_window(text: str) -> tuple[date, date]:
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?", text)
    if not m:
        raise TrackingError(f"due:{text} is not a year or month; use due:2013 or due:2013-06")
    y = int(m.group(1))
    if not 1 <= y <= 9998:
        raise TrackingError(f"due:{text} is not a usable year")
    if not m.group(2):
        return date(y, 1, 1), date(y, 12, 31)
    mo = int(m.group(2))
    if not 1 <= mo <= 12:
        raise TrackingError(f"due:{text} has no month {mo}")
    return date(y, mo, 1), month_end(y, mo)


def parse_commitment_query(text: str) -> CommitmentQuery:
    """Parse ``/commitments`` text: ``upcoming``, ``overdue``, ``due:2013``,
    ``status:met``, ``kind:event`` and free words (matched against the clause)."""
    view, status, after, before, label = "all", None, None, None, ""
    kind: str | None = None
    words: list[str] = []
    for token in text.split():
        low = token.lower()
        if low in {"upcoming", "overdue", "all", "open", "undated"}:
            view = low
        elif low.startswith("due:"):
            after, before = _year_window(low[4:])
            label = low[4:]
        elif low.startswith("status:"):
            status = check_status(low[7:])
        elif low.startswith("kind:"):
            kind = check_kind(low[5:])
        else:
            words.append(token)
    return CommitmentQuery(view, status, after, before, " ".join(words), label, kind)


def rows(
    commitments: Iterable[Commitment],
    statuses: dict[str, str],
    *,
    today: date,
    query: CommitmentQuery = CommitmentQuery(),
    matching_clauses: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Contract-shaped commitment rows with ``status`` and ``overdue``, filtered."""
    out: list[dict[str, Any]] = []
    for c in commitments:
        status = statuses.get(c.id, "not_yet_rated")
        is_open = status in OPEN_STATUSES
        overdue = bool(c.due and c.due < today and is_open)
        if query.view == "upcoming" and not (c.due and c.due >= today and is_open):
            continue
        if query.view == "overdue" and not overdue:
            continue
        if query.view == "open" and not is_open:
            continue
        if query.view == "undated" and c.due is not None:
            continue
        if query.status and status != query.status:
            continue
        if query.kind and c.kind != query.kind:
            continue
        if query.due_after and not (c.due and c.due >= query.due_after):
            continue
        if query.due_before and not (c.due and c.due <= query.due_before):
            continue
        if matching_clauses is not None and c.clause_id not in matching_clauses:
            continue
        row = c.to_json(status)
        row["overdue"] = overdue
        out.append(row)
    return out


# --------------------------------------------------------------------------- iCalendar


def _ics_escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 §3.1: lines of at most 75 octets, continuation lines start with a space."""
    out: list[str] = []
    current = ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0]] + [" " + x for x in out[1:]]


def to_ics(
    commitments: Sequence[Commitment],
    statuses: dict[str, str],
    *,
    now: datetime | None = None,
    calendar_name: str = "briefbot commitments",
) -> str:
    """An RFC 5545 calendar: one all-day event per dated commitment, with a stable UID."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//briefbot//commitments//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_escape(calendar_name)}",
    ]
    for c in commitments:
        if c.due is None:
            continue
        status = statuses.get(c.id, "not_yet_rated")
        uid = hashlib.sha1(c.id.encode("utf-8")).hexdigest()[:20] + "@briefbot"
        summary = f"Due: {c.expression} — {c.doc_title}"
        description = f"“{c.text}”\n— {c.citation}\nStatus: {status.replace('_', ' ')}\nId: {c.id}"
        for raw in (
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{c.due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{c.due + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_ics_escape(summary)}",
            f"DESCRIPTION:{_ics_escape(description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ):
            lines.extend(_fold(raw))
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
