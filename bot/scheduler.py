"""APScheduler 3.x wiring: one interval job that runs :func:`bot.reminders.run_due`.

This module builds schedulers and never starts them; the entry point (``briefbot serve``
or the ``briefbot scheduler`` clock process) decides when to start and stop.

Why an in-memory job store is enough: the only job is re-added, with a fixed id and
``replace_existing=True``, every time the process starts, so there is nothing worth
persisting in APScheduler. What must survive a restart — which reminders were posted and
when the last run finished — lives in briefbot's own database (the reminder ledger and
the watermark). Catching up after downtime is :func:`bot.reminders.run_due`'s job:
reminders due within the grace period are posted on the first tick, older ones missed
while down go into one summary. APScheduler's own misfire handling only covers a tick
that runs late while the process is alive (``coalesce`` runs it once). A persistent job
store would also forbid a second scheduler on the same store (APScheduler FAQ), whereas
the ledger makes a second scheduler harmless: each reminder is claimed by one process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, overload

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.commitments import Commitment
from bot.config import Settings
from bot.library import Library
from bot.reminders import Poster, RunReport, run_due
from bot.store import Store

__all__ = [
    "JOB_ID",
    "SOURCES_JOB_ID",
    "add_sources_job",
    "build_scheduler",
    "make_sources_tick",
    "make_tick",
]

log = logging.getLogger(__name__)

#: The reminder job's id (fixed, so re-adding it at start-up replaces it).
JOB_ID = "briefbot-reminders"
#: The followed sources' job (:func:`add_sources_job`).
SOURCES_JOB_ID = "briefbot-sources"


@overload
def build_scheduler(
    settings: Settings,
    tick: Callable[[], object],
    *,
    interval_seconds: int = ...,
    blocking: Literal[False] = ...,
) -> BackgroundScheduler: ...
@overload
def build_scheduler(
    settings: Settings,
    tick: Callable[[], object],
    *,
    interval_seconds: int = ...,
    blocking: Literal[True],
) -> BlockingScheduler: ...
def build_scheduler(
    settings: Settings,
    tick: Callable[[], object],
    *,
    interval_seconds: int = 60,
    blocking: bool = False,
) -> BackgroundScheduler | BlockingScheduler:
    """A not-yet-started scheduler running ``tick`` every ``interval_seconds``.

    ``blocking=True`` gives a BlockingScheduler for the ``briefbot scheduler`` clock
    process; otherwise a BackgroundScheduler to run beside the Slack app. Time zone is
    ``settings.timezone``; job defaults: ``coalesce=True`` (a backlog of ticks runs once),
    ``max_instances=1`` (ticks never overlap), ``misfire_grace_time`` = the reminder grace
    period. The first tick is due immediately at start, so a restarted bot catches up at
    once. Jobs live in memory (see the module docstring for why that is enough).
    """
    if interval_seconds < 1:
        raise ValueError(f"interval_seconds must be at least 1, got {interval_seconds}")
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        timezone=settings.timezone,
        jobstores={"default": MemoryJobStore()},
        # Two threads: a long check of the followed sources never holds up reminders
        # (each job still runs one at a time: max_instances=1).
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": max(1, int(settings.grace.total_seconds())),
        },
    )
    scheduler.add_job(
        tick,
        trigger=IntervalTrigger(seconds=interval_seconds, timezone=settings.timezone),
        id=JOB_ID,
        name="briefbot reminders",
        replace_existing=True,
        next_run_time=datetime.now(settings.timezone),
    )
    return scheduler


def make_tick(
    store: Store,
    commitments: Callable[[], Iterable[Commitment]],
    *,
    settings: Settings,
    poster: Poster,
    owner: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Callable[[], RunReport]:
    """The scheduler's job: :func:`run_due` at the current instant (UTC).

    ``commitments`` is called on every tick, so a reloaded corpus is picked up. ``clock``
    exists for tests.
    """

    def tick() -> RunReport:
        return run_due(
            store,
            commitments(),
            now=clock(),
            settings=settings,
            poster=poster,
            owner=owner,
        )

    return tick


def add_sources_job(
    scheduler: BackgroundScheduler | BlockingScheduler,
    tick: Callable[[], object],
    *,
    settings: Settings,
) -> None:
    """Add the followed sources' job: ``tick`` every ``settings.sources_tick`` seconds
    (first run at start). Each source has its own interval (its ``next_check_at``);
    the tick only checks those that are due (:func:`bot.sources.check_due`)."""
    scheduler.add_job(
        tick,
        trigger=IntervalTrigger(seconds=settings.sources_tick, timezone=settings.timezone),
        id=SOURCES_JOB_ID,
        name="briefbot sources",
        replace_existing=True,
        next_run_time=datetime.now(settings.timezone),
        misfire_grace_time=max(1, settings.sources_tick),
    )


def make_sources_tick(
    library: Library,
    announce: Callable[[Any], None] | None,
    *,
    team_ids: Sequence[str] | None = None,
) -> Callable[[], int]:
    """The sources job: check the due sources (of ``team_ids``, else all), store what is
    new, post the announcements owed with ``announce``; the number of checks run. A
    failure is logged, never raised (the next tick tries again)."""
    from bot.sources import check_due

    def tick() -> int:
        try:
            reports = check_due(library, announce=announce, team_ids=team_ids)
        except Exception:
            log.exception("followed sources: the check failed")
            return 0
        for r in reports:
            added = sum(1 for i in r.items if i.outcome == "added")
            if r.error:
                log.warning("source %s: %s", r.source, r.error)
            elif added:
                log.info("source %s: %d new statement(s)", r.source, added)
        return len(reports)

    return tick
