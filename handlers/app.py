"""The Slack app factory: ``build_app(settings, services, client=None) -> slack_bolt.App``.

It lives beside the handlers it registers; outside ``handlers/`` only :mod:`bot.serve`
(the HTTP entry point) imports Slack.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.config import Settings
from bot.services import Services
from handlers.client import build_client

log = logging.getLogger(__name__)

__all__ = ["build_app"]


def build_app(
    settings: Settings,
    services: Services,
    client: WebClient | None = None,
    *,
    later: Any = None,
    **app_options: Any,
) -> App:
    """Build the Bolt app with every listener registered. Needs the bot token and signing
    secret (ConfigError otherwise); nothing is started. With OAuth settings instead of a
    bot token (:attr:`Settings.oauth`) it serves Bolt's install pages and answers every
    installed workspace with its own token (:mod:`handlers.install`).

    ``later`` is the :class:`handlers.later.Later` pool that answers after the ack (one
    is made from the settings when not given; with ``process_before_response=True``
    answers run inline, as a FaaS host needs).
    """
    from handlers import register
    from handlers.frontdoor import ReliableRespond, StrictVerification, is_verified
    from handlers.later import Later, apologise

    stores = None
    if settings.oauth:  # many workspaces: each answered with its own token (handlers.install)
        from handlers import install

        settings.require("signing_secret")
        stores = install.open_stores(settings, services)
        app_options["oauth_settings"] = install.oauth_settings(settings, stores)
    else:
        settings.require("bot_token", "signing_secret")
        if settings.client_id:
            log.info("SLACK_BOT_TOKEN is set: one workspace; SLACK_CLIENT_ID/SECRET are unused")
    client = client or build_client(settings)
    if later is None:
        inline = bool(app_options.get("process_before_response"))
        later = Later(0 if inline else settings.answer_threads)
    app_options.setdefault(
        "listener_executor",
        ThreadPoolExecutor(max_workers=settings.listener_threads, thread_name_prefix="listener"),
    )
    app = App(
        signing_secret=settings.signing_secret,
        client=client,
        logger=logging.getLogger("briefbot.slack"),
        # Our own fail-closed check, placed where Bolt's would be: before authorization.
        request_verification_enabled=False,
        before_authorize=StrictVerification(settings.signing_secret),
        **app_options,
    )
    app.use(ReliableRespond(settings.slack_timeout))

    @app.error
    def on_error(error, body, context, logger, response=None, ack=None, respond=None):
        logger.error("listener failed: %s", type(error).__name__, exc_info=error)
        if not is_verified(context):
            return  # never act on a request whose signature was not checked
        if ack is not None and getattr(ack, "response", None) is None:
            return  # not acknowledged: Slack shows its own error; an apology would be a second
        event = body.get("event") or {}
        apologise(
            respond=respond if _has_response_url(body) else None,
            client=context.get("client") or client,  # the workspace's own token
            channel=event.get("channel"),
            user=event.get("user"),
            thread_ts=event.get("thread_ts") or event.get("ts"),
        )
        # Already acknowledged: keep Slack's answer a 200, so the apology stays the one
        # thing the user sees (Bolt would turn it into a 500 in process_before_response).
        return BoltResponse(status=200, body="") if response is not None else None

    register(app, services, later)
    if stores is not None:
        from handlers import install, workspace
        from handlers.home import home_for

        install.register(app, services, stores)
        workspace.register(app, services, later, home_for)
    return app


def _has_response_url(body: dict[str, Any]) -> bool:
    return bool(body.get("response_url") or body.get("response_urls"))
