"""Hostile inputs for fetching and parsing, and a loopback server that misbehaves on
purpose (stacked gzip, headers one byte at a time). Used by tests/test_fetch_hostile.py
and bench/hostile_bench.py."""

from __future__ import annotations

import contextlib
import functools
import socket
import socketserver
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# ------------------------------------------------------------------------- inputs


def _gzip_stream(chunks: Iterator[bytes]) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [z.compress(c) for c in chunks]
    out.append(z.flush())
    return b"".join(out)


@functools.cache
def gzip_bomb(mib: int = 1024) -> bytes:
    """``mib`` MiB of zeros, gzipped once (about 1 KB per MiB)."""
    return _gzip_stream(b"\0" * (1 << 20) for _ in range(mib))


@functools.cache
def gzip_stack_bomb(mib: int = 1024) -> bytes:
    """``mib`` MiB of spaces, gzipped twice: a few KB that a client decoding both
    layers (``Content-Encoding: gzip, gzip``) inflates to ``mib`` MiB."""
    inner = _gzip_stream(b" " * (1 << 20) for _ in range(mib))
    return _gzip_stream(iter([inner]))


@functools.cache
def shared_stream_pdf(pages: int = 200, stream_mib: int = 60) -> bytes:
    """A small PDF whose ``pages`` pages all show one content stream that inflates to
    ``stream_mib`` MiB of text operators: each page read parses all of it again."""
    line = b"(The parties will meet again to review progress.) Tj T*\n"
    body = b"BT /F1 10 Tf 12 TL 40 800 Td\n" + line * ((stream_mib << 20) // len(line)) + b"ET"
    stream = zlib.compress(body, 9)
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[" + kids + b"]/Count %d>>" % pages,
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
        b"<</Length %d/Filter/FlateDecode>>stream\n" % len(stream) + stream + b"\nendstream",
    ]
    objects += [
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R"
        b"/Resources<</Font<</F1 3 0 R>>>>>>"
    ] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@functools.cache
def flat_html(size: int = 8_000_000) -> bytes:
    """A page of ``size`` bytes (under the 8 MiB cap): one flat run of short paragraphs."""
    head = b"<!doctype html><html><head><title>Flat</title></head><body><main>\n"
    tail = b"</main></body></html>\n"
    para = b"<p>The ministers discussed maritime security in the region today.</p>\n"
    count = (size - len(head) - len(tail)) // len(para)
    return head + para * count + tail


# ------------------------------------------------------------------ the server

Responder = Callable[[socket.socket, "Stop"], None]


class Stop(threading.Event):
    """Set when the server shuts down: slow responders stop."""


def response(body: bytes, headers: dict[str, str] | None = None, status: str = "200 OK") -> bytes:
    """A whole HTTP/1.1 response, ``Content-Length`` added."""
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def fixed(data: bytes) -> Responder:
    def respond(conn: socket.socket, stop: Stop) -> None:
        conn.sendall(data)

    return respond


def slow_headers(interval: float = 1.0) -> Responder:
    """Headers one byte every ``interval`` seconds, for ever: each read gets a byte
    before any per-read timeout."""

    def respond(conn: socket.socket, stop: Stop) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: "
        i = 0
        while not stop.is_set():
            conn.sendall(head[i : i + 1] if i < len(head) else b"a")
            i += 1
            stop.wait(interval)

    return respond


@dataclass
class Seen:
    """What the server was asked: (path, headers) per request."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


class HostileServer:
    """Serves ``routes`` (path -> responder) on 127.0.0.1; records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Responder] = {}
        self.seen = Seen()
        self.stop = Stop()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(30)
                data = b""
                with contextlib.suppress(OSError):
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            return
                        data += chunk
                lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                path = parts[1] if len(parts) > 1 else "/"
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                server.seen.requests.append((path, headers))
                route = server.routes.get(path.split("?", 1)[0])
                with contextlib.suppress(OSError):
                    if route is None:
                        conn.sendall(response(b"not found", status="404 Not Found"))
                    else:
                        route(conn, server.stop)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def add(self, path: str, responder: Responder) -> str:
        self.routes[path] = responder
        return self.url + path


@contextlib.contextmanager
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.httpd.shutdown()
        server.httpd.server_close()


def rss_mib() -> float:
    """This process's resident memory now (MiB)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Heartbeat:
    """A thread that wakes every 50 ms while hostile work runs, recording how late it
    woke (what another user's ack would wait) and this process's resident memory."""

    def __init__(self) -> None:
        self.worst_gap = 0.0
        self.peak_rss = self.base_rss = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.monotonic()
            self._stop.wait(0.05)
            self.worst_gap = max(self.worst_gap, time.monotonic() - t - 0.05)
            self.peak_rss = max(self.peak_rss, rss_mib())

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
