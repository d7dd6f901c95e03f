"""Property-based fuzzing (Hypothesis) of the four input surfaces.

Each property says "never a crash, always one of the documented answers":

1. Slack requests through the real Bolt app (``app.dispatch``) and the HTTP front door.
2. Query parsing: ``ClauseIndex.search`` and ``check_query``.
3. Front matter: ``parse_document``, ``load_yaml`` and ``briefbot ingest``.
4. Cleaning: ``clean_raw``.

Bugs the properties found (YAML front matter that crashed the loader) are fixed, with
their minimal reproducers kept as regression tests at the end of section 3.

The Hypothesis example database is disabled (``database=None``) and Hypothesis's own
cache goes to ``$TMPDIR/briefbot-hypothesis``: nothing is written into the working tree.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

# e2e_conf and helpers (pytest puts tests/e2e on sys.path too when it collects e2e/)
sys.path.insert(0, str(Path(__file__).resolve().parent / "e2e"))

from e2e_conf import SECRET, TOKEN
from fakeslack import (
    FakeSlack,
    block_actions_body,
    event_body,
    sign,
    slash_command_body,
)
from helpers import assert_valid_blocks
from paths import CORPUS

from bot.cli import main as cli_main
from bot.reading.clean import _INVISIBLE, clean_raw
from bot.reading.documents import Document, parse_document
from bot.reading.safeio import MAX_FRONT_MATTER_BYTES, load_yaml
from bot.search import MAX_QUERY_CHARS, QueryError, SearchResult, check_query
from handlers import blocks as B
from handlers.later import APOLOGY

# Hypothesis caches source constants under ``.hypothesis/`` even without a database;
# keep that out of the working tree (only this module uses Hypothesis).
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "briefbot-hypothesis")

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

#: Shared Hypothesis settings: no example database, no per-example deadline (the
#: machine is shared), and function-scoped fixtures (caplog, tmp_path) are reset by
#: hand in every example.
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def fuzz(max_examples: int) -> settings:
    """:data:`FUZZ` with this many generated examples."""
    return settings(FUZZ, max_examples=max_examples)


# Text without surrogates (not encodable as UTF-8, so never in a real request or file).
_TEXT = st.characters(blacklist_categories=("Cs",))
_ANY_TEXT = st.text(_TEXT, max_size=300)
# Printable text (no control characters, which YAML refuses outright).
_PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc"))


# =========================================================================== 1. Slack


@pytest.fixture(scope="module")
def slack(tmp_path_factory):
    """(fake Slack, Bolt app, services): built once per module, the fake reset per example.

    Real services (corpus, index, commitments, a SQLite store) so that /commitments
    answers for real. ``process_before_response=True`` runs every answer inline.
    """
    from bot.config import Settings
    from bot.services import build_services
    from handlers.app import build_app

    db = tmp_path_factory.mktemp("fuzz-slack") / "bot.db"
    with FakeSlack() as fake:
        cfg = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.url,
                "DATABASE_URL": f"sqlite:///{db}",
                "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND",
            },
            corpus_dir=CORPUS,
        )
        services = build_services(cfg)
        app = build_app(cfg, services, process_before_response=True)
        fake.reset()
        yield fake, app, services
        services.store.close()


def _signed_request(body: str, content_type: str):
    from slack_bolt.request import BoltRequest

    headers = {"content-type": content_type}
    headers.update({k.lower(): v for k, v in sign(body, SECRET).items()})
    return BoltRequest(body=body, headers=headers)


def _failures(caplog) -> list[str]:
    """Log lines that mean a listener or an answer crashed."""
    return [
        r.getMessage()
        for r in caplog.records
        if "listener failed" in r.getMessage() or "failed after the ack" in r.getMessage()
    ]


# Slack markup, entities, control characters and very long strings mixed into text.
_SLACK_BITS = st.sampled_from(
    [
        "<@U1>",
        "<#C1|x>",
        "<!channel>",
        "<!subteam^S1|@team>",
        "<https://example.com|link>",
        "&amp;",
        "&lt;",
        "&gt;",
        "in:",
        "in:communique",
        'in:"joint communique"',
        "after:2012",
        "before:2013-06",
        "after:2012-13",
        "before:0000",
        "due:2013",
        "status:met",
        "status:bogus",
        "upcoming",
        "overdue",
        "help",
        "navgation",
        "heixiazi",
        "trade",
        "\x00",
        "\x1b[31m",
        "\u202e",
        "\ufeff",
        "\u200b",
        "\n",
        "\t",
        "*_~`",
        "🇨🇳",
        "é",
    ]
)
_SLACK_TEXT = st.one_of(
    _ANY_TEXT,
    st.tuples(
        st.sampled_from(["navgation talks heixiazi", "energy cooperation", "Skolkovo"]),
        st.lists(_SLACK_BITS, max_size=3),
    ).map(lambda t: " ".join([t[0], *t[1]])),
    st.lists(st.one_of(_SLACK_BITS, st.text(_TEXT, max_size=12)), max_size=20).map(" ".join),
    st.builds(
        lambda w, n: (w + " ") * n,
        st.sampled_from(["trade", "x", "<@U1>", "é"]),
        st.integers(0, 3000),
    ),
)


# ---------------------------------------------------------------- 1a. unsigned requests


def _wrong_signatures(body: str, now: int):
    """Signatures that must not pass: none, junk, a wrong secret, a stale or future
    timestamp, or a valid signature for another body."""
    # A minute past Slack's five: ``now`` is taken when the example is drawn, the check
    # runs a little later (and a future timestamp gets fresher as time passes).
    stale = st.integers(360, 10**9).map(lambda d: now - d)
    future = st.integers(360, 10**9).map(lambda d: now + d)
    return st.one_of(
        st.just({}),
        st.fixed_dictionaries(
            {},
            optional={
                "x-slack-request-timestamp": st.one_of(
                    st.text(_TEXT, max_size=20),
                    st.integers(-(10**15), 10**15).map(str),
                    st.sampled_from(["", " ", str(now), f"{now}.0", f" {now}", "٣"]),
                ),
                "x-slack-signature": st.one_of(
                    st.text(_TEXT, max_size=80),
                    st.text("0123456789abcdef", min_size=64, max_size=64).map("v0=".__add__),
                ),
            },
        ),
        st.sampled_from(["wrong-secret", "", SECRET + " "]).map(
            lambda secret: _lower(sign(body, secret or "x", now))
        ),
        st.one_of(stale, future).map(lambda ts: _lower(sign(body, SECRET, ts))),
        st.text(_TEXT, max_size=50)
        .filter(lambda other: other != body)
        .map(lambda other: _lower(sign(other, SECRET, now))),
        # right signature, timestamp header swapped for another (fresh) one
        st.integers(1, 200).map(
            lambda d: {
                **_lower(sign(body, SECRET, now)),
                "x-slack-request-timestamp": str(now - d),
            }
        ),
    )


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


_REAL_BODIES = st.one_of(
    _SLACK_TEXT.map(lambda t: slash_command_body("/brief", t, response_url="http://x/r")),
    _SLACK_TEXT.map(lambda t: slash_command_body("/commitments", t, response_url="http://x/r")),
    st.tuples(st.sampled_from([B.ACTION_SHARE, B.ACTION_MORE, B.ACTION_CONTEXT]), _ANY_TEXT).map(
        lambda a: block_actions_body(a[0], a[1], response_url="http://x/r")
    ),
    _SLACK_TEXT.map(
        lambda t: event_body(
            {"type": "app_mention", "user": "U1", "text": t, "ts": "1.2", "channel": "C1"}
        )
    ),
    st.just("ssl_check=1&token=x"),
    st.just(json.dumps({"type": "url_verification", "challenge": "c", "token": "x"})),
)


@st.composite
def _unsigned(draw):
    body = draw(st.one_of(_ANY_TEXT, _REAL_BODIES))
    content_type = draw(st.sampled_from([FORM, JSON, "text/plain", "", None]))
    now = int(time.time())
    headers = draw(_wrong_signatures(body, now))
    return body, content_type, headers


@fuzz(200)
@given(case=_unsigned())
@example(case=("ssl_check=1&token=x", FORM, {}))
def test_unsigned_requests_are_refused_and_nothing_runs(slack, case):
    """Every request without a valid, fresh signature: 401 from ``app.dispatch`` (and from
    the HTTP front door) and not a single Slack API call."""
    from slack_bolt.request import BoltRequest

    from bot.serve import EVENTS_PATH, make_wsgi_app

    fake, app, _ = slack
    body, content_type, headers = case
    fake.reset()

    # The HTTP front door sees the raw body first and checks the signature before Bolt.
    status = _wsgi_status(make_wsgi_app, EVENTS_PATH, app, body.encode("utf-8"), headers)
    assert status.startswith("401")

    all_headers = dict(headers)
    if content_type is not None:
        all_headers["content-type"] = content_type
    try:
        # Bolt parses the body in BoltRequest() itself (JSON errors raise there); in
        # production such a request never gets this far: the front door above answers
        # 401 before the body is parsed.
        req = BoltRequest(body=body, headers=all_headers)
    except Exception as exc:
        event(f"BoltRequest refused the body: {type(exc).__name__}")
        req = None
    if req is not None:
        event("dispatched")
        resp = app.dispatch(req)
        if req.body.get("ssl_check") == "1":
            # Bolt's SslCheck middleware runs before every other one (before our
            # StrictVerification): an unsigned ssl_check gets Bolt's empty 200. Nothing
            # runs; over HTTP the front door answers 401 first (asserted above).
            assert (resp.status, resp.body) == (200, "")
        else:
            assert resp.status == 401, (resp.status, resp.body)
    assert fake.calls == []


def _wsgi_status(make_wsgi_app, path, app, raw: bytes, headers: dict[str, str]) -> str:
    wsgi = make_wsgi_app(app, signing_secret=SECRET, max_body=1024 * 1024)
    environ = {
        "PATH_INFO": path,
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    for k, v in headers.items():
        environ["HTTP_" + k.upper().replace("-", "_")] = v
    seen: list[str] = []
    b"".join(wsgi(environ, lambda status, _headers, *_: seen.append(status)))
    return seen[0]


@fuzz(150)
@given(
    raw=st.binary(max_size=2000),
    timestamp=st.one_of(st.none(), st.text(_TEXT, max_size=15), st.just(str(int(time.time())))),
    signature=st.one_of(st.none(), st.text(_TEXT, max_size=80)),
)
def test_unsigned_raw_bytes_are_refused_at_the_http_front_door(slack, raw, timestamp, signature):
    """Arbitrary bytes (not UTF-8, NULs, ...) at ``POST /slack/events`` with any or no
    signature headers: 401 and no Slack call. (``app.dispatch`` takes only ``str``
    bodies; bytes arrive through this WSGI front door.)"""
    from bot.serve import EVENTS_PATH, make_wsgi_app

    fake, app, _ = slack
    fake.reset()
    headers = {}
    if timestamp is not None:
        headers["x-slack-request-timestamp"] = timestamp
    if signature is not None:
        headers["x-slack-signature"] = signature
    assert _wsgi_status(make_wsgi_app, EVENTS_PATH, app, raw, headers).startswith("401")
    assert fake.calls == []


# ---------------------------------------------------------------- 1b. slash commands


@fuzz(200)
@given(text=_SLACK_TEXT)
@example(text="")
@example(text="help")
@example(text="x" * (MAX_QUERY_CHARS + 1))
@example(text="in:")
@example(text="<!channel> &amp; <@U1> <#C1|x>")
def test_brief_with_any_text_answers_in_the_ack(slack, caplog, text):
    """``/brief <anything>``: 200, and the acknowledgement itself is the answer: JSON with
    a ``text`` fallback and Block Kit blocks Slack accepts; no response_url call, no
    listener failure."""
    fake, app, _ = slack
    fake.reset()
    caplog.clear()
    body = slash_command_body("/brief", text, response_url=fake.response_url("b"))
    with caplog.at_level(logging.ERROR):
        resp = app.dispatch(_signed_request(body, FORM))
    assert resp.status == 200
    payload = json.loads(resp.body)
    event(payload["text"][:12])
    assert payload["response_type"] == "ephemeral"
    assert isinstance(payload["text"], str) and payload["text"]
    assert_valid_blocks(payload["blocks"])
    assert fake.calls_to("response_url") == []
    assert _failures(caplog) == []


@fuzz(100)
@given(text=_SLACK_TEXT)
@example(text="status:bogus")
@example(text="due:abc")
@example(text="due:")
@example(text="x" * (MAX_QUERY_CHARS + 1))
def test_commitments_with_any_text_is_answered_once(slack, caplog, text):
    """``/commitments <anything>``: 200, then exactly one answer on the response_url
    (a list or a specific error, with valid blocks), never the apology, no failure."""
    fake, app, _ = slack
    fake.reset()
    caplog.clear()
    body = slash_command_body("/commitments", text, response_url=fake.response_url("c"))
    with caplog.at_level(logging.ERROR):
        resp = app.dispatch(_signed_request(body, FORM))
    assert resp.status == 200
    (answer,) = fake.calls_to("response_url")
    event(answer.params.get("text", "")[:12])
    assert answer.params.get("text") != APOLOGY
    assert_valid_blocks(answer.params["blocks"])
    assert _failures(caplog) == []


# ---------------------------------------------------------------- 1c. button values

_JSON_VALUE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(_TEXT, max_size=30),
        st.sampled_from(["cooperation", "navigation heixiazi", "help", "in:", "after:2012-13"]),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


def _button_value():
    clause_ids = st.sampled_from(["", "gone#p1.1", "#", "x" * 300])
    ours = st.fixed_dictionaries(
        {},
        optional={
            "q": _JSON_VALUE | _SLACK_TEXT,
            "o": _JSON_VALUE
            | st.integers(-(10**30), 10**30)
            | st.sampled_from(["1", "-5", "1e400", "x"]),
            "s": _JSON_VALUE,
            "c": _JSON_VALUE | clause_ids,
        },
    ).map(lambda d: json.dumps(d, ensure_ascii=False, allow_nan=True))
    return st.one_of(
        _ANY_TEXT,
        ours,
        _JSON_VALUE.map(lambda v: json.dumps(v, allow_nan=True)),
        st.sampled_from(["NaN", "1e400", "[]", "{}", "null", '{"o": NaN}', '{"o": Infinity}']),
    )


@fuzz(200)
@given(
    action_id=st.sampled_from([B.ACTION_MORE, B.ACTION_SHARE, B.ACTION_CONTEXT]),
    value=_button_value(),
    ephemeral=st.booleans(),
    data=st.data(),
)
def test_buttons_with_any_value_get_an_answer_not_a_crash(
    slack, caplog, action_id, value, ephemeral, data
):
    """A click on More/Share/Context with any ``value``: 200, at least one answer on the
    response_url (a page, the clause, or "no longer in the corpus"), never the apology,
    no "listener failed" in the logs."""
    fake, app, services = slack
    if action_id != B.ACTION_MORE and data.draw(st.booleans(), label="real clause"):
        clause = data.draw(st.sampled_from(services.index.clauses[:50]), label="clause")
        value = B.encode(c=clause.clause_id)
    fake.reset()
    caplog.clear()
    body = block_actions_body(
        action_id,
        value,
        response_url=fake.response_url("a"),
        container={
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "C123",
            "is_ephemeral": ephemeral,
        },
    )
    with caplog.at_level(logging.ERROR):
        resp = app.dispatch(_signed_request(body, FORM))
    assert resp.status == 200
    answers = [c.params for c in fake.calls_to("response_url")]
    assert answers
    event(f"{action_id}: {answers[-1].get('text', '')[:12]}")
    for a in answers:
        assert a.get("text") != APOLOGY
        if "blocks" in a:
            assert_valid_blocks(a["blocks"])
    assert _failures(caplog) == []


# =========================================================================== 2. Queries

_QUERY_BITS = st.sampled_from(
    [
        "navigation heixiazi",
        "energy cooperation",
        "100 billion before 2015",
        "Skolkovo",
        "navigation",
        "navgation",
        "heixiazi",
        "talks",
        "trade",
        "billion",
        "cooperation",
        "the",
        "of",
        "in:",
        "in:communique",
        'in:"joint communique"',
        'in:"',
        'in:"unterminated',
        "after:",
        "after:2012",
        "after:2012-06",
        "after:2012-02-30",
        "after:2012-13",
        "after:0000",
        "after:9999-12-31",
        "after:٢٠١٢",
        "before:2013-06",
        "before:x",
        "BEFORE:2013",
        "IN:statement",
        "'s",
        "’s",
        "–",
        "_",
        "…",
        "100",
        "$100",
        "\x00",
        "\u0301",
        "ﬁ",
        "İ",
    ]
)
_GOOD_QUERIES = st.sampled_from(
    ["navgation talks heixiazi", "energy cooperation", "$100 billion before 2015", "Skolkovo"]
)
_QUERY = st.one_of(
    _ANY_TEXT,
    st.tuples(_GOOD_QUERIES, st.lists(_QUERY_BITS, max_size=2)).map(
        lambda t: " ".join([t[0], *t[1]])
    ),
    st.lists(st.one_of(_QUERY_BITS, st.text(_TEXT, max_size=10)), max_size=12).map(" ".join),
    st.text(_TEXT, min_size=MAX_QUERY_CHARS - 5, max_size=MAX_QUERY_CHARS + 5),
)


@fuzz(300)
@given(query=_QUERY, limit=st.integers(1, 50), offset=st.integers(0, 600))
@example(query="   ", limit=3, offset=0)
@example(query="in:", limit=3, offset=0)
@example(query="after:2012-02-30 trade", limit=3, offset=0)
@example(query="in:communique", limit=3, offset=0)
def test_search_returns_a_result_or_a_query_error(index, query, limit, offset):
    """Any text is either a SearchResult (a consistent page) or a QueryError: never
    another exception."""
    try:
        result = index.search(query, limit=limit, offset=offset)
    except QueryError as exc:
        event("QueryError")
        assert str(exc)
        return
    event("hits" if result.hits else "suggestion" if result.suggestion else "nothing")
    assert isinstance(result, SearchResult)
    assert len(result.hits) <= limit
    if result.hits:
        assert result.offset == offset and result.total >= offset + len(result.hits)
        assert all(isinstance(h.score, float) for h in result.hits)
    for note in result.notes:
        assert isinstance(note, str)


@fuzz(300)
@given(query=_QUERY)
def test_check_query_strips_or_refuses(query):
    """``check_query``: the stripped query (non-empty, at most MAX_QUERY_CHARS) or a
    QueryError that says why."""
    try:
        q = check_query(query)
    except QueryError as exc:
        assert str(exc)
        stripped = query.strip()
        assert not stripped or len(stripped) > MAX_QUERY_CHARS
        return
    assert q == query.strip() and 0 < len(q) <= MAX_QUERY_CHARS


# =========================================================================== 3. Front matter

#: Found by these properties and fixed in bot/reading/safeio.py (regression tests at the end of
#: this section): a tagged scalar PyYAML's constructor cannot read let a KeyError
#: (``!!bool x``), AttributeError (``!!timestamp x``) or IndexError (``!!int`` on an
#: empty value) out of load_yaml, and a hex integer longer than 4300 decimal digits made
#: str() raise ValueError.


_FM_KEYS = st.one_of(
    st.sampled_from(
        ["title", "date", "source", "source_url", "parties", "kind", "short_title", "? x", "<<"]
    ),
    st.text(st.characters(min_codepoint=33, max_codepoint=0x7E), min_size=1, max_size=8),
    st.text(_PRINTABLE, min_size=1, max_size=8),
)
_FM_SCALARS = st.one_of(
    st.text(_PRINTABLE, max_size=40),
    st.text(_TEXT, max_size=10),
    st.sampled_from(
        [
            "2012-12-06",
            "2012-02-30",
            "2012-13-01",
            "0000-01-01",
            "9999-12-31",
            "2012-12-06T10:00:00Z",
            "2012-12-06 10:00:00.5 +08:00",
            "2012-12-06T25:61:61",
            "'2012-02-30'",
            "yes",
            "No",
            "~",
            "null",
            ".nan",
            "-.inf",
            "0o777",
            "0b101",
            "0x1F",
            "1_000",
            "12:30:45",
            "1e400",
            "'quoted'",
            '"dq \\x41 \\u00e9 \\N"',
            '"bad escape \\q"',
            "|",
            ">-",
            "[",
            "]",
            "{",
            "}",
            "&a",
            "*a",
            "&a value",
            "*undefined",
            "!!str 5",
            "!!int x",
            "!!int 0x",
            "!!float x",
            "!!binary aGVsbG8=",
            "!!binary !!!",
            "!!set {a, b}",
            "!!set [a]",
            "!!omap [a: 1]",
            "!!pairs [a: 1]",
            "!!map [1]",
            "!!seq {a: 1}",
            "!!null x",
            "!!merge x",
            "!!python/object/apply:os.system ['true']",
            "!!python/name:os.system",
            "!foo bar",
            "!<tag:yaml.org,2002:str> x",
            "%YAML 1.1",
            "'unterminated",
            '"unterminated',
            "- item",
            "key: value: x",
            "\t tab",
            "@reserved",
            "`backtick",
            "{[1]: 2}",
            "{{a: 1}: 2}",
            "[a, *a]",
            "{a: 1, a: 2}",
        ]
    ),
    st.dates().map(str),
    st.integers(-(10**50), 10**50).map(str),
    st.text(_TEXT, max_size=20).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.integers(1, 4500).map(lambda n: "1" * n),  # long decimal ints (ValueError past 4300)
    st.integers(3400, 3700).map(lambda n: "0x" + "f" * n),  # long hex ints (fine up to 3571)
    # any core-schema tag on a short scalar, sequence or mapping
    st.builds(
        "{} {}".format,
        st.sampled_from(
            ["!!" + t for t in "bool int float str null binary timestamp set omap pairs".split()]
            + ["!!map", "!!seq", "!!merge", "!!value", "!", "!local", "!!python/none"]
        ),
        st.one_of(
            st.sampled_from(["x", "yes", "0", "1.5", "2012-12-06", "aGVsbG8=", "[a]", "{a: 1}"]),
            st.text(st.characters(min_codepoint=33, max_codepoint=0x7E), max_size=6),
        ),
    ),
)


def _nested(depth: int, kind: str) -> str:
    if kind == "flow-list":
        return "[" * depth + "]" * depth
    if kind == "flow-map":
        return "{a: " * depth + "1" + "}" * depth
    return "\n" + "\n".join("  " * (i + 1) + "k:" for i in range(depth)) + " 1"


_FM_VALUES = st.one_of(
    _FM_SCALARS,
    st.lists(_FM_SCALARS, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.lists(_FM_SCALARS, max_size=4).map(lambda xs: "".join(f"\n  - {x}" for x in xs)),
    st.builds(_nested, st.integers(1, 1500), st.sampled_from(["flow-list", "flow-map", "block"])),
    st.integers(MAX_FRONT_MATTER_BYTES - 100, MAX_FRONT_MATTER_BYTES + 100).map(lambda n: "x" * n),
)
_FM_LINE = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", _FM_KEYS, _FM_VALUES),
    st.builds(lambda k, v: f"{k}: &a {v}", _FM_KEYS, _FM_SCALARS),  # an anchor...
    st.builds(lambda k: f"{k}: *a", _FM_KEYS),  # ...and an alias (refused)
    st.sampled_from(["", "#comment", "---", "...", "- a", "? a", ": b", "  indented: 1", "\t"]),
    st.text(_PRINTABLE, max_size=30),
    st.text(_TEXT, max_size=5),
)
_FM_FIELDS = st.dictionaries(
    st.sampled_from(["title", "date", "source", "parties", "kind", "short_title"]),
    _FM_SCALARS,
    max_size=4,
).map(lambda d: [f"{k}: {v}" for k, v in d.items()])
_BODIES = st.one_of(
    st.text(_TEXT, max_size=400),
    st.sampled_from(
        [
            "The two sides agreed to start formal negotiation in the first half of 2013.",
            "",
            "\n\n",
            "Beijing, 6 June 2012 — The parties agree.\n\n1\\. First.\n\n2\\. Second.",
            "<p>Text</p><sup>1</sup><!-- c -->\u00a0more",
            "---\nnot front matter\n---\n",
        ]
    ),
)


@st.composite
def _documents(draw) -> str:
    """Whole corpus files: YAML-ish front matter over a body, or plain text."""
    shape = draw(
        st.sampled_from(["fields", "fields", "fm", "fm", "unclosed", "cr", "bom", "plain", "any"])
    )
    if shape == "any":
        return draw(_ANY_TEXT)
    body = draw(_BODIES)
    if shape == "plain":
        return body
    # "fields": one scalar per known field (mostly well-formed YAML, so that values reach
    # PyYAML's constructors and our field handling); "fm": any YAML-ish lines.
    lines = _FM_FIELDS if shape == "fields" else st.lists(_FM_LINE, max_size=8)
    fm = "\n".join(draw(lines))
    if shape == "unclosed":
        return f"---\n{fm}\n{body}"
    text = f"---\n{fm}\n---\n{body}"
    if shape == "cr":
        text = text.replace("\n", "\r\n")
    if shape == "bom":
        text = "\ufeff" + text
    return text


@fuzz(250)
@given(text=_documents(), filename=st.sampled_from(["2012-12-06_x.md", "a.txt", "é.md", "-.md"]))
@example(text="---\ntitle: &a x\nshort_title: *a\n---\nThe parties agree.\n", filename="a.md")
@example(text="---\ndate: 2012-02-30\n---\nThe parties agree.\n", filename="a.md")
@example(text="---\n" + "[" * 5000 + "]" * 5000 + "\n---\nBody.\n", filename="a.md")
@example(text="---\n- a\n---\nBody.\n", filename="a.md")
@example(text="---\ntitle: x\n", filename="a.md")
def test_parse_document_returns_a_document_or_none_with_a_warning(text, filename):
    """Any file text: a Document with sane fields, or None with a warning saying why."""
    warnings: list[str] = ["(earlier warning)"]
    doc = parse_document(text, filename, warnings)
    event("Document" if doc else warnings[-1].split(":", 1)[-1][:30])
    if doc is None:
        assert len(warnings) > 1 and all(isinstance(w, str) and w for w in warnings)
        return
    assert isinstance(doc, Document)
    assert isinstance(doc.title, str) and doc.title
    assert doc.date is None or isinstance(doc.date, date)
    assert doc.body.strip() and doc.body.endswith("\n")
    assert all(isinstance(p, str) for p in doc.parties)
    assert isinstance(doc.source, str) and isinstance(doc.kind, str) and doc.kind
    assert doc.doc_id


@fuzz(250)
@given(
    text=st.one_of(_ANY_TEXT, st.lists(_FM_LINE, max_size=8).map("\n".join), _FM_VALUES),
    limit=st.sampled_from([16, 1024, MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_BYTES]),
)
def test_load_yaml_raises_only_yaml_errors_or_value_errors(text, limit):
    """``load_yaml``: a value, or ``yaml.YAMLError`` (refusals included: aliases, size,
    depth), or ``ValueError`` (impossible dates, overlong decimal ints)."""
    try:
        load_yaml(text, limit=limit)
    except (yaml.YAMLError, ValueError) as exc:
        event(type(exc).__name__)
    if len(text.encode("utf-8")) > limit:
        with pytest.raises(yaml.YAMLError):
            load_yaml(text, limit=limit)


_FILE_BYTES = st.one_of(
    _documents().map(lambda t: t.encode("utf-8")),
    st.binary(max_size=300),
    st.sampled_from([b"", b"  \n", b"\xff\xfe", b"ok\x00text", "caf\u00e9".encode("latin-1")]),
)


@fuzz(120)
@given(content=_FILE_BYTES, suffix=st.sampled_from([".md", ".txt", ".html"]))
def test_ingest_exits_0_or_2_with_one_line_per_failure(tmp_path_factory, content, suffix):
    """``briefbot ingest FILE --out DIR`` on any file content: exit 0 (the file was
    written) or 2 (one ``error:`` line on stderr); never 1 (an internal error)."""
    work = tmp_path_factory.mktemp("ingest")
    src = work / f"statement{suffix}"
    src.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["ingest", str(src), "--out", str(work / "out")], stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    event(f"exit {code}")
    assert code in (0, 2), (code, err.getvalue())
    assert len(lines) <= 1, lines
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: ")
    else:  # named YYYY-MM-DD_slug.md, or after the source file
        assert len(list((work / "out").glob("*.md"))) == 1


# ------------------------------------------------------------ bugs found (reproducers)

_BODY = "The parties agree.\n"
_BOOL_FM = f"---\ntitle: !!bool x\n---\n{_BODY}"
_TIMESTAMP_FM = f"---\ndate: !!timestamp x\n---\n{_BODY}"
_EMPTY_INT_FM = f"---\ntitle: !!int\n---\n{_BODY}"
# 3572 hex digits is the shortest literal whose decimal form passes Python's 4300 digits.
_HUGE_INT_FM = f"---\ntitle: 0x{'f' * 3572}\n---\n{_BODY}"


@pytest.mark.parametrize(
    "text",
    ["!!bool x", "!!timestamp x", "!!int", "!!float"],
    ids=["bool", "timestamp", "int", "float"],
)
def test_regression_load_yaml_bad_tagged_scalar_is_a_yaml_error(text):
    with contextlib.suppress(yaml.YAMLError, ValueError):  # the documented refusals
        load_yaml(text, limit=MAX_FRONT_MATTER_BYTES)


@pytest.mark.parametrize(
    "text",
    [_BOOL_FM, _TIMESTAMP_FM, _EMPTY_INT_FM, _HUGE_INT_FM],
    ids=["bool", "timestamp", "int", "huge-int"],
)
def test_regression_parse_document_survives_bad_tags_and_huge_ints(text):
    warnings: list[str] = []
    assert parse_document(text, "a.md", warnings) is not None or warnings


@pytest.mark.parametrize(
    "text",
    [_BOOL_FM, _TIMESTAMP_FM, _EMPTY_INT_FM, _HUGE_INT_FM],
    ids=["bool", "timestamp", "int", "huge-int"],
)
def test_regression_ingest_exits_2_not_1_on_them(tmp_path, text):
    src = tmp_path / "s.md"
    src.write_text(text, encoding="utf-8")
    err = io.StringIO()
    code = cli_main(
        ["ingest", str(src), "--out", str(tmp_path / "out")], stdout=io.StringIO(), stderr=err
    )
    assert code in (0, 2), err.getvalue()


# =========================================================================== 4. Cleaning

_WORD = re.compile(r"\w+")

# Markup that clean_raw documents as "formatting, not words" and removes or decodes;
# each can make a token that is not a token of the input (see the property below).
_MARKUP_CHARS = "<>&\\*_`"

_CLEAN_BITS = st.sampled_from(
    [
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        "  ",
        "\t",
        "\u00a0",
        "\u202f",
        "\ufeff",
        "---",
        "###",
        "- 30 -",
        "END",
        "* * *",
        "- ",
        "+ ",
        "— ",
        "1\\.",
        "**bold**",
        "__under__",
        "<p>",
        "</p>",
        "<br/>",
        "<div>",
        "<sup>1</sup>",
        "<!-- c -->",
        "<script>x()</script>",
        "&amp;",
        "&#65;",
        "&eacute;",
        "Share this:",
        "Tweet",
        "Leave a comment",
        "3 comments",
        "Most Popular",
        "World / Asia",
        "By John Smith",
        "(Xinhua)",
        "Source: Xinhua",
        "Updated: 2012-12-07",
        "Beijing, 6 June 2012 –",
        "Full Text",
        "Copyright 2012 Foo",
        "The two sides agreed to start formal negotiation in the first half of 2013",
        "and the parties will cooperate on navigation around Heixiazi Island.",
        "BOTh sides",
    ]
)


def _clean_inputs(alphabet):
    return st.one_of(
        st.text(alphabet, max_size=400),
        st.lists(st.one_of(_CLEAN_BITS, st.text(alphabet, max_size=15)), max_size=30).map("".join),
    )


@fuzz(300)
@given(raw=_clean_inputs(_TEXT))
def test_clean_raw_never_raises(raw):
    """``clean_raw`` on any text: a CleanResult whose body is text ending in one newline,
    with string metadata and string removal notes."""
    result = clean_raw(raw)
    assert isinstance(result.body, str) and result.body.endswith("\n")
    assert not result.body.endswith("\n\n")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.meta.items())
    assert all(isinstance(r, str) and r for r in result.removed)


_NO_MARKUP = st.characters(blacklist_categories=("Cs",), blacklist_characters=_MARKUP_CHARS)


@fuzz(300)
@given(
    raw=_clean_inputs(_NO_MARKUP).map(
        lambda t: "".join(ch for ch in t if ch not in _MARKUP_CHARS)  # bits carry markup too
    )
)
@example(raw="BOTh sides agreed.\nLeave a comment\nspam")
@example(raw="\U000f0030")  # once turned into "0" (the escape-hiding plane)
@example(raw="World / Asia\nBeijing, 6 June 2012 - text\u00a0more")
@example(raw="0\xad0")  # a soft hyphen is invisible: "00"
def test_clean_raw_never_invents_words(raw):
    """Every word of the cleaned body is a word of the input, at most as often, with
    the same spelling and case: cleaning only removes and re-wraps.

    Stated for input without ``< > & \\ * _ ` ``: clean_raw's documented markup
    removal joins or creates words there, so the stricter property is false for it:
    a tag between letters joins them (``a<b>c`` -> ``ac``), an entity decodes to a letter
    (``&#65;`` -> ``A``), a Markdown escape joins a word (``a\\_b`` -> ``a_b``) and
    emphasis markers around words are dropped (``__a__`` -> ``a``). ``_`` is a word
    character, ``*`` and ``\\`` only matter next to it or to letters, hence the list.
    Invisible characters (zero-width space, soft hyphen, …) are no part of a word:
    a reader sees "0\u00ad0" as "00", so the input's words are read without them.
    """
    result = clean_raw(raw)
    body_words = Counter(_WORD.findall(result.body))
    input_words = Counter(_WORD.findall(_INVISIBLE.sub("", raw)))
    invented = body_words - input_words
    assert not invented, dict(invented)


def test_markup_is_why_the_no_new_words_property_needs_plain_input():
    """The counter-examples in the docstring above, so the restriction stays honest."""
    for raw, new_word in [
        ("a<b>c", "ac"),
        ("&#65; x", "A"),
        ("a\\_b", "a_b"),
    ]:
        assert new_word in _WORD.findall(clean_raw(raw).body)
        assert new_word not in _WORD.findall(raw)
