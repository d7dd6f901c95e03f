"""Raw statement text from a file, a web page or a PDF, ready for :func:`bot.ingest.prepare_text`.

Whatever a user hands over is read as if hostile. Fetching a URL and parsing a page or a
PDF (from a URL, a file or uploaded bytes) run in a child process with hard limits on
memory, CPU seconds and wall-clock time (:mod:`bot.sandbox`); the calling thread only
waits, and a child that overruns is stopped with a one-line reason. Plain text is read
in-process (capped by :mod:`bot.reading.safeio`).

- Web pages are fetched with httpx by :func:`fetch_url`: http/https only, the host
  resolved once and every address checked (public only, unless ``allow_private``), the
  connection made to that checked address (Host header and TLS server name kept), so a
  name that re-resolves elsewhere (DNS rebinding) cannot reach an internal address;
  redirects (at most 5) are checked the same way. One content-encoding layer at most
  (gzip or deflate), inflated while streaming and capped at :data:`MAX_FETCH_BYTES`.
  trafilatura reduces the page to its main text, whose title and date become front
  matter; briefbot's own cleaning (:mod:`bot.reading.clean`) runs after, as for any paste.
- PDF text comes from pypdf, page by page, less running headers, footers and page
  numbers (:mod:`bot.reading.pdfpages`); the PDF's /Title is its title.
- ``.txt`` / ``.md`` files are read as they are; an ``.html`` file that is a whole page
  (``<html>`` or ``<body>``) goes through trafilatura, a fragment through the cleaner.
- Credentials (``user:pass@``) and query tokens (``token=``, ``key=``, ``sig=``,
  ``X-Amz-*``...) never reach the stored ``source``, messages or logs
  (:func:`redact_url`).

Every problem is a :class:`bot.ingest.IngestError` with a one-line reason.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import sandbox
from bot.ingest import INGEST_SUFFIXES, IngestError, read_raw
from bot.reading.clauses import heading_text
from bot.reading.documents import render_document
from bot.reading.pdfpages import strip_running_lines
from bot.reading.safeio import MAX_STATEMENT_BYTES, RefusedFile

__all__ = [
    "FETCH_DEADLINE",
    "FETCH_TIMEOUT",
    "MAX_FETCH_BYTES",
    "MAX_PDF_PAGES",
    "Fetched",
    "HttpStatusError",
    "RawSource",
    "Resolver",
    "fetch",
    "fetch_url",
    "is_url",
    "public_address",
    "raw_from_bytes",
    "read_source",
    "redact_text",
    "redact_url",
    "system_resolver",
]

if TYPE_CHECKING:
    import httpx
    from pypdf import PdfReader

log = logging.getLogger(__name__)

#: Seconds to connect, and between bytes read, when fetching a URL.
FETCH_TIMEOUT = 15.0
#: The largest page or PDF fetched (bytes, after decompression); larger ones are refused.
MAX_FETCH_BYTES = MAX_STATEMENT_BYTES
#: Seconds a whole job may take (connect, headers, body and parsing), however slowly the
#: bytes trickle in.
FETCH_DEADLINE = sandbox.DEADLINE
#: Pages read from one PDF (a statement has tens; 80,000 pages took minutes).
MAX_PDF_PAGES = 2000

#: (host, port) -> the addresses to connect to, as text.
Resolver = Callable[[str, int], Sequence[str]]

_USER_AGENT = "briefbot (statement ingest)"
_MAX_REDIRECTS = 5

#: Loaded in the sandbox child before its limits are set: start-up is not the input's cost.
SANDBOX_PRELOAD = ("httpx", "lxml.html", "pypdf", "trafilatura")


@dataclass(frozen=True)
class RawSource:
    """A statement's raw text and where it came from."""

    text: str
    #: A file name (or one made from the URL): used in messages and for a dated name.
    name: str
    #: The URL it was fetched from ("" for a local file), credentials and tokens removed.
    url: str = ""
    #: ``text``, ``html`` or ``pdf``.
    kind: str = "text"


