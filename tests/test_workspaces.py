"""Per-workspace settings and reminders (bot.workspaces): no Slack, a fake poster."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import commitment

from bot.config import ConfigError, Settings
from bot.reminders import Reminder
from bot.store import Store
from bot.workspaces import (
    SettingsProblem,
    WorkspaceSettings,
    effective_settings,
    load,
    run_workspaces,
    save,
)

NAV = commitment("nav", date(2013, 6, 30))
SUMMIT = commitment("summit", date(2013, 6, 30), kind="event")
BASE = Settings(
    reminder_channel="C0ENV",
    reminder_leads=(timedelta(days=7),),
    reminder_time=time(9, 0),
)


class Poster:
    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []

    def post(self, reminder: Reminder, channel: str) -> str:
        self.posts.append((reminder.key, channel))
        return f"ts-{len(self.posts)}"

    def post_summary(self, reminders: list[Reminder], channel: str) -> str:
        raise AssertionError("no summaries expected")

    def find_posted(self, key: str, channel: str, since: datetime) -> str | None:
        return None


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield s
    s.close()


@pytest.mark.parametrize(
    ("channel", "tz", "kinds", "field"),
    [
        ("#general", None, None, "reminder_channel"),
        ("C123", "Mars/Olympus", None, "timezone"),
        ("C123", "UTC", [], "reminder_kinds"),
        ("C123", "UTC", ["promise"], "reminder_kinds"),
    ],
)
def test_bad_values_name_their_field(channel, tz, kinds, field):
    with pytest.raises(SettingsProblem) as exc:
        WorkspaceSettings.parse("T1", reminder_channel=channel, timezone=tz, reminder_kinds=kinds)
    assert exc.value.field == field


def test_settings_round_trip_and_fall_back_to_the_environment(store):
    assert load(store, "T1") == WorkspaceSettings("T1")
    assert effective_settings(BASE, load(store, "T1")) == BASE
    ws = WorkspaceSettings.parse(
        "T1", reminder_channel=" C0OWN ", timezone="Asia/Tokyo", reminder_kinds=["event"]
    )
    save(store, ws, actor="UADMIN")
    save(store, ws, actor="UADMIN")  # replacing is fine
    assert load(store, "T1") == WorkspaceSettings("T1", "C0OWN", "Asia/Tokyo", frozenset({"event"}))
    own = effective_settings(BASE, load(store, "T1"))
    assert (own.reminder_channel, own.timezone, own.reminder_kinds) == (
        "C0OWN",
        ZoneInfo("Asia/Tokyo"),
        {"event"},
    )
    assert own.reminder_leads == BASE.reminder_leads  # not a per-workspace setting
    assert store.delete_workspace_settings("T1") is True
    assert load(store, "T1") == WorkspaceSettings("T1")


def test_each_workspace_gets_its_reminders_once_in_its_own_channel(store):
    save(store, WorkspaceSettings("T2", "C0TWO", "Asia/Tokyo", frozenset({"event"})), actor="U")
    one, two = Poster(), Poster()
    now = datetime(2013, 6, 23, 9, 30, tzinfo=UTC)  # 09:00 UTC passed; 09:00 Tokyo too
    reports = run_workspaces(
        store, [NAV, SUMMIT], [("T1", one), ("T2", two)], now=now, settings=BASE, owner="o"
    )
    assert sorted(one.posts) == [
        ("T1|nav|2013-06-30|lead-7d", "C0ENV"),
        ("T1|summit|2013-06-30|lead-7d", "C0ENV"),
    ]
    assert two.posts == [("T2|summit|2013-06-30|lead-7d", "C0TWO")]  # its kinds only
    assert set(reports) == {"T1", "T2"}
    again = run_workspaces(
        store, [NAV, SUMMIT], [("T1", one), ("T2", two)], now=now, settings=BASE, owner="o"
    )
    assert all(not r.posted for r in again.values()) and len(one.posts) == 2
    assert store.get_meta("watermark:T1") and store.get_meta("watermark:T2")
    assert store.get_meta("watermark") is None  # single-workspace watermark untouched


def test_time_zone_is_per_workspace(store):
    save(store, WorkspaceSettings("T2", None, "America/New_York"), actor="U")
    one, two = Poster(), Poster()
    now = datetime(2013, 6, 23, 9, 30, tzinfo=UTC)  # 05:30 in New York: not yet
    run_workspaces(store, [NAV], [("T1", one), ("T2", two)], now=now, settings=BASE, owner="o")
    assert len(one.posts) == 1 and two.posts == []
    later = now + timedelta(hours=4)  # 09:30 in New York
    run_workspaces(store, [NAV], [("T1", one), ("T2", two)], now=later, settings=BASE, owner="o")
    assert len(one.posts) == 1 and two.posts == [("T2|nav|2013-06-30|lead-7d", "C0ENV")]


def test_a_workspace_without_a_channel_is_left_out(store):
    save(store, WorkspaceSettings("T2", "C0TWO"), actor="U")
    one, two = Poster(), Poster()
    now = datetime(2013, 6, 23, 9, 30, tzinfo=UTC)
    no_env = replace(BASE, reminder_channel=None)
    reports = run_workspaces(
        store, [NAV], [("T1", one), ("T2", two)], now=now, settings=no_env, owner="o"
    )
    assert set(reports) == {"T2"} and one.posts == [] and len(two.posts) == 1


@pytest.mark.parametrize(
    ("env", "oauth", "message"),
    [
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}, True, None),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1"},
            False,
            None,
        ),
        ({"SLACK_CLIENT_ID": "1.2"}, False, "SLACK_CLIENT_SECRET: not set"),
        ({"SLACK_CLIENT_SECRET": "s"}, False, "SLACK_CLIENT_ID: not set"),
    ],
    ids=["oauth", "bot-token-wins", "id-without-secret", "secret-without-id"],
)
def test_oauth_configuration(env, oauth, message):
    if message:
        with pytest.raises(ConfigError, match=message):
            Settings.from_env(env)
    else:
        assert Settings.from_env(env).oauth is oauth
        assert "client_secret" not in repr(Settings.from_env(env))


def test_installations_share_the_database_and_are_listed_per_team(any_store):
    """slack_sdk's SQLAlchemy stores on the app's engine, on SQLite and PostgreSQL."""
    from types import SimpleNamespace

    from slack_sdk.oauth.installation_store import Installation

    from handlers.install import OAuthStores, installed_workspaces

    key = "xckospf9ImgQZNoUxYhEYHiJNdbFDjD9yAlJSuf01Vs="  # a Fernet key made for this test
    settings = Settings(client_id="1.2", client_secret="s", token_keys=(key,))
    stores = OAuthStores(settings, SimpleNamespace(store=any_store))  # type: ignore[arg-type]
    assert stores.installations.engine is any_store.engine
    for team, token in [("T1", "xoxb-one"), ("T2", "xoxb-two-old"), ("T2", "xoxb-two")]:
        stores.installations.save(
            Installation(
                app_id="A1", user_id="U1", team_id=team, bot_token=token, bot_id=f"B{team}"
            )
        )
    assert list(installed_workspaces(stores)) == [("T1", "xoxb-one"), ("T2", "xoxb-two")]
    state = stores.states.issue()
    assert stores.states.consume(state) is True and stores.states.consume(state) is False
    save(any_store, WorkspaceSettings("T2", "C0TWO"), actor="U")
    assert load(any_store, "T2").reminder_channel == "C0TWO"
    stores.installations.delete_all(enterprise_id=None, team_id="T2")
    assert any_store.delete_workspace_settings("T2") is True
    assert list(installed_workspaces(stores)) == [("T1", "xoxb-one")]
