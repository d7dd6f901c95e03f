"""Settings: validation with messages naming the variable; .env.example and manifest agree."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
import yaml
from paths import ROOT

from bot.config import ENV_VARS, ConfigError, Settings, parse_leads, redact


def test_defaults():
    s = Settings.from_env({})
    assert s.bot_token is None and s.api_url == "https://slack.com/api/"
    assert s.reminder_leads == (timedelta(days=30), timedelta(days=7), timedelta(0))
    assert s.reminder_time == time(9, 0) and str(s.timezone) == "UTC"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN: must be a bot token"),
        ({"SLACK_APP_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN: must be an app-level token"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL: 'slack.com/api' must start"),
        ({"PORT": "70000"}, "PORT: '70000' is not a TCP port"),
        ({"BRIEFBOT_TIMEZONE": "Nowhere/City"}, "BRIEFBOT_TIMEZONE: 'Nowhere/City'"),
        ({"BRIEFBOT_REMINDER_LEADS": "30 days"}, "BRIEFBOT_REMINDER_LEADS: '30 days'"),
        ({"BRIEFBOT_REMINDER_LEADS": ","}, "BRIEFBOT_REMINDER_LEADS: no lead times"),
        ({"BRIEFBOT_REMINDER_TIME": "25:00"}, "BRIEFBOT_REMINDER_TIME: '25:00'"),
        ({"BRIEFBOT_LOG_LEVEL": "LOUD"}, "BRIEFBOT_LOG_LEVEL: 'LOUD'"),
        ({"BRIEFBOT_REMINDER_KINDS": "event,promise"}, "BRIEFBOT_REMINDER_KINDS: 'promise'"),
        ({"BRIEFBOT_REMINDER_KINDS": " , "}, "BRIEFBOT_REMINDER_KINDS: no kinds"),
        ({"BRIEFBOT_EDITORS": "U012AB3CD, ana"}, "BRIEFBOT_EDITORS: 'ana' is not a Slack user"),
    ],
)
def test_bad_settings_name_the_variable(env, message):
    with pytest.raises(ConfigError) as exc:
        Settings.from_env(env)
    assert str(exc.value).startswith(message)


def test_parse_leads_sorted_unique():
    assert parse_leads("0d, 7d,30d,7d,12h") == (
        timedelta(days=30),
        timedelta(days=7),
        timedelta(hours=12),
        timedelta(0),
    )


def test_secrets_never_in_repr_or_redacted_output():
    s = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-123-SECRET", "SLACK_SIGNING_SECRET": "sss"})
    assert "SECRET" not in repr(s) and "sss" not in repr(s)
    assert redact("xoxb-123-SECRET") == "xoxb-…(15 chars)" and redact(None) == "(unset)"


def test_api_url_gets_a_trailing_slash():
    assert Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api"}).api_url.endswith("/api/")


def test_env_example_lists_every_setting_with_a_comment():
    lines = (ROOT / ".env.example").read_text("utf-8").splitlines()
    names = [m.group(1) for ln in lines if (m := re.match(r"^([A-Z_]+)=", ln))]
    assert names == list(ENV_VARS)
    for i, ln in enumerate(lines):
        if re.match(r"^[A-Z_]+=", ln):
            assert lines[i - 1].startswith("# "), f"no comment above {ln}"
    # the example itself is a valid configuration
    Settings.from_env(dict(ln.split("=", 1) for ln in lines if re.match(r"^[A-Z_]+=", ln)))


def test_gitignore_keeps_env_out_and_example_in():
    ignore = (ROOT / ".gitignore").read_text("utf-8").splitlines()
    assert ".env" in ignore and "!.env.example" in ignore


def test_manifest_matches_the_registered_listeners():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text("utf-8"))
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/brief", "/commitments"}
    shortcuts = {s["callback_id"]: s["type"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {"find_source": "message", "add_statement": "global"}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) >= {
        "app_mention",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {
        "commands",
        "chat:write",
        "app_mentions:read",
    }


def test_procfile_processes():
    procs = dict(
        ln.split(":", 1)
        for ln in (ROOT / "Procfile").read_text().splitlines()
        if ln and not ln.startswith("#")
    )
    assert procs["web"].strip() == "briefbot serve --http --no-scheduler"
    assert procs["clock"].strip() == "briefbot scheduler"


@pytest.mark.parametrize(
    ("value", "kinds"),
    [
        (None, {"commitment", "call", "event", "target"}),
        ("event", {"event"}),
        (" Commitment , target ", {"commitment", "target"}),
    ],
)
def test_reminder_kinds(value, kinds):
    env = {} if value is None else {"BRIEFBOT_REMINDER_KINDS": value}
    assert Settings.from_env(env).reminder_kinds == kinds


def test_index_cache_setting(tmp_path):
    assert Settings.from_env({"BRIEFBOT_INDEX_CACHE": "off"}).index_cache is None
    given = Settings.from_env({"BRIEFBOT_INDEX_CACHE": str(tmp_path)}).index_cache
    assert given == tmp_path
    xdg = Settings.from_env({"XDG_CACHE_HOME": str(tmp_path)}).index_cache
    assert xdg == tmp_path / "briefbot" / "index"


@pytest.mark.parametrize(
    ("value", "editors"),
    [
        (None, set()),
        ("", set()),
        (" U012AB3CD , W0GRID1 ,", {"U012AB3CD", "W0GRID1"}),
        ("T0ONE:U012AB3CD,U045EF6GH", {"T0ONE:U012AB3CD", "U045EF6GH"}),
    ],
)
def test_editors(value, editors):
    env = {} if value is None else {"BRIEFBOT_EDITORS": value}
    settings = Settings.from_env(env)
    assert settings.editors == editors and settings.allow_private_urls is False


@pytest.mark.parametrize("entry", ["T0ONE:", ":U012AB3CD", "t0one:U012AB3CD", "C0CHAN:U012AB3CD"])
def test_bad_workspace_editor_entries_are_named(entry):
    with pytest.raises(ConfigError) as exc:
        Settings.from_env({"BRIEFBOT_EDITORS": f"U045EF6GH,{entry}"})
    assert str(exc.value).startswith(f"BRIEFBOT_EDITORS: {entry!r} is not a Slack user id")
