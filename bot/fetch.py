"""Raw statement text from a file, a web page or a PDF, ready for :func:`bot.ingest.prepare_text`.

- Web pages are fetched with httpx (connect/read timeouts, at most
  :data:`MAX_FETCH_BYTES`, redirects followed up to 5 times, http/https only) and reduced
  to their main text by trafilatura, whose title and date become front matter; briefbot's
  own cleaning (:mod:`bot.clean`) runs after, as for any paste.
- PDF text comes from pypdf, page by page, less running headers, footers and page
  numbers (:mod:`bot.reading.pdfpages`); the PDF's /Title is its title.
- ``.txt`` / ``.md`` files are read as they are; an ``.html`` file that is a whole page
  (``<html>`` or ``<body>``) goes through trafilatura, a fragment through the cleaner.

Every problem is a :class:`bot.ingest.IngestError` with a one-line reason.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clauses import heading_text
from bot.documents import render_document
from bot.ingest import INGEST_SUFFIXES, IngestError, read_raw
from bot.reading.pdfpages import strip_running_lines
from bot.safeio import MAX_STATEMENT_BYTES, RefusedFile

__all__ = [
    "FETCH_TIMEOUT",
    "MAX_FETCH_BYTES",
    "RawSource",
    "is_url",
    "raw_from_bytes",
    "read_source",
]

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)

#: Seconds to connect, and between bytes read, when fetching a URL.
FETCH_TIMEOUT = 15.0
#: The largest page or PDF fetched (bytes); larger downloads are refused.
MAX_FETCH_BYTES = MAX_STATEMENT_BYTES
#: Seconds a whole download may take, however slowly the bytes trickle in.
FETCH_DEADLINE = 60.0

_USER_AGENT = "briefbot (statement ingest)"


@dataclass(frozen=True)
class RawSource:
    """A statement's raw text and where it came from."""

    text: str
    #: A file name (or one made from the URL): used in messages and for a dated name.
    name: str
    #: The URL it was fetched from ("" for a local file).
    url: str = ""
    #: ``text``, ``html`` or ``pdf``.
    kind: str = "text"


def is_url(spec: str) -> bool:
    """True for an ``http://`` or ``https://`` address."""
    return bool(re.match(r"https?://", spec.strip(), re.I))


def read_source(
    spec: str | Path,
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_FETCH_BYTES,
    allow_private: bool = False,
) -> RawSource:
    """The raw text of a file path or a URL. Raises IngestError.

    URLs whose host is (or resolves to, at any redirect) a loopback, private,
    link-local or otherwise non-public address are refused unless ``allow_private``:
    a URL pasted in Slack must not make the bot read the internal network. The CLI,
    run by an operator, allows them."""
    if isinstance(spec, str) and is_url(spec):
        data, content_type, final_url = _fetch(
            spec.strip(), timeout=timeout, max_bytes=max_bytes, allow_private=allow_private
        )
        return raw_from_bytes(data, content_type=content_type, name=_name_of(final_url), url=spec)
    path = Path(spec)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        data = _read_bytes(path, max_bytes)
        return RawSource(_pdf_text(data, path.name), path.name, kind="pdf")
    text = read_raw(path)
    if suffix in (".html", ".htm") and _is_page(text):
        page = _html_source(text, path.name, url="", fallback=True)
        if page is not None:
            return page
    return RawSource(text, path.name)


