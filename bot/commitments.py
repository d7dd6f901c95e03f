"""Commitments: dated promises extracted from clauses, and their statuses.

Extraction lives here; statuses (with history) live in the database
(:mod:`bot.store`). This module knows nothing of Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.reading.clauses import Clause, segment
from bot.reading.documents import Document, as_parties
from bot.reading.safeio import MAX_CURATION_BYTES, RefusedFile, load_yaml, read_text_file
from bot.timeexpr import FULL_MONTHS, TimeExpression, forward_expressions

__all__ = [
    "CLOSED_STATUSES",
    "KINDS",
    "OPEN_STATUSES",
    "STATUSES",
    "Commitment",
    "CurationError",
    "apply_curation",
    "dated_items",
    "extract",
    "extract_all",
    "is_binding",
]

#: Every status a commitment can have, G20 Research Group style.
STATUSES = (
    "not_yet_rated",
    "in_progress",
    "stalled",
    "met",
    "partial",
    "missed",
    "not_applicable",
)
#: Statuses for which reminders are still sent.
OPEN_STATUSES = frozenset({"not_yet_rated", "in_progress", "stalled"})
CLOSED_STATUSES = frozenset(STATUSES) - OPEN_STATUSES
#: Kinds of dated items: the signatories' own promise, a call on someone else, a
#: scheduled or expected event, a dated goal.
KINDS = ("commitment", "call", "event", "target")


@dataclass(frozen=True)
class Commitment:
    """A dated (or vague) promise in a clause. ``text`` is the verbatim clause."""

    id: str
    doc_id: str
    clause_id: str
    text: str
    citation: str
    expression: str
    value: str
    start: date | None
    due: date | None
    parties: tuple[str, ...] = ()
    doc_title: str = ""
    doc_date: date | None = None
    source: str = "extracted"  # or "curated"
    kind: str = "commitment"
    actor: str = ""

    def to_json(self, status: str = "not_yet_rated") -> dict[str, Any]:
        """The contract's commitment shape (GUIDE §2)."""
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "clause_id": self.clause_id,
            "text": self.text,
            "citation": self.citation,
            "expression": self.expression,
            "value": self.value,
            "due": self.due.isoformat() if self.due else None,
            "start": self.start.isoformat() if self.start else None,
            "status": status,
            "parties": list(self.parties),
            "source": self.source,
            "kind": self.kind,
            "actor": self.actor or None,
        }


# --------------------------------------------------------------------------- extraction

_BINDING = re.compile(
    r"\b(will|shall|agreed?\b|agree to|committed to|commit to|recommit|pledged?|undert(?:ake|ook)|"
    r"resolved? to|decided to|intends? to|plans? to|determined to|striv(?:e|ing) to|aims? to|"
    r"look forward to|to be held|are to|set (?:a|the) (?:goal|target)|target)\b",
    re.I,
)
_LEAD_IN_BINDING = re.compile(
    r"(agreed|agree|decided|committed|commit|pledge[ds]?|will)\b[^.]*?(following|:)\s*$", re.I
)


class CurationError(ValueError):
    """The curated commitments file is unusable; the message names the file and entry."""


def is_binding(clause: Clause) -> bool:
    """True when the clause (or its bullet lead-in) binds the parties to future action."""
    if _BINDING.search(clause.text):
        return True
    return bool(clause.is_bullet and clause.lead_in and _LEAD_IN_BINDING.search(clause.lead_in))


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", value).strip("-").lower() or "x"


