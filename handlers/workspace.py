"""Workspace settings in App Home (installed into many workspaces): a workspace admin
sets the reminder channel, time zone and reminder kinds, and names the workspace's
editors; others get a polite refusal."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from bot import workspaces
from bot.config import ITEM_KINDS, Settings
from bot.services import Services
from bot.workspaces import SettingsProblem, WorkspaceSettings
from handlers import blocks

log = logging.getLogger(__name__)

__all__ = [
    "EDITORS_VIEW",
    "OPEN_EDITORS",
    "OPEN_SETTINGS",
    "SETTINGS_VIEW",
    "editors_blocks",
    "editors_modal",
    "is_admin",
    "parse_editors_submission",
    "settings_blocks",
    "settings_modal",
]

OPEN_SETTINGS = "workspace_settings_open"
SETTINGS_VIEW = "workspace_settings"
OPEN_EDITORS = "workspace_editors_open"
EDITORS_VIEW = "workspace_editors"
_CHANNEL, _TZ, _KINDS, _EDITORS = "reminder_channel", "timezone", "reminder_kinds", "editors"
#: The most editors an admin may name for one workspace.
MAX_WORKSPACE_EDITORS = 100
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")

REFUSAL = (
    "Only a workspace admin or owner can change briefbot's settings for this workspace. "
    "Ask one of them, or use /brief and /commitments as usual."
)


def is_admin(client: Any, user_id: str) -> bool:
    """True when ``users.info`` says the user is an admin or owner of the workspace."""
    user = client.users_info(user=user_id).get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def settings_blocks(settings: Settings, ws: WorkspaceSettings) -> list[dict[str, Any]]:
    """The Home tab's settings section: what applies now, and a button for admins."""
    own = workspaces.effective_settings(settings, ws)
    channel = f"<#{own.reminder_channel}>" if own.reminder_channel else "not set (no reminders)"
    kinds = ", ".join(k for k in ITEM_KINDS if k in own.reminder_kinds)
    return [
        {"type": "divider"},
        {
            "type": "section",
            "block_id": "workspace_settings",
            "text": {
                "type": "mrkdwn",
                "text": f"*Workspace settings*\nReminders go to {channel}, at "
                f"{own.reminder_time:%H:%M} {blocks.escape(own.timezone.key)}, for: "
                f"{blocks.escape(kinds)}.",
            },
            "accessory": {
                "type": "button",
                "action_id": OPEN_SETTINGS,
                "text": {"type": "plain_text", "text": "Change settings"},
                "value": "open",
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Workspace admins and owners can change these."}
            ],
        },
    ]


def _option(kind: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": kind}, "value": kind}


def settings_modal(settings: Settings, ws: WorkspaceSettings) -> dict[str, Any]:
    """The settings modal, filled with the workspace's current values."""
    own = workspaces.effective_settings(settings, ws)
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": _CHANNEL,
        "placeholder": {"type": "plain_text", "text": "Pick a channel"},
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if ws.reminder_channel:
        channel["initial_conversation"] = ws.reminder_channel
    return {
        "type": "modal",
        "callback_id": SETTINGS_VIEW,
        "title": {"type": "plain_text", "text": "briefbot settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": _CHANNEL,
                "optional": True,
                "label": {"type": "plain_text", "text": "Reminder channel (invite briefbot)"},
                "element": channel,
            },
            {
                "type": "input",
                "block_id": _TZ,
                "optional": True,
                "label": {"type": "plain_text", "text": "Time zone (IANA name)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": _TZ,
                    "initial_value": ws.timezone or own.timezone.key,
                    "max_length": 60,
                },
            },
            {
                "type": "input",
                "block_id": _KINDS,
                "label": {"type": "plain_text", "text": "Remind me of"},
                "element": {
                    "type": "checkboxes",
                    "action_id": _KINDS,
                    "options": [_option(k) for k in ITEM_KINDS],
                    "initial_options": [_option(k) for k in ITEM_KINDS if k in own.reminder_kinds],
                },
            },
        ],
    }


def editors_blocks(stored: list[str], from_env: int) -> list[dict[str, Any]]:
    """The Home tab's editors section: who may add and remove this workspace's
    statements (``stored``: named by an admin; ``from_env``: how many more the operator
    set in ``BRIEFBOT_EDITORS``), and a button for admins."""
    shown = ", ".join(f"<@{blocks.escape(u)}>" for u in stored[:30]) or "nobody yet"
    if len(stored) > 30:
        shown += f" and {len(stored) - 30} more"
    if from_env:
        shown += f" (and {from_env} set by the operator)"
    return [
        {
            "type": "section",
            "block_id": "workspace_editors",
            "text": {
                "type": "mrkdwn",
                "text": f"*Editors* (add and remove this workspace's statements)\n{shown}",
            },
            "accessory": {
                "type": "button",
                "action_id": OPEN_EDITORS,
                "text": {"type": "plain_text", "text": "Manage editors"},
                "value": "open",
            },
        },
    ]


