"""Hostile inputs (issue 20): each is refused with a one-line reason in bounded time, the
serving process's memory does not grow, and its other threads keep running.

All on loopback. Bounds are generous (a shared 2-core machine): 60 s where the issue
wants 30 s, and a 2 s worst wake-up of another thread where it wants 1 s; the real
figures are printed by ``python bench/hostile_bench.py``."""

from __future__ import annotations

import gzip
import logging
import re
import time
import zlib

import httpx
import pytest
from hostile import (
    Heartbeat,
    fixed,
    flat_html,
    gzip_bomb,
    gzip_stack_bomb,
    hostile_server,
    response,
    shared_stream_pdf,
    slow_headers,
)
from webfixtures import STATEMENT_PAGE

from bot.fetch import fetch_url, raw_from_bytes, read_source, redact_url
from bot.ingest import IngestError

LIMIT_HIT = r"(needs more memory than|needs more than \d+ s of processing|took longer than)"
PUBLIC = "93.184.216.34"  # a global address; never contacted (see PublicStub)


@pytest.fixture
def server():
    with hostile_server() as s:
        yield s


def still_serves(server) -> None:
    """The process that met the hostile input still fetches and parses a good page."""
    url = server.add("/good.html", fixed(response(STATEMENT_PAGE.encode(), PAGE)))
    assert "undersea cable routes" in read_source(url, allow_private=True).text


PAGE = {"Content-Type": "text/html; charset=utf-8"}


def refused_quickly(call, message: str) -> Heartbeat:
    start = time.monotonic()
    with Heartbeat() as beat, pytest.raises(IngestError) as exc:
        call()
    assert time.monotonic() - start < 60
    text = str(exc.value)
    assert "\n" not in text
    assert re.search(message, text), text
    assert beat.worst_gap < 2.0  # other users' work went on meanwhile
    assert beat.peak_rss - beat.base_rss < 64  # the work happened elsewhere
    return beat


# ------------------------------------------------------------------ content encoding


def test_stacked_gzip_is_refused_before_anything_is_inflated(server):
    """1,828 bytes that inflate to 256 MiB through two gzip layers."""
    bomb = gzip_stack_bomb(256)
    assert len(bomb) < 4096
    url = server.add(
        "/bomb.html", fixed(response(bomb, {**PAGE, "Content-Encoding": "gzip, gzip"}))
    )
    refused_quickly(
        lambda: read_source(url, allow_private=True),
        r"/bomb\.html: the server stacked 2 content encodings \(gzip, gzip\); refused$",
    )
    # The same stack as two header lines is two layers too.
    raw = response(bomb, PAGE).replace(
        b"\r\n\r\n", b"\r\nContent-Encoding: gzip\r\nContent-Encoding: gzip\r\n\r\n", 1
    )
    url2 = server.add("/bomb2.html", fixed(raw))
    with pytest.raises(IngestError, match="stacked 2 content encodings"):
        read_source(url2, allow_private=True)
    still_serves(server)


def test_one_gzip_layer_is_capped_while_it_streams(server):
    url = server.add(
        "/zeros.html", fixed(response(gzip_bomb(64), {**PAGE, "Content-Encoding": "gzip"}))
    )
    refused_quickly(
        lambda: read_source(url, allow_private=True),
        r"larger than 8192 KiB once decompressed; refused$",
    )


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw, as some servers send it
        ("identity", lambda b: b),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "identity"],
)
def test_one_layer_of_a_known_encoding_is_read(server, encoding, encode):
    body = encode(STATEMENT_PAGE.encode())
    url = server.add("/enc.html", fixed(response(body, {**PAGE, "Content-Encoding": encoding})))
    assert "undersea cable routes" in read_source(url, allow_private=True).text


def test_an_unknown_encoding_is_refused(server):
    url = server.add("/br.html", fixed(response(b"x", {**PAGE, "Content-Encoding": "br"})))
    with pytest.raises(IngestError, match=r"unsupported content encoding 'br'$"):
        read_source(url, allow_private=True)


# ------------------------------------------------------------------ time


