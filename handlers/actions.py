"""Buttons and shortcuts: Share, More, Context, Find source."""

from __future__ import annotations

import logging
from typing import Any

from bot.services import Services
from handlers import blocks
from handlers.commands import brief_reply
from handlers.mentions import query_from_slack_text

log = logging.getLogger(__name__)


def _value(action: dict[str, Any]) -> dict[str, Any]:
    return blocks.decode(action.get("value"))


def _offset(value: Any) -> int:
    """A page offset from a button value; 0 for anything odd."""
    try:
        return max(0, min(int(value), 500))
    except (TypeError, ValueError, OverflowError):
        return 0


def _is_ephemeral(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def _clause(services: Services, action: dict[str, Any], respond: Any) -> Any:
    """The clause a button names, or None after telling the user it is gone."""
    cid = _value(action).get("c", "")
    clause = services.index.get(cid) if isinstance(cid, str) else None
    if clause is None:
        respond(
            replace_original=False,
            **blocks.error_message(
                "That clause is no longer in the corpus; search again with /brief."
            ),
        )
    return clause


def register(app: Any, services: Services) -> None:
    """Register the block actions and the message shortcut."""

    @app.action(blocks.ACTION_SHARE)
    def share(ack, body, action, respond):
        ack()
        clause = _clause(services, action, respond)
        if clause is None:
            return
        respond(
            response_type="in_channel",
            replace_original=False,
            **blocks.shared_message(clause, body["user"]["id"]),
        )
        respond(delete_original=True)

    @app.action(blocks.ACTION_MORE)
    def more(ack, body, action, respond):
        ack()
        v = _value(action)
        reply = brief_reply(
            services,
            str(v.get("q", "")),
            offset=_offset(v.get("o", 0)),
            shareable=bool(v.get("s", 1)),
        )
        if _is_ephemeral(body):
            respond(replace_original=True, **reply)
        else:
            respond(response_type="ephemeral", replace_original=False, **reply)

    @app.action(blocks.ACTION_CONTEXT)
    def context(ack, action, respond):
        ack()
        clause = _clause(services, action, respond)
        if clause is None:
            return
        around = services.index.context(clause.clause_id, radius=2)
        respond(
            response_type="ephemeral",
            replace_original=False,
            **blocks.context_message(around, clause),
        )

    @app.shortcut(blocks.SHORTCUT_FIND_SOURCE)
    def find_source(ack, shortcut, respond):
        ack()
        query = query_from_slack_text((shortcut.get("message") or {}).get("text", ""))
        if not query:
            respond(
                response_type="ephemeral",
                **blocks.error_message("That message has no text to look up."),
            )
            return
        respond(response_type="ephemeral", **brief_reply(services, query))