# Cues for the kind of a dated item and for whether a clause looks forward at all.
_CALL = re.compile(
    r"\b(?:call(?:s|ed)?\s+(?:on|upon|for)|urg(?:e|es|ed|ing)|invit(?:e|es|ed|ing)|"
    r"encourag(?:e|es|ed|ing)|ask(?:s|ed)?|(?<!the\s)(?<!to\s)request(?:s|ed)?|"
    r"(?-i:task(?:s|ed)))\b",
    re.I,
)
_EVENT = re.compile(
    r"\b(?:summits?|meetings?|conferences?|dialogues?|discussions?|exercises?|workshops?|forums?|"
    r"gatherings?|convene|convening|sessions?|visits?|missions?|presidency|"
    r"(?:co-)?chair(?:s|ed|ing|manship)?|"
    r"host(?:s|ing|ed)?|hold(?:ing)?|launch(?:es|ing)?|opening|announcement|campaigns?|patrol|"
    r"roundtable|events?|ministerial|talks|consultations?|games|expo|olympics|elections?|tabletop|"
    r"training\s+activity|round|meet|terms?)\b",
    re.I,
)
_TARGET = re.compile(
    r"\b(?:targets?|goals?|ambition|objective|aims?\s+to|aiming|hopes?|achiev\w*|reach|"
    r"net[- ]zero|nationally\s+determined\s+contributions|NDCs?)\b",
    re.I,
)
_EXTRA_BINDING = re.compile(
    r"\b(?:commitment\s+to|intent(?:ion)?\s+to|renew(?:al|ed|s)?|extension|look(?:s|ing)?\s+"
    r"forward|upcoming|forthcoming|welcome[sd]?|plan(?:s|ned)?|expect(?:s|ed)?\s+to|"
    r"announc(?:e|es|ed|ing)|would)\b",
    re.I,
)
# Words that make what follows them future (or ongoing), even after a past verb.
_FUTURE_CUE = re.compile(
    r"\b(?:will|shall|plans?|planned|intends?|intent(?:ion)?|look(?:s|ing)?\s+forward|upcoming|"
    r"forthcoming|next|welcomes?|renewal|extension|current|continues?|ongoing|commitment|"
    r"committed|pledge[ds]?|agreed?|decided|resolved?)\b"
    r"|\bto\s+(?!(?:the|a|an|our|their|its|this|these|those|all|date)\b)(?-i:[a-z]+)\b"
    r"|\b(?:towards?|with\s+a\s+view\s+to)\s+(?-i:[a-z]+ing)\b",
    re.I,
)
# Reported speech: "announced that, by summer, it would launch" is future in the past.
_THAT_BEFORE = re.compile(r"\bthat\W*$", re.I)
_MODAL_AFTER = re.compile(r"\W*(?:[\w’'-]+\s+){0,3}?(?:will|would|shall)\b", re.I)
# Stronger cues, needed before a month named without a year ("in May").
_STRICT_FUTURE_CUE = re.compile(
    r"\b(?:will|shall|plans?|intends?|intent(?:ion)?|look(?:s|ing)?\s+forward|upcoming|"
    r"forthcoming|call(?:s|ed)?\s+(?:on|upon)|urge[sd]?|(?:agreed?|committed|decided)\s+to)\b"
    r"|\bto\s+(?:hold|host|convene|launch|open|conduct|be\s+held)\b",
    re.I,
)
# Past narration: past-tense verbs and words that look back.
_PAST_CUE = re.compile(
    r"(?<!\bbe\s)(?<!\bbeen\s)(?<!\bbeing\s)(?<!\bthe\s)(?<!\ban\s)(?<!\bits\s)(?<!\bour\s)"
    r"(?<!\btheir\s)(?<!\ba\s)"
    r"(?-i:\b(?:[a-z]+ed|met|held|began|begun|took|made|signed|built|brought|gave|sent|won|"
    r"saw|spent|grew|led|sought)\b)"
    r"|\b(?:successful|recent(?:ly)?|previous(?:ly)?|ago|paid)\b",
    re.I,
)
# Past-tense-looking words that are not narration.
_NOT_PAST = frozenset(
    "pleased committed concerned interested united limited based related dedicated detailed "
    "expected proposed planned scheduled renewed enhanced increased sustained shared "
    "integrated coordinated advanced determined prepared led need red pledged promised "
    "vowed".split()
)
_ACTOR_WORD = (
    r"(?:(?-i:[A-Z])[\w.’'&-]*|the|and|of|our|their|both|two|three|four|five|all|each|"
    r"sides?|leaders?|partners?|countries|nations|states|governments?|members?|parties|"
    r"coast\s+guards?|ministers?|we|,)"
)
_ACTOR_BEFORE = re.compile(
    rf"(?P<actor>(?:\b{_ACTOR_WORD}\s*){{1,16}}?)\s*"
    r"(?:also\s+|further\s+|each\s+|jointly\s+|together\s+|continue\s+to\s+)?"
    r"(?-i:will|shall|intends?|intend|plans?|plan|pledged?|commit(?:ted)?|agreed?|decided|"
    r"resolved?|look(?:s)?\s+forward|are\s+committed|is\s+committed|aims?|hopes?|"
    r"(?:re)?affirm(?:s|ed)?|renewed|announced?|welcome[sd]?|urge[sd]?|call(?:s|ed)?\s+on)\b",
    re.I,
)
_ACTOR_AFTER_CALL = re.compile(r"^\s*(?:on|upon)?\s*(?P<actor>[^,;]{2,80}?)\s+to\b")


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def _past_cues(text: str) -> list[re.Match[str]]:
    return [m for m in _PAST_CUE.finditer(text) if m.group(0).lower() not in _NOT_PAST]


