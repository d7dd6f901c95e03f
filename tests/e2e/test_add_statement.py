"""Adding statements from Slack, end to end on SQLite: signed requests through the real
Bolt app, the fake Web API recording views.open, views.update, files.info, the file
download and the posts. The two-step modal (open -> preview -> save), refusals for
non-editors, errors on bad input, duplicates, a file sent in a DM, Remove in App Home."""

from __future__ import annotations

import json
import time

import pytest
from e2e_conf import SECRET, TOKEN
from fakeslack import (
    block_actions_body,
    bolt_request,
    event_body,
    global_shortcut_body,
    slash_command_body,
    view_submission_body,
)
from helpers import all_text, assert_valid_blocks, assert_valid_view, quotes
from paths import CORPUS
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from webfixtures import PDF_LINES, STATEMENT_PAGE, make_pdf, web_server

from bot.config import Settings
from handlers import library_views as V

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
EDITOR, OTHER = "U0EDITOR", "U0READER"
QUERY = "joint survey of undersea cable routes"
NEW_TEXT = (
    "The two sides will complete a joint survey of undersea cable routes in the North "
    "Atlantic by the end of 2027."
)
CLAUSE = f"2. {NEW_TEXT}"  # a clause keeps its paragraph number, as published
STATEMENT = (
    "Joint Statement on Undersea Cables\n\nLisbon, 3 March 2026\n\n"
    "1. Portugal and Norway share an interest in secure undersea cables.\n\n"
    f"2. {NEW_TEXT}\n"
)


def make_settings(fake, tmp_path, **overrides):
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'add.db'}",
        "BRIEFBOT_CORPUS": str(CORPUS),
        "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND",
        "BRIEFBOT_EDITORS": f"{EDITOR},U0SECOND",
        "BRIEFBOT_SENTENCE_ENCODER": "off",
    }
    return Settings.from_env(env, **overrides)


@pytest.fixture
def bot(fake, tmp_path):
    """(app, services) with a database, editors, and private URLs allowed (tests only)."""
    from bot.services import build_services
    from handlers.app import build_app

    settings = make_settings(fake, tmp_path, allow_private_urls=True)
    services = build_services(settings)
    app = build_app(settings, services, process_before_response=True)
    fake.reset()
    return app, services


def dispatch(app, body, content_type=FORM):
    resp = app.dispatch(bolt_request(body, SECRET, content_type=content_type))
    assert resp.status == 200, resp.body
    return json.loads(resp.body) if resp.body else {}


def ask(app, fake, text=QUERY):
    body = slash_command_body("/brief", text, response_url=fake.response_url())
    return all_text(dispatch(app, body))


def values(**fields):
    return {k: {k: {"type": "plain_text_input", "value": v}} for k, v in fields.items()}


def initial_values(view):
    """The preview's pre-filled fields, as Slack would submit them unchanged."""
    out = {}
    for b in view["blocks"]:
        if b["type"] == "input":
            out[b["block_id"]] = b["element"].get("initial_value")
    return out


def submit(app, callback, fields, *, user=EDITOR, private_metadata=""):
    body = view_submission_body(
        callback, values(**fields), user_id=user, private_metadata=private_metadata
    )
    return dispatch(app, body)


def preview_of(app, text=STATEMENT, user=EDITOR, metadata='{"c":"C123"}', **fields):
    answer = submit(
        app, V.VIEW_INPUT, {"source": text, **fields}, user=user, private_metadata=metadata
    )
    assert answer.get("response_action") == "update", answer
    return answer["view"]


def add_through_modal(app, fake, *, short_title="Undersea cables"):
    """/brief add -> views.open; paste -> preview; save. Returns (preview view, answer)."""
    dispatch(
        app, slash_command_body("/brief", "add", user_id=EDITOR, response_url=fake.response_url())
    )
    preview = preview_of(app)
    fields = {**initial_values(preview), "short_title": short_title}
    answer = submit(app, V.VIEW_PREVIEW, fields, private_metadata=preview["private_metadata"])
    return preview, answer


