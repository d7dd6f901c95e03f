"""Followed sources in Slack: the announcement of each statement a source brought
(posted to the workspace's channel by the scheduler) and its "Dated items" button."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.services import Services
from bot.sources import Announcement, parse_kinds
from bot.store import DEFAULT_TEAM
from bot.tracking import CommitmentQuery
from handlers import blocks
from handlers import source_views as V

REFUSAL = "Only briefbot's editors can follow or stop following sources."

__all__ = [
    "SlackAnnouncer",
    "add_from_slack",
    "dated_items_reply",
    "follow_sources",
    "follow_workspaces_sources",
    "register",
    "workspaces_sources_tick",
]

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


def workspaces_sources_tick(settings: Any, services: Services, stores: Any) -> Any:
    """The sources job when installed into many workspaces (OAuth): every installed
    workspace's due sources are checked; each new statement is announced in its own
    workspace's channel with its own token. A workspace without a channel gets its
    statements stored; their announcements wait (tried again every few minutes) until an
    admin sets one in App Home."""
    from bot.sources import check_due
    from bot.workspaces import effective_settings, load
    from handlers.client import build_client
    from handlers.install import installed_workspaces

    def tick() -> int:
        try:
            teams: list[str] = []
            announcers: dict[str, SlackAnnouncer] = {}
            for team, token in installed_workspaces(stores):
                teams.append(team)
                channel = effective_settings(settings, load(services.store, team)).reminder_channel
                if channel:
                    client = build_client(settings, idempotent=True)
                    client.token = token
                    announcers[team] = SlackAnnouncer(client, channel)

            def announce(note: Announcement) -> None:
                target = announcers.get(note.team_id)
                if target is None:
                    raise AnnounceError(
                        "the workspace has no channel for briefbot's posts (an admin sets "
                        "one in App Home)"
                    )
                target(note)

            return len(check_due(services.library, announce=announce, team_ids=teams))
        except Exception:
            log.exception("followed sources: the check failed")
            return 0

    return tick


def follow_workspaces_sources(
    scheduler: Any, settings: Any, services: Services, stores: Any
) -> None:
    """Add :func:`workspaces_sources_tick` to ``scheduler`` (OAuth mode)."""
    from bot.scheduler import add_sources_job

    add_sources_job(
        scheduler, workspaces_sources_tick(settings, services, stores), settings=settings
    )


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


def _values(view: dict[str, Any]) -> dict[str, str]:
    state = (view.get("state") or {}).get("values") or {}
    return {
        field: str(((state.get(field) or {}).get(field) or {}).get("value") or "").strip()
        for field in V.FIELDS
    }


def add_from_slack(
    services: Services, values: dict[str, str], *, team_id: str | None, user: str
) -> dict[str, str]:
    """Follow the source an editor typed; {} when done, else {field: problem}. Public
    addresses only (unless the settings allow private ones, for tests)."""
    from bot.sources import SourceError, add_source

    if services.store is None:
        return {"url": "The database is not available; try again in a minute."}
    field = "url"
    try:
        field = "kinds"
        parse_kinds(values.get("kinds", ""))
        field = "url"
        add_source(
            services.store,
            values.get("url", ""),
            name=values.get("name") or None,
            match=values.get("match", ""),
            kinds=values.get("kinds", ""),
            team_id=services.team_key(team_id),
            added_by=user,
            allow_private=services.settings.allow_private_urls,
        )
    except SourceError as exc:
        message = str(exc)
        if "name" in message and ("exists" in message or "usable" in message):
            field = "name"
        return {field: message[:300]}
    return {}


def register(app: Any, services: Services, later: Any) -> None:
    """The "Dated items" button under an announcement; App Home's "Add a source" (its
    modal) and Remove, for editors."""
    from handlers.home import home_for

    def republish(client: Any, user: str, team: str | None) -> None:
        client.views_publish(user_id=user, view=home_for(services, team_id=team, user_id=user))

    @app.action(V.ACTION_SOURCE_ADD)
    def open_add(ack, body, client, context):
        ack()
        user, trigger = body["user"]["id"], body["trigger_id"]
        if not services.is_editor(context.team_id, user):
            log.warning("add source refused: %s is not an editor", user)
            return
        later.submit(
            lambda: client.views_open(trigger_id=trigger, view=V.add_source_view()),
            what="add source",
        )

    @app.view(V.VIEW_SOURCE_ADD)
    def submit_add(ack, body, view, client, context):
        user, team = body["user"]["id"], context.team_id
        if not services.is_editor(team, user):
            ack(response_action="errors", errors={"url": REFUSAL})
            return
        problems = add_from_slack(services, _values(view), team_id=team, user=user)
        if problems:
            ack(response_action="errors", errors=problems)
            return
        ack()
        later.submit(lambda: republish(client, user, team), what="App Home")

    @app.action(V.ACTION_SOURCE_REMOVE)
    def remove(ack, body, action, client, context):
        ack()
        user, team, name = body["user"]["id"], context.team_id, str(action.get("value", ""))

        def run() -> None:
            from bot.sources import SourceError, remove_source

            if services.is_editor(team, user) and services.store is not None:
                try:
                    remove_source(services.store, name, team_id=services.team_key(team))
                except SourceError as exc:  # removed meanwhile
                    log.info("remove source %s from App Home: %s", name, exc)
            else:
                log.warning("remove source %s refused: %s is not an editor", name, user)
            republish(client, user, team)

        later.submit(run, what="remove source")

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
