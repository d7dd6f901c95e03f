"""Slash commands: /brief (and /commitments, registered by handlers.commitments)."""

from __future__ import annotations

import logging
from typing import Any

from bot.search import QueryError, build_timeline
from bot.services import Services
from bot.slacktext import plain_text
from handlers import blocks

log = logging.getLogger(__name__)


def brief_reply(
    services: Services,
    text: str,
    *,
    offset: int = 0,
    limit: int = blocks.PAGE,
    shareable: bool = True,
    team_id: str | None = None,
) -> blocks.Message:
    """The /brief answer for ``text`` in workspace ``team_id``: help, a specific error,
    or a page of quotes (from the statements that workspace sees)."""
    query = plain_text(text)
    if query.lower() in {"", "help", "?", "-h", "--help"}:
        return blocks.help_message()
    index = services.index_for(team_id)
    head, _, topic = query.partition(" ")
    if head.lower() == "timeline":
        try:
            return blocks.timeline_message(build_timeline(index, topic))
        except QueryError as exc:
            return blocks.error_message(str(exc))
    try:
        result = index.search(query, limit=limit, offset=offset)
    except QueryError as exc:
        return blocks.error_message(str(exc))
    return blocks.search_message(result, query=query, shareable=shareable)


def register(app: Any, services: Services, later: Any) -> None:
    """Register /brief. The answer travels in the acknowledgement itself: searching is
    in memory, so no response_url call (and no slow Slack) stands between the user and it."""

    from handlers import adding, canvas

    @app.command("/brief")
    def brief(ack, command, client, respond):
        add_url = adding.wants_add(command.get("text", ""))
        if add_url is not None:
            adding.start_from_command(services, later, ack, command, client, add_url)
            return
        if canvas.wants_canvas(command.get("text", "")):
            ack(response_type="ephemeral", text="Making the brief as a canvas…")
            canvas.start_from_command(services, later, command, client, respond)
            return
        try:
            reply = brief_reply(services, command.get("text", ""), team_id=command.get("team_id"))
        except Exception:
            ack()  # acknowledged: the error handler's apology is all the user sees
            raise
        ack(response_type="ephemeral", **reply)
