"""Buttons and shortcuts: Share, More, Context, Full text, Find source."""

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


def _clause(services: Services, action: dict[str, Any], respond: Any, team: Any = None) -> Any:
    """The clause a button names, or None after telling the user it is gone (or is in a
    statement workspace ``team`` does not see)."""
    cid = _value(action).get("c", "")
    clause = services.index_for(team).get(cid) if isinstance(cid, str) else None
    if clause is None:
        respond(
            replace_original=False,
            **blocks.error_message(
                "That clause is no longer in the corpus; search again with /brief."
            ),
        )
    return clause


def register(app: Any, services: Services, later: Any) -> None:
    """Register the block actions and the message shortcut. Each acknowledges at once;
    the answer goes through response_url from the answer pool."""

    def after_ack(what: str, respond: Any, work: Any) -> None:
        later.submit(work, what=what, respond=respond)

    @app.action(blocks.ACTION_SHARE)
    def share(ack, body, action, respond):
        ack()
        after_ack("share", respond, lambda: _share(services, body, action, respond))

    @app.action(blocks.ACTION_MORE)
    def more(ack, body, action, respond):
        ack()
        after_ack("more", respond, lambda: _more(services, body, action, respond))

    @app.action(blocks.ACTION_CONTEXT)
    def context(ack, body, action, respond):
        ack()
        team = _team(body)
        after_ack("context", respond, lambda: _context(services, action, respond, team))

    @app.action(blocks.ACTION_FULL_TEXT)
    def full_text(ack, body, action, client, respond):
        ack()
        trigger, team = body.get("trigger_id"), _team(body)
        after_ack(
            "full text", respond, lambda: _full_text(services, action, client, trigger, team)
        )

    @app.shortcut(blocks.SHORTCUT_FIND_SOURCE)
    def find_source(ack, shortcut, respond):
        ack()
        after_ack("find source", respond, lambda: _find_source(services, shortcut, respond))


def _team(body: Any) -> str | None:
    """The workspace a payload came from (its ``team.id``)."""
    team = (body.get("team") or {}).get("id") if isinstance(body, dict) else None
    return team if isinstance(team, str) else None


def _share(services: Services, body: Any, action: Any, respond: Any) -> None:
    """Post the clause for everyone, attributed, then remove the ephemeral answer."""
    clause = _clause(services, action, respond, _team(body))
    if clause is None:
        return
    respond(
        response_type="in_channel",
        replace_original=False,
        **blocks.shared_message(clause, body["user"]["id"]),
    )
    respond(delete_original=True)


def _more(services: Services, body: Any, action: Any, respond: Any) -> None:
    """The next page of results, in place of the ephemeral answer when it was one."""
    v = _value(action)
    reply = brief_reply(
        services,
        str(v.get("q", "")),
        offset=_offset(v.get("o", 0)),
        shareable=bool(v.get("s", 1)),
        team_id=_team(body),
    )
    if _is_ephemeral(body):
        respond(replace_original=True, **reply)
    else:
        respond(response_type="ephemeral", replace_original=False, **reply)


def _context(services: Services, action: Any, respond: Any, team: str | None = None) -> None:
    """The clause with its neighbours and the section's lead-in."""
    clause = _clause(services, action, respond, team)
    if clause is None:
        return
    around = services.index_for(team).context(clause.clause_id, radius=2)
    respond(
        response_type="ephemeral",
        replace_original=False,
        **blocks.context_message(around, clause),
    )


def _full_text(
    services: Services, action: Any, client: Any, trigger_id: Any, team: str | None = None
) -> None:
    """The whole statement in a modal: its clauses and what was removed as debris."""
    doc_id = _value(action).get("d")
    statement = services.statement(doc_id, team) if isinstance(doc_id, str) else None
    view = blocks.full_text_view(statement) if statement else blocks.full_text_gone_view()
    client.views_open(trigger_id=trigger_id, view=view)


def _find_source(services: Services, shortcut: Any, respond: Any) -> None:
    """The message shortcut: look the message's text up in the statements."""
    query = query_from_slack_text((shortcut.get("message") or {}).get("text", ""))
    if not query:
        respond(
            response_type="ephemeral",
            **blocks.error_message("That message has no text to look up."),
        )
        return
    reply = brief_reply(services, query, team_id=_team(shortcut))
    respond(response_type="ephemeral", **reply)
