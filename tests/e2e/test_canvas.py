"""A brief as a canvas end to end: /brief canvas and the "Make a brief" button."""

from __future__ import annotations

import json
from datetime import date

import pytest
from e2e_conf import SECRET
from fakeslack import block_actions_body, bolt_request, slash_command_body
from helpers import assert_valid_blocks, bolt_app

from bot.canvas import md_escape
from bot.reading.clauses import Clause
from bot.search import ClauseIndex
from handlers import blocks as B

FORM = "application/x-www-form-urlencoded"
QUAD_ID = "2021-09-24_quad-leaders-joint-statement"


def build(settings, corpus, index, fake):
    return bolt_app(settings, corpus, index, fake, date(2026, 12, 1))


@pytest.fixture
def bolt(settings, corpus, index, fake):
    return build(settings, corpus, index, fake)


def slash(app, fake, text):
    body = slash_command_body("/brief", text, response_url=fake.response_url("c1"))
    resp = app.dispatch(bolt_request(body, SECRET, content_type=FORM))
    assert resp.status == 200
    return json.loads(resp.body)


def markdown(fake):
    (call,) = fake.calls_to("canvases.create")
    assert call.ok and call.params["document_content"]["type"] == "markdown"
    return call.params["document_content"]["markdown"]


def test_topic_canvas_is_created_shared_read_only_and_linked(bolt, fake, index):
    app, _ = bolt
    ack = slash(app, fake, "canvas navgation talks heixiazi")
    assert ack["response_type"] == "ephemeral" and "canvas" in ack["text"]
    md = markdown(fake)
    nav = index.search("navgation talks heixiazi", limit=10).hits
    assert md.startswith("# Brief: navgation talks heixiazi\n")
    assert f"> {md_escape(nav[0].clause.text)}\n— **{md_escape(nav[0].clause.citation)}**" in md
    assert md.count("\n> ") == len(nav)
    assert "| Due | Time phrase | Kind | Status | Citation |" in md
    assert "| 2013\\-06\\-30 |" in md or "| 2013-06-30 |" in md  # the navigation talks' due date
    (access,) = fake.calls_to("canvases.access.set")
    canvas_id = fake.calls_to("canvases.create")[0].response["canvas_id"]
    assert access.ok and access.params["canvas_id"] == canvas_id
    assert access.params["access_level"] == "read" and "C123" in str(access.params["channel_ids"])
    (post,) = [c.params for c in fake.calls_to("response_url")]
    assert post["response_type"] == "in_channel"
    assert_valid_blocks(post["blocks"])
    assert (
        f"<https://fake.slack.com/docs/T0FAKE/{canvas_id}|Brief: navgation talks heixiazi>"
        in (post["blocks"][0]["text"]["text"])
    )
    assert fake.calls_to("conversations.canvases.create") == []  # see handlers/canvas.py


def test_document_canvas_has_all_its_clauses_and_dated_items(bolt, fake, index):
    app, services = bolt
    slash(app, fake, "canvas quad leaders")
    md = markdown(fake)
    own = [c for c in index.clauses if c.doc_id == QUAD_ID]
    assert md.startswith("# Brief: Joint Statement from Quad Leaders\n")
    assert md.count("\n> ") >= len(own)  # every clause (a multi-line one has several)
    positions = [md.index(md_escape(c.citation) + "**") for c in own]
    assert positions == sorted(positions)  # in document order
    items = [c for c in services.commitments if c.doc_id == QUAD_ID]
    table = [ln for ln in md.splitlines() if ln.startswith("| ") and ln[2:5] not in ("Due", "---")]
    assert len(table) == len(items)


def test_make_a_brief_button_makes_the_canvas_for_the_query(bolt, fake):
    app, _ = bolt
    payload = slash(app, fake, "navgation talks heixiazi")
    (button,) = [
        e
        for b in payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == B.ACTION_CANVAS
    ]
    fake.reset()
    body = block_actions_body(
        B.ACTION_CANVAS, button["value"], response_url=fake.response_url("b1")
    )
    assert app.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    assert markdown(fake).startswith("# Brief: navgation talks heixiazi\n")
    assert fake.calls_to("canvases.access.set")[0].params["access_level"] == "read"
    assert fake.calls_to("response_url")[0].params["response_type"] == "in_channel"


def test_statement_text_stays_literal_in_the_canvas(settings, corpus, fake):
    text = "The *bold* parties agree _x_ to ~y~ meet <!channel> & talk [here](http://x) | 1."
    clause = Clause("v#p1.1", "v", "V", date(2020, 1, 2), text, "1", 1, 1)
    app, _ = build(settings, corpus, ClauseIndex([clause]), fake)
    slash(app, fake, "canvas bold parties agree meet talk")
    md = markdown(fake)
    assert (
        "> The \\*bold\\* parties agree \\_x\\_ to \\~y\\~ meet \\<\\!channel\\> &amp; talk "
        "\\[here\\](http://x) \\| 1." in md
    )


@pytest.mark.parametrize(
    "error, words",
    [
        ("free_teams_cannot_create_non_tabbed_canvases", "no standalone canvases"),
        ("canvas_disabled_user_team", "canvases are turned off"),
    ],
)
def test_no_canvases_in_the_workspace_is_said_plainly(bolt, fake, error, words):
    app, _ = bolt
    fake.fail_next("canvases.create", error=error)
    slash(app, fake, "canvas navgation talks heixiazi")
    (post,) = [c.params for c in fake.calls_to("response_url")]
    assert post["response_type"] == "ephemeral"
    assert words in post["text"] and error in post["text"]
    assert fake.calls_to("canvases.access.set") == []


@pytest.mark.parametrize(
    "text, words",
    [("canvas", "Name a document or a topic"), ("canvas recipe for chocolate cake", "No clause")],
)
def test_nothing_to_brief_gets_a_specific_message(bolt, fake, text, words):
    app, _ = bolt
    slash(app, fake, text)
    (post,) = [c.params for c in fake.calls_to("response_url")]
    assert words in post["text"]
    assert fake.calls_to("canvases.create") == []
