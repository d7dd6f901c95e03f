"""A brief as a document: verbatim clauses with citations and a table of dated items.

``/brief canvas <document or topic>`` and the "Make a brief" button produce the
Markdown that becomes a Slack canvas. A document (named by its id or the words of its
title) gives all its clauses in order; anything else is a topic, and gives the best
matching clauses. Statement text is escaped for Markdown, so a ``*`` or ``_`` in a
statement stays a character and never becomes formatting.

Core module: no Slack imports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.reading.clauses import Clause, format_date
from bot.search import QueryError

__all__ = ["Brief", "brief_markdown", "build_brief", "md_escape", "resolve_document"]

#: Clauses in a topic brief (a document brief has all of its own).
TOPIC_CLAUSES = 10
#: Slack's limit on a canvas's Markdown content.
MARKDOWN_LIMIT = 1_048_576

# CommonMark's escapable punctuation that can start formatting, links, HTML, tables.
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]<>|#!{}])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)", re.M)


def md_escape(text: str) -> str:
    """``text`` as literal Markdown: every character that could format is backslash-escaped
    (and ``&`` written as an entity, so ``&amp;`` in a statement shows as typed)."""
    out = text.replace("&", "&amp;")
    out = _MD_SPECIAL.sub(r"\\\1", out)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out)


@dataclass
class Brief:
    """What a canvas brief holds."""

    title: str
    #: (clause, score or None) in the order shown.
    clauses: list[tuple[Clause, float | None]]
    #: Commitment rows (contract shape plus status) for those clauses.
    items: list[dict[str, Any]] = field(default_factory=list)
    doc_id: str | None = None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", text.lower()) if w]


def resolve_document(documents: Sequence[Any], text: str) -> Any | None:
    """The one document ``text`` names (its id, an id prefix, or all its title's words
    given), or None when it names none or several."""
    want = text.strip().lower()
    if not want:
        return None
    exact = [d for d in documents if d.doc_id.lower() == want]
    if exact:
        return exact[0]
    words = set(_words(want))

    def names(d: Any) -> bool:
        if len(want) >= 6 and d.doc_id.lower().startswith(want):
            return True
        title_words = set(_words(d.title)) | set(_words(d.short_title))
        return len(words) >= 2 and words <= title_words

    found = [d for d in documents if names(d)]
    return found[0] if len(found) == 1 else None


def build_brief(services: Any, text: str, *, limit: int = TOPIC_CLAUSES) -> Brief:
    """The brief for a document or a topic; QueryError (with the reason) when there is
    nothing to put in it."""
    wanted = text.strip()
    if not wanted:
        raise QueryError("Name a document or a topic: /brief canvas <document or topic>.")
    doc = resolve_document(services.corpus.documents, wanted)
    if doc is not None:
        clauses = [(c, None) for c in services.index.clauses_of(doc.doc_id)]
        rows = [r for r in services.commitment_rows() if r["doc_id"] == doc.doc_id]
        return Brief(title=doc.title, clauses=clauses, items=rows, doc_id=doc.doc_id)
    result = services.index.search(wanted, limit=limit)
    if not result.hits:
        raise QueryError(f"No clause matches “{wanted}” well enough for a brief.")
    chosen = [(h.clause, float(h.score)) for h in result.hits]
    ids = {c.clause_id for c, _ in chosen}
    rows = [r for r in services.commitment_rows() if r["clause_id"] in ids]
    return Brief(title=wanted, clauses=chosen, items=rows)


def _quote(text: str) -> str:
    return "\n".join(f"> {md_escape(line)}" if line else ">" for line in text.splitlines())


def brief_markdown(brief: Brief, *, made_on: date) -> str:
    """The canvas content: heading, verbatim quotes with citations, dated-items table."""
    kind = "statement" if brief.doc_id else "topic"
    lines = [
        f"# Brief: {md_escape(brief.title)}",
        "",
        f"Made by briefbot on {format_date(made_on)} for the {kind} above. "
        f"{len(brief.clauses)} clauses, quoted word for word; {len(brief.items)} dated items.",
        "",
        "## Clauses",
        "",
    ]
    for clause, score in brief.clauses:
        lines.append(_quote(clause.text))
        note = f"— **{md_escape(clause.citation)}**"
        if score is not None:
            note += f" · score {score:.0f}"
        lines += [note, ""]
    lines += ["## Dated items", ""]
    if brief.items:
        lines += [
            "| Due | Time phrase | Kind | Status | Citation |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in sorted(brief.items, key=lambda r: (r.get("due") or "9999", r["id"])):
            cells = [
                row.get("due") or "undated",
                row.get("expression", ""),
                row.get("kind", ""),
                str(row.get("status", "not_yet_rated")).replace("_", " "),
                row.get("citation", ""),
            ]
            lines.append("| " + " | ".join(md_escape(str(c)) for c in cells) + " |")
    else:
        lines.append("No dated items in these clauses.")
    out = "\n".join(lines) + "\n"
    if len(out) > MARKDOWN_LIMIT:
        out = (
            out[: MARKDOWN_LIMIT - 200].rsplit("\n", 1)[0]
            + "\n\n(Brief cut at Slack's size limit.)\n"
        )
    return out
