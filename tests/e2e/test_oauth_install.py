"""Install into any workspace: two workspaces install through Bolt's OAuth routes served
over HTTP (the real front door in bot.serve), then each is answered, and reminded, with its
own token and settings; uninstalling forgets one of them."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

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
from helpers import all_text, assert_valid_view
from paths import COMMUNIQUE
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.commitments import extract_all
from bot.config import Settings
from bot.services import Services
from bot.store import Store

CLIENT_ID, CLIENT_SECRET = "1234.5678", "client-secret-for-tests"
SECOND = "T0SECOND"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
NAV = f"{COMMUNIQUE}#p35.1/2013-h1"
NAV_KEY = f"{NAV}|2013-06-30|lead-7d"


@pytest.fixture
def oauth_fake():
    with FakeSlack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as f:
        yield f


@pytest.fixture
def bot(oauth_fake, tmp_path, corpus, index):
    """The real app with OAuth settings, served over HTTP; yields (url, services, later)."""
    from bot.serve import start_http_server
    from handlers.app import build_app
    from handlers.later import Later

    settings = Settings.from_env(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "BRIEFBOT_TOKEN_KEY": TOKEN_KEY,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": oauth_fake.url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND",
            "BRIEFBOT_REMINDER_LEADS": "7d",
        }
    )
    assert settings.oauth
    services = Services(
        settings=settings,
        corpus=corpus,
        index=index,
        commitments=extract_all(corpus.documents, index.clauses),
        store=Store(settings.database_url),
    )
    later = Later(4)
    server = start_http_server(build_app(settings, services, later=later), "127.0.0.1", 0, settings)
    try:
        yield f"http://127.0.0.1:{server.port}", services, later
    finally:
        server.stop(5, later)


def install(url: str, fake: FakeSlack, team_id: str, name: str) -> str:
    """A browser installing the app: /slack/install (which sets the state cookie), then
    Slack's redirect to /slack/oauth_redirect with the code and the cookie. Returns the
    success page. (The cookie is ``Secure``, so it is carried by hand over loopback HTTP.)"""
    fake.add_workspace(team_id, name, code=f"code-{team_id}")
    browser = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with browser.open(f"{url}/slack/install", timeout=10) as page:
        html = page.read().decode()
        set_cookie = page.headers["Set-Cookie"]
    cookie = set_cookie.split(";", 1)[0]
    assert cookie.startswith("slack-app-oauth-state=")
    authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', html)
    assert authorize, html[:500]
    link = urllib.parse.urlparse(authorize.group(1).replace("&amp;", "&"))
    query = urllib.parse.parse_qs(link.query)
    assert query["client_id"] == [CLIENT_ID]
    assert "users:read" in query["scope"][0].split(",")  # scopes come from manifest.yml
    state = query["state"][0]
    assert cookie == f"slack-app-oauth-state={state}"
    callback = f"{url}/slack/oauth_redirect?code=code-{team_id}&state={urllib.parse.quote(state)}"
    without_cookie = urllib.request.Request(callback)
    with pytest.raises(urllib.error.HTTPError) as refused:  # another browser: refused
        browser.open(without_cookie, timeout=10)
    assert refused.value.code == 400
    with browser.open(
        urllib.request.Request(callback, headers={"Cookie": cookie}), timeout=10
    ) as done:
        assert done.status == 200
        return done.read().decode()


def assert_valid_home(view: dict) -> None:
    """Views may be up to 250 kB, so the message-size heuristic does not apply."""
    View(**view).validate_json()
    assert len(view["blocks"]) <= 100 and all(Block.parse(b) for b in view["blocks"])
    assert len(json.dumps(view).encode("utf-8")) < 250_000


def signed(url: str, body: str, content_type: str) -> tuple[int, str]:
    status, text, _ = post_signed(f"{url}/slack/events", body, SECRET, content_type=content_type)
    return status, text


def token_teams(fake: FakeSlack, method: str) -> list[str | None]:
    return [c.token_team for c in fake.calls_to(method)]


def eventually(check, timeout: float = 10.0) -> None:
    """Events are acknowledged first and handled after: wait (bounded) for ``check()``."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def wait_idle(later) -> None:
    deadline = time.monotonic() + 10
    while later.pending and time.monotonic() < deadline:
        time.sleep(0.02)