@dataclass(frozen=True)
class Fetched:
    """What :func:`fetch` got: the body (empty for 304 Not Modified) and the validators
    for the next conditional request."""

    status: int
    body: bytes
    content_type: str
    url: str
    etag: str = ""
    last_modified: str = ""


class HttpStatusError(IngestError):
    """The server answered an error status; ``retry_after`` is its Retry-After in
    seconds (None when absent or unreadable)."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if unreadable."""
    import time
    from email.utils import parsedate_to_datetime

    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def is_url(spec: str) -> bool:
    """True for an ``http://`` or ``https://`` address."""
    return bool(re.match(r"https?://", spec.strip(), re.I))


def read_source(
    spec: str | Path,
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_FETCH_BYTES,
    allow_private: bool = False,
    deadline: float | None = None,
) -> RawSource:
    """The raw text of a file path or a URL. Raises IngestError.

    URLs whose host is (or resolves to, at any redirect) a loopback, private,
    link-local or otherwise non-public address are refused unless ``allow_private``:
    a URL pasted in Slack must not make the bot read the internal network. The CLI,
    run by an operator, allows them. Fetching and parsing run in a limited child
    process that is stopped after ``deadline`` seconds (default :data:`FETCH_DEADLINE`)."""
    deadline = FETCH_DEADLINE if deadline is None else deadline
    if isinstance(spec, str) and is_url(spec):
        url = spec.strip()
        job = {
            "op": "url",
            "url": url,
            "timeout": timeout,
            "max_bytes": max_bytes,
            "allow_private": allow_private,
            "deadline": deadline,
        }
        shown = redact_url(url)
        return _source(_sandboxed(job, b"", what="the page", label=shown, deadline=deadline))
    path = Path(spec)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        data = _read_bytes(path, max_bytes)
        job = {"op": "pdf", "name": path.name}
        return _source(_sandboxed(job, data, what="the PDF", label=path.name, deadline=deadline))
    text = read_raw(path)
    if suffix in (".html", ".htm") and _is_page(text):
        job = {"op": "html", "name": path.name}
        page = _sandboxed(
            job, text.encode("utf-8"), what="the page", label=path.name, deadline=deadline
        )
        if page is not None:
            return _source(page)
    return RawSource(text, path.name)


def raw_from_bytes(
    data: bytes,
    *,
    content_type: str = "",
    name: str = "statement",
    url: str = "",
    deadline: float | None = None,
) -> RawSource:
    """Raw text from downloaded or uploaded bytes: PDF, HTML or plain UTF-8 text. PDFs
    and pages are parsed in a limited child process (see :func:`read_source`)."""
    deadline = FETCH_DEADLINE if deadline is None else deadline
    url = redact_url(url) if url else ""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if data[:5] == b"%PDF-" or ctype == "application/pdf":
        job = {"op": "bytes", "content_type": content_type, "name": name, "url": url}
        return _source(_sandboxed(job, data, what="the PDF", label=name, deadline=deadline))
    text = _decode(data, content_type, name)
    if ctype in ("text/html", "application/xhtml+xml") or _is_page(text):
        job = {"op": "bytes", "content_type": content_type, "name": name, "url": url}
        return _source(_sandboxed(job, data, what="the page", label=name, deadline=deadline))
    if "\x00" in text:
        raise IngestError(f"{name}: not a text, HTML or PDF document")
    return RawSource(text, name, url=url)


# ------------------------------------------------------------ the sandbox, both sides


def _sandboxed(job: dict[str, Any], data: bytes, *, what: str, label: str, deadline: float) -> Any:
    """``job`` done by :func:`sandbox_job` in a limited child; IngestError when refused."""
    outcome = sandbox.run(
        "bot.fetch:sandbox_job",
        job,
        data,
        what=what,
        limits=sandbox.Limits(deadline=deadline),
        scrub=redact_text,
    )
    if outcome.kind == "refused":
        raise IngestError(outcome.error)
    if outcome.error:
        raise IngestError(f"{label}: {outcome.error}")
    return outcome.answer


