"""Two workspaces install briefbot (OAuth, over HTTP, requests signed as Slack signs
them) and neither can see or change the other's state: commitment status and its
history, editors, added statements and reminders (issue 20, item 1); the tokens they
installed with are not in the database in plain text (item 2)."""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import pytest
from e2e_conf import SECRET, TOKEN_KEY
from fakeslack import (
    TEAM_ID,
    FakeSlack,
    block_actions_body,
    event_body,
    post_signed,
    slash_command_body,
    view_submission_body,
)
from helpers import UNDERSEA_QUERY, UNDERSEA_STATEMENT, UNDERSEA_TEXT, all_text, assert_valid_view
from paths import COMMUNIQUE, CORPUS

from bot.config import Settings
from handlers import blocks as B
from handlers import library_views as V
from handlers.workspace import EDITORS_VIEW, OPEN_EDITORS

CLIENT_ID, CLIENT_SECRET = "1234.5678", "client-secret-for-tests"
A, B_TEAM = TEAM_ID, "T0SECOND"
NAV = f"{COMMUNIQUE}#p35.1/2013-h1"
NAV_KEY = f"{NAV}|2013-06-30|lead-7d"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
EDITOR_A = "U0EDITA"  # an editor of A from BRIEFBOT_EDITORS (T…:U…)
EDITOR_B = "U0EDITB"  # named by B's admin in App Home
ADMIN_B = "U0ADMINB"


@pytest.fixture
def oauth_fake():
    with FakeSlack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as f:
        yield f


@pytest.fixture
def served(oauth_fake, tmp_path):
    """The real app in OAuth mode served over HTTP, both workspaces installed through
    /slack/install; yields (url, services)."""
    from test_oauth_install import install

    from bot.serve import start_http_server
    from bot.services import build_services
    from handlers.app import build_app
    from handlers.later import Later

    settings = Settings.from_env(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": oauth_fake.url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "BRIEFBOT_CORPUS": str(CORPUS),
            "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND",
            "BRIEFBOT_REMINDER_LEADS": "7d",
            "BRIEFBOT_TOKEN_KEY": TOKEN_KEY,
            "BRIEFBOT_EDITORS": f"{A}:{EDITOR_A}",
            "BRIEFBOT_SENTENCE_ENCODER": "off",
            "BRIEFBOT_INDEX_CACHE": "off",
        },
        allow_private_urls=True,
    )
    services = build_services(settings)
    later = Later(4)
    server = start_http_server(build_app(settings, services, later=later), "127.0.0.1", 0, settings)
    url = f"http://127.0.0.1:{server.port}"
    try:
        install(url, oauth_fake, A, "First")
        install(url, oauth_fake, B_TEAM, "Second")
        oauth_fake.reset()
        yield url, services
    finally:
        server.stop(5, later)


def signed(url: str, body: str, content_type: str = FORM) -> Any:
    status, text, _ = post_signed(f"{url}/slack/events", body, SECRET, content_type=content_type)
    assert status == 200, text
    return json.loads(text) if text else {}


def brief(url: str, fake: FakeSlack, team: str, text: str) -> str:
    body = slash_command_body("/brief", text, team_id=team, response_url=fake.response_url())
    return all_text(signed(url, body))


def commitments(url: str, fake: FakeSlack, team: str, text: str) -> str:
    fake.reset()
    name = f"c-{team}-{time.monotonic_ns()}"
    respond_to = fake.response_url(name)
    body = slash_command_body("/commitments", text, team_id=team, response_url=respond_to)
    signed(url, body)
    (answer,) = fake.wait_for("response_url")
    return all_text(answer.params)


def pick_status(commitment_id: str, status: str, *, team: str, user: str, response_url: str) -> str:
    form = block_actions_body(
        B.ACTION_STATUS, "", response_url=response_url, team_id=team, user_id=user
    )
    payload = json.loads(urllib.parse.parse_qs(form)["payload"][0])
    payload["actions"] = [
        {
            "type": "static_select",
            "action_id": B.ACTION_STATUS,
            "block_id": f"{B.STATUS_BLOCK_PREFIX}{commitment_id}",
            "selected_option": {"text": {"type": "plain_text", "text": status}, "value": status},
            "action_ts": f"{time.time():.6f}",
        }
    ]
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def view_of(url: str, fake: FakeSlack, answer: dict[str, Any], callback: str) -> dict[str, Any]:
    """The modal a step answered with: in the ack, or (a slow step) by views.update."""
    view = answer.get("view") or {}
    if view.get("callback_id") == callback:
        return view
    updates = fake.wait_for("views.update", timeout=30)
    return updates[-1].params["view"]