def _narrated_as_past(text: str, begin: int, end: int) -> bool:
    """Whether the sentence tells ``text[begin:end]`` as something already done.

    A past verb (or "successful", "recently") before the expression with no future
    cue after it ("welcomed the centre opened this year"), or, for an expression
    that opens the sentence, a past verb right after it ("This year, X signed").
    """
    before = text[:begin]
    past = _past_cues(before)
    if past:
        if _THAT_BEFORE.search(before) and _MODAL_AFTER.match(text, end):
            return False
        return _FUTURE_CUE.search(before, past[-1].end()) is None
    if _FUTURE_CUE.search(before):
        return False
    after = text[end:]
    first_past = next(iter(_past_cues(after)), None)
    first_future = _FUTURE_CUE.search(after)
    if first_past is None:
        return False
    return first_future is None or first_past.start() < first_future.start()


_YEAR_ADJECTIVE_EVENT = re.compile(
    r"^\s+(?:(?-i:[A-Z])[\w’'-]*\s+){0,6}(?:targets?|goals?|NDCs?|summit|conference|meetings?|"
    r"forum|dialogue|exercises?|games|expo|presidency|chair(?:manship)?|elections?|gathering|"
    r"session|ministerial|workshop|olympics|review|meetings)\b",
    re.I,
)
_GOAL_AFTER = re.compile(
    r"^\s+(?:(?-i:[A-Z])[\w’'-]*\s+){0,4}(?:targets?|goals?|NDCs?|nationally\s+determined"
    r"\s+contributions)\b",
    re.I,
)


# Between a call and a date: a new clause with the signatories as subject ("...; we will").
_NEW_SUBJECT = re.compile(
    r";|\b(?:we|they)\s+(?:also\s+)?(?:will|shall|commit|intend|plan|look|agree|decide)", re.I
)


def _kind_of(text: str, begin: int, end: int) -> str:
    """The kind of the dated item at ``text[begin:end]``.

    A call on someone else before it wins; then a goal named by the expression ("2030
    targets"); then an event or goal noun near it; otherwise the signatories' commitment.
    """
    call = _last(_CALL, text[:begin])
    if call is not None and not _NEW_SUBJECT.search(text, call.end(), begin):
        return "call"
    if _GOAL_AFTER.match(text[end:]):
        return "target"
    if text[begin:end].isdigit() and _YEAR_ADJECTIVE_EVENT.match(text[end:]):
        return "event"  # "the 2025 Shareholding Review", "the 2025 Youth Summit"
    near = text[max(0, begin - 120) : min(len(text), end + 80)]
    if _EVENT.search(near):
        return "event"
    if _TARGET.search(near):
        return "target"
    return "commitment"