def raw_from_bytes(
    data: bytes, *, content_type: str = "", name: str = "statement", url: str = ""
) -> RawSource:
    """Raw text from downloaded or uploaded bytes: PDF, HTML or plain UTF-8 text."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if data[:5] == b"%PDF-" or ctype == "application/pdf":
        return RawSource(_pdf_text(data, name), name, url=url, kind="pdf")
    text = _decode(data, content_type, name)
    if ctype in ("text/html", "application/xhtml+xml") or _is_page(text):
        page = _html_source(text, name, url=url, fallback=False)
        assert page is not None
        return page
    if "\x00" in text:
        raise IngestError(f"{name}: not a text, HTML or PDF document")
    return RawSource(text, name, url=url)


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        if not path.is_file():
            problem = "not a regular file" if path.exists() else "no such file"
            raise IngestError(f"{path}: {problem}")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise IngestError(f"{path.name}: larger than {limit // 1024} KiB; refused")
    return data


def _decode(data: bytes, content_type: str, name: str) -> str:
    m = re.search(r"charset=([\w-]+)", content_type, re.I)
    encodings = [m.group(1)] if m else []
    for enc in [*encodings, "utf-8"]:
        try:
            return data.decode(enc).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            continue
    raise IngestError(f"{name}: not UTF-8 text (and no usable charset given)")


def _is_page(text: str) -> bool:
    return bool(re.search(r"<(html|body)[\s>]", text[:20_000], re.I))


def _html_source(html: str, name: str, *, url: str, fallback: bool) -> RawSource | None:
    """The main text of a page as front matter (title, date, source) + body."""
    import trafilatura

    body = trafilatura.extract(
        html,
        url=url or None,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_links=False,
        include_images=False,
        favor_recall=True,
        deduplicate=False,
    )
    if not body or not body.strip():
        if fallback:
            return None
        raise IngestError(f"{name}: no statement text found on the page")
    meta: dict[str, object] = {}
    info = trafilatura.extract_metadata(html, default_url=url or None)
    if info is not None:
        if info.title:
            meta["title"] = " ".join(info.title.split())
        if info.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(info.date)):
            meta["date"] = str(info.date)
    if url:
        meta["source"] = url
    # trafilatura puts one block (paragraph, heading, list item) per line.
    blocks = [" ".join(line.split()) for line in body.splitlines() if line.strip()]
    if blocks and meta.get("title") and blocks[0].casefold() == str(meta["title"]).casefold():
        blocks.pop(0)  # the page's own heading repeats the title
    body = "\n\n".join(blocks)
    text = render_document(meta, body) if meta else body
    return RawSource(text, name, url=url, kind="html")


def _pdf_text(data: bytes, name: str) -> str:
    """A PDF's statement text: running lines out (recorded in front matter as
    ``removed``), paragraphs rebuilt, and the PDF's own /Title as the title."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(f"{name}: the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = _pdf_title(reader)
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        # PyPdfError covers LimitReachedError (a decompression bomb) and read errors.
        raise IngestError(f"{name}: not a readable PDF ({type(exc).__name__})") from None
    read = strip_running_lines(pages)
    text = _pdf_paragraphs(read.pages)
    if not text.strip():
        raise IngestError(f"{name}: the PDF has no text layer (scanned?); paste the text instead")
    meta: dict[str, object] = {}
    if title:
        meta["title"] = title
    if read.removals:
        meta["removed"] = [r.to_json() for r in read.removals]
    return render_document(meta, text) if meta else text


def _pdf_title(reader: PdfReader) -> str:
    """The PDF's /Title when it names the document (not "Microsoft Word - x.docx")."""
    from pypdf.errors import PyPdfError

    try:
        raw = reader.metadata.title if reader.metadata else None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return ""  # a broken info dictionary is no title, not an error
    title = " ".join(str(raw or "").split())
    if not title or len(title) > 300 or not re.search(r"[^\W\d_]{3}", title):
        return ""
    if re.search(r"^(?:microsoft \w+ - |untitled)|\.(?:docx?|pdf|indd|rtf)$", title, re.I):
        return ""
    return title


_NEW_POINT = re.compile(r"(\d{1,3}[.)]|\([a-z0-9]{1,3}\)|[-•–—])\s")
_ENDS_SENTENCE = re.compile(r"[.;:!?”\"]$")