def _source(answer: Any) -> RawSource:
    if not isinstance(answer, dict):
        raise IngestError("the reader gave no answer")  # cannot happen: a bug if it does
    return RawSource(
        text=str(answer["text"]),
        name=str(answer["name"]),
        url=str(answer.get("url", "")),
        kind=str(answer.get("kind", "text")),
    )


def sandbox_job(job: dict[str, Any], data: bytes) -> dict[str, str] | None:
    """The child's side (run by :mod:`bot.sandbox`): fetch and/or parse, in-process."""
    op = job.get("op")
    if op == "url":
        url = str(job["url"])
        body, content_type, final_url = fetch_url(
            url,
            timeout=float(job["timeout"]),
            max_bytes=int(job["max_bytes"]),
            allow_private=bool(job["allow_private"]),
            deadline=float(job["deadline"]),
        )
        raw = _raw_here(
            body, content_type=content_type, name=_name_of(final_url), url=redact_url(url)
        )
    elif op == "bytes":
        raw = _raw_here(
            data,
            content_type=str(job.get("content_type", "")),
            name=str(job["name"]),
            url=str(job.get("url", "")),
        )
    elif op == "pdf":
        name = str(job["name"])
        raw = RawSource(_pdf_text(data, name), name, kind="pdf")
    elif op == "html":
        page = _html_source(data.decode("utf-8"), str(job["name"]), url="", fallback=True)
        if page is None:
            return None
        raw = page
    else:
        raise ValueError(f"unknown sandbox job {op!r}")
    return asdict(raw)


def _raw_here(data: bytes, *, content_type: str, name: str, url: str) -> RawSource:
    """:func:`raw_from_bytes`, in this process (the sandbox child)."""
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
        if (
            info.date
            and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(info.date))
            and not _copyright_year_only(html, str(info.date))
        ):
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


_COPYRIGHT_YEAR = r"(?:©|&copy;|&#169;|&#xa9;|\(c\)|copyright)\s*(?:\d{4}\s*(?:-|–|&ndash;)\s*)?"


def _copyright_year_only(html: str, found: str) -> bool:
    """True when ``found`` (YYYY-MM-DD) is 1 January of a year the page names only in a
    copyright line ("© 2019 Ministry of …"): trafilatura's date search falls back to
    that, and it is not the statement's date. A page that writes the date out (1 January
    2019, January 1, 2019, 2019-01-01) keeps it."""
    year, rest = found[:4], found[4:]
    if rest != "-01-01":
        return False
    if not re.search(_COPYRIGHT_YEAR + year + r"\b", html, re.I):
        return False
    written = (
        rf"\b0?1(?:st)?\s+jan(?:uary|\.)?,?\s+{year}\b|\bjan(?:uary|\.)?\s+0?1(?:st)?,?\s+{year}\b|"
        rf"\b{year}-01-01\b|\b{year}/01/01\b|\b01[./]01[./]{year}\b"
    )
    return not re.search(written, html, re.I)


