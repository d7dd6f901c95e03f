"""The App Home tab."""

from __future__ import annotations

import logging
from typing import Any

from bot.services import Services
from handlers import blocks

log = logging.getLogger(__name__)


def home_for(
    services: Services, team_id: str | None = None, user_id: str | None = None
) -> dict[str, Any]:
    """The Home view for the current corpus and commitments; installed into many
    workspaces (OAuth), also the workspace's settings and editors (see
    handlers.workspace); for an editor of the workspace, its added statements with Remove
    buttons."""
    upcoming, overdue = services.commitment_rows_for_home(team_id)
    rows = services.document_rows(team_id)
    view = blocks.home_view(rows, upcoming=upcoming, overdue=overdue)
    if services.store is not None and services.is_editor(team_id, user_id):
        from handlers.library_views import library_blocks

        owner = services.team_key(team_id) if services.settings.oauth else None
        own = library_blocks(services.library.list_statements(team_id=owner))
        own += _sources(services, team_id)
        view["blocks"] = (view["blocks"][:2] + own + view["blocks"][2:])[: blocks.MAX_HOME_BLOCKS]
    if team_id and services.settings.oauth and services.store is not None:
        from bot import workspaces
        from handlers.workspace import editors_blocks, settings_blocks

        own = settings_blocks(services.settings, workspaces.load(services.store, team_id))
        from_env = sum(1 for e in services.settings.editors if e.startswith(f"{team_id}:"))
        own[2:2] = editors_blocks(services.store.editors(team_id), from_env)
        view["blocks"] = (view["blocks"][:2] + own + view["blocks"][2:])[: blocks.MAX_HOME_BLOCKS]
    return view


def _sources(services: Services, team_id: str | None) -> list[dict[str, Any]]:
    """The workspace's followed sources, for an editor (nothing if they cannot be read)."""
    from bot.sources import list_sources
    from handlers.source_views import sources_blocks

    try:
        return sources_blocks(list_sources(services.store, team_id=services.team_key(team_id)))
    except Exception:  # App Home still opens without them
        log.exception("App Home: the followed sources could not be read")
        return []


def register(app: Any, services: Services, later: Any) -> None:
    """Publish the Home tab when a user opens it."""

    @app.event("app_home_opened")
    def on_home_opened(event, client, context):
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        team_id = context.team_id
        later.submit(
            lambda: client.views_publish(
                user_id=event["user"],
                view=home_for(services, team_id=team_id, user_id=event["user"]),
            ),
            what="App Home",
        )
