"""What a source lists: :class:`Item` (one link to a statement) and :class:`Listing`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

__all__ = ["Item", "Listing", "clean_key", "clean_text"]


@dataclass(frozen=True)
class Item:
    """One statement a source lists: its key (feed guid, else its link), link, title,
    summary and date as the source gives them (None when it gives none)."""

    key: str
    url: str
    title: str = ""
    summary: str = ""
    published: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "url": self.url,
            "title": self.title,
            "summary": self.summary,
            "published": self.published.isoformat() if self.published else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        published = data.get("published")
        return cls(
            key=str(data["key"]),
            url=str(data["url"]),
            title=str(data.get("title") or ""),
            summary=str(data.get("summary") or ""),
            published=date.fromisoformat(published) if published else None,
        )


@dataclass(frozen=True)
class Listing:
    """One poll of a source: ``not_modified`` (304), else its items and problems."""

    kind: str  # "feed" or "listing"
    items: tuple[Item, ...] = ()
    problems: tuple[str, ...] = ()
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False
    pages: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def clean_text(text: str) -> str:
    """One line of text: whitespace collapsed."""
    return " ".join(text.split())


def clean_key(href: str, base_url: str) -> str:
    """An absolute http(s) URL for ``href`` (relative links resolved against
    ``base_url``, fragment dropped); "" for anything else (mailto:, javascript:, …)."""
    href = href.strip()
    if not href:
        return ""
    absolute, _ = urldefrag(urljoin(base_url, href))
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return absolute