def test_the_modal_previews_then_saves_and_every_answer_has_it(bot, fake):
    app, services = bot
    assert NEW_TEXT not in ask(app, fake)
    reply = dispatch(
        app, slash_command_body("/brief", "add", user_id=EDITOR, response_url=fake.response_url())
    )
    assert reply == {}  # nothing but the modal
    (opened,) = fake.calls_to("views.open")
    assert opened.params["trigger_id"] and opened.params["view"]["callback_id"] == V.VIEW_INPUT
    assert_valid_view(opened.params["view"])
    assert "3,000 characters" in all_text(opened.params["view"])  # the hint says so

    preview = preview_of(app)
    assert_valid_view(preview)
    assert preview["callback_id"] == V.VIEW_PREVIEW
    filled = initial_values(preview)
    assert filled["title"] == "Joint Statement on Undersea Cables"
    assert filled["date"] == "2026-03-03"
    text = all_text(preview)
    assert "2 clauses" in text and "1 dated items" in text
    assert CLAUSE in quotes(preview)  # the dated item, verbatim
    assert "2027-12-31" in text
    meta = json.loads(preview["private_metadata"])
    assert meta["c"] == "C123" and len(preview["private_metadata"]) < 3000
    assert services.library.list_statements() == []  # nothing saved by the preview

    fields = {**filled, "short_title": "Undersea cables", "parties": "Portugal, Norway"}
    saved = submit(app, V.VIEW_PREVIEW, fields, private_metadata=preview["private_metadata"])
    assert saved["response_action"] == "update"
    (stored,) = services.library.list_statements()
    assert stored.doc_id in all_text(saved["view"])
    assert stored.short_title == "Undersea cables" and stored.added_by == EDITOR
    assert stored.parties == ("Portugal", "Norway") and stored.date.isoformat() == "2026-03-03"
    assert NEW_TEXT in stored.body

    # Announced in the reminder channel, with its dated item verbatim and its due date.
    (post,) = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == "C0REMIND"]
    assert_valid_blocks(post.params["blocks"])
    assert "New statement" in all_text(post.params)
    assert "Portugal, Norway" in all_text(post.params) and "3 Mar 2026" in all_text(post.params)
    assert CLAUSE in quotes(post.params) and "2027-12-31" in all_text(post.params)
    # Confirmed to the editor, ephemerally, where they typed /brief add.
    (confirm,) = fake.calls_to("chat.postEphemeral")
    assert confirm.params["channel"] == "C123" and confirm.params["user"] == EDITOR
    assert stored.doc_id in confirm.params["text"]
    # This process answers from it at once (refreshed after the ack).
    assert NEW_TEXT in ask(app, fake)
    assert any(NEW_TEXT in c.text for c in services.commitments)


def test_the_shortcut_opens_the_modal_for_editors_only(bot, fake):
    app, _services = bot
    dispatch(app, global_shortcut_body(V.SHORTCUT_ADD, user_id=EDITOR))
    (opened,) = fake.calls_to("views.open")
    assert opened.params["view"]["callback_id"] == V.VIEW_INPUT

    fake.reset()
    dispatch(app, global_shortcut_body(V.SHORTCUT_ADD, user_id=OTHER))
    assert fake.calls_to("views.open") == []
    (refusal,) = fake.calls_to("chat.postMessage")
    assert (
        refusal.params["channel"] == OTHER and "Only briefbot's editors" in refusal.params["text"]
    )


def test_non_editors_are_refused_everywhere(bot, fake):
    app, services = bot
    reply = dispatch(
        app, slash_command_body("/brief", "add", user_id=OTHER, response_url=fake.response_url())
    )
    assert reply["response_type"] == "ephemeral" and "Only briefbot's editors" in reply["text"]
    assert fake.calls_to("views.open") == []
    # A modal opened while they were an editor cannot save now.
    answer = submit(app, V.VIEW_INPUT, {"source": STATEMENT}, user=OTHER)
    assert answer["response_action"] == "update" and "editors" in all_text(answer["view"])
    assert services.library.list_statements() == []


def test_nobody_edits_when_no_editors_are_set(fake, tmp_path):
    from bot.services import build_services
    from handlers.app import build_app

    settings = make_settings(fake, tmp_path, editors=frozenset())
    assert settings.editors == frozenset()
    app = build_app(settings, build_services(settings), process_before_response=True)
    reply = dispatch(
        app, slash_command_body("/brief", "add", user_id=EDITOR, response_url=fake.response_url())
    )
    assert "Only briefbot's editors" in reply["text"]
    assert fake.calls_to("views.open") == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"source": "   "}, "source", "Paste the statement's text"),
        ({"source": STATEMENT, "date": "3/3/26"}, "date", "'3/3/26' is not a date"),
        ({"source": STATEMENT, "date": "2026-02-30"}, "date", "is not a date; use YYYY-MM-DD"),
        ({"source": "x" * 3001}, "source", "Longer than 3,000 characters"),
        ({"source": "<p></p>"}, "source", "no statement text"),
    ],
    ids=["empty", "bad-date", "no-such-day", "too-long", "nothing-left"],
)
def test_bad_input_comes_back_on_its_field(bot, fake, fields, field, message):
    app, _services = bot
    answer = submit(app, V.VIEW_INPUT, fields)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [field]
    assert message in answer["errors"][field], answer
    assert "Traceback" not in json.dumps(answer)