def test_headers_trickled_a_byte_at_a_time_stop_at_the_deadline(server):
    """Each read gets a byte well within the 15 s read timeout, for ever."""
    url = server.add("/slow", slow_headers(interval=1.0))
    refused_quickly(
        lambda: read_source(url, allow_private=True, deadline=5),
        r"/slow: the page took longer than 5 s; stopped$",
    )
    assert server.seen.paths() == ["/slow"]
    still_serves(server)


# ------------------------------------------------------------------ parsing


def test_a_pdf_whose_pages_share_one_huge_stream_is_stopped():
    """200 pages showing one 60 MiB content stream, in ~200 KB."""
    pdf = shared_stream_pdf()
    assert len(pdf) < 400_000
    refused_quickly(
        lambda: raw_from_bytes(pdf, content_type="application/pdf", name="shared.pdf"),
        r"^shared\.pdf: the PDF " + LIMIT_HIT,
    )


def test_a_pdf_with_too_many_pages_is_refused():
    from webfixtures import make_pdf

    pdf = make_pdf([], pages=[["Page text."]] * 2001)
    with pytest.raises(IngestError, match=r"the PDF has 2,001 pages; at most 2,000$"):
        raw_from_bytes(pdf, name="long.pdf")


def test_a_huge_flat_page_is_bounded(server):
    page = flat_html(8_000_000)
    url = server.add("/flat.html", fixed(response(page, PAGE)))
    refused_quickly(
        lambda: read_source(url, allow_private=True), r"/flat\.html: the page " + LIMIT_HIT
    )
    still_serves(server)


# ------------------------------------------------------------------ the address


class PublicStub(httpx.BaseTransport):
    """Stands in for the internet: requests to ``PUBLIC`` are answered here, with
    ``answer``; any other goes out for real (to loopback, in these tests)."""

    def __init__(self, answer: httpx.Response) -> None:
        self.answer = answer
        self.seen: list[httpx.Request] = []
        self.real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.host == PUBLIC:
            return httpx.Response(
                self.answer.status_code,
                headers=self.answer.headers,
                stream=httpx.ByteStream(self.answer.content),  # unread, as from a socket
            )
        return self.real.handle_request(request)


def rebinding(first: str, then: str):
    """A resolver that answers ``first`` once, then ``then`` (DNS rebinding)."""
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return [first] if len(calls) == 1 else [then]

    return resolve, calls


def test_rebinding_cannot_reach_loopback(server):
    """The name is public when checked and loopback afterwards: the one connection goes
    to the address that was checked, and the loopback server sees nothing."""
    server.add("/statement.html", fixed(response(b"<html><body>internal</body></html>", PAGE)))
    resolve, calls = rebinding(PUBLIC, "127.0.0.1")
    stub = PublicStub(httpx.Response(200, headers=PAGE, content=STATEMENT_PAGE.encode()))
    body, _, final = fetch_url(
        f"http://news.example:{server.port}/statement.html", resolver=resolve, transport=stub
    )
    assert b"undersea cable routes" in body and b"internal" not in body
    assert calls == ["news.example"]  # resolved once
    assert [str(r.url) for r in stub.seen] == [f"http://{PUBLIC}:{server.port}/statement.html"]
    assert stub.seen[0].headers["host"] == f"news.example:{server.port}"
    assert final == f"http://news.example:{server.port}/statement.html"
    assert server.seen.requests == []


def test_a_redirect_to_loopback_is_refused_before_it_is_followed(server):
    server.add("/internal", fixed(response(b"<html><body>internal</body></html>", PAGE)))
    stub = PublicStub(httpx.Response(302, headers={"Location": f"{server.url}/internal"}))
    with pytest.raises(IngestError, match=r"127\.0\.0\.1 is not a public address; refused$"):
        fetch_url("http://news.example/start", resolver=lambda h, p: [PUBLIC], transport=stub)
    assert len(stub.seen) == 1 and server.seen.requests == []


def test_a_name_with_any_private_address_is_refused_without_a_request(server):
    stub = PublicStub(httpx.Response(200, content=b"x"))
    with pytest.raises(IngestError, match=r"news\.example is not a public address; refused$"):
        fetch_url(
            "http://news.example/", resolver=lambda h, p: [PUBLIC, "10.0.0.7"], transport=stub
        )
    assert stub.seen == []


