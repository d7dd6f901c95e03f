"""Link unfurls end to end: link_shared -> chat.unfurl for indexed statements' sources."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from e2e_conf import SECRET
from fakeslack import bolt_request, event_body
from helpers import all_text, assert_valid_blocks, bolt_app
from paths import ROOT

from bot.unfurl import normalise_url, source_domains

JSON = "application/json"
QUAD = (
    "https://bidenwhitehouse.archives.gov/briefing-room/statements-releases/2021/09/24/"
    "joint-statement-from-quad-leaders/"
)
QUAD_ID = "2021-09-24_quad-leaders-joint-statement"
ELSEWHERE = "https://bidenwhitehouse.archives.gov/briefing-room/not-a-statement-we-hold/"


@pytest.fixture
def bolt(settings, corpus, index, fake):
    return bolt_app(settings, corpus, index, fake, date(2022, 6, 1))


def shared(app, links, event_id="EvL1", **extra):
    event = {
        "type": "link_shared",
        "channel": "C123",
        "is_bot_user_member": True,
        "user": "U123",
        "message_ts": "1700000400.000100",
        "unfurl_id": "C123.1700000400.000100.abc",
        "source": "conversations_history",
        "links": [{"domain": "bidenwhitehouse.archives.gov", "url": u} for u in links],
        "event_ts": "1700000400.000200",
        **extra,
    }
    resp = app.dispatch(
        bolt_request(event_body(event, event_id=event_id), SECRET, content_type=JSON)
    )
    assert resp.status == 200


@pytest.mark.parametrize(
    "posted",
    [QUAD, QUAD.rstrip("/"), QUAD.replace("https://", "http://www."), QUAD + "#para-3"],
    ids=["as-indexed", "no-slash", "http-www", "fragment"],
)
def test_a_statement_link_unfurls_with_its_facts(bolt, fake, index, posted):
    app, services = bolt
    shared(app, [posted, ELSEWHERE])
    (call,) = fake.calls_to("chat.unfurl")
    assert call.ok and (call.params["channel"], call.params["ts"]) == ("C123", "1700000400.000100")
    assert list(call.params["unfurls"]) == [posted]  # the unknown page is left alone
    blocks = call.params["unfurls"][posted]["blocks"]
    assert_valid_blocks(blocks)
    text = all_text({"blocks": blocks})
    clauses = sum(1 for c in index.clauses if c.doc_id == QUAD_ID)
    dated = [c for c in services.commitments if c.doc_id == QUAD_ID]
    assert "Joint Statement from Quad Leaders" in text
    assert "24 Sep 2021 · Australia, India, Japan, United States" in text
    assert f"{clauses} clauses · {len(dated)} dated items" in text
    assert "Next dated items:" in text
    ahead = sorted((c for c in dated if c.due and c.due >= date(2022, 6, 1)), key=lambda c: c.due)
    assert ahead and ahead[0].due.isoformat() in text and f"“{ahead[0].expression}”" in text


def test_composer_links_are_unfurled_by_unfurl_id(bolt, fake):
    app, _ = bolt
    shared(app, [QUAD], channel="COMPOSER", message_ts="U123-abc", source="composer")
    (call,) = fake.calls_to("chat.unfurl")
    assert call.ok and call.params["source"] == "composer" and "channel" not in call.params


def test_unknown_links_and_retries_get_nothing_more(bolt, fake):
    app, _ = bolt
    shared(app, [ELSEWHERE], event_id="EvL2")
    assert fake.calls_to("chat.unfurl") == []
    shared(app, [QUAD], event_id="EvL3")
    shared(app, [QUAD], event_id="EvL3")  # Slack's retry of the same event
    assert len(fake.calls_to("chat.unfurl")) == 1


def test_a_statement_with_nothing_ahead_shows_its_last_dated_items(bolt, fake, corpus):
    app, services = bolt
    services.today = lambda: date(2060, 1, 1)
    shared(app, [QUAD], event_id="EvL4")
    text = all_text(fake.calls_to("chat.unfurl")[0].params)
    assert "No dated item is still ahead; the last:" in text


def test_manifest_lists_every_corpus_source_domain(corpus):
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text("utf-8"))
    domains = source_domains(d.source for d in corpus.documents)
    assert domains  # the bundled corpus has web sources
    assert set(manifest["features"]["unfurl_domains"]) >= set(domains)
    assert {"links:read", "links:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert "link_shared" in manifest["settings"]["event_subscriptions"]["bot_events"]


@pytest.mark.parametrize(
    "url, key",
    [
        ("https://www.Example.org/a/b/", "example.org/a/b"),
        ("http://example.org/a/b?x=1#frag", "example.org/a/b?x=1"),
        ("Xinhua, Moscow, 6 Dec 2012", None),
        ("ftp://example.org/a", None),
        ("https://", None),
    ],
)
def test_normalise_url(url, key):
    assert normalise_url(url) == key
