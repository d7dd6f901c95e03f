"""/commitments and the status picker (on reminder posts, lists and App Home)."""

from __future__ import annotations

import logging
from typing import Any

from bot.search import QueryError
from bot.services import Services
from bot.tracking import TrackingError, parse_commitment_query
from handlers import blocks

log = logging.getLogger(__name__)

TITLES = {
    "all": "Commitments",
    "upcoming": "Upcoming commitments",
    "overdue": "Overdue commitments",
    "open": "Open commitments",
    "undated": "Undated commitments",
}


def commitments_reply(
    services: Services, text: str, *, offset: int = 0, team_id: str | None = None
) -> blocks.Message:
    """The /commitments answer for workspace ``team_id``: a page of the filtered list
    (from ``offset``, with a button for the next page), or a specific error."""
    if (text or "").strip().lower() in {"help", "?"}:
        return blocks.commitments_message([], title="Commitments")
    try:
        query = parse_commitment_query(text or "")
        rows = services.commitment_rows(query, team_id=team_id)
    except (TrackingError, QueryError) as exc:
        return blocks.error_message(str(exc))
    title = TITLES[query.view]
    if query.due_label:
        title += f" due {query.due_label}"
    if query.status:
        title += f" with status {query.status.replace('_', ' ')}"
    if query.kind:
        title += f" of kind {query.kind}"
    if query.words:
        title += f" matching “{query.words}”"
    return blocks.commitments_message(rows, title=title, offset=offset, query=text or "")


def register(app: Any, services: Services, later: Any) -> None:
    """Register /commitments and the status picker (both read the database: answered
    after the ack)."""

    @app.command("/commitments")
    def list_commitments(ack, command, respond, context):
        ack()
        team = context.team_id
        later.submit(
            lambda: respond(
                response_type="ephemeral",
                **commitments_reply(services, command.get("text", ""), team_id=team),
            ),
            what="/commitments",
            respond=respond,
        )

    @app.action(blocks.ACTION_COMMITMENTS_MORE)
    def next_page(ack, action, respond, context):
        ack()
        value = blocks.decode(action.get("value"))
        team = context.team_id
        later.submit(
            lambda: respond(
                replace_original=True,
                **commitments_reply(
                    services, str(value.get("t", "")), offset=_offset(value), team_id=team
                ),
            ),
            what="commitments page",
            respond=respond,
        )

    @app.action(blocks.ACTION_STATUS)
    def set_status(ack, body, action, respond, client, context):
        ack()
        team = context.team_id
        later.submit(
            lambda: _set_status(services, body, action, respond, client, team),
            what="status change",
            respond=respond if body.get("response_url") else None,
            client=client,
            channel=(body.get("channel") or {}).get("id"),
            user=(body.get("user") or {}).get("id"),
        )


def _offset(value: dict[str, Any]) -> int:
    """A page offset from a button value; 0 for anything odd."""
    try:
        return max(0, min(int(value.get("o", 0)), 100_000))
    except (TypeError, ValueError, OverflowError):
        return 0


def _set_status(
    services: Services, body: Any, action: Any, respond: Any, client: Any, team_id: str | None
) -> None:
    """Record the picked status in workspace ``team_id``, then redraw the Home tab or the
    message it came from."""
    commitment_id, status = blocks.status_choice(
        action.get("block_id", ""), (action.get("selected_option") or {}).get("value", "")
    )
    user = body["user"]["id"]
    try:
        row = services.record_status(commitment_id, status, actor=user, team_id=team_id)
    except (KeyError, ValueError) as exc:
        respond(response_type="ephemeral", replace_original=False, **blocks.error_message(str(exc)))
        return
    if (body.get("container") or {}).get("type") == "view":
        from handlers.home import home_for

        client.views_publish(
            user_id=user, view=home_for(services, team_id=team_id, user_id=user)
        )
    else:
        respond(replace_original=True, **blocks.status_recorded_message(row, user))
