"""Polling a source politely: one conditional request per check, in the sandbox.

- :func:`poll` fetches the source's URL in a limited child process (:mod:`bot.sandbox`,
  the address checks of :func:`bot.fetch.fetch`), with If-None-Match / If-Modified-Since
  from the last answer; a 304 is :attr:`Listing.not_modified`. A feed is parsed there
  (feedparser), a listing page too (and its next pages, at most :data:`MAX_PAGES`).
- :func:`next_check` is when to look again: the source's interval after a good check;
  after failures an exponential backoff (interval x 2^failures, at most
  :data:`MAX_BACKOFF`); after a 429 or 503 at least the server's Retry-After.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import sandbox
from bot.fetch import FETCH_TIMEOUT, MAX_FETCH_BYTES, HttpStatusError, fetch, redact_text
from bot.ingest import IngestError
from bot.sources.feeds import looks_like_feed, parse_feed
from bot.sources.items import Item, Listing
from bot.sources.listing import parse_listing

__all__ = [
    "DEFAULT_INTERVAL",
    "MAX_BACKOFF",
    "MAX_PAGES",
    "MIN_INTERVAL",
    "PollError",
    "next_check",
    "poll",
    "sandbox_job",
]

#: How often a source is checked unless told otherwise.
DEFAULT_INTERVAL = timedelta(minutes=15)
#: The shortest interval allowed (politeness).
MIN_INTERVAL = timedelta(seconds=1)
#: The longest wait after failures (or a Retry-After).
MAX_BACKOFF = timedelta(hours=6)
#: Listing pages followed per check (the first and its "next" pages).
MAX_PAGES = 5

SANDBOX_PRELOAD = ("httpx", "lxml.html", "feedparser")


class PollError(Exception):
    """A check that failed; ``retry_after`` (seconds) when the server asked for a wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def next_check(
    now: datetime, interval: timedelta, failures: int, retry_after: float | None = None
) -> datetime:
    """When to check again: ``interval`` after a good check (``failures`` 0); else
    ``interval`` x 2^failures, capped at :data:`MAX_BACKOFF`, and never before the
    server's ``retry_after`` (also capped)."""
    wait = interval
    if failures > 0:
        wait = min(interval * (2 ** min(failures, 20)), max(MAX_BACKOFF, interval))
    if retry_after is not None:
        wait = max(wait, min(timedelta(seconds=retry_after), MAX_BACKOFF))
    return now + wait


def poll(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    selector: str = "",
    allow_private: bool = False,
    deadline: float | None = None,
) -> Listing:
    """One check of a source (see the module docstring). Raises :class:`PollError`."""
    deadline = sandbox.DEADLINE if deadline is None else deadline
    job = {
        "url": url,
        "etag": etag,
        "last_modified": last_modified,
        "selector": selector,
        "allow_private": allow_private,
        "deadline": deadline,
    }
    outcome = sandbox.run(
        "bot.sources.polling:sandbox_job",
        job,
        what="the source",
        limits=sandbox.Limits(deadline=deadline),
        scrub=redact_text,
    )
    if outcome.error:
        raise PollError(outcome.error)
    answer: dict[str, Any] = outcome.answer
    if "http_status" in answer:
        raise PollError(str(answer["message"]), answer.get("retry_after"))
    return Listing(
        kind=str(answer["kind"]),
        items=tuple(Item.from_json(i) for i in answer.get("items", ())),
        problems=tuple(str(p) for p in answer.get("problems", ())),
        etag=str(answer.get("etag", "")),
        last_modified=str(answer.get("last_modified", "")),
        not_modified=bool(answer.get("not_modified")),
        pages=int(answer.get("pages", 1)),
    )


def sandbox_job(job: dict[str, Any], data: bytes) -> dict[str, Any]:
    """The child's side: fetch (conditionally), then parse a feed or a listing page."""
    import time

    give_up = time.monotonic() + float(job["deadline"])

    def get(url: str, etag: str = "", last_modified: str = "") -> Any:
        return fetch(
            url,
            timeout=FETCH_TIMEOUT,
            max_bytes=MAX_FETCH_BYTES,
            allow_private=bool(job["allow_private"]),
            deadline=max(1.0, give_up - time.monotonic()),
            etag=etag,
            last_modified=last_modified,
        )

    try:
        first = get(
            str(job["url"]), str(job.get("etag") or ""), str(job.get("last_modified") or "")
        )
    except HttpStatusError as exc:
        return {"http_status": exc.status, "message": str(exc), "retry_after": exc.retry_after}
    validators = {"etag": first.etag, "last_modified": first.last_modified}
    if first.status == 304:
        return {"kind": "", "not_modified": True, **validators}
    if looks_like_feed(first.body, first.content_type):
        try:
            items, problems = parse_feed(first.body, first.url)
        except ValueError as exc:
            raise IngestError(f"{first.url}: {exc}") from None
        return {
            "kind": "feed",
            "items": [i.to_json() for i in items],
            "problems": problems,
            **validators,
        }
    items, problems, pages = [], [], 0
    seen: set[str] = set()
    url, got = first.url, first
    while True:
        pages += 1
        text = got.body.decode("utf-8", errors="replace")
        found, next_url = parse_listing(text, url, str(job.get("selector") or ""))
        for item in found:
            if item.key not in seen:
                seen.add(item.key)
                items.append(item)
        if not next_url or next_url == url or pages >= MAX_PAGES or next_url in seen:
            break
        seen.add(next_url)
        try:
            got = get(next_url)
        except IngestError as exc:  # the first pages still count
            problems.append(f"next page not read: {exc}")
            break
        url = got.url
    return {
        "kind": "listing",
        "items": [i.to_json() for i in items],
        "problems": problems,
        "pages": pages,
        **validators,
    }
