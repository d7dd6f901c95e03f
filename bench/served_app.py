"""A served briefbot for the benchmarks: ``briefbot serve --http`` as a child process, the
fake Slack Web API beside it (``tests/fakeslack.py``), and signed requests to it, all on
127.0.0.1. Shared by bench/load_bench.py and bench/archive_bench.py (not a script)."""

from __future__ import annotations

import asyncio
import http.client
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from fakeslack import serve_over_pipe, sign, slash_command_body  # noqa: E402

__all__ = [
    "SECRET",
    "TOKEN",
    "RemoteFake",
    "Server",
    "brief",
    "free_port",
    "percentile",
    "post",
    "server_pss_mib",
    "server_rss_mib",
]

TOKEN = "xoxb-load-0000000000-LOADTOKEN"
SECRET = "load-bench-signing-secret"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _server_pids(pid: int) -> list[int]:
    """``pid`` and its child processes (the workers it forked)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    return pids


def server_rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MiB of the server: its process plus its worker processes (shared
    copy-on-write pages are counted once per process, so this overstates)."""
    rss = peak = 0.0
    for p in _server_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key == "VmRSS":
                    rss += int(value.split()[0]) / 1024
                elif key == "VmHWM":
                    peak += int(value.split()[0]) / 1024
        except OSError:
            continue
    return rss or float("nan"), peak or float("nan")


def server_pss_mib(pid: int) -> float:
    """PSS in MiB of the server and its workers (shared pages split between them, so the
    sum is what they hold together); NaN where ``smaps_rollup`` is missing."""
    total, found = 0.0, False
    for p in _server_pids(pid):
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        m = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
        if m:
            total += int(m.group(1)) / 1024
            found = True
    return total if found else float("nan")


class RemoteFake:
    """The fake Slack Web API in a child process, with the few calls the benches need."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        # The target lives in an importable module: a spawned child re-imports it by name.
        self._proc = ctx.Process(target=serve_over_pipe, args=(child,), daemon=True)
        self._proc.start()
        self._lock = threading.Lock()
        self.url, self._response_url = self._receive()

    def _receive(self) -> Any:
        if not self._conn.poll(60):
            raise SystemExit("bench: the fake Slack process did not answer")
        return self._conn.recv()

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self._conn.send((name, args, kwargs))
            return self._receive()

    def response_url(self, name: str) -> str:
        return self._response_url.format(name)

    def reset(self) -> None:
        self._call("reset", all_state=True)

    def slow(self, method: str, seconds: float) -> None:
        self._call("slow", method, seconds)

    def fail_next(self, method: str, **kwargs: Any) -> None:
        self._call("fail_next", method, **kwargs)

    def answered_threads(self) -> list[str]:
        return self._call("answered_threads")

    def close(self) -> None:
        self._call("stop")
        self._proc.join(5)


class Server:
    """``briefbot serve --http --no-scheduler`` as a child process, started and waited for
    until ``GET /healthz`` answers (``start_timeout`` seconds at most).

    ``env`` replaces the database and corpus settings of the default (a fresh SQLite
    database in ``workdir``); Slack's variables are always the fake's. ``started`` is the
    ``time.perf_counter()`` just before the process was started."""

    def __init__(
        self,
        fake_url: str,
        workdir: Path,
        workers: int,
        *,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.port = free_port()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
        base.update(
            DATABASE_URL=f"sqlite:///{workdir / 'load.db'}",
            BRIEFBOT_CORPUS=str(ROOT / "corpus"),
            BRIEFBOT_ENV_FILE=str(workdir / "none.env"),
            BRIEFBOT_LOG_LEVEL="WARNING",
        )
        base.update(env or {})
        base.update(
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake_url,
            PORT=str(self.port),
            BRIEFBOT_WEB_WORKERS=str(workers),
        )
        self.log_path = workdir / "server.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--http",
                "--no-scheduler",
                "--host",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=base,
            stdout=self.log,
            stderr=self.log,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"bench: the server did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


async def post(port: int, body: str, content_type: str) -> tuple[str, float, str]:
    """One signed POST on a new connection: ('ok' | 'http NNN' | 'conn'), seconds, body."""
    raw = body.encode()
    headers = {"Content-Type": content_type, **sign(body, SECRET)}
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Length: {len(raw)}\r\n{head}\r\n"
    ).encode() + raw
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    except (TimeoutError, OSError):
        return "conn", time.perf_counter() - started, ""
    took = time.perf_counter() - started
    status_line, _, rest = answer.partition(b"\r\n")
    parts = status_line.split()
    if len(parts) < 2:
        return "conn", took, ""
    text = rest.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")
    return ("ok" if parts[1] == b"200" else f"http {parts[1].decode()}"), took, text


def brief(port: int, query: str, response_url: str) -> tuple[str, float, str]:
    """One signed ``/brief query`` (its answer is in the ack): outcome, seconds, body."""
    body = slash_command_body("/brief", query, response_url=response_url)
    return asyncio.run(post(port, body, "application/x-www-form-urlencoded"))
