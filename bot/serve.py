"""``briefbot serve``: Socket Mode, HTTP or a local console, one command.

Socket Mode when ``SLACK_APP_TOKEN`` is set; HTTP (``POST /slack/events``,
``GET /healthz``) when the bot token and signing secret are; the console when no
Slack credentials are set. ``--socket`` / ``--http`` / ``--console`` override.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.config import ConfigError, Settings, mask_url
from bot.services import Services
from bot.signing import signature_ok

log = logging.getLogger(__name__)

__all__ = ["HttpServer", "choose_transport", "make_wsgi_app", "serve", "start_http_server"]

EVENTS_PATH = "/slack/events"


def choose_transport(settings: Settings, forced: str | None = None) -> str:
    """'socket', 'http' or 'console' from the flags and the credentials present.

    With OAuth (client id and secret, no bot token) only HTTP mode: the install pages and
    Slack's redirect need a public URL, which Socket Mode exists to avoid."""
    if settings.oauth and forced != "console":
        if forced == "socket" or (forced is None and settings.app_token):
            raise ConfigError(
                "SLACK_CLIENT_ID: installing into many workspaces (OAuth) needs HTTP mode "
                "(briefbot serve --http); for Socket Mode set SLACK_BOT_TOKEN for one workspace"
            )
        settings.require("signing_secret")
        return "http"
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


