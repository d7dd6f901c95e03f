"""manifest.yml declares what the DM, unfurl, canvas and workflow-step handlers need."""

from __future__ import annotations

import yaml
from paths import ROOT

MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text("utf-8"))
SCOPES = set(MANIFEST["oauth_config"]["scopes"]["bot"])
EVENTS = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def test_direct_messages_are_declared():
    home = MANIFEST["features"]["app_home"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False
    assert MANIFEST["features"]["agent_view"]["agent_description"]
    assert {"im:history", "assistant:write", "chat:write"} <= SCOPES
    assert {
        "message.im",
        "app_home_opened",
        "assistant_thread_started",
        "assistant_thread_context_changed",
    } <= EVENTS


def test_adding_statements_is_declared():
    shortcuts = {s["callback_id"]: s for s in MANIFEST["features"]["shortcuts"]}
    assert shortcuts["add_statement"]["type"] == "global"
    assert {"files:read", "im:history", "commands"} <= SCOPES  # files sent in a DM
    assert "message.im" in EVENTS
