"""Processes you can trust (issue 20): the HTTP server stops without racing waitress's
trigger, the forking process runs no thread (the reminder scheduler has a process of its
own), and a child that dies is started again after a growing, capped delay."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from paths import CORPUS, ROOT

from bot.config import Settings
from bot.serve import HttpServer

TOKEN = "xoxb-test-0123456789-SECRETTOKEN"
SECRET = "signing-secret-for-tests"


# --------------------------------------------------------------------------- backoff


def test_restart_delays_double_and_are_capped():
    from bot.serve import restart_delay

    assert [restart_delay(n, first=1, cap=60) for n in range(1, 9)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]
    assert restart_delay(1) > 0  # the default never restarts at once


# --------------------------------------------------------------------------- graceful stop


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def _get(port: int) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{port}/", timeout=10) as r:
        return r.read()


def test_stop_survives_the_io_thread_running_a_thunk_before_the_pull_writes(monkeypatch):
    """``pull_trigger(thunk)`` queues the thunk, then writes its wake-up byte. On a busy
    machine the pulling thread can be descheduled in between while the I/O thread, woken
    by an earlier byte, runs the thunk. Here that happens every time: a stop whose thunk
    closed the trigger then wrote to a closed descriptor (EBADF, the flaky CI failure of
    test_worker_processes_share_the_port_and_stop_gracefully)."""
    from waitress import trigger as waitress_trigger

    real_pull = waitress_trigger.trigger.pull_trigger
    closed_before_write: list[bool] = []

    def preempted_pull(self, thunk=None):
        if thunk is None:
            return real_pull(self)
        ran = threading.Event()

        def tracked():
            try:
                thunk()
            finally:
                ran.set()

        with self.lock:
            self.thunks.append(tracked)
        real_pull(self)  # an earlier wake-up byte: the I/O thread runs the thunk now...
        assert ran.wait(30), "the I/O thread did not run the thunk"
        closed_before_write.append(self._closed)
        self._physical_pull()  # ...and only then does this thread write its own byte

    monkeypatch.setattr(waitress_trigger.trigger, "pull_trigger", preempted_pull)
    settings = Settings.from_env({"BRIEFBOT_ENV_FILE": "/nonexistent"})
    server = HttpServer(_hello, "127.0.0.1", 0, settings).start()
    assert _get(server.port) == b"hello"
    assert server.stop(5) is True
    assert closed_before_write and not any(closed_before_write)
    with pytest.raises(OSError):
        _get(server.port)  # stopped: nothing listens


def test_stop_waits_for_a_request_in_the_app_and_its_answer_arrives():
    entered, release = threading.Event(), threading.Event()

    def slow(environ, start_response):
        entered.set()
        release.wait(30)
        start_response("200 OK", [("Content-Length", "4")])
        return [b"done"]

    settings = Settings.from_env({"BRIEFBOT_ENV_FILE": "/nonexistent"})
    server = HttpServer(slow, "127.0.0.1", 0, settings).start()
    answers: list[bytes] = []
    client = threading.Thread(target=lambda: answers.append(_get(server.port)))
    client.start()
    assert entered.wait(30)
    assert server.in_flight() == 1
    stopped: list[bool] = []
    stopper = threading.Thread(target=lambda: stopped.append(server.stop(30)))
    stopper.start()
    release.set()  # the request finishes while stop() waits for it
    stopper.join(60)
    client.join(60)
    assert stopped == [True] and answers == [b"done"]
    assert server.in_flight() == 0


# --------------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """``briefbot serve --http`` as a process, its log lines read as they come."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        """The next log line matching ``pattern`` (lines before it are kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no log line like {pattern!r}; got:\n" + "\n".join(self.seen[-40:]))
            self.seen.append(line)
            if m := re.search(pattern, line):
                return m

    def expect_all(self, *patterns: str, timeout: float = 120) -> None:
        """Wait until a line matched each of ``patterns`` (in any order; a pattern given
        twice needs two lines), counting the lines already seen."""
        wanted = list(patterns)
        for line in self.seen:
            for p in wanted:
                if re.search(p, line):
                    wanted.remove(p)
                    break
        while wanted:
            m = self.expect("|".join(f"(?:{p})" for p in wanted), timeout)
            wanted.remove(next(p for p in wanted if re.search(p, m.string)))

    def rest(self) -> str:
        """Every line up to the end of the output (call after the process exited)."""
        while True:
            try:
                self.seen.append(self.lines.get(timeout=10))
            except queue.Empty:
                return "\n".join(self.seen)


@contextlib.contextmanager
def serving(tmp_path: Path, fake: FakeSlack, *args: str, code: str = "", **env: str):
    """``briefbot serve --http ARGS`` (after running ``code`` in the process)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    environ.update(
        {
            "BRIEFBOT_CORPUS": str(CORPUS),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "BRIEFBOT_ENV_FILE": str(tmp_path / "no.env"),
            "BRIEFBOT_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "PORT": str(_free_port()),
            **env,
        }
    )
    argv = ["serve", "--http", "--host", "127.0.0.1", *args]
    script = f"{code}\nfrom bot.cli import main\nraise SystemExit(main({argv!r}))"
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Served(proc)
    finally:
        if proc.poll() is None:  # a failed test: no child may outlive it
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            proc.kill()
            proc.wait()
            for pid in map(int, children):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        yield f


def test_a_worker_that_dies_is_started_again_after_a_growing_delay(tmp_path, fake):
    fast = "import bot.serve as s; s.RESTART_FIRST, s.RESTART_MAX = 0.05, 0.2"
    with serving(tmp_path, fake, "--no-scheduler", code=fast, BRIEFBOT_WEB_WORKERS="2") as served:
        pid = int(served.expect(r"worker 0 started \(pid (\d+)\)").group(1))
        delays = []
        for _ in range(4):
            os.kill(pid, signal.SIGKILL)
            m = served.expect(r"worker 0 exited \((-?\d+)\); starting another in ([\d.]+) s")
            assert m.group(1) == str(-signal.SIGKILL)
            delays.append(float(m.group(2)))
            pid = int(served.expect(r"worker 0 started \(pid (\d+)\)").group(1))
        assert delays == [0.05, 0.1, 0.2, 0.2]  # doubled each time, then capped
        served.expect(r"HTTP on port \d+ \(POST")  # the last one serves again
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(timeout=60) == 0
        assert served.rest().count("stopped cleanly") == 2


def test_the_scheduler_runs_in_its_own_process_and_the_forking_one_has_one_thread(tmp_path, fake):
    env = {"BRIEFBOT_WEB_WORKERS": "2", "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND"}
    with serving(tmp_path, fake, **env) as served:
        started = {}
        for _ in range(3):
            m = served.expect(r"(worker \d|reminder scheduler) started \(pid (\d+)\)")
            started[m.group(1)] = int(m.group(2))
        assert set(started) == {"worker 0", "worker 1", "reminder scheduler"}
        served.expect_all(
            r"HTTP on port \d+ \(POST",
            r"HTTP on port \d+ \(POST",
            rf"reminder scheduler running \(pid {started['reminder scheduler']}\)",
            r"Job \"briefbot reminders.*executed successfully",  # a first tick ran there
        )
        children = Path(f"/proc/{served.proc.pid}/task/{served.proc.pid}/children")
        assert sorted(map(int, children.read_text().split())) == sorted(started.values())
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(timeout=60) == 0
        log = served.rest()
    # APScheduler started once, after the forking process announced its workers (it
    # logs that just before its first fork): in the clock process, not before a fork.
    assert log.count("apscheduler.scheduler: Scheduler started") == 1
    assert log.index("with 2 workers") < log.index("Scheduler started")
    assert "while threads run" not in log  # every fork copied the one thread
    assert log.count("reminder scheduler running") == 1
    assert log.count("reminder scheduler stopped") == 1
    assert log.count("stopped cleanly") == 2
