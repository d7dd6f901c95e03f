"""Direct messages: the Messages tab (agent experience), assistant threads and plain DMs.

A file (txt, md, html, pdf) sent to the bot is offered for adding as a statement
(:mod:`handlers.adding`). Any other message to the bot is answered like ``/brief``, in
a thread on that message, so a follow-up in the thread is answered in the same
thread. Slack's current agent surface (``agent_view`` in the manifest) opens the
Messages tab with ``app_home_opened`` and ``tab == "messages"``: we set the suggested
prompts there. Workspaces still on the
older assistant surface send ``assistant_thread_started``, handled by Bolt's
:class:`~slack_bolt.Assistant` with a welcome and the same prompts. Messages from any
bot (ours included) are never answered.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Assistant
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_sdk.errors import SlackApiError

from bot.services import Services
from handlers import blocks
from handlers.commands import brief_reply
from handlers.mentions import delivery_key, query_from_slack_text

log = logging.getLogger(__name__)


class _NoThreadContext(AssistantThreadContextStore):
    """briefbot does not use the channel a user was viewing: keep nothing, and so make no
    Web API calls to store or look it up (Bolt's default store reads the thread each time)."""

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        return None

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        return None


def dm_reply(services: Services, text: str, team_id: str | None = None) -> blocks.Message:
    """The answer to a direct message: the /brief answer (help when empty), nothing to share
    (a DM has nobody to share with)."""
    return brief_reply(services, query_from_slack_text(text), shareable=False, team_id=team_id)


def is_from_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A person's new message: not a bot's (ours included), not an edit or deletion."""
    return (
        not event.get("bot_id")
        and event.get("subtype") in (None, "file_share")
        and bool(event.get("user"))
        and event.get("user") != bot_user_id
    )


def _status(set_status: Any, text: str) -> None:
    """'is searching…' under the thread; not every app or plan has it, so a refusal is
    only logged (the answer matters, the status does not)."""
    if set_status is None:
        return
    try:
        set_status(text)
    except SlackApiError as exc:
        log.info("status not shown: %s", exc.response.get("error"))


def answer_dm(
    services: Services,
    body: dict[str, Any],
    event: dict[str, Any],
    say: Any,
    set_status: Any = None,
) -> None:
    """Answer in the thread of the message (once per event delivery)."""
    if not services.first_delivery(delivery_key(body)):
        return
    _status(set_status, "is looking through the statements…")
    reply = dm_reply(services, event.get("text", ""), body.get("team_id"))
    say(thread_ts=event.get("thread_ts") or event["ts"], **reply)


def answer_files(
    services: Services,
    body: dict[str, Any],
    event: dict[str, Any],
    say: Any,
    set_status: Any = None,
) -> None:
    """Files sent in a DM: offered for adding as statements (handlers.adding), once per
    event delivery."""
    from handlers.adding import offer_files

    if services.first_delivery(body.get("event_id")):
        offer_files(services, event, say, body.get("team_id"))


def register(app: Any, services: Services, later: Any) -> None:
    """Register the Messages tab, Bolt's Assistant and the plain ``message.im`` listener."""
    assistant = Assistant(thread_context_store=_NoThreadContext())

    @assistant.thread_started
    def welcome(say, set_suggested_prompts):
        say(**blocks.dm_welcome())
        set_suggested_prompts(prompts=blocks.DM_PROMPTS, title=blocks.DM_PROMPTS_TITLE)

    @assistant.user_message
    def in_assistant_thread(body, payload, say, set_status, set_title, context):
        if not is_from_a_person(payload, context.bot_user_id):
            return
        later.submit(
            lambda: _in_thread(services, body, payload, say, set_status, set_title),
            what="assistant message",
            client=context.client,
            channel=payload.get("channel"),
            user=payload.get("user"),
            thread_ts=payload.get("thread_ts"),
        )

    app.assistant(assistant)

    # Registered before handlers.home, whose app_home_opened listener takes the rest.
    @app.event("app_home_opened", matchers=[lambda event: event.get("tab") == "messages"])
    def messages_tab(event, set_suggested_prompts=None):
        if set_suggested_prompts is None:  # no DM channel in the event
            return
        later.submit(
            lambda: set_suggested_prompts(prompts=blocks.DM_PROMPTS, title=blocks.DM_PROMPTS_TITLE),
            what="suggested prompts",
        )

    @app.event("message", matchers=[lambda event: event.get("channel_type") == "im"])
    def direct_message(body, event, say, context, set_status=None):
        if not is_from_a_person(event, context.bot_user_id):
            return
        answer = answer_files if event.get("files") else answer_dm
        later.submit(
            lambda: answer(services, body, event, say, set_status),
            what="direct message",
            client=context.client,
            channel=event.get("channel"),
            user=event.get("user"),
            thread_ts=event.get("ts"),
        )


def _in_thread(
    services: Services, body: Any, payload: Any, say: Any, set_status: Any, set_title: Any
) -> None:
    query = query_from_slack_text(payload.get("text", ""))
    if query:
        try:
            set_title(blocks.cut(query, 100)[0])
        except SlackApiError as exc:
            log.info("thread title not set: %s", exc.response.get("error"))
    answer_dm(services, body, payload, say, set_status)