def test_https_keeps_the_name_for_sni_and_the_certificate():
    stub = PublicStub(httpx.Response(200, headers=PAGE, content=STATEMENT_PAGE.encode()))
    fetch_url("https://news.example/s.html", resolver=lambda h, p: [PUBLIC], transport=stub)
    (request,) = stub.seen
    assert str(request.url) == f"https://{PUBLIC}/s.html"
    assert request.headers["host"] == "news.example"
    assert request.extensions["sni_hostname"] == "news.example"


def test_localhost_is_refused_in_slack_and_read_for_the_operator(server):
    url = server.add("/local.html", fixed(response(STATEMENT_PAGE.encode(), PAGE)))
    local = url.replace("127.0.0.1", "localhost")
    with pytest.raises(IngestError, match=r"localhost is not a public address; refused$"):
        read_source(local)
    # localhost may resolve to ::1 first; nothing listens there: the next address is tried.
    assert "undersea cable routes" in read_source(local, allow_private=True).text


# ------------------------------------------------------------------ secrets in URLs


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@example.org/a?b=1", "https://example.org/a?b=1"),
        ("https://example.org/a?token=s3&id=7", "https://example.org/a?id=7"),
        ("https://example.org/a?access_token=s&api_key=s&key=s&sig=s", "https://example.org/a"),
        (
            "https://b.s3.amazonaws.com/x.pdf?X-Amz-Algorithm=A&X-Amz-Credential=c"
            "&X-Amz-Signature=s&X-Amz-Security-Token=t&X-Amz-Expires=60&v=2",
            "https://b.s3.amazonaws.com/x.pdf?v=2",
        ),
        ("https://example.org/a?sv=1&sig=s&se=2", "https://example.org/a?sv=1&se=2"),
        ("https://example.org/cb#access_token=s&state=ok", "https://example.org/cb#state=ok"),
        (
            "https://example.org/a?keywords=sea&page=2#part-2",
            "https://example.org/a?keywords=sea&page=2#part-2",
        ),
        ("https://example.org:8443/a?Password=x", "https://example.org:8443/a"),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


SECRETS = ("hunter2", "s3cr3t-token", "AKIASIGNATURE", "implicit-flow-token")


def test_credentials_and_tokens_reach_neither_source_nor_logs(server, caplog):
    from bot.library import preview

    page = STATEMENT_PAGE.encode()
    server.add("/cables.html", fixed(response(page, PAGE)))
    url = (
        f"http://analyst:hunter2@127.0.0.1:{server.port}/cables.html"
        "?token=s3cr3t-token&lang=en&X-Amz-Signature=AKIASIGNATURE#access_token=implicit-flow-token"
    )
    caplog.set_level(logging.DEBUG)
    raw = read_source(url, allow_private=True)
    draft = preview(url, allow_private=True)
    clean = f"http://127.0.0.1:{server.port}/cables.html?lang=en"
    assert raw.url == clean and draft.source == clean
    assert f"source: {clean}" in raw.text
    # The credentials were still used for the fetch itself.
    _, headers = server.seen.requests[0]
    assert headers["authorization"] == "Basic YW5hbHlzdDpodW50ZXIy"  # analyst:hunter2
    # An error names the URL without them.
    with pytest.raises(IngestError) as exc:
        read_source(url.replace("/cables.html", "/missing.html"), allow_private=True)
    assert "the server answered HTTP 404" in str(exc.value)
    for secret in SECRETS:
        assert secret not in caplog.text
        assert secret not in raw.text and secret not in str(exc.value)


def test_httpx_request_logs_carry_no_tokens(server, caplog):
    server.add("/p.html", fixed(response(STATEMENT_PAGE.encode(), PAGE)))
    caplog.set_level(logging.INFO, logger="httpx")
    fetch_url(f"{server.url}/p.html?token=s3cr3t-token&lang=en", allow_private=True)
    logged = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert logged and all("s3cr3t-token" not in m for m in logged)
    assert any("/p.html?lang=en" in m for m in logged)