def _pdf_text(data: bytes, name: str) -> str:
    """A PDF's statement text: running lines out (recorded in front matter as
    ``removed``), paragraphs rebuilt, and the PDF's own /Title as the title."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(f"{name}: the PDF is encrypted")
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise IngestError(f"{name}: the PDF has {count:,} pages; at most {MAX_PDF_PAGES:,}")
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
            if (
                current
                and _NEW_POINT.match(line)
                and (_ENDS_SENTENCE.search(current[-1]) or heading_text(current[-1]) is not None)
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


# ------------------------------------------------------------------ secrets in URLs

#: Query (and fragment) parameters whose values are secrets, matched case-insensitively
#: on the whole name; ``x-amz-*`` / ``x-goog-*`` (signed cloud URLs) as a prefix.
_SECRET_PARAM = re.compile(
    r"(?:x-amz-|x-goog-).*"
    r"|.*(?:token|secret|passw|apikey|api_key|api-key|signature|credential|session).*"
    r"|key|.*[_-]key|accesskey|privatekey|awsaccesskeyid|key-pair-id|sig|sign|hmac|auth"
    r"|authorization|pass|pwd|code|ticket|jwt|otp|policy|sid|ssid",
    re.I,
)


def _is_secret_param(name: str) -> bool:
    from urllib.parse import unquote_plus

    return bool(_SECRET_PARAM.fullmatch(unquote_plus(name).strip()))


def _strip_params(text: str) -> str:
    kept = [p for p in text.split("&") if p and not _is_secret_param(p.split("=", 1)[0])]
    return "&".join(kept)


def redact_url(url: str) -> str:
    """``url`` without credentials (``user:pass@``) and without query or fragment
    parameters that carry secrets (``token=``, ``key=``, ``sig=``, ``X-Amz-Signature=``...):
    what may be stored as a statement's ``source``, shown or logged."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/@\s]*@", "//", url.split("?", 1)[0])
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = _strip_params(parts.query)
    fragment = _strip_params(parts.fragment) if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


_URL_IN_TEXT = re.compile(r"""https?://[^\s"'<>]+""", re.I)


def redact_text(text: str) -> str:
    """``text`` with every URL in it passed through :func:`redact_url`."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


class _RedactUrls(logging.Filter):
    """Rewrites a record's message with its URLs redacted (httpx logs each request's
    full URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def _redact_library_logs() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactUrls) for f in logger.filters):
            logger.addFilter(_RedactUrls())


# ------------------------------------------------------------------ fetching a URL


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system's resolver), in its order."""
    import socket

    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class _Hop:
    """One request: where the URL points, and the checked addresses to connect to."""

    url: str  # as given (credentials included)
    scheme: str
    host: str  # ASCII (IDNA) name or address, no brackets
    port: int
    host_header: str
    path: str  # path and query
    auth: str | None  # the value of an Authorization header, from user:pass@
    addresses: tuple[str, ...]


def _hop(url: str, resolver: Resolver, allow_private: bool) -> _Hop:
    """Parse ``url``, resolve its host once, check every address. Raises IngestError."""
    import base64
    import ipaddress
    from urllib.parse import unquote, urlsplit

    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise IngestError(f"{shown}: not a valid address") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise IngestError(f"{shown}: only http and https addresses can be fetched")
    name = parts.hostname or ""
    if not name:
        raise IngestError(f"{shown}: no host in the address")
    try:
        host = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise IngestError(f"{shown}: the host {name!r} is not a valid name") from None
    port = port or (443 if scheme == "https" else 80)
    literal = True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = False
    if literal:
        addresses: Sequence[str] = [host]
    else:
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise IngestError(f"{shown}: the host {host!r} is unknown")
    if not allow_private:
        for address in addresses:
            if not public_address(address):
                raise IngestError(f"{shown}: {host} is not a public address; refused")
    bracketed = f"[{host}]" if ":" in host else host
    default = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    auth = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return _Hop(
        url=url,
        scheme=scheme,
        host=host,
        port=port,
        host_header=bracketed if default else f"{bracketed}:{port}",
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        auth=auth,
        addresses=tuple(dict.fromkeys(str(a) for a in addresses)),
    )


