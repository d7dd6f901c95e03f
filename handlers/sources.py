"""Followed sources in Slack: the announcement of each statement a source brought
(posted to the workspace's channel by the scheduler) and its "Dated items" button."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.services import Services
from bot.sources import Announcement
from bot.store import DEFAULT_TEAM
from bot.tracking import CommitmentQuery
from handlers import blocks

__all__ = ["SlackAnnouncer", "dated_items_reply", "follow_sources", "register"]

log = logging.getLogger(__name__)


class AnnounceError(Exception):
    """A post that failed (the reason is Slack's error code); tried again later."""


class SlackAnnouncer:
    """Posts :class:`bot.sources.Announcement` s to ``channel`` with a WebClient (the
    :data:`bot.sources.Announcer` used in production)."""

    def __init__(self, client: Any, channel: str) -> None:
        self.client = client
        self.channel = channel

    def __call__(self, note: Announcement) -> None:
        message = blocks.source_announcement(
            doc_id=note.doc_id,
            title=note.title,
            source=note.source,
            clauses=note.clauses,
            dated_items=note.dated_items,
            next_due=note.next_due.isoformat() if note.next_due else None,
            next_due_expression=note.next_due_expression,
            date_guessed=note.date_guessed,
        )
        try:
            self.client.chat_postMessage(channel=self.channel, unfurl_links=False, **message)
        except SlackApiError as exc:
            raise AnnounceError(
                str(exc.response.get("error") or exc.response.status_code)
            ) from None
        except (SlackClientError, OSError) as exc:
            raise AnnounceError(f"connection error: {type(exc).__name__}") from None


def follow_sources(scheduler: Any, settings: Any, services: Services) -> None:
    """Add the followed sources' job to ``scheduler`` (single-workspace mode), announcing
    to the reminder channel with a client that never re-sends blindly."""
    from bot.scheduler import add_sources_job, make_sources_tick
    from handlers.client import build_client

    announce = SlackAnnouncer(build_client(settings, idempotent=True), settings.reminder_channel)
    # Only the single workspace's sources: their statements are announced in its channel.
    tick = make_sources_tick(services.library, announce, team_ids=[DEFAULT_TEAM])
    add_sources_job(scheduler, tick, settings=settings)


def dated_items_reply(services: Services, doc_id: str, team_id: str | None) -> blocks.Message:
    """The dated items of one statement, with their status pickers."""
    rows = [
        r
        for r in services.commitment_rows(CommitmentQuery(view="all"), team_id=team_id)
        if r.get("doc_id") == doc_id
    ]
    statement = services.statement(doc_id, team_id)
    title = str(statement.get("title") or doc_id) if statement is not None else doc_id
    return blocks.commitments_message(rows, title=f"Dated items of {title}")


def register(app: Any, services: Services, later: Any) -> None:
    """The "Dated items" button under an announcement."""

    @app.action(blocks.ACTION_DATED_ITEMS)
    def dated_items(ack, body, action, respond, context):
        ack()
        doc_id = blocks.decode(action.get("value")).get("d")
        team = context.team_id
        if not isinstance(doc_id, str):
            return
        later.submit(
            lambda: respond(response_type="ephemeral", **dated_items_reply(services, doc_id, team)),
            what="dated items",
            respond=respond,
        )
