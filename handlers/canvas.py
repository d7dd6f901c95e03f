"""A brief as a Slack canvas: ``/brief canvas <document or topic>`` and "Make a brief".

Which API: ``canvases.create`` makes a standalone canvas owned by briefbot, then
``canvases.access.set`` gives the channel *read* access and the link is posted in the
channel. Not ``conversations.canvases.create``: a channel has only one channel canvas
(a second brief would fail, and the channel's own canvas is not ours to take). Not
``canvases.create`` with ``channel_id``: that tabs the canvas with *write* access for
everyone, and the quotes must stay verbatim.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.canvas import brief_markdown, build_brief
from bot.search import QueryError
from bot.services import Services
from bot.slacktext import plain_text
from handlers import blocks

log = logging.getLogger(__name__)

#: Slack errors that mean "no canvases here", in words a user can act on.
_UNAVAILABLE = {
    "canvas_disabled_user_team": "canvases are turned off in this workspace",
    "free_teams_cannot_create_non_tabbed_canvases": "this plan has no standalone canvases",
    "free_team_canvas_tab_already_exists": "this workspace's plan allows one canvas per channel",
    "missing_scope": "briefbot was installed without the canvases:write scope; reinstall it",
    "channel_not_found": "briefbot cannot see this channel; invite it first",
    "not_in_channel": "briefbot is not in this channel; invite it first",
}


def wants_canvas(text: str) -> bool:
    """``/brief canvas …``."""
    head = text.strip().split(maxsplit=1)
    return bool(head) and head[0].lower() == "canvas"


def seen_by(services: Services, team_id: str | None) -> Any:
    """What :func:`bot.canvas.build_brief` reads (``corpus``, ``index``,
    ``commitment_rows``) as workspace ``team_id`` sees it: its statements and statuses."""
    hidden = services.hidden_docs(team_id)
    documents = [d for d in services.corpus.documents if d.doc_id not in hidden]
    return SimpleNamespace(
        corpus=SimpleNamespace(documents=documents),
        index=services.index_for(team_id),
        commitment_rows=lambda query=None: services.commitment_rows(query, team_id=team_id),
    )


def make_canvas(
    services: Services,
    client: Any,
    respond: Any,
    *,
    text: str,
    channel: str,
    user: str,
    team_id: str | None = None,
) -> None:
    """Create the canvas, share it with the channel (read only) and post its link."""
    try:
        brief = build_brief(seen_by(services, team_id), plain_text(text))
    except QueryError as exc:
        respond(response_type="ephemeral", replace_original=False, **blocks.error_message(str(exc)))
        return
    markdown = brief_markdown(brief, made_on=services.today())
    try:
        canvas = client.canvases_create(
            title=f"Brief: {blocks.cut(brief.title, 120)[0]}",
            document_content={"type": "markdown", "markdown": markdown},
        )
        canvas_id = canvas["canvas_id"]
        client.canvases_access_set(canvas_id=canvas_id, access_level="read", channel_ids=[channel])
        team = client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", ""))
        why = _UNAVAILABLE.get(error)
        if why is None:
            raise
        respond(
            response_type="ephemeral",
            replace_original=False,
            **blocks.error_message(f"Could not make the brief: {why} (Slack said {error})."),
        )
        return
    url = f"{team['url'].rstrip('/')}/docs/{team['team_id']}/{canvas_id}"
    respond(
        response_type="in_channel",
        replace_original=False,
        **blocks.canvas_shared_message(
            brief.title, url, user, len(brief.clauses), len(brief.items)
        ),
    )


def register(app: Any, services: Services, later: Any) -> None:
    """Register the "Make a brief" button (/brief canvas is routed here by handlers.commands)."""

    @app.action(blocks.ACTION_CANVAS)
    def make_a_brief(ack, body, action, client, respond, context):
        ack()
        team = context.team_id
        query = str(blocks.decode(action.get("value")).get("q", ""))
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id", ""
        )
        later.submit(
            lambda: make_canvas(
                services,
                client,
                respond,
                text=query,
                channel=channel,
                user=body["user"]["id"],
                team_id=team,
            ),
            what="canvas",
            respond=respond,
        )


def start_from_command(
    services: Services, later: Any, command: dict[str, Any], client: Any, respond: Any
) -> None:
    """``/brief canvas …`` after the acknowledgement."""
    text = command.get("text", "").strip()[len("canvas") :]
    later.submit(
        lambda: make_canvas(
            services,
            client,
            respond,
            text=text,
            channel=command.get("channel_id", ""),
            user=command.get("user_id", ""),
            team_id=command.get("team_id"),
        ),
        what="canvas",
        respond=respond,
    )
