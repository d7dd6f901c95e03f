"""@briefbot mentions: answer in the thread with the best quote."""

from __future__ import annotations

import logging
from typing import Any

from bot.search import MAX_QUERY_CHARS
from bot.services import Services
from bot.slacktext import plain_text
from handlers import blocks
from handlers.commands import brief_reply

log = logging.getLogger(__name__)


def query_from_slack_text(text: str) -> str:
    """Slack message text -> plain query (the core normaliser), cut to the query limit."""
    return plain_text(text, limit=MAX_QUERY_CHARS)


def mention_reply(services: Services, query: str, team_id: str | None = None) -> blocks.Message:
    """Best quote (one) with a More button; help when there is nothing to search for."""
    if not query:
        return blocks.help_message("@briefbot")
    return brief_reply(services, query, limit=1, shareable=False, team_id=team_id)


def _parent_text(client: Any, channel: str, thread_ts: str) -> str:
    resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=1, inclusive=True)
    messages = resp.get("messages") or []
    return messages[0].get("text", "") if messages else ""


def delivery_key(body: Any) -> str | None:
    """The dedupe key of an event delivery: its ``event_id``, per workspace."""
    event_id, team_id = body.get("event_id"), body.get("team_id")
    return f"{team_id}:{event_id}" if event_id and team_id else event_id


def answer_mention(services: Services, body: Any, event: Any, say: Any, client: Any) -> None:
    """Reply in the thread, once per event delivery (Slack retries are dropped here)."""
    if not services.first_delivery(delivery_key(body)):
        log.info("duplicate delivery of %s ignored", body.get("event_id"))
        return
    thread_ts = event.get("thread_ts") or event.get("ts")
    query = query_from_slack_text(event.get("text", ""))
    if not query and event.get("thread_ts"):
        query = query_from_slack_text(_parent_text(client, event["channel"], event["thread_ts"]))
    say(thread_ts=thread_ts, **mention_reply(services, query, body.get("team_id")))


def register(app: Any, services: Services, later: Any) -> None:
    """Register the app_mention listener (Bolt acknowledges events itself; the answer
    goes to the answer pool)."""

    @app.event("app_mention")
    def on_mention(body, event, say, client):
        if not event.get("channel"):
            log.warning("app_mention without a channel ignored")
            return
        later.submit(
            lambda: answer_mention(services, body, event, say, client),
            what="mention",
            client=client,
            channel=event.get("channel"),
            user=event.get("user"),
            thread_ts=event.get("thread_ts") or event.get("ts"),
        )
