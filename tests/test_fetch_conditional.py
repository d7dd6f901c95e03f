"""Conditional requests through bot.fetch (for followed sources): ETag / Last-Modified
sent, a 304 passed back, an error status with its Retry-After."""

from __future__ import annotations

import pytest
from sourcefixtures import publisher, rss

from bot.fetch import HttpStatusError, fetch, fetch_url, retry_after_seconds
from bot.ingest import IngestError


def test_conditional_fetch_gets_304_and_429_carries_retry_after():
    with publisher() as pub:
        url = pub.put("/feed.xml", rss([]), "application/rss+xml")
        first = fetch(url, allow_private=True)
        assert first.status == 200 and first.etag and first.last_modified
        again = fetch(url, allow_private=True, etag=first.etag)
        assert again.status == 304 and again.body == b""
        assert pub.hits("/feed.xml")[1][0]["if-none-match"] == first.etag
        pub.throttle["/feed.xml"] = 1
        pub.retry_after = "120"
        with pytest.raises(HttpStatusError) as info:
            fetch(url, allow_private=True)
        assert info.value.status == 429 and info.value.retry_after == 120.0
        # fetch_url keeps its shape, and still refuses loopback unless allowed
        body, _, _ = fetch_url(url, allow_private=True)
        assert b"<rss" in body
        with pytest.raises(IngestError, match="not a public"):
            fetch_url(url)


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds("30") == 30.0
    assert retry_after_seconds("Mon, 07 Dec 2026 09:01:00 GMT", now=1796634000.0) == 60.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
