"""Install into any workspace: Bolt's OAuth flow on the app's own database.

Used when ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are set and ``SLACK_BOT_TOKEN``
is not (see :attr:`bot.config.Settings.oauth`). Installations and OAuth states live in
briefbot's database through slack_sdk's ``SQLAlchemyInstallationStore`` and
``SQLAlchemyOAuthStateStore`` (same engine); Bolt's authorize looks up each workspace's
own bot token there. ``app_uninstalled`` and ``tokens_revoked`` delete the workspace's
installation and its settings. The bot scopes are read from ``manifest.yml``.

Tokens at rest: every token column is written encrypted with ``BRIEFBOT_TOKEN_KEY``
(Fernet; several keys rotate: the first encrypts, all decrypt) and decrypted only when
read (:class:`EncryptedInstallationStore`); at start-up rows still in plain text (made
by an older briefbot) or under an older key are re-encrypted with the first key. Expired
OAuth states are deleted as new ones are issued (:class:`PurgingStateStore`), and the
install page is rate-limited per client address (:class:`InstallLimiter`).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Text, delete, inspect, select, update

from bot.config import KEY_HOWTO, ConfigError, Settings
from bot.services import Services

log = logging.getLogger(__name__)

__all__ = [
    "MANIFEST",
    "EncryptedInstallationStore",
    "InstallLimiter",
    "OAuthStores",
    "PurgingStateStore",
    "TokenCipher",
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


#: Token columns of slack_sdk's installation tables: written encrypted.
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
#: Marks an encrypted value (a Slack token never starts so), so that a value is never
#: encrypted twice and rows written before encryption are recognised.
_SEALED = "enc:v1:"


class TokenCipher:
    """Fernet with rotation (``MultiFernet``): the first key encrypts, every key decrypts."""

    def __init__(self, keys: Iterable[str]) -> None:
        ferns = [Fernet(k.encode("ascii")) for k in keys]
        if not ferns:
            raise ConfigError(
                "BRIEFBOT_TOKEN_KEY: not set; installing into many workspaces (OAuth) keeps "
                f"each workspace's bot token in the database, encrypted with it; {KEY_HOWTO}"
            )
        self._fernet = MultiFernet(ferns)
        self._primary = ferns[0]

    def seal(self, value: str | None) -> str | None:
        """``value`` encrypted (None and already encrypted values unchanged)."""
        if value is None or value.startswith(_SEALED):
            return value
        return _SEALED + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, value: str | None) -> str | None:
        """``value`` decrypted; a plain (older) value as it is. Raises InvalidToken when
        no configured key opens it."""
        if value is None or not value.startswith(_SEALED):
            return value
        return self._fernet.decrypt(value[len(_SEALED) :].encode("ascii")).decode("utf-8")

    def reseal(self, value: str | None) -> str | None:
        """``value`` encrypted with the first key (from plain text or an older key), or
        None when it already is. Raises InvalidToken when no configured key opens it."""
        if value is None:
            return None
        if not value.startswith(_SEALED):
            return self.seal(value)
        token = value[len(_SEALED) :].encode("ascii")
        try:
            self._primary.decrypt(token)
            return None  # already under the first key
        except InvalidToken:
            return _SEALED + self._fernet.rotate(token).decode("ascii")


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store with every token encrypted at rest.

    Token columns are TEXT (an encrypted token is longer than slack_sdk's 200 characters).
    A row no configured key opens is logged (team id only) and treated as not installed.
    """

    def __init__(self, cipher: TokenCipher, **kwargs: Any) -> None:
        self.cipher = cipher
        super().__init__(**kwargs)
        for table in (self.bots, self.installations):
            for name in TOKEN_FIELDS:
                if name in table.c:
                    table.c[name].type = Text()

    def _sealed(self, entity: Any) -> Any:
        entity = copy.copy(entity)
        for name in TOKEN_FIELDS:
            if hasattr(entity, name):
                setattr(entity, name, self.cipher.seal(getattr(entity, name)))
        return entity

    def _opened(self, entity: Any) -> Any:
        if entity is None:
            return None
        try:
            for name in TOKEN_FIELDS:
                if hasattr(entity, name):
                    setattr(entity, name, self.cipher.open(getattr(entity, name)))
        except InvalidToken:
            log.error(
                "workspace %s: its stored token opens with no BRIEFBOT_TOKEN_KEY key; "
                "treated as not installed (restore the old key, or reinstall)",
                getattr(entity, "team_id", None),
            )
            return None
        return entity

    def save(self, installation: Any) -> None:
        """Store an installation (and its bot), tokens encrypted."""
        super().save(self._sealed(installation))

    def save_bot(self, bot: Any) -> None:
        """Store a bot, tokens encrypted (an already encrypted one is left as it is)."""
        super().save_bot(self._sealed(bot))

    def find_bot(self, **kwargs: Any) -> Any:
        """The latest bot of a workspace, tokens decrypted (None if none opens)."""
        return self._opened(super().find_bot(**kwargs))

    def find_installation(self, **kwargs: Any) -> Any:
        """The latest installation of a workspace, tokens decrypted."""
        return self._opened(super().find_installation(**kwargs))

    def migrate(self) -> int:
        """Encrypt rows still in plain text and move rows under an older key to the first
        key; widen the token columns of an older PostgreSQL table. Returns rows changed."""
        changed = 0
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                for table in (self.bots, self.installations):
                    found = {c["name"]: c["type"] for c in inspect(conn).get_columns(table.name)}
                    for name in TOKEN_FIELDS:
                        if name in found and not isinstance(found[name], Text):
                            conn.exec_driver_sql(
                                f'ALTER TABLE "{table.name}" ALTER COLUMN "{name}" TYPE TEXT'
                            )
            for table in (self.bots, self.installations):
                names = [n for n in TOKEN_FIELDS if n in table.c]
                columns = [table.c.id, table.c.team_id, *(table.c[n] for n in names)]
                for row in conn.execute(select(*columns)).mappings().all():
                    values = {}
                    for name in names:
                        try:
                            new = self.cipher.reseal(row[name])
                        except InvalidToken:
                            log.error(
                                "workspace %s: a stored token opens with no "
                                "BRIEFBOT_TOKEN_KEY key; left as it is",
                                row["team_id"],
                            )
                            continue
                        if new is not None:
                            values[name] = new
                    if values:
                        conn.execute(update(table).where(table.c.id == row["id"]).values(**values))
                        changed += 1
        if changed:
            log.info("installation tokens: %d row(s) encrypted with the first key", changed)
        return changed


class PurgingStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's SQLAlchemy OAuth state store that deletes expired states as it issues
    new ones (at most once every ``purge_every`` seconds), so install page visits that
    never came back do not pile up."""

    purge_every: float = 60.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._purged_at = float("-inf")
        self._purge_lock = threading.Lock()

    def purge(self, now: datetime | None = None) -> int:
        """Delete every state expired at ``now``; returns how many."""
        from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db

        at = normalize_datetime_for_db(now or datetime.now(UTC))
        c = self.oauth_states.c
        with self.engine.begin() as conn:
            return int(conn.execute(delete(self.oauth_states).where(c.expire_at <= at)).rowcount)

    def issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state; expired ones are purged first (now and then)."""
        with self._purge_lock:
            due = time.monotonic() - self._purged_at >= self.purge_every
            if due:
                self._purged_at = time.monotonic()
        if due:
            gone = self.purge()
            if gone:
                log.info("OAuth states: %d expired deleted", gone)
        return str(super().issue(*args, **kwargs))


class InstallLimiter:
    """At most ``limit`` install page views per client address per ``window`` seconds
    (a sliding window, per process); remembers at most ``max_clients`` addresses."""

    def __init__(
        self, limit: int = 10, window: float = 60.0, *, max_clients: int = 10_000
    ) -> None:
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._seen: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """True when ``client`` may have the install page now (the view is counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = [t for t in self._seen.pop(client, []) if t > now - self.window]
            allowed = len(times) < self.limit
            if allowed:
                times.append(now)
            self._seen[client] = times
            while len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)
            return allowed


class OAuthStores:
    """slack_sdk's SQLAlchemy installation and state stores on the app's engine, tokens
    encrypted with ``BRIEFBOT_TOKEN_KEY`` (a ConfigError when it is not set)."""

    def __init__(self, settings: Settings, services: Services) -> None:
        if services.store is None:
            raise ConfigError("DATABASE_URL: installing into workspaces needs a database")
        cipher = TokenCipher(settings.token_keys)
        engine = services.store.engine
        assert settings.client_id  # Settings.oauth checked it
        self.installations = EncryptedInstallationStore(
            cipher, client_id=settings.client_id, engine=engine, logger=log
        )
        self.states = PurgingStateStore(
            expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, logger=log
        )
        # checkfirst: existing tables are kept (create_all is idempotent).
        self.installations.create_tables()
        self.states.create_tables()
        self.installations.migrate()
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
    from handlers.client import build_client
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
