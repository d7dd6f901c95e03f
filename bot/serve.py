"""``briefbot serve``: Socket Mode, HTTP or a local console, one command.

Socket Mode when ``SLACK_APP_TOKEN`` is set; HTTP (``POST /slack/events``,
``GET /healthz``) when the bot token and signing secret are; the console when no
Slack credentials are set. ``--socket`` / ``--http`` / ``--console`` override.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.config import ConfigError, Settings, mask_url
from bot.services import Services
from handlers.signing import signature_ok

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
    happens. Bodies over ``max_body`` bytes get 413 without being read. The install page
    (OAuth mode) answers 429 to a client address over its rate
    (:class:`handlers.install.InstallLimiter`).
    """
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
    flow = getattr(bolt_app, "oauth_flow", None)
    # Bolt's install page and OAuth redirect (OAuth mode only): browsers, not Slack, call
    # them, so they carry no signature; the OAuth state (store + cookie) protects them.
    oauth_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()
    if flow is not None:
        from handlers.install import InstallLimiter

        limiter = InstallLimiter()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in {"GET", "HEAD"}:
            return _plain(start_response, "200 OK", {"ok": True})
        if path in oauth_paths and method == "GET":
            if path == flow.install_path and not limiter.allow(environ.get("REMOTE_ADDR") or "?"):
                log.warning("install page: too many requests from one address; 429")
                return _plain(start_response, "429 Too Many Requests", {"error": "slow down"})
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


class _InFlight:
    """Requests inside the WSGI app, counted by briefbot (not read from waitress): from the
    call until waitress closes the response body, which it does once the body is written
    (waitress sends from the request's own thread when it can; ``send_bytes`` is 1)."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def __len__(self) -> int:
        return self._count

    def _leave(self) -> None:
        with self._idle:
            self._count -= 1
            if not self._count:
                self._idle.notify_all()

    def wrap(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        """``app``, counted."""

        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            with self._idle:
                self._count += 1
            try:
                body = app(environ, start_response)
            except BaseException:
                self._leave()
                raise
            return _Body(body, self._leave)

        return counted

    def wait_idle(self, deadline: float) -> bool:
        """Wait until no request is inside the app, or the monotonic ``deadline``."""
        with self._idle:
            return self._idle.wait_for(
                lambda: not self._count, timeout=max(0.0, deadline - time.monotonic())
            )


class _Body:
    """A WSGI response body whose ``close()`` (called once by the server) also runs
    ``done``."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self._body = body
        self._done: Callable[[], None] | None = done

    def __iter__(self) -> Any:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()


