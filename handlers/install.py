"""Install into any workspace: Bolt's OAuth flow on the app's own database.

Used when ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are set and ``SLACK_BOT_TOKEN``
is not (see :attr:`bot.config.Settings.oauth`). Installations and OAuth states live in
briefbot's database through slack_sdk's ``SQLAlchemyInstallationStore`` and
``SQLAlchemyOAuthStateStore`` (same engine); Bolt's authorize looks up each workspace's
own bot token there. ``app_uninstalled`` and ``tokens_revoked`` delete the workspace's
installation and its settings. The bot scopes are read from ``manifest.yml``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.services import Services

log = logging.getLogger(__name__)

__all__ = [
    "MANIFEST",
    "OAuthStores",
    "installed_workspaces",
    "manifest_scopes",
    "oauth_settings",
    "open_stores",
    "register",
    "workspace_posters",
    "workspaces_tick",
]

#: The Slack app manifest: the one place the bot scopes are listed.
MANIFEST = Path(__file__).resolve().parent / "manifest.yml"
#: How long an install link (its OAuth state) stays valid, in seconds.
STATE_EXPIRATION_SECONDS = 600


def manifest_scopes(path: Path = MANIFEST) -> list[str]:
    """The bot scopes of ``manifest.yml`` (``oauth_config.scopes.bot``)."""
    try:
        manifest = yaml.safe_load(path.read_text("utf-8"))
        scopes = [str(s) for s in manifest["oauth_config"]["scopes"]["bot"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"SLACK_CLIENT_ID: installing needs the bot scopes from {path.name} "
            f"(oauth_config.scopes.bot), which could not be read ({type(exc).__name__})"
        ) from None
    if not scopes:
        raise ConfigError(f"SLACK_CLIENT_ID: {path.name} lists no bot scopes")
    return scopes


class OAuthStores:
    """slack_sdk's SQLAlchemy installation and state stores on the app's engine."""

    def __init__(self, settings: Settings, services: Services) -> None:
        if services.store is None:
            raise ConfigError("DATABASE_URL: installing into workspaces needs a database")
        engine = services.store.engine
        assert settings.client_id  # Settings.oauth checked it
        self.installations = SQLAlchemyInstallationStore(
            client_id=settings.client_id, engine=engine, logger=log
        )
        self.states = SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, logger=log
        )
        # checkfirst: existing tables are kept (create_all is idempotent).
        self.installations.create_tables()
        self.states.create_tables()
        if engine.dialect.name != "sqlite":  # (an in-memory SQLite lives in its one connection)
            # No pooled server connection may outlive this into forked web workers.
            engine.dispose()


def open_stores(settings: Settings, services: Services) -> OAuthStores:
    """The stores, tables created; a database that cannot be opened is a ConfigError."""
    from bot.store import database_problem

    try:
        return OAuthStores(settings, services)
    except ConfigError:
        raise
    except Exception as exc:
        problem = database_problem(exc, settings.database_url)
        if problem is None:
            raise
        raise ConfigError(problem) from None


def oauth_settings(settings: Settings, stores: OAuthStores) -> Any:
    """Bolt's ``OAuthSettings``: ``/slack/install`` and ``/slack/oauth_redirect``."""
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    return OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=manifest_scopes(),
        installation_store=stores.installations,
        installation_store_bot_only=True,
        state_store=stores.states,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        logger=log,
    )


def installed_workspaces(stores: OAuthStores) -> Iterator[tuple[str, str]]:
    """(team id, bot token) of every workspace with briefbot installed, latest install."""
    bots = stores.installations.bots
    query = (
        select(bots.c.enterprise_id, bots.c.team_id)
        .where(bots.c.client_id == stores.installations.client_id, bots.c.team_id.is_not(None))
        .distinct()
    )
    with stores.installations.engine.connect() as conn:
        teams = [(r.enterprise_id, r.team_id) for r in conn.execute(query)]
    for enterprise_id, team_id in sorted(teams, key=lambda t: t[1]):
        bot = stores.installations.find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is not None and bot.bot_token:
            yield team_id, bot.bot_token


def workspaces_tick(
    settings: Settings,
    services: Services,
    stores: OAuthStores,
    *,
    owner: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Callable[[], Any]:
    """The scheduler's job with OAuth: every installed workspace's due reminders, posted
    to its channel with its own token (:func:`bot.workspaces.run_workspaces`)."""
    from bot.workspaces import run_workspaces

    def tick() -> Any:
        return run_workspaces(
            services.store,
            services.commitments,
            workspace_posters(settings, services, installed_workspaces(stores)),
            now=clock(),
            settings=settings,
            owner=owner,
            hidden=services.hidden_docs,
        )

    return tick


def workspace_posters(
    settings: Settings, services: Services, installed: Iterable[tuple[str, str]]
) -> Iterator[tuple[str, Any]]:
    """(team id, reminder poster with its bot token) for each (team id, token) installed
    (:func:`installed_workspaces`)."""
    from bot.app import build_client
    from handlers.reminders import SlackPoster

    for team_id, token in installed:
        client = build_client(settings, idempotent=True)
        client.token = token
        yield team_id, SlackPoster(client, status_of=services.status_of(team_id))


def register(app: Any, services: Services, stores: OAuthStores) -> None:
    """Forget a workspace when it uninstalls briefbot or revokes its bot token."""

    def forget(enterprise_id: str | None, team_id: str | None, why: str) -> None:
        if not team_id and not enterprise_id:
            return
        if team_id:  # settings first: once the installation is gone, all of it is
            services.store.delete_workspace_settings(team_id)
        stores.installations.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        log.info("workspace %s: %s; its installation and settings are deleted", team_id, why)

    @app.event("app_uninstalled")
    def on_uninstalled(context):
        forget(context.enterprise_id, context.team_id, "briefbot was uninstalled")

    @app.event("tokens_revoked")
    def on_tokens_revoked(event, context):
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            forget(context.enterprise_id, context.team_id, "its bot token was revoked")
        for user_id in tokens.get("oauth") or []:
            stores.installations.delete_installation(
                enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
            )