def _actor(text: str, begin: int, kind: str) -> str:
    """Who is to act, where the clause says it; '' otherwise."""
    before = text[:begin]
    if kind == "call":
        cue = _last(_CALL, before)
        if cue is not None and (m := _ACTOR_AFTER_CALL.match(text[cue.end() :])):
            return m.group("actor").strip()
        return ""
    matches = list(_ACTOR_BEFORE.finditer(text))
    # "X and will deepen ...": a second verb of the same subject; look further back.
    before_it = [
        m for m in matches if m.start() < begin and not re.search(r"\band\s*$", m.group("actor"))
    ]
    found = before_it[-1] if before_it else next(iter(matches), None)
    if found is None:
        return ""
    actor = " ".join(found.group("actor").replace(",", " , ").split()).replace(" ,", ",")
    actor = re.sub(r"^(?:(?:and|of)\s+|,\s*)+", "", actor, flags=re.I).strip(" ,")
    actor = re.sub(r"(?:\s+(?:and|of|the)|\s*,)+$", "", actor, flags=re.I).strip(" ,")
    if re.fullmatch(r"(?:(?:the|our|their|both|all|each)\s*)*", actor, re.I):
        return ""  # "the aim of ...": no one named
    if re.search(r"(?:^|\s)we$", actor, re.I):
        return "We"  # "Together we", "In 2025, we"
    if not re.search(r"(?-i:[A-Z])", actor) and not re.match(r"(?:our|both|the)\b", actor, re.I):
        return ""
    return actor[:1].upper() + actor[1:]


def _is_yearless(expr: TimeExpression) -> bool:
    return (
        re.search(r"\d{4}|year|decade", expr.text, re.I) is None
        and re.search(
            rf"(?-i:{FULL_MONTHS})",
            expr.text,
        )
        is not None
    )


# Every time expression the rules know has a digit or one of these words; a cheap
# test that spares the full rule set most clauses.
_MAY_HAVE_TIME = re.compile(
    r"\d|year|decade|month|week|\bdays?\b|quarter|half|spring|summer|autumn|fall|winter|"
    rf"{FULL_MONTHS}|"
    r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b|date|soon|possible|practicable|"
    r"feasible|future|term|timely|course|delay|century|early|mid|late|end",
    re.I,
)


def _names_something(text: str, expr: TimeExpression) -> bool:
    """A date that names a document or marks an anniversary rather than dating an item."""
    before = text[max(0, expr.start_char - 30) : expr.start_char]
    if re.search(r"anniversary\W*(?:\w+\W+)?$", before, re.I):
        return True
    after = text[expr.end_char :]
    if re.search(r"\bthe\s+$", before) and re.match(r"\s+(?-i:[A-Z])", after):
        return _YEAR_ADJECTIVE_EVENT.match(after) is None
    return False


