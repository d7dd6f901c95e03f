"""Scheduler wiring: built, configured, never started by the builder; no timed tests."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from test_reminders import NAV, TRADE, FakePoster, make_settings

from bot.reminders import WATERMARK, RunReport
from bot.scheduler import JOB_ID, build_scheduler, make_tick
from bot.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
ROOT = Path(__file__).resolve().parent.parent


def noop() -> None:
    return None


@pytest.fixture
def settings():
    return make_settings(timezone=BERLIN, grace=timedelta(days=2))


def test_builder_returns_a_stopped_background_scheduler(settings):
    scheduler = build_scheduler(settings, noop)
    assert type(scheduler) is BackgroundScheduler
    assert scheduler.state == STATE_STOPPED
    assert not scheduler.running
    assert scheduler.timezone == BERLIN


def test_blocking_option_for_the_clock_process(settings):
    scheduler = build_scheduler(settings, noop, blocking=True)
    assert type(scheduler) is BlockingScheduler
    assert scheduler.state == STATE_STOPPED


@pytest.mark.parametrize(
    ("grace", "misfire_seconds"),
    [(timedelta(days=2), 172800), (timedelta(hours=6), 21600), (timedelta(0), 1)],
)
def test_job_defaults_and_job(grace, misfire_seconds):
    scheduler = build_scheduler(
        make_settings(timezone=BERLIN, grace=grace), noop, interval_seconds=90
    )
    scheduler.start(paused=True)
    try:
        assert scheduler.state == STATE_PAUSED
        job = scheduler.get_job(JOB_ID)
        assert (job.id, job.func, job.coalesce, job.max_instances, job.misfire_grace_time) == (
            "briefbot-reminders",
            noop,
            True,
            1,
            misfire_seconds,
        )
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(seconds=90)
        assert job.trigger.timezone == BERLIN
        assert job.next_run_time is not None
        assert job.next_run_time <= datetime.now(UTC) + timedelta(seconds=1)  # first tick at once
        assert [j.id for j in scheduler.get_jobs()] == [JOB_ID]
    finally:
        scheduler.shutdown(wait=False)


def test_job_is_pending_before_start(settings):
    scheduler = build_scheduler(settings, noop)
    assert [j.id for j in scheduler.get_jobs()] == [JOB_ID]


def test_readding_the_job_replaces_it(settings):
    scheduler = build_scheduler(settings, noop)
    scheduler.start(paused=True)
    try:
        scheduler.add_job(noop, "interval", seconds=5, id=JOB_ID, replace_existing=True)
        assert len(scheduler.get_jobs()) == 1
    finally:
        scheduler.shutdown(wait=False)


def test_bad_interval_is_rejected(settings):
    with pytest.raises(ValueError, match="interval_seconds"):
        build_scheduler(settings, noop, interval_seconds=0)


def test_job_func_runs_the_reminders(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    poster = FakePoster()
    settings = make_settings()
    tick = make_tick(
        store,
        lambda: [NAV, TRADE],
        settings=settings,
        poster=poster,
        owner="clock",
        clock=lambda: datetime(2013, 6, 23, 9, 0, tzinfo=UTC),
    )
    scheduler = build_scheduler(settings, tick)
    job = scheduler.get_job(JOB_ID)
    report = job.func()
    assert isinstance(report, RunReport)
    assert poster.posts == ["nav|2013-06-30|lead-7d"]
    job.func()  # the next tick at the same instant posts nothing more
    assert poster.posts == ["nav|2013-06-30|lead-7d"]
    store.close()


def test_default_tick_clock_is_aware_utc_now(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    tick = make_tick(store, list, settings=make_settings(), poster=FakePoster(), owner="clock")
    before = datetime.now(UTC)
    report = tick()
    assert report.plan.now.tzinfo is UTC
    assert before <= report.plan.now <= datetime.now(UTC)
    store.close()


def test_core_modules_do_not_import_slack():
    code = (
        "import sys, bot.store, bot.reminders, bot.scheduler; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('slack_bolt', 'slack_sdk')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
