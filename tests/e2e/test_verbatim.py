"""Quotes reach Slack as rich text (rich_text_quote), verbatim on every surface.

A statement containing mrkdwn characters (``*bold*``, ``_x_``, ``~y~``), a special
mention and an HTML entity must be shown exactly as published: never formatted, never a
ping, never unescaped. The ``text`` fallback (which Slack does parse) stays escaped.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from e2e_conf import SECRET, TOKEN
from fakeslack import bolt_request, message_shortcut_body
from helpers import assert_valid_blocks, parsed_text, quotes
from test_dispatch import FORM, click, mention, slash

from bot.commitments import Commitment
from bot.reading.clauses import Clause
from bot.search import ClauseIndex
from bot.services import Services
from handlers import blocks as B

STATEMENT = "The *bold* parties agree _x_ to ~y~ meet <!channel> and &amp; talk & act."
CLAUSE = Clause("v#p1.1", "v", "Verbatim <Doc> & Co", date(2020, 1, 2), STATEMENT, "1", 1, 1)
QUERY = "bold parties agree meet talk act"


@pytest.fixture
def bolt(settings, corpus, fake):
    from handlers.app import build_app

    services = Services(settings=settings, corpus=corpus, index=ClauseIndex([CLAUSE]))
    app = build_app(settings, services, process_before_response=True)
    fake.reset()
    return app


def assert_verbatim(payload):
    assert_valid_blocks(payload["blocks"])
    assert STATEMENT in quotes(payload), quotes(payload)
    parsed = parsed_text(payload)
    # Nothing Slack parses holds the raw markup: no ping, no entity that would decode.
    assert "<!channel>" not in parsed and "&amp;amp;" in parsed_text({"text": payload["text"]})
    assert "&lt;!channel&gt;" in payload["text"]


def test_brief_quotes_verbatim(bolt, fake):
    assert_verbatim(slash(bolt, fake, QUERY))


def test_mention_quotes_verbatim(bolt, fake):
    mention(bolt, fake, f"<@UBOT> {QUERY}", event_id="EvV1")
    (call,) = fake.calls_to("chat.postMessage")
    assert_verbatim(call.params)


def test_shortcut_share_and_context_quote_verbatim(bolt, fake):
    body = message_shortcut_body(
        B.SHORTCUT_FIND_SOURCE,
        {"type": "message", "ts": "1700000000.000300", "user": "U9", "text": QUERY},
        response_url=fake.response_url("s1"),
    )
    assert bolt.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    assert_verbatim(fake.wait_for("response_url")[0].params)
    shared = click(bolt, fake, B.ACTION_SHARE, B.encode(c=CLAUSE.clause_id), name="r5")[-2]
    assert_verbatim(shared)
    fake.reset()
    context = click(bolt, fake, B.ACTION_CONTEXT, B.encode(c=CLAUSE.clause_id), name="r6")[-1]
    assert_valid_blocks(context["blocks"])
    assert quotes(context) == [STATEMENT] and "<!channel>" not in parsed_text(context)


def test_reminder_quotes_verbatim(fake):
    from bot.config import Settings
    from bot.reminders import Reminder
    from handlers.client import build_client
    from handlers.reminders import SlackPoster

    c = Commitment(
        id="v",
        doc_id="v",
        clause_id="v#p1.1",
        text=STATEMENT,
        citation=CLAUSE.citation,
        expression="meet",
        value="2020",
        start=None,
        due=date(2020, 12, 31),
    )
    settings = Settings.from_env({"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.url})
    poster = SlackPoster(build_client(settings, idempotent=True))
    from datetime import UTC, datetime

    fire = datetime(2020, 12, 24, 9, tzinfo=UTC)
    poster.post(
        Reminder(key="v|k", commitment=c, kind="lead", lead=timedelta(days=7), fire_at=fire), "C1"
    )
    (call,) = fake.calls_to("chat.postMessage")
    assert_valid_blocks(call.params["blocks"])
    assert quotes(call.params) == [STATEMENT]
    assert "<!channel>" not in parsed_text(call.params)


def test_console_shows_the_quote_as_written(settings, corpus):
    from bot.console import answer

    services = Services(settings=settings, corpus=corpus, index=ClauseIndex([CLAUSE]))
    out = answer(services, f"/brief {QUERY}")
    assert f"│ {STATEMENT}" in out


def test_commitment_lists_quote_verbatim():
    row = {
        "id": "v",
        "due": "2020-12-31",
        "status": "not_yet_rated",
        "expression": "meet",
        "kind": "event",
        "text": STATEMENT,
        "citation": CLAUSE.citation,
    }
    for message in (
        B.commitments_message([row], title="Commitments"),
        B.summary_message([row]),
        {"blocks": B.home_view([], upcoming=[row])["blocks"]},
    ):
        assert STATEMENT in quotes(message)
        assert "<!channel>" not in parsed_text({"blocks": message["blocks"]})