def initial_values(view: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    out = {}
    for b in view["blocks"]:
        if b["type"] == "input":
            value = b["element"].get("initial_value")
            out[b["block_id"]] = {b["block_id"]: {"type": "plain_text_input", "value": value}}
    return out


def test_two_workspaces_keep_their_state_apart(served, oauth_fake):
    url, services = served
    fake = oauth_fake
    store = services.store

    # ---- status, its history and note: B marks the navigation pact met.
    body = pick_status(NAV, "met", team=B_TEAM, user="U0B", response_url=fake.response_url("s"))
    signed(url, body)
    fake.wait_for("response_url")
    assert store.current_status(NAV, team_id=B_TEAM) == "met"
    assert store.current_status(NAV, team_id=A) == "not_yet_rated"
    assert [h.actor for h in store.history(NAV, team_id=B_TEAM)] == ["U0B"]
    assert store.history(NAV, team_id=A) == []
    store.set_status(NAV, "stalled", actor="U0A", note="A's own note", team_id=A)
    assert "Heixiazi" in commitments(url, fake, B_TEAM, "status:met")
    a_met = commitments(url, fake, A, "status:met")
    assert "Heixiazi" not in a_met
    assert "Heixiazi" in commitments(url, fake, A, "status:stalled")
    assert "Heixiazi" not in commitments(url, fake, B_TEAM, "status:stalled")
    assert [h.note for h in store.history(NAV, team_id=B_TEAM)] == [None]

    # ---- reminders: B's "met" stops B's reminder only.
    from handlers.install import open_stores, workspaces_tick

    fake.reset()
    now = datetime(2013, 6, 23, 10, 0, tzinfo=UTC)
    stores = open_stores(services.settings, services)
    reports = workspaces_tick(services.settings, services, stores, owner="t", clock=lambda: now)()
    assert f"{A}|{NAV_KEY}" in reports[A].posted  # A's own status, stalled, is open
    assert f"{B_TEAM}|{NAV_KEY}" not in reports[B_TEAM].posted
    assert all(not k.startswith(f"{A}|") for k in reports[B_TEAM].posted)

    # ---- editors: B's admin names EDITOR_B in App Home; A's list stays its own.
    fake.make_admin(ADMIN_B)
    fake.reset()
    click = block_actions_body(
        OPEN_EDITORS,
        "open",
        user_id=ADMIN_B,
        team_id=B_TEAM,
        response_url=None,
        container={"type": "view", "view_id": "V1"},
    )
    signed(url, click)
    (modal,) = fake.wait_for("views.open")
    assert modal.params["view"]["callback_id"] == EDITORS_VIEW and modal.token_team == B_TEAM
    assert_valid_view(modal.params["view"])  # Slack's own limits, by slack_sdk's models
    picked = {"editors": {"editors": {"type": "multi_users_select", "selected_users": [EDITOR_B]}}}
    signed(url, view_submission_body(EDITORS_VIEW, picked, user_id=ADMIN_B, team_id=B_TEAM))
    (home,) = fake.wait_for("views.publish")
    assert f"<@{EDITOR_B}>" in all_text(home.params["view"])
    from test_oauth_install import assert_valid_home

    assert_valid_home(home.params["view"])
    assert store.editors(B_TEAM) == [EDITOR_B] and store.editors(A) == []
    # A non-admin of A cannot name editors (refused, and a forged submission is ignored).
    fake.reset()
    signed(url, click.replace(ADMIN_B, "U0A").replace(B_TEAM, A))
    (refusal,) = fake.wait_for("views.open")
    assert "Only a workspace admin" in all_text(refusal.params["view"])
    fake.reset()
    signed(url, view_submission_body(EDITORS_VIEW, picked, user_id="U0A", team_id=A))
    fake.wait_for("users.info")
    time.sleep(0.3)
    assert store.editors(A) == []
    # EDITOR_B may add in B, not in A; EDITOR_A (T…:U…) may add in A, not in B.
    for user, team, allowed in [
        (EDITOR_B, B_TEAM, True),
        (EDITOR_B, A, False),
        (EDITOR_A, A, True),
        (EDITOR_A, B_TEAM, False),
    ]:
        fake.reset()
        body = slash_command_body(
            "/brief", "add", user_id=user, team_id=team, response_url=fake.response_url()
        )
        ack = signed(url, body)
        if allowed:
            assert fake.wait_for("views.open")[0].params["view"]["callback_id"] == V.VIEW_INPUT
        else:
            assert ack.get("text") == V.REFUSAL, (user, team, ack)

    # ---- added statements: EDITOR_B adds one through the modal in B.
    assert UNDERSEA_TEXT not in brief(url, fake, B_TEAM, UNDERSEA_QUERY)
    fake.reset()
    source = {"source": {"source": {"type": "plain_text_input", "value": UNDERSEA_STATEMENT}}}
    answer = signed(
        url,
        view_submission_body(
            V.VIEW_INPUT, source, user_id=EDITOR_B, team_id=B_TEAM, private_metadata='{"c":""}'
        ),
    )
    preview = view_of(url, fake, answer, V.VIEW_PREVIEW)
    fake.reset()
    saved = signed(
        url,
        view_submission_body(
            V.VIEW_PREVIEW,
            initial_values(preview),
            user_id=EDITOR_B,
            team_id=B_TEAM,
            private_metadata=preview["private_metadata"],
        ),
    )
    assert saved.get("response_action") == "update", saved
    deadline = time.monotonic() + 20
    while not services.library.list_statements(team_id=B_TEAM):
        assert time.monotonic() < deadline, "the statement was not saved"
        time.sleep(0.05)
    (stored,) = services.library.list_statements(team_id=B_TEAM)
    deadline = time.monotonic() + 20
    while stored.doc_id not in services.snapshot.owners:
        assert time.monotonic() < deadline, "the statement was not served"
        time.sleep(0.05)
    assert UNDERSEA_TEXT in brief(url, fake, B_TEAM, UNDERSEA_QUERY)
    assert UNDERSEA_TEXT not in brief(url, fake, A, UNDERSEA_QUERY)
    assert "Undersea" not in brief(url, fake, A, f"timeline {UNDERSEA_QUERY}")
    # A's editor cannot remove B's statement (App Home's Remove, a forged doc id).
    fake.reset()
    remove = block_actions_body(
        V.ACTION_REMOVE,
        stored.doc_id,
        user_id=EDITOR_A,
        team_id=A,
        response_url=None,
        container={"type": "view", "view_id": "V2"},
    )
    signed(url, remove)
    (home,) = fake.wait_for("views.publish")
    assert services.library.get(stored.doc_id) is not None
    assert stored.doc_id not in all_text(home.params["view"])
    # A's App Home lists neither B's statement nor B's editors.
    fake.reset()
    opened = {"type": "app_home_opened", "user": EDITOR_A, "tab": "home"}
    signed(url, event_body(opened, event_id="EvHA", team_id=A), JSON)
    (home,) = fake.wait_for("views.publish")
    text = all_text(home.params["view"])
    assert stored.doc_id not in text and "Undersea" not in text and EDITOR_B not in text

    # A's editor adding the same text is refused without naming B's statement.
    fake.reset()
    again = signed(
        url,
        view_submission_body(
            V.VIEW_INPUT, source, user_id=EDITOR_A, team_id=A, private_metadata='{"c":""}'
        ),
    )
    if again.get("response_action") != "errors":  # a slow step answers by views.update
        again = {"errors": {"source": all_text(fake.wait_for("views.update")[-1].params)}}
    refusal = json.dumps(again["errors"])
    assert "already stored by another workspace" in refusal and stored.doc_id not in refusal

    # ---- tokens at rest: the database holds no installed token in plain text.
    from sqlalchemy import text as sql

    tokens = [ws.token for ws in fake._state.workspaces.values()]
    assert len(tokens) == 2 and all(tokens)
    with store.engine.connect() as conn:
        raw = " ".join(
            str(v)
            for table in ("slack_bots", "slack_installations")
            for row in conn.execute(sql(f"SELECT * FROM {table}"))
            for v in row
        )
    assert "enc:v1:" in raw
    for token in tokens:
        assert token not in raw