def dated_items(clause: Clause, anchor: date) -> list[tuple[TimeExpression, str]]:
    """The forward-dated items of one clause, each with its kind.

    The seed behaviour is kept: a binding clause ("will", "agreed", ...) yields every
    forward expression in it as a commitment unless a stronger cue says call, event
    or target. Other clauses yield an item only when a cue (an event, a call, a goal,
    "look forward", "welcome", ...) makes a forward date an item. Past narration
    ("This year, the President signed ...") and the same expression twice are dropped.
    """
    text = clause.text
    if not _MAY_HAVE_TIME.search(text):
        return []  # no digit and no time word: nothing for the time rules to find
    binding = is_binding(clause)
    out: list[tuple[TimeExpression, str]] = []
    seen: set[tuple[str, str]] = set()
    for expr in forward_expressions(text, anchor):
        key = (expr.text.lower(), expr.value)
        if key in seen:
            continue
        seen.add(key)
        dated = expr.due is not None or expr.start is not None
        if expr.start == anchor and expr.due == anchor and not _STRICT_FUTURE_CUE.search(text):
            continue  # "On this historic occasion of March 12, 2021": the statement's own day
        if dated:
            # Only a window around the statement's date can be told as past: "this year",
            # "in July"; a deadline years ahead ("protected by 2030") cannot.
            if expr.start is not None:
                window_open = expr.start <= anchor
            else:
                window_open = expr.due is not None and expr.due.year <= anchor.year
            if _is_yearless(expr) and not _STRICT_FUTURE_CUE.search(text[: expr.start_char]):
                continue  # "We welcome the Summit on March 21": a date just past
            if window_open and _narrated_as_past(text, expr.start_char, expr.end_char):
                continue
            if (
                window_open
                and expr.text.isdigit()
                and not _STRICT_FUTURE_CUE.search(text[: expr.start_char])
                and not binding
            ):
                continue  # "the 2022 Dialogue" in a 2022 statement: past or to come?
        if re.match(r"\s+(?-i:Vision|Agenda|Strategy)\b", text[expr.end_char :]):
            continue  # "the 2030 Agenda", "2050 Vision": names, not dates
        if not binding and _names_something(text, expr):
            continue  # "the September 2021 EU Strategy", "its 25th Anniversary in 2025"
        kind = _kind_of(text, expr.start_char, expr.end_char)
        if not binding:
            if not dated:
                continue  # vague hopes only count when the clause binds
            if (expr.due or expr.start or anchor) <= anchor:
                continue  # looked forward to, so after the statement's day
            cued = (
                _CALL.search(text[: expr.start_char])
                or _EXTRA_BINDING.search(text)
                or kind in ("event", "target")
                # A forward deadline, or a period from a stated day, dates something itself.
                or expr.kind == "deadline"
                or (expr.kind == "duration" and expr.start is not None and expr.start != anchor)
            )
            if not cued:
                continue
        out.append((expr, kind or "commitment"))
    return out


def extract(doc: Document, clauses: Sequence[Clause] | None = None) -> list[Commitment]:
    """Dated items in one document: commitments, calls, events and targets, with kinds."""
    if doc.date is None:
        return []
    out: list[Commitment] = []
    for clause in clauses if clauses is not None else segment(doc):
        used: dict[str, int] = {}
        for expr, kind in dated_items(clause, doc.date):
            base = f"{clause.clause_id}/{_slug(expr.value)}"
            used[base] = used.get(base, 0) + 1
            cid = base if used[base] == 1 else f"{base}-{used[base]}"
            out.append(
                Commitment(
                    id=cid,
                    doc_id=doc.doc_id,
                    clause_id=clause.clause_id,
                    text=clause.text,
                    citation=clause.citation,
                    expression=expr.text,
                    value=expr.value,
                    start=expr.start,
                    due=expr.due,
                    parties=doc.parties,
                    doc_title=doc.cite_title,
                    doc_date=doc.date,
                    kind=kind,
                    actor=_actor(clause.text, expr.start_char, kind),
                )
            )
    return out


def _as_date(value: object, where: str) -> date | None:
    if isinstance(value, datetime):  # "due: 2013-09-30 10:00" loads as a datetime
        return value.date()
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CurationError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _as_kind(value: object, where: str, default: str) -> str:
    if value is None:
        return default
    if str(value) not in KINDS:
        raise CurationError(f"{where}: kind {value!r} is not one of {', '.join(KINDS)}")
    return str(value)


