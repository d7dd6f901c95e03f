"""A loopback "publisher" for the sources tests: feeds and listing pages that change over
time, answering conditional requests (ETag / Last-Modified -> 304), 429 with
Retry-After on demand, and recording every request it gets."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LAST_MODIFIED = "Mon, 07 Dec 2026 09:00:00 GMT"


class Publisher:
    """Routes: path -> (status, content type, body). ``throttle[path] = n`` answers the
    next n requests for ``path`` with 429 and Retry-After ``retry_after``."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.throttle: dict[str, int] = {}
        self.retry_after = "1"
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.lock = threading.Lock()
        publisher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                publisher._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def put(self, path: str, body: str | bytes, ctype: str = "text/html; charset=utf-8") -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self.lock:
            self.routes[path] = (200, ctype, data)
        return self.url + path

    def hits(self, path: str) -> list[tuple[dict[str, str], int]]:
        with self.lock:
            return [(h, s) for p, h, s in self.requests if p == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            throttled = self.throttle.get(path, 0) > 0
            if throttled:
                self.throttle[path] -= 1
            status, ctype, body = self.routes.get(path, (404, "text/plain", b"not found"))
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        extra: dict[str, str] = {}
        if throttled:
            status, ctype, body = 429, "text/plain", b"slow down"
            extra["Retry-After"] = self.retry_after
        elif status == 200:
            extra = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
            if headers.get("if-none-match") == etag:
                status, body = 304, b""
        with self.lock:
            self.requests.append((path, headers, status))
        handler.send_response(status)
        if status != 304:
            handler.send_header("Content-Type", ctype)
        for k, v in extra.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(body)


@contextlib.contextmanager
def publisher() -> Iterator[Publisher]:
    pub = Publisher()
    thread = threading.Thread(target=pub.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield pub
    finally:
        pub.httpd.shutdown()
        pub.httpd.server_close()


def statement_page(title: str, paragraphs: list[str], *, when: str | None = None) -> str:
    """A ministry's page for one statement (``when``: its published date, ISO)."""
    meta = f'<meta name="date" content="{when}">' if when else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Ministry</title>{meta}</head>
<body><header><nav><a href="/">Home</a> <a href="/contact">Contact</a></nav></header>
<main><article><h1>{title}</h1>
{body}
</article></main>
<footer><p>Copyright 2026 Ministry.</p></footer></body></html>
"""


def rss(items: list[dict[str, Any]], *, title: str = "Ministry statements") -> str:
    """An RSS 2.0 feed: each item's ``title``, ``link``, optional ``guid`` and ``date``
    (RFC 822); an item without ``link`` is written without one (a malformed entry)."""
    parts = []
    for item in items:
        fields = [f"<title>{item['title']}</title>"]
        if item.get("link"):
            fields.append(f"<link>{item['link']}</link>")
        if item.get("guid"):
            fields.append(f"<guid>{item['guid']}</guid>")
        if item.get("date"):
            fields.append(f"<pubDate>{item['date']}</pubDate>")
        if item.get("summary"):
            fields.append(f"<description>{item['summary']}</description>")
        parts.append("<item>" + "".join(fields) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.invalid/</link>"
        + "".join(parts)
        + "</channel></rss>\n"
    )


def listing_page(links: list[tuple[str, str]], *, next_href: str = "") -> str:
    """A "Press releases" page linking to statements (relative links) and, optionally,
    to its next page."""
    rows = "\n".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    nxt = f'<a href="{next_href}">Next »</a>' if next_href else ""
    return f"""<!doctype html><html><head><title>Press releases</title></head><body>
<header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><h1>Press releases</h1><ul class="releases">
{rows}
</ul>{nxt}</main>
<footer><a href="https://elsewhere.example/">Partner site</a></footer></body></html>
"""
