"""`briefbot serve --http` as a real process, driven with signed HTTP requests."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from e2e_conf import SECRET, TOKEN
from fakeslack import post_signed, slash_command_body
from helpers import all_text, assert_valid_blocks
from paths import ROOT
from serving import base_env, free_port, running_server, serve_fails

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def server(fake, tmp_path):
    with running_server(fake.url, tmp_path) as running:
        yield running.url, running.proc


def test_healthz(server):
    url, _ = server
    with urllib.request.urlopen(f"{url}/healthz") as r:
        assert json.loads(r.read()) == {"ok": True}


def test_signed_slash_command_is_answered_in_the_ack(server, fake):
    url, _ = server
    body = slash_command_body(
        "/brief", "navgation talks heixiazi", response_url=fake.response_url()
    )
    status, resp_body, _ = post_signed(f"{url}/slack/events", body, SECRET, content_type=FORM)
    assert status == 200
    payload = json.loads(resp_body)
    assert payload["response_type"] == "ephemeral"
    assert "Heixiazi Island" in all_text(payload)
    assert_valid_blocks(payload["blocks"])


@pytest.mark.parametrize(
    ("secret", "age"), [("not-the-secret", 0), (SECRET, 60 * 10)], ids=["bad-signature", "stale"]
)
def test_bad_signature_or_stale_timestamp_is_401_and_nothing_runs(server, fake, secret, age):
    url, _ = server
    body = slash_command_body("/brief", "navigation", response_url=fake.response_url())
    status, _, _ = post_signed(
        f"{url}/slack/events", body, secret, content_type=FORM, timestamp=int(time.time()) - age
    )
    assert status == 401
    time.sleep(0.3)
    assert fake.calls_to("response_url") == []


def test_unknown_path_is_404(server):
    url, _ = server
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{url}/nope")
    assert exc.value.code == 404


@pytest.mark.parametrize(
    ("extra", "args", "message"),
    [
        ({"SLACK_BOT_TOKEN": TOKEN}, ["--http"], "SLACK_SIGNING_SECRET: not set"),
        (
            {"SLACK_BOT_TOKEN": "not-a-token", "SLACK_SIGNING_SECRET": "x"},
            [],
            "SLACK_BOT_TOKEN: must be",
        ),
        (
            {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "x"},
            ["--socket"],
            "SLACK_APP_TOKEN: not set",
        ),
        ({"PORT": "http"}, ["--http"], "PORT: 'http' is not a TCP port"),
        ({"BRIEFBOT_TIMEZONE": "Mars/Olympus"}, [], "BRIEFBOT_TIMEZONE: 'Mars/Olympus'"),
    ],
)
def test_bad_configuration_exits_2_naming_the_variable(tmp_path, extra, args, message):
    lines = serve_fails(tmp_path, args, **extra)
    assert len(lines) == 1 and message in lines[0], lines
    assert not any("xoxb-test" in line for line in lines)


def test_unreachable_slack_is_a_clear_error(tmp_path):
    env = base_env(
        tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--http"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN" in proc.stderr and TOKEN not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_console_answers_a_typed_brief_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=base_env(tmp_path),
        input="/brief navgation talks heixiazi\n@briefbot Kofi Annan\n/nope\nquit\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "│ The two sides agreed to start formal negotiation" in proc.stdout
    assert "China–Russia Joint Communiqué, 6 Dec 2012, ¶35" in proc.stdout
    assert "Kofi Annan" in proc.stdout and "Unknown command '/nope'" in proc.stdout


def test_core_imports_no_slack():
    code = (
        "import sys, bot.cli, bot.search, bot.reading.documents, bot.reading.clauses, "
        "bot.reading.clean, bot.config, "
        "bot.services, bot.console, bot.ingest, bot.timeexpr, bot.commitments, handlers.blocks, "
        "handlers.commands, handlers.mentions, handlers.actions, handlers.home; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('slack_bolt', 'slack_sdk')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
