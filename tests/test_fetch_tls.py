"""HTTPS to a pinned address: the connection goes to the checked IP, while the TLS
server name (SNI) and the certificate check use the URL's name. A loopback server with
a throwaway certificate for ``news.example`` (made by the openssl command line)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from webfixtures import STATEMENT_PAGE

from bot.fetch import fetch_url
from bot.ingest import IngestError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=news.example", "-addext", "subjectAltName=DNS:news.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    names: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = STATEMENT_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], cert, names
    finally:
        httpd.shutdown()
        httpd.server_close()


def trusting(cert) -> httpx.HTTPTransport:
    return httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(cert)))


def test_the_name_is_sent_and_checked_on_the_pinned_connection(tls_server):
    port, cert, names = tls_server
    names.clear()
    body, ctype, final = fetch_url(
        f"https://news.example:{port}/s.html",
        allow_private=True,
        resolver=lambda host, p: ["127.0.0.1"],
        transport=trusting(cert),
    )
    assert b"undersea cable routes" in body and ctype.startswith("text/html")
    assert names == ["news.example"]
    assert final == f"https://news.example:{port}/s.html"


def test_a_certificate_for_another_name_is_refused(tls_server):
    port, cert, _ = tls_server
    with pytest.raises(
        IngestError, match=r"^https://other\.example:\d+/s\.html: cannot be fetched"
    ):
        fetch_url(
            f"https://other.example:{port}/s.html",
            allow_private=True,
            resolver=lambda host, p: ["127.0.0.1"],
            transport=trusting(cert),
        )