def test_second_workspace_installs_and_gets_its_own_token_settings_and_reminders(bot, oauth_fake):
    url, services, later = bot
    fake = oauth_fake
    install(url, fake, TEAM_ID, "First")
    page = install(url, fake, SECOND, "Second")
    assert "Thank you" in page or "slack://app" in page
    (exchange,) = [
        c for c in fake.calls_to("oauth.v2.access") if c.params["code"] == f"code-{SECOND}"
    ]
    assert exchange.ok  # the app's client id and secret were accepted

    # /brief from the second workspace: answered in the ack, authorized with its token.
    fake.reset()
    body = slash_command_body(
        "/brief", "navgation talks heixiazi", team_id=SECOND, response_url=fake.response_url()
    )
    status, text = signed(url, body, FORM)
    assert status == 200 and "Heixiazi Island" in all_text(json.loads(text))
    assert token_teams(fake, "auth.test") == [SECOND]

    # A mention there: the thread reply is posted with the second workspace's token.
    mention = {
        "type": "app_mention",
        "user": "U2",
        "text": "<@UBOTT0SECOND> navigation pact heixiazi",
        "ts": "1700000001.000100",
        "channel": "C2GENERAL",
        "event_ts": "1700000001.000100",
    }
    status, _ = signed(url, event_body(mention, event_id="EvM2", team_id=SECOND), JSON)
    assert status == 200
    (reply,) = fake.wait_for("chat.postMessage")
    assert reply.params["channel"] == "C2GENERAL" and reply.token_team == SECOND
    # The same event id from the first workspace is its own delivery, answered with its token.
    status, _ = signed(url, event_body(mention, event_id="EvM2", team_id=TEAM_ID), JSON)
    replies = fake.wait_for("chat.postMessage", 2)
    assert [c.token_team for c in replies] == [SECOND, TEAM_ID]

    # App Home: the settings section; a non-admin is refused politely, an admin saves.
    fake.reset()
    status, _ = signed(
        url,
        event_body(
            {"type": "app_home_opened", "user": "U2", "tab": "home"},
            event_id="EvH2",
            team_id=SECOND,
        ),
        JSON,
    )
    (home,) = fake.wait_for("views.publish")
    assert home.token_team == SECOND
    assert_valid_home(home.params["view"])
    assert "Workspace settings" in all_text(home.params["view"])
    click = block_actions_body(
        "workspace_settings_open",
        "open",
        user_id="U2",
        team_id=SECOND,
        response_url=None,
        container={"type": "view", "view_id": "V1"},
    )
    assert signed(url, click, FORM)[0] == 200
    (refusal,) = fake.wait_for("views.open")
    assert "Only a workspace admin" in all_text(refusal.params["view"])
    assert refusal.token_team == SECOND

    fake.make_admin("UADMIN2")
    fake.reset()
    click = click.replace("U2", "UADMIN2")
    assert signed(url, click, FORM)[0] == 200
    (modal,) = fake.wait_for("views.open")
    assert_valid_view(modal.params["view"])
    assert modal.params["view"]["callback_id"] == "workspace_settings"

    def values(channel: str | None, tz: str, kinds: list[str]) -> dict:
        return {
            "reminder_channel": {
                "reminder_channel": {
                    "type": "conversations_select",
                    "selected_conversation": channel,
                }
            },
            "timezone": {"timezone": {"type": "plain_text_input", "value": tz}},
            "reminder_kinds": {
                "reminder_kinds": {
                    "type": "checkboxes",
                    "selected_options": [{"value": k} for k in kinds],
                }
            },
        }

    bad = view_submission_body(
        "workspace_settings",
        values("C2REMIND", "Mars/Olympus", ["commitment"]),
        user_id="UADMIN2",
        team_id=SECOND,
    )
    status, text = signed(url, bad, FORM)
    assert status == 200
    assert json.loads(text) == {
        "response_action": "errors",
        "errors": {"timezone": "'Mars/Olympus' is not an IANA time zone name (e.g. Europe/Berlin)"},
    }
    good = view_submission_body(
        "workspace_settings",
        values("C2REMIND", "Europe/Berlin", ["commitment", "event"]),
        user_id="UADMIN2",
        team_id=SECOND,
    )
    assert signed(url, good, FORM)[0] == 200
    (republished,) = fake.wait_for("views.publish")
    assert republished.token_team == SECOND and "<#C2REMIND>" in all_text(
        republished.params["view"]
    )
    stored = services.store.workspace_settings(SECOND)
    assert stored["reminder_channel"] == "C2REMIND" and stored["timezone"] == "Europe/Berlin"
    assert services.store.workspace_settings(TEAM_ID) is None  # the first kept the defaults

    # A non-admin's submission (a stale modal) changes nothing.
    fake.reset()
    sneaky = view_submission_body(
        "workspace_settings", values("C2OTHER", "UTC", ["target"]), user_id="U2", team_id=SECOND
    )
    assert signed(url, sneaky, FORM)[0] == 200
    fake.wait_for("users.info")  # its admin check ran: the rest of that job follows at once
    wait_idle(later)
    assert services.store.workspace_settings(SECOND)["reminder_channel"] == "C2REMIND"

    # One scheduler run: each workspace's reminders in its own channel with its own token.
    from handlers.install import open_stores, workspaces_tick

    fake.reset()
    now = datetime(2013, 6, 23, 10, 0, tzinfo=UTC)  # 7 days before 2013-06-30, after 09:00
    tick = workspaces_tick(
        services.settings,
        services,
        open_stores(services.settings, services),
        owner="test",
        clock=lambda: now,
    )
    reports = tick()
    assert set(reports) == {TEAM_ID, SECOND}
    assert f"{SECOND}|{NAV_KEY}" in reports[SECOND].posted
    assert f"{TEAM_ID}|{NAV_KEY}" in reports[TEAM_ID].posted
    posts = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    by_team = {
        team: {c.params["channel"] for c in posts if c.token_team == team}
        for team in (TEAM_ID, SECOND)
    }
    assert by_team == {TEAM_ID: {"C0REMIND"}, SECOND: {"C2REMIND"}}
    kinds = {c.id: c.kind for c in services.commitments}
    second_keys = [
        k
        for c in posts
        if c.token_team == SECOND
        for k in c.params["metadata"]["event_payload"]["keys"]
    ]
    assert second_keys and all(k.startswith(f"{SECOND}|") for k in second_keys)
    assert {kinds[k.split("|")[1]] for k in second_keys} <= {"commitment", "event"}
    # Each workspace is reminded once: a second run posts nothing.
    fake.reset()
    again = tick()
    assert all(not r.posted for r in again.values())
    assert fake.calls_to("chat.postMessage") == []

    # Uninstall: the installation and settings are gone, later events are not answered.
    fake.revoke(SECOND)
    status, _ = signed(
        url, event_body({"type": "app_uninstalled"}, event_id="EvU2", team_id=SECOND), JSON
    )
    assert status == 200
    stores = open_stores(services.settings, services)
    eventually(lambda: stores.installations.find_bot(enterprise_id=None, team_id=SECOND) is None)
    assert stores.installations.find_bot(enterprise_id=None, team_id=TEAM_ID) is not None
    assert services.store.workspace_settings(SECOND) is None
    fake.reset()
    status, _ = signed(url, event_body(mention, event_id="EvM3", team_id=SECOND), JSON)
    wait_idle(later)
    time.sleep(0.2)
    assert [c for c in fake.calls if c.token_team == SECOND] == []
    assert fake.calls_to("chat.postMessage") == []
    assert set(tick()) == {TEAM_ID}  # no reminders for the uninstalled workspace


