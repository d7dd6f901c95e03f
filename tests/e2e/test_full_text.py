"""Context's *Full text* button through the real Bolt app: views.open with the statement
(the same view as `briefbot show`), or a clear modal when the statement is gone."""

from __future__ import annotations

import json

from e2e_conf import SECRET
from fakeslack import block_actions_body, bolt_request
from helpers import all_text, assert_valid_view, parsed_text
from paths import COMMUNIQUE

from handlers import blocks as B

FORM = "application/x-www-form-urlencoded"


def click(app, fake, action_id, value):
    body = block_actions_body(
        action_id,
        value,
        response_url=fake.response_url("r1"),
        container={
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "C123",
            "is_ephemeral": True,
        },
    )
    assert app.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200


def test_context_offers_full_text_which_opens_the_statement(app, fake, index, services):
    clause = index.search("tourism year russia china").hits[0].clause
    assert clause.doc_id == COMMUNIQUE
    click(app, fake, B.ACTION_CONTEXT, B.encode(c=clause.clause_id))
    (context,) = [c.params for c in fake.calls_to("response_url")]
    buttons = [
        el
        for b in context["blocks"]
        if b["type"] == "actions"
        for el in b["elements"]
        if el["action_id"] == B.ACTION_FULL_TEXT
    ]
    assert [json.loads(b["value"]) for b in buttons] == [{"d": COMMUNIQUE}]

    fake.reset()
    click(app, fake, B.ACTION_FULL_TEXT, buttons[0]["value"])
    (opened,) = fake.calls_to("views.open")
    view = opened.params["view"]
    assert opened.params["trigger_id"] and view["callback_id"] == B.VIEW_FULL_TEXT
    assert_valid_view(view)
    statement = services.statement(COMMUNIQUE)
    text = all_text(view)
    assert statement["clauses"][0]["text"] in text
    assert all(r["text"].splitlines()[0][:100] in text for r in statement["removed"])
    assert "Removed as debris" in text
    assert "<" not in parsed_text(view)  # nothing Slack would parse as a link or mention
    assert fake.calls_to("response_url") == []


def test_full_text_of_a_statement_no_longer_served_says_so(app, fake):
    click(app, fake, B.ACTION_FULL_TEXT, B.encode(d="2001-01-01_gone"))
    (opened,) = fake.calls_to("views.open")
    assert_valid_view(opened.params["view"])
    assert B.FULL_TEXT_GONE in all_text(opened.params["view"])


def test_a_malformed_full_text_value_gets_the_same_answer(app, fake, caplog):
    click(app, fake, B.ACTION_FULL_TEXT, "not json at all")
    (opened,) = fake.calls_to("views.open")
    assert B.FULL_TEXT_GONE in all_text(opened.params["view"])
    assert "failed after the ack" not in caplog.text