def test_a_url_that_fails_is_an_error_on_the_source_field(bot, fake):
    app, _ = bot
    answer = submit(app, V.VIEW_INPUT, {"source": f"{fake.base}/no-such-page.html"})
    assert answer["response_action"] == "errors"
    assert "Could not read that address" in answer["errors"]["source"]
    assert "HTTP 404" in answer["errors"]["source"]


def test_private_addresses_are_refused_by_default(fake, tmp_path):
    from bot.services import build_services
    from handlers.app import build_app

    settings = make_settings(fake, tmp_path)
    assert settings.allow_private_urls is False
    app = build_app(settings, build_services(settings), process_before_response=True)
    answer = submit(app, V.VIEW_INPUT, {"source": f"{fake.base}/internal.html"})
    assert "not a public address" in answer["errors"]["source"]
    assert fake.calls_to("/internal.html") == []  # never fetched


def test_a_url_is_fetched_and_previewed(bot, fake):
    app, services = bot
    with web_server() as web:
        url = web.add("/cables", STATEMENT_PAGE)
        preview = preview_of(app, text=url)
    filled = initial_values(preview)
    assert filled["title"] == "Joint Statement on Undersea Cables"
    assert filled["date"] == "2026-03-03"
    assert CLAUSE in quotes(preview)
    assert "Share this page" not in all_text(preview)  # page debris is gone
    saved = submit(
        app, V.VIEW_PREVIEW, filled, private_metadata=preview["private_metadata"]
    )  # the text was kept: nothing is fetched again
    assert saved["response_action"] == "update"
    (stored,) = services.library.list_statements()
    assert stored.source == url


def test_a_slow_page_answers_with_a_waiting_view_then_the_preview(fake, tmp_path):
    """Slack wants the answer to a submission within 3 s: past the step budget the modal
    shows "Reading…" and views.update brings the preview when the page has come."""
    from bot.services import build_services
    from handlers.adding import STEP_BUDGET
    from handlers.app import build_app
    from handlers.later import Later

    settings = make_settings(fake, tmp_path, allow_private_urls=True)
    later = Later(2)
    app = build_app(settings, build_services(settings), later=later)
    with web_server() as web:
        url = web.add("/slow", STATEMENT_PAGE, delay=STEP_BUDGET + 1.0)
        started = time.monotonic()
        answer = submit(app, V.VIEW_INPUT, {"source": url})
        assert time.monotonic() - started < 3.0
        assert answer["response_action"] == "update"
        assert "Reading the statement" in all_text(answer["view"])
        (update,) = fake.wait_for("views.update", timeout=10)
    assert update.params["view_id"] == "V0FAKEVIEW"
    assert update.params["view"]["callback_id"] == V.VIEW_PREVIEW
    assert later.drain(5)


def test_the_same_text_twice_is_refused_with_its_id(bot, fake):
    app, services = bot
    first = preview_of(app)
    second = preview_of(app)  # previewed twice before either was saved
    add = submit(
        app, V.VIEW_PREVIEW, initial_values(first), private_metadata=first["private_metadata"]
    )
    assert add["response_action"] == "update"
    (stored,) = services.library.list_statements()
    again = submit(app, V.VIEW_INPUT, {"source": STATEMENT})
    assert again["response_action"] == "errors"
    assert again["errors"]["source"] == f"The same statement is already stored as {stored.doc_id}."
    late = submit(
        app, V.VIEW_PREVIEW, initial_values(second), private_metadata=second["private_metadata"]
    )
    assert late["errors"]["title"] == f"The same text is already stored as {stored.doc_id}."
    assert len(services.library.list_statements()) == 1


def test_a_preview_belongs_to_its_editor(bot, fake):
    app, services = bot
    preview = preview_of(app)
    answer = submit(
        app,
        V.VIEW_PREVIEW,
        initial_values(preview),
        user="U0SECOND",
        private_metadata=preview["private_metadata"],
    )
    assert "expired" in answer["errors"]["title"]
    assert services.library.list_statements() == []


