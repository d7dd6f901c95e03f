"""``briefbot serve``: Socket Mode, HTTP or a local console, one command.

Socket Mode when ``SLACK_APP_TOKEN`` is set; HTTP (``POST /slack/events``,
``GET /healthz``) when the bot token and signing secret are; the console when no
Slack credentials are set. ``--socket`` / ``--http`` / ``--console`` override.
"""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.config import ConfigError, Settings
from bot.services import Services

log = logging.getLogger(__name__)

__all__ = ["choose_transport", "make_wsgi_app", "start_http_server"]


def choose_transport(settings: Settings, forced: str | None = None) -> str:
    """'socket', 'http' or 'console' from the flags and the credentials present."""
    if forced == "socket":
        settings.require("bot_token", "signing_secret", "app_token")
        return "socket"
    if forced == "http":
        settings.require("bot_token", "signing_secret")
        return "http"
    if forced == "console":
        return "console"
    if settings.app_token:
        settings.require("bot_token", "signing_secret")
        return "socket"
    if settings.bot_token or settings.signing_secret:
        settings.require("bot_token", "signing_secret")
        return "http"
    return "console"


def make_wsgi_app(bolt_app: Any) -> Callable[..., Iterable[bytes]]:
    """WSGI app: Bolt on POST /slack/events, a health check on GET /healthz."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(bolt_app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps({"ok": True}).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return slack(environ, start_response)

    return wsgi


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s - %s", self.address_string(), format % args)


def start_http_server(bolt_app: Any, host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
    """Serve the app on a background thread; returns the server (``server_port``) and thread."""
    server = make_server(
        host,
        port,
        make_wsgi_app(bolt_app),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="briefbot-http", daemon=True)
    thread.start()
    return server, thread


def serve(
    settings: Settings,
    services: Services,
    transport: str,
    *,
    host: str = "0.0.0.0",
    with_scheduler: bool = True,
    stdin: Any = None,
    stdout: Any = None,
) -> int:
    """Run the bot until interrupted; returns an exit code."""
    if transport == "console":
        from bot.console import run_console

        return run_console(services, stdin=stdin, stdout=stdout)
    from bot.app import build_app

    try:
        app = build_app(settings, services)
    except ConfigError:
        raise
    except Exception as exc:  # auth.test failed: bad token or Slack unreachable
        raise ConfigError(
            f"SLACK_BOT_TOKEN: Slack rejected or could not check it ({exc})"
        ) from None
    scheduler = _start_scheduler(settings, services) if with_scheduler else None
    try:
        if transport == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("briefbot: Socket Mode")
            SocketModeHandler(app, settings.app_token).start()
        else:
            server, thread = start_http_server(app, host, settings.port)
            log.info(
                "briefbot: HTTP on port %s (POST /slack/events, GET /healthz)", server.server_port
            )
            thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def _start_scheduler(settings: Settings, services: Services) -> Any:
    """The reminder scheduler inside the serving process (None when not configured)."""
    if not settings.reminder_channel:
        log.warning("reminders are off: BRIEFBOT_REMINDER_CHANNEL is not set")
        return None
    from bot.app import build_client
    from bot.reminders import default_owner
    from bot.scheduler import build_scheduler, make_tick
    from handlers.reminders import SlackPoster

    # Not the app's client: reminders must not be re-sent blindly after a 5xx (see
    # build_client); the ledger decides.
    poster = SlackPoster(
        build_client(settings, idempotent=True), status_of=services.store.current_status
    )
    tick = make_tick(
        services.store,
        lambda: services.commitments,
        settings=settings,
        poster=poster,
        owner=default_owner(),
    )
    scheduler = build_scheduler(settings, tick)
    scheduler.start()
    return scheduler