def apply_curation(
    extracted: list[Commitment],
    clauses: Mapping[str, Clause],
    path: Path,
    warnings: list[str],
    *,
    parties: dict[str, tuple[str, ...]] | None = None,
) -> list[Commitment]:
    """Apply analysts' corrections from ``path`` (add / suppress / redate by id).

    ``parties`` (document id -> signatories) gives added commitments their parties.

    Curated entries win over extraction. An added commitment's ``expression`` must
    occur verbatim in its clause. Unknown ids are reported as warnings.
    """
    if not path.exists():
        return extracted
    name = path.name
    try:
        data = load_yaml(read_text_file(path, limit=MAX_CURATION_BYTES), limit=MAX_CURATION_BYTES)
        data = data or {}
    except RefusedFile as exc:
        raise CurationError(f"{name}: {exc}") from None
    except OSError as exc:
        raise CurationError(f"{name}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise CurationError(f"{name}: not UTF-8 (bad byte at offset {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise CurationError(f"{name}: not valid YAML ({where}{problem})") from None
    if not isinstance(data, dict):
        raise CurationError(f"{name}: expected sections 'add', 'suppress', 'redate'")
    unknown = set(data) - {"add", "suppress", "redate"}
    if unknown:
        raise CurationError(
            f"{name}: unknown section(s) {sorted(unknown)}; use add, suppress, redate"
        )
    for section in ("add", "suppress", "redate"):
        if data.get(section) is not None and not isinstance(data[section], list):
            raise CurationError(
                f"{name}: '{section}' must be a list of entries (lines starting '- ')"
            )
    by_id = {c.id: c for c in extracted}
    for i, entry in enumerate(data.get("suppress") or [], start=1):
        cid = entry.get("id") if isinstance(entry, dict) else entry
        if by_id.pop(str(cid), None) is None:
            warnings.append(f"{name}: suppress #{i}: no extracted commitment {cid!r}")
    for i, entry in enumerate(data.get("redate") or [], start=1):
        where = f"{name}: redate #{i}"
        if not isinstance(entry, dict) or "id" not in entry or "due" not in entry:
            raise CurationError(f"{where}: needs 'id' and 'due'")
        c = by_id.get(str(entry["id"]))
        if c is None:
            warnings.append(f"{where}: no extracted commitment {entry['id']!r}")
            continue
        by_id[c.id] = replace(
            c,
            due=_as_date(entry["due"], where),
            start=_as_date(entry.get("start"), where),
            source="curated",
            kind=_as_kind(entry.get("kind"), where, c.kind),
        )
    for i, entry in enumerate(data.get("add") or [], start=1):
        where = f"{name}: add #{i}"
        if not isinstance(entry, dict) or not {"clause_id", "expression"} <= set(entry):
            raise CurationError(f"{where}: needs 'clause_id', 'expression' and 'due'")
        clause = clauses.get(str(entry["clause_id"]))
        if clause is None:
            warnings.append(f"{where}: no clause {entry['clause_id']!r}; skipped")
            continue
        expression = str(entry["expression"])
        if expression not in clause.text:
            raise CurationError(
                f"{where}: expression {expression!r} is not in clause {clause.clause_id}"
            )
        cid = str(entry.get("id") or f"{clause.clause_id}/curated-{_slug(expression)}")
        by_id[cid] = Commitment(
            id=cid,
            doc_id=clause.doc_id,
            clause_id=clause.clause_id,
            text=clause.text,
            citation=clause.citation,
            expression=expression,
            value=str(entry.get("value") or ""),
            start=_as_date(entry.get("start"), where),
            due=_as_date(entry.get("due"), where),
            parties=as_parties(entry.get("parties")) or (parties or {}).get(clause.doc_id, ()),
            doc_title=clause.doc_title,
            doc_date=clause.doc_date,
            source="curated",
            kind=_as_kind(entry.get("kind"), where, "commitment"),
        )
    return list(by_id.values())


def extract_all(
    docs: Iterable[Document],
    clauses: Iterable[Clause],
    curated: Path | None = None,
    warnings: list[str] | None = None,
) -> list[Commitment]:
    """Commitments of every document, corrected by the curated file, sorted by due date."""
    docs = list(docs)
    clause_list = list(clauses)
    by_doc: dict[str, list[Clause]] = {}
    for c in clause_list:
        by_doc.setdefault(c.doc_id, []).append(c)
    found: list[Commitment] = []
    for doc in docs:
        found.extend(extract(doc, by_doc.get(doc.doc_id, [])))
    if curated is not None:
        found = apply_curation(
            found,
            {c.clause_id: c for c in clause_list},
            curated,
            warnings if warnings is not None else [],
            parties={d.doc_id: d.parties for d in docs},
        )
    return sorted(found, key=lambda c: (c.due or date.max, c.id))