def _plain(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def make_wsgi_app(
    bolt_app: Any,
    *,
    signing_secret: str,
    max_body: int,
    clock: Callable[[], float] = time.time,
) -> Callable[..., Iterable[bytes]]:
    """The WSGI app: a health check on ``GET /healthz`` and Bolt on ``POST /slack/events``.

    The front door checks the Slack signature before Bolt sees (or parses) the body: an
    unverifiable request gets 401, one log line without its body, and nothing else
    happens. Bodies over ``max_body`` bytes get 413 without being read.
    """
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
    flow = getattr(bolt_app, "oauth_flow", None)
    # Bolt's install page and OAuth redirect (OAuth mode only): browsers, not Slack, call
    # them, so they carry no signature; the OAuth state (store + cookie) protects them.
    oauth_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in {"GET", "HEAD"}:
            return _plain(start_response, "200 OK", {"ok": True})
        if path in oauth_paths and method == "GET":
            return slack(environ, start_response)
        if path != EVENTS_PATH:
            return _plain(start_response, "404 Not Found", {"error": "not found"})
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", {"error": "POST only"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return _plain(start_response, "400 Bad Request", {"error": "bad Content-Length"})
        if length > max_body:
            log.warning("refused a %d-byte request (limit %d bytes)", length, max_body)
            return _plain(start_response, "413 Content Too Large", {"error": "body too large"})
        body = environ["wsgi.input"].read(length) if length else b""
        ok = signature_ok(
            signing_secret,
            body,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            environ.get("HTTP_X_SLACK_SIGNATURE"),
            now=clock(),
        )
        if not ok:
            log.warning("rejected a request with a missing, stale or wrong Slack signature")
            return _plain(start_response, "401 Unauthorized", {"error": "invalid request"})
        environ["wsgi.input"] = io.BytesIO(body)
        return slack(environ, start_response)

    return wsgi


class HttpServer:
    """waitress serving the WSGI app on a background thread, with a graceful :meth:`stop`.

    waitress reads and buffers each request in its I/O thread, so idle, slow or half-open
    connections never hold a worker thread; they are closed after ``idle_timeout``.
    """

    def __init__(
        self,
        wsgi_app: Callable[..., Any],
        host: str,
        port: int,
        settings: Settings,
        sock: socket.socket | None = None,
    ):
        from waitress.server import create_server

        where: dict[str, Any] = {"sockets": [sock]} if sock else {"host": host, "port": port}
        self._server = create_server(
            wsgi_app,
            **where,
            threads=settings.http_threads,
            backlog=2048,
            connection_limit=settings.http_max_connections,
            channel_timeout=settings.http_idle_timeout,
            cleanup_interval=max(1, min(30, settings.http_idle_timeout // 2)),
            max_request_body_size=settings.http_max_body,
            max_request_header_size=64 * 1024,
            asyncore_use_poll=True,  # select() stops at file descriptor 1024
            expose_tracebacks=False,
            ident="briefbot",
        )
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    def start(self) -> HttpServer:
        """Start accepting connections."""
        self._thread.start()
        return self

    def in_flight(self) -> int:
        """Requests being read, run or written right now."""
        dispatcher = self._server.task_dispatcher
        try:  # waitress's I/O thread may change the dict while we copy it
            channels = list(self._server.active_channels.values())
        except RuntimeError:
            return 1
        busy = sum(1 for ch in channels if ch.requests or ch.total_outbufs_len)
        return busy + len(dispatcher.queue)

    def stop(self, grace: float, later: Any = None) -> bool:
        """Stop accepting, let requests in flight (and the answers they queued) finish for
        up to ``grace`` seconds, then close. True when nothing was cut short."""
        from waitress import wasyncore

        deadline = time.monotonic() + grace
        server = self._server
        server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(server))
        while self.in_flight() and time.monotonic() < deadline:
            time.sleep(0.05)
        clean = not self.in_flight()
        if later is not None:
            clean = later.drain(max(0.0, deadline - time.monotonic())) and clean
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        self._thread.join(timeout=2)
        return clean


def start_http_server(
    bolt_app: Any, host: str, port: int, settings: Settings, *, sock: socket.socket | None = None
) -> HttpServer:
    """Serve ``bolt_app`` over HTTP on a background thread (``port`` 0 picks one; ``sock``,
    an already listening socket, is served instead when given)."""
    wsgi = make_wsgi_app(
        bolt_app, signing_secret=settings.signing_secret or "", max_body=settings.http_max_body
    )
    return HttpServer(wsgi, host, port, settings, sock=sock).start()


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
    from bot.live import start_watcher

    if transport == "console":
        from bot.console import run_console

        start_watcher(services)
        return run_console(services, stdin=stdin, stdout=stdout)
    from bot.app import build_app
    from handlers.later import Later

    later = Later(settings.answer_threads)
    try:
        app = build_app(settings, services, later=later)
    except ConfigError:
        raise
    except Exception as exc:  # auth.test failed: bad token or Slack unreachable
        reason = mask_url(" ".join(str(exc).split()))[:300]
        raise ConfigError(
            f"SLACK_BOT_TOKEN: Slack rejected or could not check it ({reason})"
        ) from None
    scheduler = _start_scheduler(settings, services) if with_scheduler else None
    try:
        if transport == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("briefbot: Socket Mode")
            start_watcher(services)
            SocketModeHandler(app, settings.app_token).start()
        elif settings.web_workers > 1:

            def in_worker() -> None:  # each worker polls the corpus version itself
                services.after_fork()
                start_watcher(services)

            return _serve_prefork(app, settings, host, later, after_fork=in_worker)
        else:
            start_watcher(services)
            _serve_http(app, settings, host, later)
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def _serve_prefork(
    app: Any,
    settings: Settings,
    host: str,
    later: Any,
    *,
    after_fork: Callable[[], None] | None = None,
) -> int:
    """``BRIEFBOT_WEB_WORKERS`` processes serving one listening socket.

    One Python process answers on one core at a time; forked workers share the built
    index (copy-on-write) and the socket, and the kernel spreads connections among them.
    Workers are forked before any thread starts. The parent forwards SIGTERM/SIGINT and
    waits; a worker that dies on its own is replaced. Exit code: 0 when every worker
    stopped cleanly, else 1.
    """
    sock = socket.create_server((host, settings.port), backlog=2048)
    stopping = threading.Event()
    workers: dict[int, int] = {}  # pid -> worker number

    def fork(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                if after_fork is not None:
                    after_fork()
                _serve_http(app, settings, host, later, sock=sock)
                code = 0
            except BaseException:
                log.exception("briefbot: worker %d failed", number)
            finally:
                _exit_now(code)
        workers[pid] = number

    def forward(signum: int, _frame: Any) -> None:
        stopping.set()
        for pid in list(workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info(
        "briefbot: HTTP on port %s with %d workers (POST %s, GET /healthz)",
        sock.getsockname()[1],
        settings.web_workers,
        EVENTS_PATH,
    )
    for number in range(settings.web_workers):
        fork(number)
    clean = True
    try:
        while workers:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            number = workers.pop(pid, None)
            if number is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if stopping.is_set():
                clean = clean and code == 0
            else:
                log.error("briefbot: worker %d exited (%s); starting another", number, code)
                fork(number)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    return 0 if clean else 1


def _serve_http(
    app: Any, settings: Settings, host: str, later: Any, *, sock: socket.socket | None = None
) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully: finish what is in flight for up
    to ``BRIEFBOT_SHUTDOWN_GRACE`` seconds. Past that, or on a second signal, exit at once
    with code 1 (what was cut short is logged)."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            log.error("briefbot: second signal; exiting without waiting")
            _exit_now(1)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server = start_http_server(app, host, settings.port, settings, sock=sock)
        log.info("briefbot: HTTP on port %s (POST %s, GET /healthz)", server.port, EVENTS_PATH)
        while not stop.wait(0.5):
            pass
        log.info(
            "briefbot: stopping; finishing what is in flight (up to %ss)", settings.shutdown_grace
        )
        if server.stop(settings.shutdown_grace, later):
            log.info("briefbot: stopped cleanly")
        else:
            log.error("briefbot: stopped with work still in flight after the grace period")
            _exit_now(1)  # answer threads still blocked on Slack must not hold the exit
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit_now(code: int) -> None:
    """Leave at once (flushing logs), without waiting for threads still blocked on I/O."""
    logging.shutdown()
    os._exit(code)


def _start_scheduler(settings: Settings, services: Services) -> Any:
    """The reminder scheduler inside the serving process (None when not configured)."""
    if settings.oauth:  # every installed workspace, its own channel and token
        from bot.reminders import default_owner
        from bot.scheduler import build_scheduler
        from handlers.install import open_stores, workspaces_tick

        tick = workspaces_tick(
            settings, services, open_stores(settings, services), owner=default_owner()
        )
        scheduler = build_scheduler(settings, tick)
        scheduler.start()
        return scheduler
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
        services.fresh_commitments,
        settings=settings,
        poster=poster,
        owner=default_owner(),
    )
    scheduler = build_scheduler(settings, tick)
    scheduler.start()
    return scheduler