def test_only_the_two_oauth_pages_skip_the_signature_check(bot, oauth_fake):
    url, _, _ = bot
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    unsigned = urllib.request.Request(
        f"{url}/slack/events", data=b'{"type": "event_callback"}', method="POST"
    )
    for request, code in [
        (unsigned, 401),
        (urllib.request.Request(f"{url}/slack/install", data=b"x", method="POST"), 404),
        (urllib.request.Request(f"{url}/slack/oauth_redirect?code=c&state=forged"), 400),
    ]:
        with pytest.raises(urllib.error.HTTPError) as exc:
            opener.open(request, timeout=10)
        assert exc.value.code == code
    assert oauth_fake.calls_to("oauth.v2.access") == []


def test_tokens_revoked_forgets_the_workspace(bot, oauth_fake):
    from bot.workspaces import WorkspaceSettings, save
    from handlers.install import open_stores

    url, services, _ = bot
    install(url, oauth_fake, SECOND, "Second")
    save(services.store, WorkspaceSettings(SECOND, "C2REMIND"), actor="UADMIN2")
    stores = open_stores(services.settings, services)
    assert stores.installations.find_bot(enterprise_id=None, team_id=SECOND) is not None
    revoked = {"type": "tokens_revoked", "tokens": {"bot": ["UBOTT0SECOND"]}}
    assert signed(url, event_body(revoked, event_id="EvR", team_id=SECOND), JSON)[0] == 200
    # Settings go first, then the installation: wait for both (the answer is after the ack).
    eventually(
        lambda: services.store.workspace_settings(SECOND) is None
        and stores.installations.find_bot(enterprise_id=None, team_id=SECOND) is None
    )