def editors_modal(stored: list[str]) -> dict[str, Any]:
    """The editors modal, filled with the workspace's current editors."""
    element: dict[str, Any] = {
        "type": "multi_users_select",
        "action_id": _EDITORS,
        "placeholder": {"type": "plain_text", "text": "Pick people"},
        "max_selected_items": MAX_WORKSPACE_EDITORS,
    }
    if stored:
        element["initial_users"] = stored[:MAX_WORKSPACE_EDITORS]
    return {
        "type": "modal",
        "callback_id": EDITORS_VIEW,
        "title": {"type": "plain_text", "text": "briefbot editors"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": _EDITORS,
                "optional": True,
                "label": {"type": "plain_text", "text": "Who may add and remove statements"},
                "element": element,
            },
        ],
    }


def parse_editors_submission(view: dict[str, Any]) -> list[str]:
    """The user ids picked in the editors modal; raises :class:`SettingsProblem`."""
    values = (view.get("state") or {}).get("values") or {}
    picked = ((values.get(_EDITORS) or {}).get(_EDITORS) or {}).get("selected_users") or []
    if not isinstance(picked, list) or len(picked) > MAX_WORKSPACE_EDITORS:
        raise SettingsProblem(_EDITORS, f"pick at most {MAX_WORKSPACE_EDITORS} people")
    for user in picked:
        if not isinstance(user, str) or not _USER_ID.match(user):
            raise SettingsProblem(_EDITORS, f"{str(user)[:40]!r} is not a Slack user")
    return sorted(set(picked))


def refusal_modal() -> dict[str, Any]:
    """What a non-admin sees after clicking "Change settings"."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "briefbot settings"},
        "close": {"type": "plain_text", "text": "OK"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": REFUSAL}}],
    }


def parse_submission(team_id: str, view: dict[str, Any]) -> WorkspaceSettings:
    """The modal's values as validated settings; raises :class:`SettingsProblem`."""
    values = (view.get("state") or {}).get("values") or {}

    def element(block: str) -> dict[str, Any]:
        return (values.get(block) or {}).get(block) or {}

    kinds = element(_KINDS).get("selected_options")
    return WorkspaceSettings.parse(
        team_id,
        reminder_channel=element(_CHANNEL).get("selected_conversation"),
        timezone=element(_TZ).get("value"),
        reminder_kinds=[o.get("value", "") for o in kinds] if kinds is not None else None,
    )


def register(
    app: Any, services: Services, later: Any, home_for: Callable[..., dict[str, Any]]
) -> None:
    """The "Change settings" button and the settings modal; ``home_for`` (from
    :mod:`handlers.home`, handed in: the Home tab shows these settings) redraws the Home
    tab after a change."""

    @app.action(OPEN_SETTINGS)
    def open_settings(ack, body, client, context):
        ack()
        user, trigger = body["user"]["id"], body.get("trigger_id")

        def run() -> None:
            if is_admin(client, user):
                ws = workspaces.load(services.store, context.team_id)
                view = settings_modal(services.settings, ws)
            else:
                view = refusal_modal()
            client.views_open(trigger_id=trigger, view=view)

        later.submit(run, what="workspace settings")

    @app.action(OPEN_EDITORS)
    def open_editors(ack, body, client, context):
        ack()
        user, trigger, team = body["user"]["id"], body.get("trigger_id"), context.team_id

        def run() -> None:
            if is_admin(client, user):
                view = editors_modal(services.store.editors(services.team_key(team)))
            else:
                view = refusal_modal()
            client.views_open(trigger_id=trigger, view=view)

        later.submit(run, what="workspace editors")

    @app.view(EDITORS_VIEW)
    def save_editors(ack, body, view, client, context):
        try:
            editors = parse_editors_submission(view)
        except SettingsProblem as problem:
            ack(response_action="errors", errors={problem.field: problem.message})
            return
        ack()
        user, team = body["user"]["id"], context.team_id

        def run() -> None:
            if not is_admin(client, user):  # checked again: the modal could be stale
                log.warning("workspace %s: editors from non-admin %s ignored", team, user)
                return
            services.store.set_editors(services.team_key(team), editors, actor=user)
            client.views_publish(user_id=user, view=home_for(services, team_id=team, user_id=user))

        later.submit(run, what="workspace editors")

    @app.view(SETTINGS_VIEW)
    def save_settings(ack, body, view, client, context):
        try:
            ws = parse_submission(context.team_id, view)
        except SettingsProblem as problem:
            ack(response_action="errors", errors={problem.field: problem.message})
            return
        ack()
        user = body["user"]["id"]

        def run() -> None:
            if not is_admin(client, user):  # checked again: the modal could be stale
                log.warning("workspace %s: settings from non-admin %s ignored", ws.team_id, user)
                return
            workspaces.save(services.store, ws, actor=user)
            client.views_publish(
                user_id=user, view=home_for(services, team_id=ws.team_id, user_id=user)
            )

        later.submit(run, what="workspace settings")