def test_a_preview_cannot_be_saved_by_someone_no_longer_an_editor(bot, fake, monkeypatch):
    """The Save step checks the editor again: a preview opened while an editor cannot be
    saved after they stopped being one (removed in App Home meanwhile)."""
    app, services = bot
    preview = preview_of(app)
    monkeypatch.setattr(services, "is_editor", lambda team_id, user_id: False)
    answer = submit(
        app, V.VIEW_PREVIEW, initial_values(preview), private_metadata=preview["private_metadata"]
    )
    assert answer["response_action"] == "update" and "editors" in all_text(answer["view"])
    assert services.library.list_statements() == []


def dm(files, user=EDITOR, ts="1700000500.000100"):
    return {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": "D0DM",
        "user": user,
        "text": "",
        "ts": ts,
        "event_ts": ts,
        "files": files,
    }


def test_a_file_sent_in_a_dm_is_added_through_the_same_preview(bot, fake):
    app, services = bot
    info = fake.add_file(
        "cables.md", STATEMENT.encode(), mimetype="text/markdown", filetype="markdown"
    )
    dispatch(app, event_body(dm([{"id": info["id"], "name": "cables.md"}]), event_id="EvF1"), JSON)
    (offer,) = fake.calls_to("chat.postMessage")
    assert offer.params["thread_ts"] == "1700000500.000100"
    assert_valid_blocks(offer.params["blocks"])
    (button,) = offer.params["blocks"][1]["elements"]
    assert button["action_id"] == V.ACTION_ADD_FILE and button["value"] == info["id"]

    click = block_actions_body(
        V.ACTION_ADD_FILE,
        info["id"],
        user_id=EDITOR,
        channel_id="D0DM",
        response_url=fake.response_url(),
    )
    dispatch(app, click)
    (download,) = fake.calls_to("file_download")
    assert download.authorized and download.token_hash  # the bot token, never logged
    (update,) = fake.calls_to("views.update")
    preview = update.params["view"]
    assert preview["callback_id"] == V.VIEW_PREVIEW
    assert update.params["view_id"] == fake.calls_to("views.open")[0].response["view"]["id"]
    assert_valid_view(preview)
    assert initial_values(preview)["date"] == "2026-03-03"
    assert "read from cables.md" in all_text(preview)
    saved = submit(
        app, V.VIEW_PREVIEW, initial_values(preview), private_metadata=preview["private_metadata"]
    )
    assert saved["response_action"] == "update"
    (stored,) = services.library.list_statements()
    assert NEW_TEXT in stored.body
    (confirm,) = fake.calls_to("chat.postEphemeral")
    assert confirm.params["channel"] == "D0DM"


def test_dm_files_from_others_or_of_other_kinds(bot, fake):
    app, _services = bot
    info = fake.add_file("cables.md", STATEMENT.encode(), mimetype="text/plain", filetype="text")
    dispatch(
        app,
        event_body(dm([{"id": info["id"], "name": "cables.md"}], user=OTHER), event_id="EvF2"),
        JSON,
    )
    (refusal,) = fake.calls_to("chat.postMessage")
    assert "Only briefbot's editors" in refusal.params["text"]
    fake.reset()
    png = [{"id": "F0PNG", "name": "photo.png", "filetype": "png"}]
    dispatch(app, event_body(dm(png), event_id="EvF3"), JSON)
    (answer,) = fake.calls_to("chat.postMessage")
    assert "photo.png is not one" in answer.params["text"]
    # A non-editor clicking an old button gets the refusal, and no modal.
    fake.reset()
    click = block_actions_body(
        V.ACTION_ADD_FILE, info["id"], user_id=OTHER, response_url=fake.response_url()
    )
    dispatch(app, click)
    assert fake.calls_to("views.open") == []
    (refused,) = fake.calls_to("response_url")
    assert "Only briefbot's editors" in refused.params["text"]


def test_a_plain_dm_is_still_answered_like_brief(bot, fake):
    app, _ = bot
    event = {**dm([]), "text": "navgation talks heixiazi"}
    event.pop("files")
    event.pop("subtype")
    dispatch(app, event_body(event, event_id="EvF4"), JSON)
    (post,) = fake.calls_to("chat.postMessage")
    assert quotes(post.params)  # an answer, not a file offer


def home_of(app, fake, user):
    fake.reset()
    event = {"type": "app_home_opened", "user": user, "channel": "D0DM", "tab": "home"}
    dispatch(app, event_body(event, event_id=f"EvH{user}{len(fake.calls)}"), JSON)
    (publish,) = fake.calls_to("views.publish")
    return publish.params["view"]


