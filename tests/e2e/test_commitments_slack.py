"""/commitments, the status picker and the App Home commitments, through the real Bolt app."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import pytest
from e2e_conf import SECRET, TOKEN
from fakeslack import block_actions_body, bolt_request, event_body, slash_command_body
from helpers import all_text, assert_valid_blocks, rich_lines
from paths import COMMUNIQUE, CORPUS
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.config import Settings
from bot.services import build_services
from bot.tracking import parse_commitment_query
from handlers import blocks as B

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
NAV = f"{COMMUNIQUE}#p35.1/2013-h1"
NAV_CITATION = "China–Russia Joint Communiqué, 6 Dec 2012, ¶35"


@pytest.fixture
def tracked(fake, tmp_path):
    """Services with commitments and a SQLite store (the e2e ``services`` have neither)."""
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND",
        },
        corpus_dir=CORPUS,
    )
    services = build_services(settings)
    assert services.store is not None and services.commitments
    yield settings, services
    services.store.close()


@pytest.fixture
def bolt(tracked, fake):
    from handlers.app import build_app

    settings, services = tracked
    app = build_app(settings, services, process_before_response=True)
    fake.reset()
    return app


@pytest.fixture
def store(tracked):
    return tracked[1].store


def commitments(bolt, fake, text: str, name: str = "c1") -> dict[str, Any]:
    body = slash_command_body("/commitments", text, response_url=fake.response_url(name))
    assert bolt.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    return fake.wait_for("response_url")[-1].params


def assert_blocks_parse(blocks: list[dict[str, Any]], *, limit: int) -> None:
    """Every block validates with slack_sdk's models and the count is within ``limit``."""
    assert blocks and len(blocks) <= limit
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def assert_valid_home(view: dict[str, Any]) -> None:
    """A valid Home view. Views may be up to 250 kB (views.publish: view_too_large), so the
    ~13k-character message heuristic of helpers.assert_valid_view does not apply."""
    assert view["type"] == "home"
    View(**view).validate_json()
    assert_blocks_parse(view["blocks"], limit=100)
    assert len(json.dumps(view).encode("utf-8")) < 250_000


def select_body(
    choice: tuple[str, str],
    *,
    response_url: str | None,
    container: dict[str, Any] | None = None,
    user_id: str = "U123",
) -> str:
    """A ``block_actions`` form body for a choice in the status picker (a static_select)."""
    form = block_actions_body(
        B.ACTION_STATUS, "", response_url=response_url, container=container, user_id=user_id
    )
    payload = json.loads(urllib.parse.parse_qs(form)["payload"][0])
    block_id, value = choice
    payload["actions"] = [
        {
            "type": "static_select",
            "action_id": B.ACTION_STATUS,
            "block_id": block_id,
            "selected_option": {
                "text": {"type": "plain_text", "text": "Met", "emoji": True},
                "value": value,
            },
            "placeholder": {"type": "plain_text", "text": "Record outcome", "emoji": True},
            "action_ts": f"{time.time():.6f}",
        }
    ]
    if (container or {}).get("type") == "view":
        payload["view"] = {"id": container["view_id"], "type": "home", "blocks": []}
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def option_value(commitment_id: str, status: str) -> tuple[str, str]:
    """(block id, option value) the status picker itself carries for ``status``."""
    picker = B.status_actions(commitment_id, "not_yet_rated")
    (value,) = [
        o["value"]
        for o in picker["elements"][0]["options"]
        if B.status_choice(picker["block_id"], o["value"]) == (commitment_id, status)
    ]
    return picker["block_id"], value


# --------------------------------------------------------------------------- /commitments


def test_commitments_overdue_lists_the_navigation_pact(bolt, fake):
    payload = commitments(bolt, fake, "overdue")
    assert payload["response_type"] == "ephemeral"
    assert payload["text"].startswith("Overdue commitments (")
    assert_blocks_parse(payload["blocks"], limit=50)
    text = all_text(payload)
    assert "*Overdue commitments* (" in text
    rows = [rich_lines(b) for b in payload["blocks"] if b["type"] == "rich_text"]
    nav = next(r for r in rows if "in the first half of 2013" in r[0])
    assert nav[0] == "*2013-06-30* · not yet rated · “*in the first half of 2013*” · commitment"
    assert nav[1].startswith(
        "> The two sides agreed to start formal negotiation in the first half of 2013"
    )
    assert nav[2] == f"_{NAV_CITATION}_"
    pickers = [b for b in payload["blocks"] if b["type"] == "actions"][:-1]  # last: Next page
    assert pickers and all(b["elements"][0]["action_id"] == B.ACTION_STATUS for b in pickers)


def test_commitments_overdue_fits_slacks_message_size(bolt, fake):
    payload = commitments(bolt, fake, "overdue")
    size = len(json.dumps(payload["blocks"]))
    assert size < 13_000, f"{size} characters of blocks"
    assert_valid_blocks(payload["blocks"])


def test_commitments_due_year_without_matches_says_none(bolt, fake):
    payload = commitments(bolt, fake, "due:2099")
    assert payload["text"] == "Commitments due 2099: none."
    assert_valid_blocks(payload["blocks"])
    assert payload["blocks"][0]["text"]["text"] == "*Commitments due 2099*: none."
    assert "/commitments upcoming" in all_text(payload)


