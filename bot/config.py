"""Settings, read from the environment in one place.

``load_dotenv()`` is called only by the entry point (:mod:`bot.cli`), and real
environment variables win over ``.env``. Every setting is listed, with a
comment, in ``.env.example``; a test checks the two agree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ENV_VARS",
    "ConfigError",
    "Settings",
    "mask_url",
    "parse_kinds",
    "parse_leads",
    "redact",
]

#: Kinds of dated items (as in :data:`bot.commitments.KINDS`; repeated here so that
#: reading the configuration imports nothing else).
ITEM_KINDS = ("commitment", "call", "event", "target")

#: Every environment variable briefbot reads, in .env.example order.
ENV_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "PORT",
    "BRIEFBOT_CORPUS",
    "DATABASE_URL",
    "BRIEFBOT_REMINDER_CHANNEL",
    "BRIEFBOT_TIMEZONE",
    "BRIEFBOT_REMINDER_LEADS",
    "BRIEFBOT_REMINDER_TIME",
    "BRIEFBOT_REMINDER_KINDS",
    "BRIEFBOT_GRACE",
    "BRIEFBOT_LOG_LEVEL",
    "BRIEFBOT_LISTENER_THREADS",
    "BRIEFBOT_ANSWER_THREADS",
    "BRIEFBOT_SLACK_TIMEOUT",
    "BRIEFBOT_DB_TIMEOUT",
    "BRIEFBOT_HTTP_THREADS",
    "BRIEFBOT_HTTP_MAX_BODY",
    "BRIEFBOT_HTTP_IDLE_TIMEOUT",
    "BRIEFBOT_HTTP_MAX_CONNECTIONS",
    "BRIEFBOT_SHUTDOWN_GRACE",
    "BRIEFBOT_WEB_WORKERS",
    "BRIEFBOT_SENTENCE_ENCODER",
    "BRIEFBOT_CACHE_DIR",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "BRIEFBOT_INDEX_CACHE",
    "BRIEFBOT_EDITORS",
    "BRIEFBOT_TOKEN_KEY",
    "BRIEFBOT_SHARE_STATEMENTS",
    "BRIEFBOT_SOURCES_TICK",
)

DEFAULT_DB_URL = "sqlite:///var/briefbot.db"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def redact(value: str | None) -> str:
    """A secret as safe to print: kind prefix and length only."""
    if not value:
        return "(unset)"
    prefix = value.split("-", 1)[0] if value.startswith("xox") else ""
    return f"{prefix + '-' if prefix else ''}…({len(value)} chars)"


# The authority's credentials run to its last "@" (a password may hold an unencoded "@").
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#\s]*)@")
_SECRET_PARAM = re.compile(r"(?i)([?&](?:token|key|secret|password|pass|sig)=)[^&#\s]*")


def mask_url(text: str) -> str:
    """``text`` with the credentials of any URL in it masked: the password of
    ``scheme://user:password@host`` becomes ``***`` (a lone user part, which may be a
    token, too), and so do ``token=``, ``key=``, ``secret=``, ``password=`` parameters."""

    def mask(m: re.Match[str]) -> str:
        user, colon, _ = m.group("userinfo").partition(":")
        return f"{m.group('scheme')}{user}:***@" if colon else f"{m.group('scheme')}***@"

    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(mask, text))


_DURATION = re.compile(r"^(\d+)\s*([dhm])$")


def parse_leads(text: str) -> tuple[timedelta, ...]:
    """'30d,7d,0d' -> lead times, largest first. Raises ConfigError on junk."""
    leads: list[timedelta] = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        m = _DURATION.match(part)
        if not m:
            raise ConfigError(
                f"BRIEFBOT_REMINDER_LEADS: {part!r} is not a lead time; use e.g. '30d,7d,0d' "
                "(d = days, h = hours, m = minutes)"
            )
        n, unit = int(m.group(1)), m.group(2)
        if n > {"d": 3650, "h": 87600, "m": 5_256_000}[unit]:
            raise ConfigError(f"BRIEFBOT_REMINDER_LEADS: {part!r} is more than ten years")
        leads.append(
            {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]
        )
    if not leads:
        raise ConfigError("BRIEFBOT_REMINDER_LEADS: no lead times given; use e.g. '30d,7d,0d'")
    return tuple(sorted(set(leads), reverse=True))


def _parse_time(text: str) -> time:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ConfigError(
            f"BRIEFBOT_REMINDER_TIME: {text!r} is not a time of day; use HH:MM, e.g. 09:00"
        )
    return time(int(m.group(1)), int(m.group(2)))


def _check_db_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        _ = parsed.port
    except (ArgumentError, ValueError):
        raise ConfigError(
            "DATABASE_URL: not a database URL; use e.g. sqlite:///var/briefbot.db or "
            "postgresql+psycopg://user@host/db"
        ) from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    supported = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}
    if driver not in supported.get(backend, set()):
        raise ConfigError(
            f"DATABASE_URL: {parsed.drivername!r} is not supported; use sqlite:///PATH or "
            "postgresql+psycopg://user@host/db"
        )
    return url


def _bounded_int(name: str, text: str, low: int, high: int, unit: str = "") -> int:
    """A whole number within [low, high], or a ConfigError naming the variable."""
    value = text.strip().lower()
    scale = 1
    if unit == "bytes" and value[-1:] in {"k", "m"}:
        scale = 1024 if value[-1] == "k" else 1024 * 1024
        value = value[:-1]
    if not value.isdigit() or not low <= int(value) * scale <= high:
        suffix = " (a number of bytes, or with k or m, e.g. 1m)" if unit == "bytes" else ""
        raise ConfigError(f"{name}: {text!r} is not a whole number from {low} to {high}{suffix}")
    return int(value) * scale


def _parse_port(text: str) -> int:
    if not text.strip().isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"PORT: {text!r} is not a TCP port number (1-65535)")
    return int(text)


#: Production limits: (attribute, variable, default, lowest, highest, unit).
_LIMITS = (
    ("listener_threads", "BRIEFBOT_LISTENER_THREADS", "16", 1, 512, ""),
    ("answer_threads", "BRIEFBOT_ANSWER_THREADS", "32", 1, 512, ""),
    ("slack_timeout", "BRIEFBOT_SLACK_TIMEOUT", "10", 1, 120, ""),
    ("db_timeout", "BRIEFBOT_DB_TIMEOUT", "5", 1, 60, ""),
    ("http_threads", "BRIEFBOT_HTTP_THREADS", "8", 1, 256, ""),
    ("http_max_body", "BRIEFBOT_HTTP_MAX_BODY", "1m", 1024, 64 * 1024 * 1024, "bytes"),
    ("http_idle_timeout", "BRIEFBOT_HTTP_IDLE_TIMEOUT", "15", 1, 600, ""),
    ("http_max_connections", "BRIEFBOT_HTTP_MAX_CONNECTIONS", "1000", 10, 100_000, ""),
    ("shutdown_grace", "BRIEFBOT_SHUTDOWN_GRACE", "20", 0, 600, ""),
    ("web_workers", "BRIEFBOT_WEB_WORKERS", "1", 1, 64, ""),
    ("sources_tick", "BRIEFBOT_SOURCES_TICK", "30", 1, 3600, ""),
)


def user_cache(env: Mapping[str, str]) -> Path:
    """briefbot's folder in the user's cache: ``$XDG_CACHE_HOME/briefbot`` (from ``env``,
    else the process's environment), else ``~/.cache/briefbot``."""
    xdg = (env.get("XDG_CACHE_HOME") or os.environ.get("XDG_CACHE_HOME") or "").strip()
    return Path(xdg or Path.home() / ".cache") / "briefbot"


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """``$BRIEFBOT_CACHE_DIR``, else :func:`user_cache`."""
    explicit = (env.get("BRIEFBOT_CACHE_DIR") or "").strip()
    return Path(explicit) if explicit else user_cache(env)


def parse_switch(name: str, text: str) -> bool:
    """``on``/``off`` (also true/false, yes/no, 1/0) -> bool, or a ConfigError."""
    value = text.strip().lower()
    if value in {"on", "true", "yes", "1"}:
        return True
    if value in {"off", "false", "no", "0"}:
        return False
    raise ConfigError(f"{name}: {text!r} is not on or off")


#: Slack user ids (``U…``, or ``W…`` on Enterprise Grid).
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
#: Slack team (workspace) ids.
_TEAM_ID = re.compile(r"^T[A-Z0-9]{2,30}$")
#: The most editors ``BRIEFBOT_EDITORS`` may list.
MAX_EDITORS = 500


def parse_editors(text: str) -> frozenset[str]:
    """``"T0123AB:U012AB,U034CD"`` -> who may add, replace and remove statements from
    Slack; empty = nobody (besides the editors a workspace admin names in App Home).

    ``T…:U…`` is a user of one workspace (team id : user id); a plain ``U…`` is a user of
    the single workspace (bot token mode) and counts in no workspace installed through
    OAuth. Raises ConfigError on anything else."""
    entries = [p.strip() for p in text.split(",") if p.strip()]
    for entry in entries:
        team, colon, user = entry.rpartition(":")
        if (colon and not _TEAM_ID.match(team)) or not _USER_ID.match(user):
            raise ConfigError(
                f"BRIEFBOT_EDITORS: {entry[:40]!r} is not a Slack user id; use a comma list "
                "like U012AB3CD,T0123ABCD:U045EF6GH (profile > ⋮ > Copy member ID; the "
                "T… team id first for a workspace installed through OAuth)"
            )
    if len(entries) > MAX_EDITORS:
        raise ConfigError(f"BRIEFBOT_EDITORS: more than {MAX_EDITORS} user ids")
    return frozenset(entries)


#: How to make a key for ``BRIEFBOT_TOKEN_KEY`` (quoted in its error messages).
KEY_HOWTO = (
    "make one with: python -c \"from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())\""
)


def parse_token_keys(text: str) -> tuple[str, ...]:
    """``BRIEFBOT_TOKEN_KEY``: Fernet keys, comma separated, newest first (the first
    encrypts, every one decrypts: add a new key in front to rotate, drop the old one once
    briefbot has started with both). Raises ConfigError naming the bad key by position,
    never showing it."""
    from cryptography.fernet import Fernet

    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    for n, key in enumerate(keys, 1):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ConfigError(
                f"BRIEFBOT_TOKEN_KEY: key {n} of {len(keys)} is not a Fernet key "
                f"(32 bytes, URL-safe base64); {KEY_HOWTO}"
            ) from None
    return keys


def parse_kinds(text: str) -> frozenset[str]:
    """``"commitment,event"`` -> the kinds of dated items that get reminders."""
    kinds = [k.strip().lower() for k in text.split(",") if k.strip()]
    bad = [k for k in kinds if k not in ITEM_KINDS]
    if bad or not kinds:
        what = f"{bad[0]!r} is not a kind" if bad else "no kinds given"
        raise ConfigError(
            f"BRIEFBOT_REMINDER_KINDS: {what}; use a comma list of {', '.join(ITEM_KINDS)}"
        )
    return frozenset(kinds)


def _index_cache(value: str | None, env: Mapping[str, str]) -> Path | None:
    """``BRIEFBOT_INDEX_CACHE``: a directory, ``off``, or unset for the user cache dir."""
    if value and value.lower() in {"off", "none", "0", "false"}:
        return None
    if value:
        return Path(value).expanduser()
    return user_cache(env) / "index"


@dataclass(frozen=True)
class Settings:
    """Validated configuration. Build with :meth:`from_env`."""

    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str = "https://slack.com/api/"
    port: int = 3000
    corpus_dir: Path = Path("corpus")
    database_url: str = field(default=DEFAULT_DB_URL, repr=False)  # may hold a password
    reminder_channel: str | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    reminder_leads: tuple[timedelta, ...] = (timedelta(days=30), timedelta(days=7), timedelta(0))
    reminder_time: time = time(9, 0)
    reminder_kinds: frozenset[str] = frozenset(ITEM_KINDS)
    grace: timedelta = timedelta(days=2)
    log_level: str = "INFO"
    #: Bolt's listener threads: they only acknowledge and hand work on, so few suffice.
    listener_threads: int = 16
    #: Threads that answer after the ack (response_url, Web API, database).
    answer_threads: int = 32
    #: Seconds for any Slack Web API or response_url call.
    slack_timeout: int = 10
    #: Seconds for a database connection and for any one statement.
    db_timeout: int = 5
    #: HTTP server: request threads, body cap (bytes), idle connection timeout (s),
    #: open connections at most, and how long SIGTERM waits for work in flight (s).
    http_threads: int = 8
    http_max_body: int = 1024 * 1024
    http_idle_timeout: int = 15
    http_max_connections: int = 1000
    shutdown_grace: int = 20
    #: HTTP mode: processes serving the port (forked after the index is built).
    web_workers: int = 1
    #: Seconds between the scheduler's looks for followed sources that are due.
    sources_tick: int = 30
    #: Search: the sentence encoder signal (bot.search.encoder), when installed.
    sentence_encoder: bool = True
    #: Built things kept between runs (clause sentence vectors).
    cache_dir: Path = field(default_factory=lambda: default_cache_dir(os.environ))
    #: OAuth (install into any workspace): used only when no bot token is set.
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    #: Slack user ids allowed to add, replace and remove statements from Slack: ``U…``
    #: (the single workspace) or ``T…:U…`` (that workspace); empty: nobody but those a
    #: workspace admin names in App Home. The command line is unaffected.
    editors: frozenset[str] = frozenset()
    #: Fernet keys that encrypt the installation tokens stored in the database, newest
    #: first (``BRIEFBOT_TOKEN_KEY``); required in OAuth mode.
    token_keys: tuple[str, ...] = field(default=(), repr=False)
    #: Installed into many workspaces: serve statements added in one workspace to all of
    #: them too (one organisation with several workspaces). Off: each sees its own.
    share_statements: bool = False
    #: Let URLs pasted in Slack reach loopback and private addresses. For tests only: no
    #: environment variable sets it (a pasted URL must not read the internal network).
    allow_private_urls: bool = False

    @property
    def oauth(self) -> bool:
        """True when briefbot installs into many workspaces (client id and secret set and
        no ``SLACK_BOT_TOKEN``, which takes precedence: one workspace, its own token)."""
        return bool(self.client_id and self.client_secret and not self.bot_token)
    #: Where the built search index is kept between starts (None: never kept).
    index_cache: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read and validate settings; raises :class:`ConfigError` naming the bad variable."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token and not bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN: must be a bot token starting with 'xoxb-'")
        app_token = get("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN: must be an app-level token starting with 'xapp-'")
        api_url = get("SLACK_API_URL") or "https://slack.com/api/"
        if not re.match(r"^https?://", api_url):
            raise ConfigError(
                f"SLACK_API_URL: {mask_url(api_url)!r} must start with http:// or https://"
            )
        if not api_url.endswith("/"):
            api_url += "/"
        tz_name = get("BRIEFBOT_TIMEZONE") or "UTC"
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"BRIEFBOT_TIMEZONE: {tz_name!r} is not an IANA time zone name (e.g. Europe/Berlin)"
            ) from None
        grace_text = get("BRIEFBOT_GRACE") or "2d"
        try:
            grace = parse_leads(grace_text.replace(",", ""))[0]
        except ConfigError:
            raise ConfigError(
                f"BRIEFBOT_GRACE: {grace_text!r} is not a duration of up to ten years; "
                "use e.g. '2d' or '12h'"
            ) from None
        level = (get("BRIEFBOT_LOG_LEVEL") or "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(f"BRIEFBOT_LOG_LEVEL: {level!r} is not DEBUG, INFO, WARNING or ERROR")
        client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
        if bool(client_id) != bool(client_secret):
            missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
            raise ConfigError(
                f"{missing}: not set; installing into many workspaces (OAuth) needs both "
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information page)"
            )
        values: dict[str, object] = {
            "client_id": client_id,
            "client_secret": client_secret,
            "bot_token": bot_token,
            "signing_secret": get("SLACK_SIGNING_SECRET"),
            "app_token": app_token,
            "api_url": api_url,
            "port": _parse_port(get("PORT") or "3000"),
            "corpus_dir": Path(get("BRIEFBOT_CORPUS") or "corpus"),
            "database_url": get("DATABASE_URL") or DEFAULT_DB_URL,
            "reminder_channel": get("BRIEFBOT_REMINDER_CHANNEL"),
            "timezone": tz,
            "reminder_leads": parse_leads(get("BRIEFBOT_REMINDER_LEADS") or "30d,7d,0d"),
            "reminder_time": _parse_time(get("BRIEFBOT_REMINDER_TIME") or "09:00"),
            "reminder_kinds": parse_kinds(get("BRIEFBOT_REMINDER_KINDS") or ",".join(ITEM_KINDS)),
            "grace": grace,
            "log_level": level,
            "sentence_encoder": parse_switch(
                "BRIEFBOT_SENTENCE_ENCODER", get("BRIEFBOT_SENTENCE_ENCODER") or "on"
            ),
            "cache_dir": default_cache_dir(env),
            "index_cache": _index_cache(get("BRIEFBOT_INDEX_CACHE"), env),
            "editors": parse_editors(get("BRIEFBOT_EDITORS") or ""),
            "token_keys": parse_token_keys(get("BRIEFBOT_TOKEN_KEY") or ""),
            "share_statements": parse_switch(
                "BRIEFBOT_SHARE_STATEMENTS", get("BRIEFBOT_SHARE_STATEMENTS") or "off"
            ),
            **{
                attr: _bounded_int(var, get(var) or default, low, high, unit)
                for attr, var, default, low, high, unit in _LIMITS
            },
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["database_url"] = _check_db_url(str(values["database_url"]))
        return cls(**values)  # type: ignore[arg-type]

    def require(self, *names: str) -> None:
        """Raise ConfigError for the first of these settings that is unset."""
        env_names = {
            "bot_token": "SLACK_BOT_TOKEN",
            "signing_secret": "SLACK_SIGNING_SECRET",
            "app_token": "SLACK_APP_TOKEN",
            "reminder_channel": "BRIEFBOT_REMINDER_CHANNEL",
            "client_id": "SLACK_CLIENT_ID",
            "client_secret": "SLACK_CLIENT_SECRET",
        }
        for name in names:
            if not getattr(self, name):
                raise ConfigError(f"{env_names.get(name, name)}: not set (see .env.example)")
