"""The contract: `briefbot ingest FILE` with the same DATABASE_URL as a running
`briefbot serve --http` makes that server answer /brief from the new statement within
15 s, without a restart (PostgreSQL, two worker processes); the same in-process on SQLite.
Removal and replacement reach the server the same way."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
from e2e_conf import SECRET, TOKEN
from fakeslack import bolt_request, post_signed, slash_command_body
from helpers import UNDERSEA_QUERY as QUERY
from helpers import UNDERSEA_STATEMENT as STATEMENT
from helpers import UNDERSEA_TEXT as NEW_TEXT
from helpers import all_text
from paths import ROOT
from pgtest import fresh_schema_url, require_server
from serving import base_env, running_server

FORM = "application/x-www-form-urlencoded"
CONTRACT_SECONDS = 15.0


def ask_http(url: str, fake, text: str = QUERY) -> str:
    body = slash_command_body("/brief", text, response_url=fake.response_url())
    status, resp, _ = post_signed(f"{url}/slack/events", body, SECRET, content_type=FORM)
    assert status == 200
    return all_text(json.loads(resp))


def wait_for(check, seconds: float) -> float:
    """Seconds until ``check()`` is true; fails the test after ``seconds``."""
    started = time.monotonic()
    while not check():
        elapsed = time.monotonic() - started
        assert elapsed < seconds, f"not seen within {seconds:.0f} s"
        time.sleep(0.2)
    return time.monotonic() - started


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def pg_url():
    require_server()
    yield from fresh_schema_url()


@pytest.mark.postgres
def test_ingest_beside_a_running_server_is_answered_within_15_s(fake, tmp_path, pg_url, capsys):
    src = tmp_path / "2026-03-03_undersea-cables.txt"
    src.write_text(STATEMENT)
    env = base_env(tmp_path, DATABASE_URL=pg_url)
    with running_server(
        fake.url, tmp_path, DATABASE_URL=pg_url, BRIEFBOT_WEB_WORKERS="2"
    ) as server:
        assert NEW_TEXT not in ask_http(server.url, fake)
        started = time.monotonic()
        proc = cli(env, "ingest", str(src))
        ingest_seconds = time.monotonic() - started
        assert proc.returncode == 0, proc.stderr
        assert "stored as 2026-03-03_undersea-cables" in proc.stdout
        seconds = wait_for(lambda: NEW_TEXT in ask_http(server.url, fake), CONTRACT_SECONDS)
        # Each of the two workers rebuilt (connections are spread among them) ...

        def rebuilds() -> list[str]:
            pattern = r"corpus version 1 served: .*'seconds': ([0-9.]+)"
            return re.findall(pattern, server.stderr())

        wait_for(lambda: len(rebuilds()) == 2, CONTRACT_SECONDS)
        # ... and from then on every answer has it.
        for _ in range(8):
            assert NEW_TEXT in ask_http(server.url, fake)
        with capsys.disabled():
            print(
                f"\n[contract] `briefbot ingest` ran {ingest_seconds:.2f} s; from its exit to "
                f"the first /brief answer from the new statement: {seconds:.2f} s; "
                f"index rebuild (bundled + 1) per worker: {', '.join(rebuilds())} s"
            )

        # Remove: the server stops quoting it, the same way.
        proc = cli(env, "remove", "2026-03-03_undersea-cables")
        assert proc.returncode == 0, proc.stderr
        wait_for(lambda: NEW_TEXT not in ask_http(server.url, fake), CONTRACT_SECONDS)
        assert "corpus version 2 served" in server.stderr()
        assert proc.stdout.strip() and server.proc.poll() is None


def test_sqlite_in_process_follows_an_ingest_from_another_process(fake, tmp_path):
    """The real Bolt app in this process, its watcher polling SQLite; the ingest is a
    separate `briefbot ingest` process on the same file."""
    from bot.config import Settings
    from bot.live import CorpusWatcher
    from bot.services import build_services
    from handlers.app import build_app

    db = f"sqlite:///{tmp_path / 'live.db'}"
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "DATABASE_URL": db,
            "BRIEFBOT_CORPUS": str(ROOT / "corpus"),
        }
    )
    services = build_services(settings)
    app = build_app(settings, services, process_before_response=True)
    watcher = CorpusWatcher(services, interval=0.5).start()

    def ask() -> str:
        body = slash_command_body("/brief", QUERY, response_url=fake.response_url())
        resp = app.dispatch(bolt_request(body, SECRET, content_type=FORM))
        assert resp.status == 200
        return all_text(json.loads(resp.body))

    try:
        assert NEW_TEXT not in ask()
        src = tmp_path / "cables.txt"
        src.write_text(STATEMENT)
        proc = cli(base_env(tmp_path, DATABASE_URL=db), "ingest", str(src))
        assert proc.returncode == 0, proc.stderr
        wait_for(lambda: NEW_TEXT in ask(), CONTRACT_SECONDS)
        # Its dated item is in /commitments' data too (the same snapshot).
        assert any("undersea cable routes" in c.text for c in services.commitments)
    finally:
        watcher.stop()