def test_commitments_kind_filter_lists_only_that_kind(bolt, fake):
    payload = commitments(bolt, fake, "kind:event due:2023")
    assert_valid_blocks(payload["blocks"])
    assert payload["text"].startswith("Commitments due 2023 of kind event (")
    lines = [rich_lines(b)[0] for b in payload["blocks"] if b["type"] == "rich_text"]
    assert lines and all(line.endswith("” · event") for line in lines)


def test_commitments_narrow_list_is_valid_and_small(bolt, fake):
    payload = commitments(bolt, fake, "navigation")
    assert_valid_blocks(payload["blocks"])
    assert payload["text"] == "Commitments matching “navigation” (1)"
    (picker,) = [b for b in payload["blocks"] if b["type"] == "actions"]
    select = picker["elements"][0]
    assert select["initial_option"]["value"] == option_value(NAV, "not_yet_rated")[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "status:bogus",
            "unknown status 'bogus'; use one of: not_yet_rated, in_progress, stalled, met, "
            "partial, missed, not_applicable",
        ),
        ("due:2013-13", "due:2013-13 has no month 13"),
        ("due:soon", "due:soon is not a year or month; use due:2013 or due:2013-06"),
        ("kind:promise", "unknown kind 'promise'; use one of: commitment, call, event, target"),
    ],
    ids=["status", "month", "due", "kind"],
)
def test_commitments_bad_filter_gets_a_specific_error(bolt, fake, text, message):
    payload = commitments(bolt, fake, text)
    assert payload["text"] == message
    assert_valid_blocks(payload["blocks"])
    assert payload["blocks"][0]["text"]["text"] == f":warning: {message}"


# --------------------------------------------------------------------------- status picker


def test_status_picker_on_a_message_records_and_replaces_the_card(bolt, fake, store):
    body = select_body(option_value(NAV, "met"), response_url=fake.response_url("s1"))
    assert bolt.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    (call,) = fake.wait_for("response_url")
    payload = call.params
    assert payload["replace_original"] is True
    assert payload["text"] == "Status recorded: met"
    assert_valid_blocks(payload["blocks"])
    assert "Status recorded: *met* by <@U123>" in all_text(payload)
    assert f"*{NAV_CITATION}*" in all_text(payload)
    (picker,) = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert picker["elements"][0]["initial_option"]["value"] == option_value(NAV, "met")[1]
    assert store.current_status(NAV) == "met"
    (change,) = store.history(NAV)
    assert (change.status, change.actor, change.note) == ("met", "U123", None)
    assert fake.calls_to("views.publish") == []


def test_status_picker_in_app_home_republishes_the_home_tab(bolt, fake, store):
    body = select_body(
        option_value(NAV, "met"),
        response_url=None,
        container={"type": "view", "view_id": "V0HOME"},
        user_id="U456",
    )
    assert bolt.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    (call,) = fake.wait_for("views.publish")
    assert call.params["user_id"] == "U456"
    view = call.params["view"]
    assert_valid_home(view)
    # Met is closed: the pact left the overdue list.
    assert "navigation pact" not in all_text(view)
    assert store.current_status(NAV) == "met"
    assert store.history(NAV)[-1].actor == "U456"
    assert fake.calls_to("response_url") == []


def test_status_picker_with_an_unknown_commitment_answers_with_an_error(bolt, fake, store):
    body = select_body(
        option_value("no-such-commitment", "met"), response_url=fake.response_url("s2")
    )
    assert bolt.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    (call,) = fake.wait_for("response_url")
    assert call.params["replace_original"] is False
    assert call.params["response_type"] == "ephemeral"
    assert "no commitment 'no-such-commitment'" in call.params["text"]
    assert store.statuses() == {}


# --------------------------------------------------------------------------- App Home


def test_app_home_shows_overdue_commitments_within_limits(bolt, fake):
    event = {
        "type": "app_home_opened",
        "user": "U123",
        "channel": "D1",
        "tab": "home",
        "event_ts": "1700000000.1",
    }
    body = event_body(event, event_id="EvHomeCommitments")
    assert bolt.dispatch(bolt_request(body, SECRET, content_type=JSON)).status == 200
    (call,) = fake.wait_for("views.publish")
    assert call.params["user_id"] == "U123"
    view = call.params["view"]
    assert_valid_home(view)
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert "Overdue commitments" in headers
    overdue_at = next(
        i
        for i, b in enumerate(view["blocks"])
        if b.get("text", {}).get("text") == "Overdue commitments"
    )
    overdue_text = "\n".join(
        line
        for b in view["blocks"][overdue_at:]
        if b["type"] == "rich_text"
        for line in rich_lines(b)
    )
    assert "*2013-06-30* · not yet rated · “*in the first half of 2013*”" in overdue_text
    assert any(
        b["type"] == "actions" and b["elements"][0]["action_id"] == B.ACTION_STATUS
        for b in view["blocks"]
    )


def test_a_long_list_pages_with_the_next_page_button(bolt, fake, tracked):
    first = commitments(bolt, fake, "overdue")
    (button,) = [
        e
        for b in first["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == B.ACTION_COMMITMENTS_MORE
    ]
    shown = sum(1 for b in first["blocks"] if b.get("block_id", "").startswith("status|"))
    body = block_actions_body(
        B.ACTION_COMMITMENTS_MORE, button["value"], response_url=fake.response_url("p2")
    )
    assert bolt.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    page = fake.wait_for("response_url", 2)[-1].params
    assert page["replace_original"] is True
    assert_valid_blocks(page["blocks"])
    total = len(tracked[1].commitment_rows(parse_commitment_query("overdue")))
    assert f"Showing {shown + 1}–" in all_text(page) and f"of {total}" in all_text(page)
