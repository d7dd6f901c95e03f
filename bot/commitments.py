"""Commitments: dated promises extracted from clauses, and their statuses.

Extraction lives here; statuses (with history) live in the database
(:mod:`bot.store`). This module knows nothing of Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.clauses import Clause, segment
from bot.documents import Document, as_parties
from bot.safeio import MAX_CURATION_BYTES, RefusedFile, load_yaml, read_text_file
from bot.timeexpr import forward_expressions

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "STATUSES",
    "Commitment",
    "CurationError",
    "apply_curation",
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


def extract(doc: Document, clauses: Sequence[Clause] | None = None) -> list[Commitment]:
    """Commitments in one document: binding clauses with a forward time expression."""
    if doc.date is None:
        return []
    out: list[Commitment] = []
    for clause in clauses if clauses is not None else segment(doc):
        if not is_binding(clause):
            continue
        used: dict[str, int] = {}
        for expr in forward_expressions(clause.text, doc.date):
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


def apply_curation(
    extracted: list[Commitment],
    clauses: dict[str, Clause],
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