def test_serve_with_oauth_settings_serves_the_install_page(oauth_fake, tmp_path):
    from serving import running_server

    with running_server(
        oauth_fake.url,
        tmp_path,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        BRIEFBOT_TOKEN_KEY=TOKEN_KEY,
    ) as server:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{server.url}/slack/install", timeout=10) as page:
            assert "https://slack.com/oauth/v2/authorize?" in page.read().decode()
        assert CLIENT_SECRET not in server.stderr()


@pytest.mark.parametrize(
    ("extra", "args", "message"),
    [
        ({"SLACK_CLIENT_ID": CLIENT_ID}, [], "SLACK_CLIENT_SECRET: not set"),
        (
            {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET},
            ["--socket"],
            "SLACK_CLIENT_ID: installing into many workspaces (OAuth) needs HTTP mode",
        ),
        (
            {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET},
            ["--http"],
            "SLACK_SIGNING_SECRET: not set",
        ),
        (
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": SECRET,
                "BRIEFBOT_TOKEN_KEY": "",
            },
            ["--http"],
            "BRIEFBOT_TOKEN_KEY: not set; installing into many workspaces (OAuth)",
        ),
        (
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": SECRET,
                "BRIEFBOT_TOKEN_KEY": "not-a-fernet-key",
            },
            ["--http"],
            "BRIEFBOT_TOKEN_KEY: key 1 of 1 is not a Fernet key",
        ),
    ],
)
def test_bad_oauth_configuration_exits_2_in_one_line(tmp_path, extra, args, message):
    from serving import serve_fails

    lines = serve_fails(tmp_path, args, **extra)
    assert len(lines) == 1 and message in lines[0], lines
    assert not any(CLIENT_SECRET in line or "not-a-fernet-key" in line for line in lines)


def test_the_install_page_is_rate_limited_per_address(bot):
    """Ten install page views a minute per client address; the eleventh gets 429 and no
    OAuth state row is added for it."""
    from sqlalchemy import func, select

    url, services, _ = bot
    from handlers.install import open_stores

    states = open_stores(services.settings, services).states
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def count() -> int:
        with states.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(states.oauth_states)).scalar()

    before = count()
    for _ in range(10):
        with opener.open(f"{url}/slack/install", timeout=10) as page:
            assert page.status == 200
    assert count() == before + 10
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(f"{url}/slack/install", timeout=10)
    assert refused.value.code == 429
    assert count() == before + 10
    with opener.open(f"{url}/healthz", timeout=10) as health:  # nothing else is limited
        assert health.status == 200
