"""The scheduler that `briefbot serve` runs beside the Slack app, and the clock process."""

from __future__ import annotations

import io
import time

from e2e_conf import TOKEN
from paths import CORPUS

from bot.cli import main
from bot.config import Settings
from bot.reminders import WATERMARK
from bot.scheduler import JOB_ID
from bot.serve import _start_scheduler
from bot.services import build_services


def test_serve_starts_the_scheduler_and_a_first_start_posts_nothing(fake, tmp_path):
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": fake.url,
            "BRIEFBOT_CORPUS": str(CORPUS),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND",
        }
    )
    services = build_services(settings)
    scheduler = _start_scheduler(settings, services)
    try:
        assert scheduler.running and scheduler.get_job(JOB_ID) is not None
        deadline = time.monotonic() + 15
        while services.store.get_meta(WATERMARK) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert services.store.get_meta(WATERMARK) is not None, "the first tick did not run"
    finally:
        scheduler.shutdown(wait=True)
    assert fake.calls_to("chat.postMessage") == []
    assert services.store.reminders(state="skipped")  # the seeds' past reminders, recorded


def test_no_reminder_channel_means_no_scheduler(tmp_path, caplog):
    settings = Settings.from_env(
        {"BRIEFBOT_CORPUS": str(CORPUS), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    )
    assert _start_scheduler(settings, build_services(settings)) is None
    assert "BRIEFBOT_REMINDER_CHANNEL is not set" in caplog.text


def test_clock_process_without_channel_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("BRIEFBOT_REMINDER_CHANNEL", raising=False)
    err = io.StringIO()
    code = main(
        ["--corpus", str(CORPUS), "--db", f"sqlite:///{tmp_path}/d.db", "scheduler"],
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 2 and "BRIEFBOT_REMINDER_CHANNEL: not set" in err.getvalue()
    assert TOKEN not in err.getvalue()
