"""RSS and Atom feeds, read with feedparser: each entry an :class:`Item`."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.sources.items import Item, clean_key, clean_text

__all__ = ["looks_like_feed", "parse_feed"]


def looks_like_feed(data: bytes, content_type: str) -> bool:
    """True for an RSS/Atom document (by content type, else by its first element)."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype in ("application/rss+xml", "application/atom+xml", "application/rdf+xml"):
        return True
    head = data[:2048].lstrip().lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if ctype in ("text/html", "application/xhtml+xml") and b"<html" in head:
        return False
    return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf"))


def _date(entry: Any) -> date | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(name)
        if parsed:
            try:
                return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
            except (ValueError, AttributeError):
                continue
    return None


def parse_feed(data: bytes, base_url: str) -> tuple[list[Item], list[str]]:
    """The feed's entries, in the feed's order, and one problem line per entry that
    cannot be used (no link). Raises ValueError when ``data`` is no readable feed."""
    import feedparser

    parsed = feedparser.parse(data, response_headers={"content-location": base_url})
    # A feed with no entry yet is a feed (feedparser still flags it "bozo": it was not
    # told the content type); what it cannot read as RSS or Atom at all is no feed.
    if parsed.get("bozo") and not parsed.entries and not parsed.get("version"):
        reason = parsed.get("bozo_exception")
        first = str(reason).strip().splitlines()[0][:200] if reason else "unreadable"
        raise ValueError(f"not a readable RSS or Atom feed ({first})")
    if not parsed.get("version") and not parsed.entries:
        raise ValueError("not an RSS or Atom feed")
    items: list[Item] = []
    problems: list[str] = []
    for n, entry in enumerate(parsed.entries, 1):
        link = clean_key(str(entry.get("link") or ""), base_url)
        title = clean_text(str(entry.get("title") or ""))
        if not link:
            problems.append(f"entry {n} ({title[:60] or 'untitled'}): no link to follow")
            continue
        key = clean_text(str(entry.get("id") or "")) or link
        items.append(
            Item(
                key=key[:500],
                url=link,
                title=title[:500],
                summary=clean_text(str(entry.get("summary") or ""))[:2000],
                published=_date(entry),
            )
        )
    return items, problems
