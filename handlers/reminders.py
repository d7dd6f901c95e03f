"""Posting reminders to Slack (the :class:`bot.reminders.Poster` used in production).

Each post carries its ledger key(s) in message metadata, so that after a crash
between claim and post the next run can see the message was already sent.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.reminders import PostError, Reminder, lead_label
from handlers import blocks

log = logging.getLogger(__name__)

EVENT_TYPE = "briefbot_reminder"
#: Slack errors worth retrying later; anything else (channel_not_found, not_in_channel,
#: invalid_auth...) needs a person, and is reported with its reason.
MAX_HISTORY_PAGES = 25
RETRYABLE = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}


class SlackPoster:
    """Posts reminders with a WebClient; ``status_of`` gives a commitment's current status."""

    def __init__(self, client: Any, status_of: Any = None) -> None:
        self.client = client
        self.status_of = status_of or (lambda _id: "not_yet_rated")

    def _row(self, reminder: Reminder) -> dict[str, Any]:
        return reminder.commitment.to_json(self.status_of(reminder.commitment.id))

    def _post(self, channel: str, keys: list[str], message: blocks.Message) -> str:
        try:
            resp = self.client.chat_postMessage(
                channel=channel,
                metadata={
                    "event_type": EVENT_TYPE,
                    "event_payload": {"keys": keys},
                },
                unfurl_links=False,
                **message,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            retryable = error in RETRYABLE or exc.response.status_code >= 500
            raise PostError(error, retryable=retryable) from None
        except (SlackClientError, OSError) as exc:
            raise PostError(f"connection error: {type(exc).__name__}", retryable=True) from None
        return str(resp["ts"])

    def post(self, reminder: Reminder, channel: str) -> str:
        """Post one reminder; returns the message ts."""
        lead = lead_label(reminder.lead) if reminder.lead is not None else None
        message = blocks.reminder_message(self._row(reminder), kind=reminder.kind, lead=lead)
        return self._post(channel, [reminder.key], message)

    def post_summary(self, reminders: list[Reminder], channel: str) -> str:
        """One "while I was offline" post for many missed reminders."""
        rows = [self._row(r) for r in reminders]
        return self._post(channel, [r.key for r in reminders], blocks.summary_message(rows))

    def find_posted(self, key: str, channel: str, since: datetime) -> str | None:
        """The ts of a message since ``since`` whose metadata names ``key``.

        Pages through the channel history (up to ``MAX_HISTORY_PAGES`` pages of 200).
        """
        cursor = None
        for _ in range(MAX_HISTORY_PAGES):
            try:
                resp = self.client.conversations_history(
                    channel=channel,
                    oldest=f"{since.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            except (SlackApiError, SlackClientError, OSError) as exc:
                log.warning("could not check channel history for %s: %s", key, type(exc).__name__)
                return None
            for message in resp.get("messages") or []:
                meta = message.get("metadata") or {}
                if meta.get("event_type") == EVENT_TYPE:
                    keys = (meta.get("event_payload") or {}).get("keys") or []
                    if key in keys:
                        return str(message.get("ts"))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        log.warning("channel history too long to check for %s; posting", key)
        return None