class _Inflater:
    """One content-encoding layer undone while streaming, output capped at ``limit``."""

    def __init__(self, encoding: str, limit: int, shown: str) -> None:
        import zlib

        self.encoding, self.limit, self.shown = encoding, limit, shown
        self.size = 0
        self._zlib = zlib
        self._d: Any = None
        self._first = True

    def _new(self, data: bytes) -> Any:
        zlib = self._zlib
        if self.encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped; some servers send it raw.
        raw = not (len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def feed(self, chunk: bytes) -> bytes:
        if self.encoding == "identity":
            self._count(len(chunk))
            return chunk
        out: list[bytes] = []
        data = chunk
        try:
            while data:
                if self._d is None:
                    self._d = self._new(data)
                piece = self._d.decompress(data, self.limit - self.size + 1)
                self._count(len(piece))
                out.append(piece)
                data = self._d.unconsumed_tail
                if self._d.eof:
                    data = self._d.unused_data
                    self._d = None  # another gzip member may follow
                    if self.encoding not in ("gzip", "x-gzip"):
                        break
        except self._zlib.error:
            raise IngestError(f"{self.shown}: the {self.encoding} data is damaged") from None
        return b"".join(out)

    def _count(self, n: int) -> None:
        self.size += n
        if self.size > self.limit:
            raise IngestError(
                f"{self.shown}: larger than {self.limit // 1024} KiB"
                + (" once decompressed" if self.encoding != "identity" else "")
                + "; refused"
            )


def _encoding_of(response: httpx.Response, shown: str) -> str:
    """The one content encoding of ``response`` (``identity`` for none). Stacked
    encodings (``gzip, gzip``) are refused: each layer can multiply the size."""
    layers = [
        token.strip().lower()
        for value in response.headers.get_list("content-encoding")
        for token in value.split(",")
    ]
    layers = [t for t in layers if t and t != "identity"]
    if len(layers) > 1:
        raise IngestError(
            f"{shown}: the server stacked {len(layers)} content encodings "
            f"({', '.join(layers)}); refused"
        )
    if layers and layers[0] not in ("gzip", "x-gzip", "deflate"):
        raise IngestError(f"{shown}: unsupported content encoding {layers[0]!r}")
    return layers[0] if layers else "identity"


def fetch_url(
    url: str,
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_FETCH_BYTES,
    allow_private: bool = False,
    deadline: float = FETCH_DEADLINE,
    resolver: Resolver | None = None,
    transport: httpx.BaseTransport | None = None,
) -> tuple[bytes, str, str]:
    """GET ``url`` in this process: (body, content type, final URL). Raises IngestError
    (:class:`HttpStatusError` for an error status). See :func:`fetch`."""
    got = fetch(
        url,
        timeout=timeout,
        max_bytes=max_bytes,
        allow_private=allow_private,
        deadline=deadline,
        resolver=resolver,
        transport=transport,
    )
    if got.status == 304:  # only a conditional request may be answered so
        raise IngestError(f"{redact_url(url)}: the server answered HTTP 304 unasked")
    return got.body, got.content_type, got.url


def fetch(
    url: str,
    *,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_FETCH_BYTES,
    allow_private: bool = False,
    deadline: float = FETCH_DEADLINE,
    resolver: Resolver | None = None,
    transport: httpx.BaseTransport | None = None,
    etag: str = "",
    last_modified: str = "",
) -> Fetched:
    """GET ``url`` in this process. Raises IngestError (:class:`HttpStatusError` for an
    error status, with its Retry-After). With ``etag`` / ``last_modified`` (from an
    earlier :class:`Fetched`) the request is conditional (If-None-Match /
    If-Modified-Since) and a 304 comes back as ``Fetched(status=304, body=b"")``.

    Each hop's host is resolved once by ``resolver`` (default :func:`system_resolver`),
    every address is checked, and the request goes to a checked address itself, with
    the Host header and TLS server name (SNI, certificate check) of the name. Run it in
    the sandbox (:func:`read_source`): here only ``timeout`` (per read) and a check of
    ``deadline`` between body chunks bound the time. ``transport`` is for tests."""
    import time

    import httpx

    _redact_library_logs()
    resolver = resolver or system_resolver
    give_up = time.monotonic() + deadline
    current = url
    try:
        with httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,  # no proxy from the environment around the checks
            transport=transport,
        ) as client:
            for _ in range(_MAX_REDIRECTS + 1):
                hop = _hop(current, resolver, allow_private)
                result = _get(
                    client,
                    hop,
                    max_bytes=max_bytes,
                    give_up=give_up,
                    deadline=deadline,
                    conditional=_conditional(etag, last_modified),
                )
                if isinstance(result, str):  # a redirect
                    current = result
                    continue
                return result
            raise IngestError(f"{redact_url(url)}: too many redirects")
    except IngestError:
        raise
    except httpx.TimeoutException:
        raise IngestError(f"{redact_url(current)}: no answer within {timeout:.0f} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, RefusedFile, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise IngestError(
            f"{redact_url(current)}: cannot be fetched ({redact_text(first)})"
        ) from None


