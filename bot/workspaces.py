"""Per-workspace settings and reminders, for briefbot installed into many workspaces.

No Slack here: which workspaces are installed, and a poster with each one's token, are
handed in by the Slack side (:mod:`handlers.install`). A workspace admin sets its
reminder channel, time zone and reminder kinds in App Home; anything not set falls back
to the environment (``BRIEFBOT_REMINDER_CHANNEL``, ``BRIEFBOT_TIMEZONE``,
``BRIEFBOT_REMINDER_KINDS``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commitments import Commitment
from bot.config import ITEM_KINDS, ConfigError, Settings, parse_kinds
from bot.reminders import Poster, RunReport, run_due
from bot.store import Store

__all__ = [
    "SettingsProblem",
    "WorkspaceSettings",
    "effective_settings",
    "load",
    "run_workspaces",
    "save",
]

log = logging.getLogger(__name__)

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,30}$")


class SettingsProblem(ValueError):
    """A value an admin entered is not usable; ``field`` names it (for the modal)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class WorkspaceSettings:
    """One workspace's own settings; None = use the environment's."""

    team_id: str
    reminder_channel: str | None = None
    timezone: str | None = None
    reminder_kinds: frozenset[str] | None = None

    @classmethod
    def parse(
        cls,
        team_id: str,
        *,
        reminder_channel: str | None,
        timezone: str | None,
        reminder_kinds: Iterable[str] | None,
    ) -> WorkspaceSettings:
        """Validated settings from what an admin entered; raises :class:`SettingsProblem`."""
        channel = (reminder_channel or "").strip() or None
        if channel is not None and not _CHANNEL_ID.match(channel):
            raise SettingsProblem(
                "reminder_channel", f"{channel[:40]!r} is not a channel id (e.g. C0123456789)"
            )
        tz = (timezone or "").strip() or None
        if tz is not None:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise SettingsProblem(
                    "timezone", f"{tz[:60]!r} is not an IANA time zone name (e.g. Europe/Berlin)"
                ) from None
        kinds = None
        if reminder_kinds is not None:
            chosen = [k for k in reminder_kinds if k]
            if not chosen:
                raise SettingsProblem("reminder_kinds", "choose at least one kind of dated item")
            try:
                kinds = parse_kinds(",".join(chosen))
            except ConfigError:
                raise SettingsProblem(
                    "reminder_kinds", f"kinds are {', '.join(ITEM_KINDS)}"
                ) from None
        return cls(team_id, channel, tz, kinds)


def load(store: Store, team_id: str) -> WorkspaceSettings:
    """The workspace's stored settings (all None when it never set any)."""
    row = store.workspace_settings(team_id) or {}
    kinds = row.get("reminder_kinds")
    return WorkspaceSettings(
        team_id,
        row.get("reminder_channel"),
        row.get("timezone"),
        frozenset(kinds.split(",")) if kinds else None,
    )


def save(store: Store, ws: WorkspaceSettings, *, actor: str) -> None:
    """Store a workspace's settings (replacing what it had)."""
    store.set_workspace_settings(
        ws.team_id,
        reminder_channel=ws.reminder_channel,
        timezone=ws.timezone,
        reminder_kinds=",".join(sorted(ws.reminder_kinds)) if ws.reminder_kinds else None,
        actor=actor,
    )


def effective_settings(settings: Settings, ws: WorkspaceSettings) -> Settings:
    """``settings`` with the workspace's own values where it set them."""
    changes: dict[str, object] = {}
    if ws.reminder_channel:
        changes["reminder_channel"] = ws.reminder_channel
    if ws.timezone:
        try:
            changes["timezone"] = ZoneInfo(ws.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("workspace %s: stored time zone %r unusable", ws.team_id, ws.timezone)
    if ws.reminder_kinds:
        changes["reminder_kinds"] = ws.reminder_kinds
    return replace(settings, **changes) if changes else settings


def run_workspaces(
    store: Store,
    commitments: Iterable[Commitment],
    workspaces: Iterable[tuple[str, Poster]],
    *,
    now: datetime,
    settings: Settings,
    owner: str,
    dry_run: bool = False,
    hidden: Callable[[str], Collection[str]] | None = None,
) -> dict[str, RunReport]:
    """Post each installed workspace's due reminders to its own channel with its own
    poster (its token), once per workspace: ledger keys and watermarks carry the team id.

    ``workspaces`` yields (team id, poster). A workspace without a reminder channel (its
    own or ``BRIEFBOT_REMINDER_CHANNEL``) is left out, and so is one whose run fails; the
    others still run. ``dry_run`` only plans (see :func:`bot.reminders.run_due`).
    ``hidden(team_id)``: documents that workspace may not see (another's statements);
    their dated items are not its reminders.
    """
    commitments = list(commitments)
    reports: dict[str, RunReport] = {}
    for team_id, poster in workspaces:
        own = effective_settings(settings, load(store, team_id))
        if not own.reminder_channel:
            log.info("workspace %s: no reminder channel set; no reminders", team_id)
            continue
        left_out = hidden(team_id) if hidden is not None else ()
        own_items = [c for c in commitments if c.doc_id not in left_out]
        try:
            reports[team_id] = run_due(
                store,
                own_items,
                now=now,
                settings=own,
                poster=poster,
                owner=owner,
                scope=team_id,
                dry_run=dry_run,
            )
        except Exception:  # one workspace's failure must not stop the others' reminders
            if dry_run:
                raise  # a dry run posts and records nothing: a failure there is a bug
            log.exception("workspace %s: reminder run failed", team_id)
    return reports
