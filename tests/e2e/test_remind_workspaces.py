"""`python -m bot remind` when briefbot is installed into several workspaces (OAuth).

Each workspace's due reminders go to its own channel with its own bot token, as the
scheduler posts them (tests/e2e/test_oauth_install.py); a workspace with no channel is
named and skipped; a rerun posts nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from e2e_conf import SECRET, TOKEN_KEY
from fakeslack import FakeSlack
from paths import COMMUNIQUE, CORPUS, ROOT
from slack_sdk.oauth.installation_store import Installation

from bot.config import Settings
from bot.store import Store
from bot.workspaces import WorkspaceSettings, save
from handlers.install import OAuthStores

CLIENT_ID, CLIENT_SECRET = "1234.5678", "client-secret-for-tests"
NAV_KEY = f"{COMMUNIQUE}#p35.1/2013-h1|2013-06-30|lead-7d"
# team -> (bot token, its own reminder channel or None)
TEAMS = {
    "T0ONE": ("xoxb-1-workspace-one-token", "C1REMIND"),
    "T0TWO": ("xoxb-2-workspace-two-token", "C2REMIND"),
    "T0BARE": ("xoxb-3-workspace-bare-token", None),
}


def oauth_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    """The command's environment: OAuth settings (no bot token), the fake Slack, the
    bundled corpus; at the most talkative log level, where no token may show either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.update(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "BRIEFBOT_TOKEN_KEY": TOKEN_KEY,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "DATABASE_URL": database_url,
            "BRIEFBOT_CORPUS": str(CORPUS),
            "BRIEFBOT_ENV_FILE": os.devnull,
            "BRIEFBOT_LOG_LEVEL": "DEBUG",
            **extra,
        }
    )
    return env


@pytest.fixture
def installed(tmp_path):
    """Three workspaces installed in one database, two with a reminder channel; yields
    (fake Slack, environment for the command)."""
    url = f"sqlite:///{tmp_path / 'briefbot.db'}"
    store = Store(url)
    stores = OAuthStores(
        Settings(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            database_url=url,
            token_keys=(TOKEN_KEY,),
        ),
        SimpleNamespace(store=store),  # type: ignore[arg-type]
    )
    with FakeSlack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake:
        for team, (token, channel) in TEAMS.items():
            fake.add_workspace(team, team.lower(), code=f"code-{team}").token = token
            stores.installations.save(
                Installation(
                    app_id="A1", user_id="U1", team_id=team, bot_token=token, bot_id=f"B{team}"
                )
            )
            if channel:
                save(store, WorkspaceSettings(team, channel), actor="UADMIN")
        store.close()
        env = oauth_env(fake, url, BRIEFBOT_REMINDER_LEADS="7d", BRIEFBOT_GRACE="2d")
        yield fake, env


def remind(
    env: dict[str, str], *options: str, as_of: str = "2013-06-23T09:00"
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "remind", "--as-of", as_of, *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for token, _ in TEAMS.values():
        assert token not in proc.stdout + proc.stderr
    return proc


def test_dry_run_lists_each_workspaces_reminders_and_posts_nothing(installed):
    fake, env = installed
    proc = remind(env, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    sections = {chunk.split("\n", 1)[0]: chunk for chunk in proc.stdout.split("Workspace ")[1:]}
    assert set(sections) == {"T0BARE", "T0ONE (channel C1REMIND)", "T0TWO (channel C2REMIND)"}
    for head in ("T0ONE (channel C1REMIND)", "T0TWO (channel C2REMIND)"):
        assert "(dry run: nothing posted or recorded)" in sections[head]
        assert "due 2013-06-30 (7d ahead): “in the first half of 2013”" in sections[head]
    assert "skipped: no reminder channel" in sections["T0BARE"]
    assert fake.calls_to("chat.postMessage") == []

    data = json.loads(remind(env, "--dry-run", "--json").stdout)["workspaces"]
    assert data["T0BARE"] == {"skipped": "no reminder channel: an admin sets one in App Home"}
    planned = [p["key"] for p in data["T0ONE"]["plan"]["post"]]
    assert f"T0ONE|{NAV_KEY}" in planned and data["T0ONE"]["dry_run"] is True


def test_each_workspace_is_reminded_once_in_its_own_channel_with_its_own_token(installed):
    fake, env = installed
    assert remind(env, "--dry-run").returncode == 0  # records nothing: the run still posts
    first = remind(env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("posted 1, summarized 0, failed 0") == 2
    posts = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    assert sorted((c.token_team, c.params["channel"]) for c in posts) == [
        ("T0ONE", "C1REMIND"),
        ("T0TWO", "C2REMIND"),
    ]
    for call in posts:
        keys = call.params["metadata"]["event_payload"]["keys"]
        assert keys == [f"{call.token_team}|{NAV_KEY}"]

    fake.reset()
    again = remind(env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("posted 0, summarized 0, failed 0") == 2
    assert fake.calls_to("chat.postMessage") == []


def test_a_workspace_whose_channel_refuses_the_bot_fails_alone(installed):
    fake, env = installed
    fake.fail_next("chat.postMessage", error="not_in_channel")
    proc = remind(env, "--json")
    assert proc.returncode == 1
    reports = json.loads(proc.stdout)["workspaces"]
    failed = {team: r["failed"] for team, r in reports.items() if r.get("failed")}
    (team,) = failed
    assert failed[team] == [{"key": f"{team}|{NAV_KEY}", "reason": "not_in_channel"}]
    assert all(r["posted"] for t, r in reports.items() if t not in (team, "T0BARE"))
    # A day later (failures are not retried within the hour) the failed one is posted,
    # and the one already posted is not repeated.
    retry = remind(env, as_of="2013-06-24T09:00")
    assert retry.returncode == 0, retry.stderr
    assert retry.stdout.count("posted 1,") == 1 and retry.stdout.count("posted 0,") == 1
    ok = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    assert sorted(c.token_team for c in ok) == ["T0ONE", "T0TWO"]


def test_no_workspace_installed_yet_is_said_and_is_no_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with FakeSlack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake:
        env = oauth_env(fake, url)
        proc = remind(env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "No workspace has installed briefbot yet: no reminders.\n"
        assert json.loads(remind(env, "--json").stdout) == {"workspaces": {}}
        assert fake.calls == []