def _conditional(etag: str, last_modified: str) -> dict[str, str]:
    """The headers of a conditional request (header values only: no line breaks)."""
    headers = {}
    if etag and "\n" not in etag and "\r" not in etag:
        headers["If-None-Match"] = etag
    if last_modified and "\n" not in last_modified and "\r" not in last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _get(
    client: httpx.Client,
    hop: _Hop,
    *,
    max_bytes: int,
    give_up: float,
    deadline: float,
    conditional: dict[str, str] | None = None,
) -> Fetched | str:
    """One request to one of ``hop``'s checked addresses: what came back, or a
    redirect's absolute target URL."""
    import time
    from urllib.parse import urljoin

    import httpx

    shown = redact_url(hop.url)
    headers = {"Host": hop.host_header, **(conditional or {})}
    if hop.auth:
        headers["Authorization"] = hop.auth
    extensions: dict[str, Any] = {}
    if hop.scheme == "https":
        extensions["sni_hostname"] = hop.host  # SNI and the certificate's name
    last_error: Exception | None = None
    for address in hop.addresses:
        pinned = f"[{address}]" if ":" in address else address
        target = f"{hop.scheme}://{pinned}:{hop.port}{hop.path}"
        try:
            with client.stream("GET", target, headers=headers, extensions=extensions) as response:
                if response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("location", "")
                    if not location:
                        raise IngestError(f"{shown}: a redirect without a Location")
                    return urljoin(hop.url, location.strip())
                base = f"{hop.scheme}://{hop.host_header}{hop.path}"
                if response.status_code == 304 and conditional:
                    return Fetched(
                        304,
                        b"",
                        "",
                        base,
                        etag=response.headers.get("etag", ""),
                        last_modified=response.headers.get("last-modified", ""),
                    )
                if response.status_code >= 400:
                    raise HttpStatusError(
                        f"{shown}: the server answered HTTP {response.status_code}",
                        response.status_code,
                        retry_after_seconds(response.headers.get("retry-after")),
                    )
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise IngestError(f"{shown}: larger than {max_bytes // 1024} KiB; refused")
                inflater = _Inflater(_encoding_of(response, shown), max_bytes, shown)
                chunks: list[bytes] = []
                received = 0
                for chunk in response.iter_raw():
                    received += len(chunk)
                    if received > max_bytes:
                        raise IngestError(f"{shown}: larger than {max_bytes // 1024} KiB; refused")
                    if time.monotonic() > give_up:
                        raise IngestError(f"{shown}: the page took longer than {deadline:.0f} s")
                    chunks.append(inflater.feed(chunk))
                return Fetched(
                    response.status_code,
                    b"".join(chunks),
                    response.headers.get("content-type", ""),
                    base,
                    etag=response.headers.get("etag", ""),
                    last_modified=response.headers.get("last-modified", ""),
                )
        except httpx.ConnectError as exc:
            last_error = exc  # the next checked address, if any
    assert last_error is not None
    raise last_error