class HttpServer:
    """waitress serving the WSGI app on a background thread, with a graceful :meth:`stop`.

    waitress reads and buffers each request in its I/O thread, so idle, slow or half-open
    connections never hold a worker thread; they are closed after ``idle_timeout``.

    Stopping uses waitress's public pieces only: its socket map is ours (``map=``), work
    is handed to the I/O thread through ``server.trigger.pull_trigger(thunk)``, the
    request threads end with ``task_dispatcher.shutdown()`` and the server with
    ``close()``. No thunk ever closes the trigger: ``pull_trigger`` queues its thunk
    *before* it writes its wake-up byte, so a thunk that closed the trigger could run
    (woken by an earlier byte) before that write, which then fails with EBADF, or lands
    in whatever file reused the descriptor. The trigger is closed by ``server.close()``
    once the I/O thread has ended and no request thread is left to pull it.
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
        self._requests = _InFlight()
        self._map: dict[int, Any] = {}  # waitress's socket map, handed in so we hold it
        self._server = create_server(
            self._requests.wrap(wsgi_app),
            map=self._map,
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
        self._stopped = False

    def start(self) -> HttpServer:
        """Start accepting connections."""
        self._thread.start()
        return self

    def in_flight(self) -> int:
        """Requests inside the app right now."""
        return len(self._requests)

    def _in_io_thread(self, work: Callable[[], None]) -> None:
        """Have waitress's I/O thread run ``work`` (it alone touches the socket map)."""
        if self._thread.is_alive():
            self._server.trigger.pull_trigger(work)

    def stop(self, grace: float, later: Any = None) -> bool:
        """Stop accepting, let requests in flight (and the answers they queued) finish for
        up to ``grace`` seconds, then close. True when nothing was cut short (when
        something was, the request threads may still run: the caller should exit)."""
        from waitress import wasyncore

        if self._stopped:
            return True
        self._stopped = True
        deadline = time.monotonic() + grace
        server = self._server
        # The listening socket only: BaseWSGIServer.close() would close the trigger too.
        self._in_io_thread(lambda: wasyncore.dispatcher.close(server))
        clean = self._requests.wait_idle(deadline)
        if later is not None:
            clean = later.drain(max(0.0, deadline - time.monotonic())) and clean
        if not clean:
            return False
        # No request is in the app; the request threads finish their last steps (the last
        # one pulls the trigger) and end.
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

        def detach() -> None:  # on the I/O thread: close connections, leave the loop
            for dispatcher in list(self._map.values()):
                if dispatcher is not server.trigger:
                    wasyncore.dispatcher.close(dispatcher)
            server.trigger.del_channel()  # the map is empty: run() returns

        self._in_io_thread(detach)
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=max(5.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            log.error("briefbot: the HTTP I/O thread did not end; not closing its trigger")
            return False
        server.close()  # the trigger and (already closed) listening socket
        return True


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

    # What a one-off command leaves unmade (typo tables, patterns, the word model) is
    # made before the first question, and before any fork, so workers share it.
    services.index.warm()

    if transport == "console":
        from bot.console import run_console

        start_watcher(services)
        return run_console(services, stdin=stdin, stdout=stdout)
    from handlers.app import build_app
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
    if transport == "http" and settings.web_workers > 1:
        # Nothing runs beside the forking process: the scheduler gets a process of its
        # own, forked like the workers (never started before a fork, never in a worker).
        clock = None
        if with_scheduler and _reminders_configured(settings):
            clock = functools.partial(_run_clock, settings, services)

        def in_worker() -> None:  # each worker polls the corpus version itself
            services.after_fork()
            start_watcher(services)

        return _serve_prefork(
            app,
            settings,
            host,
            later,
            after_fork=in_worker,
            before_fork=lambda: _close_pooled_connections(services),
            clock=clock,
        )
    scheduler = _start_scheduler(settings, services) if with_scheduler else None
    try:
        if transport == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("briefbot: Socket Mode")
            start_watcher(services)
            SocketModeHandler(app, settings.app_token).start()
        else:
            start_watcher(services)
            _serve_http(app, settings, host, later)
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def _close_pooled_connections(services: Services) -> None:
    """Before forking: close the parent's pooled database connections, so no child
    inherits an open one (SQLite's rule: a connection must not cross a fork)."""
    engine = getattr(services.store, "engine", None)
    if engine is not None:
        engine.dispose()


#: Seconds before a child that died is started again: doubled for each death in a row,
#: up to :data:`RESTART_MAX`; a child that ran :data:`RESTART_STABLE` seconds or more
#: starts the count again.
RESTART_FIRST = 1.0
RESTART_MAX = 60.0
RESTART_STABLE = 60.0


def restart_delay(deaths: int, *, first: float | None = None, cap: float | None = None) -> float:
    """Seconds to wait before restarting a child after its ``deaths``-th death in a row
    (1, 2, 3, ...): ``first``, doubled each time, at most ``cap``."""
    first = RESTART_FIRST if first is None else first
    cap = RESTART_MAX if cap is None else cap
    return min(cap, first * 2 ** max(0, deaths - 1))


class _Child:
    """One supervised process: a worker or the clock."""

    def __init__(self, name: str, run: Callable[[threading.Event], int]) -> None:
        self.name = name
        self.run = run
        self.pid: int | None = None
        self.started = 0.0
        self.deaths = 0  # deaths in a row (a stable run starts the count again)
        self.due: float | None = None  # when to start it again (monotonic)


def _serve_prefork(
    app: Any,
    settings: Settings,
    host: str,
    later: Any,
    *,
    after_fork: Callable[[], None] | None = None,
    before_fork: Callable[[], None] | None = None,
    clock: Callable[[threading.Event], int] | None = None,
) -> int:
    """``BRIEFBOT_WEB_WORKERS`` processes serving one listening socket (and, given
    ``clock``, one process running the reminder scheduler).

    One Python process answers on one core at a time; forked workers share the built
    index (copy-on-write) and the socket, and the kernel spreads connections among them.
    The forking process runs no thread of its own, so every fork, the first ones and
    the restarts, copies one thread. It passes SIGTERM/SIGINT on and waits; a child that
    dies on its own is started again after :func:`restart_delay` (logged), so a child
    that cannot start does not fork in a loop. Exit code: 0 when every child stopped
    cleanly, else 1.
    """
    sock = socket.create_server((host, settings.port), backlog=2048)

    def worker(number: int) -> Callable[[threading.Event], int]:
        def run(stop: threading.Event) -> int:
            if after_fork is not None:
                after_fork()
            _serve_http(app, settings, host, later, sock=sock, stop=stop)
            return 0

        return run

    children = [_Child(f"worker {n}", worker(n)) for n in range(settings.web_workers)]
    if clock is not None:
        children.append(_Child("reminder scheduler", clock))
    log.info(
        "briefbot: HTTP on port %s with %d workers (POST %s, GET /healthz)",
        sock.getsockname()[1],
        settings.web_workers,
        EVENTS_PATH,
    )
    if before_fork is not None:
        before_fork()
    try:
        return _Supervisor(children).run()
    finally:
        sock.close()


class _Supervisor:
    """Forks the children, restarts the ones that die (with backoff), passes signals on.

    Single-threaded: it sleeps in ``select()`` on a pipe that signal handlers write to
    (``signal.set_wakeup_fd``), so a child's death (SIGCHLD), SIGTERM and a restart
    falling due all wake it, with no race between checking and sleeping."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, children: list[_Child]) -> None:
        self.children = children
        self.received: list[int] = []  # signals to pass on, in order
        self.passed = 0
        self.clean = True

    def run(self) -> int:
        wake_r, wake_w = os.pipe()
        for fd in (wake_r, wake_w):
            os.set_blocking(fd, False)
        self._pipe = (wake_r, wake_w)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in self.SIGNALS}
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, lambda *_: None)
        old_wakeup = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        try:
            for child in self.children:
                self._start(child)
            while True:
                self._reap()
                stopping = bool(self.received)
                if stopping:
                    self._pass_signals_on()
                    if not any(c.pid for c in self.children):
                        break
                else:
                    now = time.monotonic()
                    for child in self.children:
                        if child.pid is None and child.due is not None and child.due <= now:
                            self._start(child)
                self._sleep(None if stopping else self._next_due())
        finally:
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(wake_r)
            os.close(wake_w)
        return 0 if self.clean else 1

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.received.append(signum)  # acted on by the loop (woken through the pipe)

    def _pass_signals_on(self) -> None:
        while self.passed < len(self.received):
            signum = self.received[self.passed]
            self.passed += 1
            for child in self.children:
                if child.pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child.pid, signum)

    def _next_due(self) -> float | None:
        due = [c.due for c in self.children if c.pid is None and c.due is not None]
        return max(0.0, min(due) - time.monotonic()) if due else None

    def _sleep(self, timeout: float | None) -> None:
        wake_r = self._pipe[0]
        select.select([wake_r], [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            while os.read(wake_r, 512):
                pass

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = next((c for c in self.children if c.pid == pid), None)
            if child is None:
                continue
            child.pid = None
            code = os.waitstatus_to_exitcode(status)
            if self.received:  # stopping: it was asked to (or is about to be)
                self.clean = self.clean and code == 0
                continue
            lived = time.monotonic() - child.started
            child.deaths = 1 if lived >= RESTART_STABLE else child.deaths + 1
            delay = restart_delay(child.deaths)
            child.due = time.monotonic() + delay
            log.error(
                "briefbot: %s exited (%s); starting another in %.2g s", child.name, code, delay
            )

    def _start(self, child: _Child) -> None:
        """Fork ``child`` with the stop signals blocked, so neither process can be
        stopped between the fork and the child's own handlers."""
        others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        if others:  # a fork copies none of them, and whatever lock they held stays held
            log.warning("briefbot: forking %s while threads run: %s", child.name, others)
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {*self.SIGNALS, signal.SIGCHLD})
        try:
            pid = os.fork()
            if pid == 0:
                self._in_child(child, mask)  # never returns
            child.pid, child.started, child.due = pid, time.monotonic(), None
        except OSError as exc:  # out of processes or memory: try again later
            child.deaths += 1
            delay = restart_delay(child.deaths)
            child.due = time.monotonic() + delay
            log.error("briefbot: could not start %s (%s); trying in %.2g s", child.name, exc, delay)
            return
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        log.info("briefbot: %s started (pid %d)", child.name, pid)

    def _in_child(self, child: _Child, mask: Any) -> None:
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for fd in self._pipe:
                os.close(fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            stop, _ = _stop_on_signals()
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending SIGTERM sets stop
            code = child.run(stop)
        except BaseException:
            log.exception("briefbot: %s failed", child.name)
        finally:
            _exit_now(code)


def _stop_on_signals() -> tuple[threading.Event, dict[int, Any]]:
    """An event SIGTERM and SIGINT set (a second one exits at once, code 1), and the
    handlers they replaced."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            log.error("briefbot: second signal; exiting without waiting")
            _exit_now(1)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    return stop, previous


def _serve_http(
    app: Any,
    settings: Settings,
    host: str,
    later: Any,
    *,
    sock: socket.socket | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve until ``stop`` is set (by default: until SIGTERM or SIGINT), then stop
    gracefully: finish what is in flight for up to ``BRIEFBOT_SHUTDOWN_GRACE`` seconds.
    Past that, or on a second signal, exit at once with code 1 (what was cut short is
    logged)."""
    previous: dict[int, Any] = {}
    if stop is None:
        stop, previous = _stop_on_signals()
    try:
        server = start_http_server(app, host, settings.port, settings, sock=sock)
        log.info("briefbot: HTTP on port %s (POST %s, GET /healthz)", server.port, EVENTS_PATH)
        stop.wait()
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
        from handlers.sources import follow_workspaces_sources

        stores = open_stores(settings, services)
        tick = workspaces_tick(settings, services, stores, owner=default_owner())
        scheduler = build_scheduler(settings, tick)
        follow_workspaces_sources(scheduler, settings, services, stores)
        scheduler.start()
        return scheduler
    if not settings.reminder_channel:
        log.warning("reminders are off: BRIEFBOT_REMINDER_CHANNEL is not set")
        return None
    from bot.reminders import default_owner
    from bot.scheduler import build_scheduler, make_tick
    from handlers.client import build_client
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
    from handlers.sources import follow_sources

    follow_sources(scheduler, settings, services)
    scheduler.start()
    return scheduler


def _reminders_configured(settings: Settings) -> bool:
    """Whether there is a scheduler to run (logged when reminders are off)."""
    if settings.oauth or settings.reminder_channel:
        return True
    log.warning("reminders are off: BRIEFBOT_REMINDER_CHANNEL is not set")
    return False


def _run_clock(settings: Settings, services: Services, stop: threading.Event) -> int:
    """The reminder scheduler in a (forked) process of its own, until ``stop`` is set."""
    services.after_fork()
    scheduler = _start_scheduler(settings, services)
    if scheduler is None:
        return 0
    log.info("briefbot: reminder scheduler running (pid %d)", os.getpid())
    stop.wait()
    scheduler.shutdown(wait=True)  # a tick under way finishes (its posts are recorded)
    log.info("briefbot: reminder scheduler stopped")
    return 0
