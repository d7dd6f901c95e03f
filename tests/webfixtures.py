"""A loopback web server serving statement pages and PDFs, and a hand-written PDF maker."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


def make_pdf(lines: list[str], *, pages: list[list[str]] | None = None, title: str = "") -> bytes:
    """A minimal valid PDF 1.4 showing ``lines`` (ASCII) in Helvetica on one page, or
    each of ``pages`` on a page of its own; ``title`` goes in the /Info dictionary."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    def content(page: list[str]) -> bytes:
        ops = ["BT", "/F1 10 Tf", "12 TL", "40 800 Td"]
        ops += [f"({esc(line)}) Tj T*" for line in page]
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        return b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + (
            b"\nendstream"
        )

    texts = pages if pages is not None else [lines]
    first_page = 4  # objects: 1 catalog, 2 pages, 3 font, then page + content pairs
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(texts)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(texts)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, page in enumerate(texts):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents "
            + str(first_page + 2 * i + 1).encode()
            + b" 0 R >>"
        )
        objects.append(content(page))
    info = ""
    if title:
        objects.append(f"<< /Title ({esc(title)}) >>".encode("latin-1"))
        info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    size = len(objects) + 1
    out += f"trailer\n<< /Size {size} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes]]] = {}
    delay: ClassVar[dict[str, float]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in self.delay:
            time.sleep(self.delay[path])
        status, ctype, body = self.routes.get(path, (404, "text/plain", b"not found"))
        if status in (301, 302):
            self.send_response(status)
            self.send_header("Location", body.decode())
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class WebServer:
    """Serves ``routes`` (path -> (status, content type, body)) on 127.0.0.1."""

    def __init__(self) -> None:
        handler = type("H", (_Handler,), {"routes": {}, "delay": {}})
        self.handler = handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(
        self,
        path: str,
        body: bytes | str,
        ctype: str = "text/html; charset=utf-8",
        status: int = 200,
        delay: float = 0.0,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.handler.routes[path] = (status, ctype, data)
        if delay:
            self.handler.delay[path] = delay
        return self.url + path


@contextlib.contextmanager
def web_server() -> Iterator[WebServer]:
    server = WebServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


STATEMENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Joint Statement on Undersea Cables | Ministry of Foreign Affairs</title>
<meta property="og:title" content="Joint Statement on Undersea Cables">
<meta name="date" content="2026-03-03">
</head><body>
<header><nav><a href="/">Home</a> | <a href="/news">News</a> |
<a href="/contact">Contact us</a></nav></header>
<main><article>
<h1>Joint Statement on Undersea Cables</h1>
<p>Lisbon, 3 March 2026</p>
<p>1. Portugal and Norway share an interest in secure undersea cables that carry the
world's data and underpin the economies of both countries.</p>
<p>2. The two sides will complete a joint survey of undersea cable routes in the North
Atlantic by the end of 2027.</p>
<p>3. They call on industry to report cable faults to the competent authorities within
24 hours of detection.</p>
</article></main>
<footer><p>Share this page on social media. Subscribe to our newsletter.
Copyright 2026 Ministry.</p></footer>
</body></html>
"""

PDF_LINES = [
    "Joint Statement on Seabed Mapping",
    "",
    "Oslo, 5 May 2026",
    "",
    "1. Iceland and Norway will map the seabed of the Norwegian Sea together by 2029.",
    "",
    "2. The two sides will publish the seabed charts jointly.",
]
