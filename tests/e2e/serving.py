"""Run `briefbot serve --http` as a real process for a test (importable helper)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_conf import SECRET, TOKEN
from paths import CORPUS, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's environment without any Slack or briefbot setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "BRIEFBOT_CORPUS": str(CORPUS),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "BRIEFBOT_ENV_FILE": str(tmp_path / "no.env"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Running:
    url: str
    port: int
    proc: subprocess.Popen[str]
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", "replace")


def serve_fails(tmp_path: Path, args: list[str], **extra: str) -> list[str]:
    """Run ``briefbot serve ARGS`` expecting a configuration error: asserts exit code 2
    and returns stderr's lines."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve", *args],
        cwd=ROOT,
        env=base_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    return proc.stderr.strip().splitlines()


@contextlib.contextmanager
def running_server(fake_url: str, tmp_path: Path, **extra: str) -> Iterator[Running]:
    """Start the HTTP server against a fake Slack, wait for /healthz, stop it at the end
    (SIGTERM) and check no secret reached its output."""
    port = free_port()
    settings = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_url,
        "PORT": str(port),
        "BRIEFBOT_LOG_LEVEL": "INFO",
    }
    env = base_env(tmp_path, **{**settings, **extra})  # extra may override these
    stderr_path = tmp_path / f"serve-{port}.log"
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(
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
            env=env,
            stdout=err,
            stderr=err,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    running = Running(f"http://127.0.0.1:{port}", port, proc, stderr_path)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{running.url}/healthz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"server did not start: {running.stderr()[-2000:]}")
            time.sleep(0.1)
    try:
        yield running
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        output = running.stderr()
        assert TOKEN not in output and SECRET not in output