def remove_buttons(view):
    return [
        b["accessory"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id") == V.ACTION_REMOVE
    ]


def test_editors_remove_from_app_home(bot, fake):
    app, services = bot
    add_through_modal(app, fake)
    (stored,) = services.library.list_statements()
    assert remove_buttons(home_of(app, fake, OTHER)) == []  # readers see no Remove
    home = home_of(app, fake, EDITOR)
    View(**home).validate_json()  # a Home view may be larger than a message
    for block in home["blocks"]:
        Block.parse(block).validate_json()
    (button,) = remove_buttons(home)
    assert button["value"] == stored.doc_id and button["confirm"]["confirm"]["text"] == "Remove"

    fake.reset()
    click = block_actions_body(
        V.ACTION_REMOVE,
        stored.doc_id,
        user_id=EDITOR,
        container={"type": "view", "view_id": "V0HOME"},
        response_url=None,
    )
    dispatch(app, click)
    assert services.library.list_statements() == []
    (removed,) = services.library.history(stored.doc_id)
    assert removed.removed_by == EDITOR
    (publish,) = fake.calls_to("views.publish")
    assert remove_buttons(publish.params["view"]) == []
    assert not any(c.doc_id == stored.doc_id for c in services.commitments)  # no reminders
    assert NEW_TEXT not in ask(app, fake)


def test_a_reader_cannot_remove(bot, fake):
    app, services = bot
    add_through_modal(app, fake)
    (stored,) = services.library.list_statements()
    fake.reset()
    click = block_actions_body(
        V.ACTION_REMOVE,
        stored.doc_id,
        user_id=OTHER,
        container={"type": "view", "view_id": "V0HOME"},
        response_url=None,
    )
    dispatch(app, click)
    assert [s.doc_id for s in services.library.list_statements()] == [stored.doc_id]


def test_with_many_workspaces_the_post_goes_to_the_workspace_channel(fake, tmp_path):
    """Installed into many workspaces (OAuth), "New statement" goes to the channel the
    workspace's admin chose, else BRIEFBOT_REMINDER_CHANNEL."""
    from bot import workspaces
    from bot.services import build_services
    from handlers.adding import _channel_for

    settings = make_settings(fake, tmp_path, bot_token="", client_id="1.2", client_secret="s")
    assert settings.oauth
    services = build_services(settings, with_dated_items=False)
    own = workspaces.WorkspaceSettings.parse(
        "T0OWN", reminder_channel="C0OWN", timezone=None, reminder_kinds=None
    )
    workspaces.save(services.store, own, actor="U0ADMIN")
    assert _channel_for(services, "T0OWN") == "C0OWN"
    assert _channel_for(services, "T0OTHER") == "C0REMIND"


def test_a_pdf_sent_in_a_dm_is_previewed(bot, fake):
    app, _ = bot
    info = fake.add_file(
        "seabed.pdf", make_pdf(PDF_LINES), mimetype="application/pdf", filetype="pdf"
    )
    click = block_actions_body(
        V.ACTION_ADD_FILE, info["id"], user_id=EDITOR, channel_id="D0DM", response_url=None
    )
    dispatch(app, click)
    (update,) = fake.calls_to("views.update")
    preview = update.params["view"]
    assert preview["callback_id"] == V.VIEW_PREVIEW
    filled = initial_values(preview)
    assert filled["title"] == "Joint Statement on Seabed Mapping" and filled["date"] == "2026-05-05"
    assert any("map the seabed of the Norwegian Sea together by 2029" in q for q in quotes(preview))


def test_a_file_slack_will_not_give_is_explained_in_the_modal(bot, fake):
    app, _ = bot
    click = block_actions_body(
        V.ACTION_ADD_FILE, "F0GONE", user_id=EDITOR, channel_id="D0DM", response_url=None
    )
    dispatch(app, click)
    (update,) = fake.calls_to("views.update")
    assert "file_not_found" in all_text(update.params["view"])
    assert fake.calls_to("file_download") == []


def test_the_confirmation_falls_back_to_a_dm(bot, fake):
    app, services = bot
    fake.fail_next("chat.postEphemeral", error="channel_not_found")
    add_through_modal(app, fake)
    (stored,) = services.library.list_statements()
    dms = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == EDITOR]
    assert len(dms) == 1 and stored.doc_id in dms[0].params["text"]
