"""The Slack app factory: ``build_app(settings, services, client=None) -> slack_bolt.App``.

This module and :mod:`bot.serve` are the only core modules that import Slack.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.services import Services

log = logging.getLogger(__name__)

__all__ = ["build_app", "build_client"]

APOLOGY = (
    ":warning: Sorry, something went wrong on my side while answering. "
    "Try again in a moment; if it keeps happening, tell the team that runs briefbot."
)


def build_client(
    settings: Settings, *, max_retries: int = 2, idempotent: bool = False
) -> WebClient:
    """A WebClient for ``SLACK_API_URL`` that retries 429 (after Retry-After), 5xx and
    connection errors.

    ``idempotent=True`` retries only 429, where Slack guarantees nothing was done: the
    reminder poster uses it, because a 5xx or a dropped connection may come *after* the
    message was posted; the reminder ledger then checks the channel before posting again.
    """
    handlers = [RateLimitErrorRetryHandler(max_retry_count=max_retries)]
    if not idempotent:
        handlers += [
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries),
        ]
    return WebClient(token=settings.bot_token, base_url=settings.api_url, retry_handlers=handlers)


def build_app(
    settings: Settings,
    services: Services,
    client: WebClient | None = None,
    **app_options: Any,
) -> App:
    """Build the Bolt app with every listener registered. Needs the bot token and signing
    secret (ConfigError otherwise); nothing is started."""
    from handlers import register

    settings.require("bot_token", "signing_secret")
    client = client or build_client(settings)
    app = App(
        signing_secret=settings.signing_secret,
        client=client,
        logger=logging.getLogger("briefbot.slack"),
        **app_options,
    )

    @app.error
    def on_error(error, body, logger, respond=None, say=None):
        logger.error("listener failed: %s", type(error).__name__, exc_info=error)
        event = body.get("event") or {}
        try:
            if respond is not None and _has_response_url(body):
                respond(response_type="ephemeral", replace_original=False, text=APOLOGY)
            elif say is not None and event.get("channel"):
                say(text=APOLOGY, thread_ts=event.get("thread_ts") or event.get("ts"))
        except Exception:  # the apology itself failed: already logged above, nothing else to do
            logger.warning("could not send the apology", exc_info=True)

    register(app, services)
    return app


def _has_response_url(body: dict[str, Any]) -> bool:
    return bool(body.get("response_url") or body.get("response_urls"))
