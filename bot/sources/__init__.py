"""Sources: statements that arrive by themselves, from feeds and listing pages.

One entry point for the rest of briefbot; one module per idea:

- :mod:`bot.sources.items`: what a source lists (an item: key, link, title, date);
- :mod:`bot.sources.feeds`: RSS/Atom feeds (feedparser);
- :mod:`bot.sources.listing`: listing pages (links, a CSS selector, pagination);
- :mod:`bot.sources.polling`: one polite, conditional, sandboxed fetch; intervals and
  backoff;
- :mod:`bot.sources.checking`: sources in the database, the check that stores what is
  new exactly once, and announcements.
"""

from bot.sources.checking import (
    DEFAULT_BACKFILL,
    MAX_BACKFILL,
    Announcement,
    Announcer,
    CheckReport,
    ItemOutcome,
    Source,
    SourceError,
    add_source,
    announce_pending,
    check_backfill,
    check_due,
    check_source,
    get_source,
    list_sources,
    parse_kinds,
    remove_source,
)
from bot.sources.polling import DEFAULT_INTERVAL, next_check

__all__ = [
    "DEFAULT_BACKFILL",
    "DEFAULT_INTERVAL",
    "MAX_BACKFILL",
    "Announcement",
    "Announcer",
    "CheckReport",
    "ItemOutcome",
    "Source",
    "SourceError",
    "add_source",
    "announce_pending",
    "check_backfill",
    "check_due",
    "check_source",
    "get_source",
    "list_sources",
    "next_check",
    "parse_kinds",
    "remove_source",
]
