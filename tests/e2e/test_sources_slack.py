"""Followed sources in Slack, end to end on SQLite: App Home lists an editor's sources
with Remove and "Add a source" (its modal, with errors on their fields; public
addresses only), readers see none of it; an announcement posts valid blocks, and its
"Dated items" button lists that statement's dated items."""

from __future__ import annotations

import json

import pytest
from fakeslack import block_actions_body, view_submission_body
from helpers import all_text, assert_valid_blocks
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from test_add_statement import EDITOR, OTHER, dispatch, home_of, make_settings, values

from bot.sources import Announcement, list_sources
from bot.store import DEFAULT_TEAM
from handlers import source_views as V
from handlers.blocks import ACTION_DATED_ITEMS


@pytest.fixture
def bot(fake, tmp_path):
    """(app, services): a database, editors, private addresses refused (the default)."""
    from bot.services import build_services
    from handlers.app import build_app

    settings = make_settings(fake, tmp_path)
    services = build_services(settings)
    app = build_app(settings, services, process_before_response=True)
    fake.reset()
    return app, services


def source_sections(view):
    return [
        b
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id") == V.ACTION_SOURCE_REMOVE
    ]


def has_add_button(view):
    return any(
        e.get("action_id") == V.ACTION_SOURCE_ADD
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )


def submit_source(app, user=EDITOR, **fields):
    body = view_submission_body(V.VIEW_SOURCE_ADD, values(**fields), user_id=user)
    return dispatch(app, body)


def click(app, action_id, value, user=EDITOR, **extra):
    body = block_actions_body(
        action_id,
        value,
        user_id=user,
        container={"type": "view", "view_id": "V0HOME"},
        response_url=extra.pop("response_url", None),
        **extra,
    )
    return dispatch(app, body)


def test_editors_add_and_remove_sources_in_app_home(bot, fake):
    app, services = bot
    reader_home = home_of(app, fake, OTHER)
    assert not has_add_button(reader_home) and source_sections(reader_home) == []
    home = home_of(app, fake, EDITOR)
    assert has_add_button(home) and "Followed sources" in all_text(home)

    fake.reset()
    click(app, V.ACTION_SOURCE_ADD, "add")
    (opened,) = fake.wait_for("views.open")
    View(**opened.params["view"]).validate_json()
    assert opened.params["view"]["callback_id"] == V.VIEW_SOURCE_ADD

    answer = submit_source(app, url="https://mfa.example/feed.xml", name="mfa", kinds="joint")
    assert answer == {}
    (src,) = list_sources(services.store, team_id=DEFAULT_TEAM)
    assert (src.name, src.kinds, src.allow_private) == ("mfa", ("joint-statement",), False)
    assert src.backfill == 20  # the default: its first check announces nothing it lists
    (publish,) = fake.wait_for("views.publish")
    view = publish.params["view"]
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    (section,) = source_sections(view)
    assert section["accessory"]["value"] == "mfa" and "mfa.example/feed.xml" in all_text(section)

    fake.reset()
    click(app, V.ACTION_SOURCE_REMOVE, "mfa", user=OTHER)  # a reader: refused
    assert [s.name for s in list_sources(services.store)] == ["mfa"]
    click(app, V.ACTION_SOURCE_REMOVE, "mfa")
    assert list_sources(services.store) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "not a url"}, "url", "is not a web address"),
        ({"url": "http://127.0.0.1:9/feed"}, "url", "not a public address"),
        ({"url": "https://a.example/", "kinds": "memo"}, "kinds", "not a kind"),
        ({"url": "https://a.example/", "name": "two words"}, "name", "not a usable name"),
    ],
)
def test_bad_input_comes_back_on_its_field(bot, fields, field, message):
    app, services = bot
    answer = submit_source(app, **fields)
    assert answer["response_action"] == "errors"
    assert message in answer["errors"][field]
    assert list_sources(services.store) == []


def test_a_reader_cannot_add_a_source(bot, fake):
    app, services = bot
    click(app, V.ACTION_SOURCE_ADD, "add", user=OTHER)
    assert fake.calls_to("views.open") == []
    answer = submit_source(app, user=OTHER, url="https://mfa.example/feed.xml")
    assert answer["response_action"] == "errors" and "editors" in answer["errors"]["url"]
    assert list_sources(services.store) == []


def test_the_announcement_and_its_dated_items_button(bot, fake):
    from handlers.client import build_client
    from handlers.sources import AnnounceError, SlackAnnouncer

    app, services = bot
    item = next(c for c in services.commitments if c.due is not None)
    doc = services.statement(item.doc_id)
    announce = SlackAnnouncer(build_client(services.settings, idempotent=True), "C0NEWS")
    note = Announcement(
        team_id=DEFAULT_TEAM,
        source="mfa",
        doc_id=item.doc_id,
        title=doc["title"],
        clauses=len(doc["clauses"]),
        dated_items=3,
        next_due=item.due,
        next_due_expression=item.expression,
        date_guessed=True,
    )
    announce(note)
    (post,) = fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C0NEWS"
    assert post.params["text"].startswith(f"New statement: {doc['title']} — ")
    assert f"3 dated items, next due {item.due.isoformat()}" in post.params["text"]
    blocks = post.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert_valid_blocks(blocks)
    assert "its date is a guess" in all_text(blocks)

    fake.reset()
    click(app, ACTION_DATED_ITEMS, json.dumps({"d": item.doc_id}), response_url=fake.response_url())
    (answer,) = fake.wait_for("response_url")
    assert item.expression in all_text(answer.params)

    fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(AnnounceError, match="channel_not_found"):
        announce(note)
