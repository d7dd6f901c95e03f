"""Which indexed statement a posted link is, and what to say about it (link unfurls).

A statement's ``source`` front matter is often its URL. A link someone posts is matched
against those URLs after folding what does not change the page: the scheme (http or
https), a leading ``www.``, the host's case, a trailing slash and a ``#fragment``.

Core module: no Slack imports.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["LinkSummary", "find_linked", "normalise_url", "source_domains"]


def _host(parts: urllib.parse.SplitResult) -> str:
    host = (parts.hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def normalise_url(url: str) -> str | None:
    """A comparable form of an http(s) URL; None for anything else (a plain-text source)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{_host(parts)}{path}{query}"


def source_domains(sources: Iterable[str]) -> list[str]:
    """The host names of the http(s) sources, sorted, each once (as Slack's manifest
    lists unfurl domains: no scheme, no path)."""
    hosts = set()
    for source in sources:
        key = normalise_url(source)
        if key is not None:
            hosts.add((urllib.parse.urlsplit(source.strip()).hostname or "").lower())
    return sorted(h for h in hosts if h)


@dataclass(frozen=True)
class LinkSummary:
    """What an unfurl says about one statement."""

    url: str
    doc_id: str
    title: str
    date: date | None
    parties: tuple[str, ...]
    clauses: int
    dated_items: int
    #: The next dated items on or after today (at most ``limit``), oldest first; when none
    #: is ahead, the last ones that fell due (and ``ahead`` is False).
    items: Sequence[Any] = field(default_factory=tuple)
    ahead: bool = True


def find_linked(
    urls: Iterable[str],
    documents: Iterable[Any],
    clause_counts: dict[str, int],
    commitments: Iterable[Any],
    *,
    today: date,
    limit: int = 3,
) -> list[LinkSummary]:
    """One summary per posted URL that is an indexed statement's source (others ignored)."""
    by_url: dict[str, Any] = {}
    for doc in documents:
        key = normalise_url(getattr(doc, "source", "") or "")
        if key is not None:
            by_url.setdefault(key, doc)
    items = list(commitments)
    out: list[LinkSummary] = []
    for url in urls:
        key = normalise_url(url)
        doc = by_url.get(key) if key is not None else None
        if doc is None:
            continue
        own = [c for c in items if c.doc_id == doc.doc_id]
        dated = sorted((c for c in own if c.due), key=lambda c: c.due)
        ahead = [c for c in dated if c.due >= today]
        out.append(
            LinkSummary(
                url=url,
                doc_id=doc.doc_id,
                title=doc.title,
                date=doc.date,
                parties=tuple(doc.parties),
                clauses=clause_counts.get(doc.doc_id, 0),
                dated_items=len(own),
                items=tuple(ahead[:limit] if ahead else dated[-limit:]),
                ahead=bool(ahead),
            )
        )
    return out