def _pdf_paragraphs(pages: list[list[str]]) -> str:
    """PDF text has line ends but no paragraph marks: a line much shorter than the page's
    usual width (a heading, a dateline, a paragraph's last line) or ending in a colon
    closes a paragraph; a blank line or a new numbered point after a full stop does too.
    A page break closes one only when the sentence before it is finished: a sentence
    broken across pages is one paragraph. The words are untouched."""
    lines = [ln.rstrip() for page in pages for ln in page]
    lengths = sorted(len(ln) for ln in lines if ln.strip())
    if not lengths:
        return ""
    width = max(40, lengths[int(len(lengths) * 0.9) - 1 if len(lengths) > 1 else 0])
    paras: list[str] = []
    current: list[str] = []
    for page in pages:
        if current and _ENDS_SENTENCE.search(current[-1]):
            paras.append(" ".join(current))
            current = []
        for line in page:
            line = " ".join(line.split())
            if not line:
                if current:
                    paras.append(" ".join(current))
                    current = []
                continue
            if current and _NEW_POINT.match(line) and (
                _ENDS_SENTENCE.search(current[-1]) or heading_text(current[-1]) is not None
            ):
                paras.append(" ".join(current))  # a numbered or bulleted point starts
                current = []
            current.append(line)
            if len(line) < 0.7 * width or line.endswith(":"):
                paras.append(" ".join(current))
                current = []
    if current:
        paras.append(" ".join(current))
    return "\n\n".join(paras)


def _name_of(url: str) -> str:
    """A file-like name for a URL (its last path segment), for messages and dated names."""
    tail = re.sub(r"[?#].*$", "", url).rstrip("/").rsplit("/", 1)[-1]
    tail = re.sub(r"[^A-Za-z0-9_.-]+", "-", tail).strip("-.")
    known = {*(s.lstrip(".") for s in INGEST_SUFFIXES), "pdf"}
    if "." in tail and tail.rsplit(".", 1)[-1].lower() not in known:
        tail = tail.split(".", 1)[0]
    return tail or "page"


def _refuse_private(url: str) -> None:
    """IngestError when ``url``'s host is not a public internet address."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise IngestError(f"{url}: only http and https addresses can be fetched")
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise IngestError(f"{url}: the host {host!r} is unknown") from None
    for info in infos:
        if not public_address(str(info[4][0])):
            raise IngestError(f"{url}: {host} is not a public address; refused")


def public_address(text: str) -> bool:
    """True for a global internet address. IPv4 carried in IPv6 (mapped, NAT64
    64:ff9b::/96, 6to4 2002::/16) is judged by the IPv4 address it carries."""
    import ipaddress

    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None:
            address = address.sixtofour
        elif address in ipaddress.ip_network("64:ff9b::/96"):
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return bool(address.is_global)


def _fetch(
    url: str, *, timeout: float, max_bytes: int, allow_private: bool = False
) -> tuple[bytes, str, str]:
    """GET ``url``: (body, content type, final URL). Raises IngestError."""
    import time

    import httpx

    def check(request: httpx.Request) -> None:  # every hop, redirects included
        _refuse_private(str(request.url))

    def connected(response: httpx.Response) -> None:
        # The address actually connected to: a name that resolved to a public address
        # for the check and to a private one for the connection (DNS rebinding) stops here,
        # before any of the body is read.
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if not peer or not public_address(str(peer[0])):
            raise IngestError(f"{response.request.url}: not a public address; refused")

    deadline = time.monotonic() + FETCH_DEADLINE
    try:
        with (
            httpx.Client(
                timeout=httpx.Timeout(timeout),
                follow_redirects=True,
                max_redirects=5,
                headers={"User-Agent": _USER_AGENT},
                event_hooks={
                    "request": [] if allow_private else [check],
                    "response": [] if allow_private else [connected],
                },
                trust_env=False,  # no proxy from the environment around the checks
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise IngestError(f"{url}: the server answered HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise IngestError(f"{url}: larger than {max_bytes // 1024} KiB; refused")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise IngestError(f"{url}: larger than {max_bytes // 1024} KiB; refused")
                if time.monotonic() > deadline:
                    raise IngestError(f"{url}: download took over {FETCH_DEADLINE:.0f} s")
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("content-type", ""), str(response.url)
    except IngestError:
        raise
    except httpx.TimeoutException:
        raise IngestError(f"{url}: no answer within {timeout:.0f} s") from None
    except httpx.TooManyRedirects:
        raise IngestError(f"{url}: too many redirects") from None
    except (httpx.HTTPError, httpx.InvalidURL, RefusedFile, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise IngestError(f"{url}: cannot be fetched ({first})") from None
