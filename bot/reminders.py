"""Which reminders are due at an instant, and posting each of them exactly once.

No Slack here: posting goes through a :class:`Poster` (the Slack one lives with the app,
tests use fakes). The ledger in :mod:`bot.store` is the source of truth.

Timeline of one reminder (``fire_at`` = local reminder time on its day, in UTC)::

    now - grace < fire_at <= now            due: posted individually
    watermark < fire_at <= now - grace      fell due while the bot was down: one summary
    fire_at <= watermark, or no watermark   before the last run (or first start): recorded
      (and fire_at <= now - grace)          "skipped", never posted
    fire_at <= now - catch_up               too old to be worth a summary: "skipped"

Failed reminders are retried while within grace; past grace they join the next summary
(until :data:`MAX_ATTEMPTS` failures or the catch-up horizon).

The watermark (meta key ``"watermark"``) is the ``now`` of the last completed run; it
only moves forward. Posting is claim -> post -> record: :meth:`bot.store.Store.claim`
makes exactly one process the poster of a key; a claim whose holder died is taken over
when its lease expires, and the new holder first asks :meth:`Poster.find_posted` whether
the message is already in Slack before posting again.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.commitments import OPEN_STATUSES, Commitment
from bot.config import ConfigError, Settings
from bot.store import DEFAULT_TEAM, ReminderRow, Store

__all__ = [
    "DEFAULT_LEASE",
    "MAX_ATTEMPTS",
    "MAX_CATCH_UP",
    "NON_RETRYABLE_DELAY",
    "WATERMARK",
    "Plan",
    "PostError",
    "Poster",
    "Reminder",
    "RunReport",
    "default_owner",
    "lead_label",
    "plan",
    "run_due",
    "schedule_for",
]

log = logging.getLogger(__name__)

#: Meta key of the last completed run instant (ISO 8601, UTC, microseconds).
WATERMARK = "watermark"
#: How long a claim protects a reminder being posted; after that it counts as crashed.
DEFAULT_LEASE = timedelta(minutes=5)
#: A non-retryable failure (e.g. channel_not_found, not_in_channel) is tried again only
#: after this long, so a misconfiguration does not hit Slack every minute, yet fixing it
#: (inviting the bot) lets the reminder through while it is still due.
NON_RETRYABLE_DELAY = timedelta(hours=1)
#: A failed reminder older than the grace period is retried in summaries until it has
#: failed this many times in total; then it stays ``failed`` (see ``Store.reminders``).
MAX_ATTEMPTS = 10
#: Reminders that fell due longer ago than this are never summarized, only skipped: a
#: stale watermark (e.g. from ``briefbot remind --as-of 2013-…``) must not flood Slack.
MAX_CATCH_UP = timedelta(days=30)


def _utc(value: datetime, name: str = "now") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(UTC)), got {value!r}")
    return value.astimezone(UTC)


def default_owner() -> str:
    """An owner name for ledger claims: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lead_label(lead: timedelta) -> str:
    """``30d``, ``12h``, ``90m``: the lead time as used in reminder keys."""
    seconds = int(lead.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


@dataclass(frozen=True)
class Reminder:
    """One reminder of one dated commitment. ``fire_at`` is aware UTC."""

    key: str
    commitment: Commitment
    kind: str  # "lead" | "overdue"
    lead: timedelta | None
    fire_at: datetime

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``briefbot remind --json``."""
        c = self.commitment
        return {
            "key": self.key,
            "commitment_id": c.id,
            "kind": self.kind,
            "lead": lead_label(self.lead) if self.lead is not None else None,
            "fire_at": self.fire_at.isoformat(),
            "due": c.due.isoformat() if c.due else None,
            "text": c.text,
            "citation": c.citation,
        }


def _local(day: date, at_time: time, tz: ZoneInfo) -> datetime:
    # combine() with tzinfo, then to UTC: zoneinfo picks the offset valid on that day.
    return datetime.combine(day, at_time, tzinfo=tz).astimezone(UTC)


def schedule_for(
    commitment: Commitment,
    *,
    leads: Iterable[timedelta],
    at_time: time,
    tz: ZoneInfo,
) -> list[Reminder]:
    """Every reminder of a dated commitment, by fire time; ``[]`` when it has no due date.

    A whole-day lead L fires at ``at_time`` local on the calendar day ``due - L``; a
    shorter lead (e.g. 12h) fires L before ``at_time`` on the due day. One ``overdue``
    reminder fires at ``at_time`` local on the day after ``due``. Keys carry the due date,
    so a re-dated commitment gets fresh reminders.
    """
    due = commitment.due
    if due is None:
        return []
    prefix = f"{commitment.id}|{due.isoformat()}"
    out: dict[str, Reminder] = {}
    for lead in leads:
        if lead % timedelta(days=1) == timedelta(0):
            fire_at = _local(due - lead, at_time, tz)
        else:
            fire_at = _local(due, at_time, tz) - lead
        key = f"{prefix}|lead-{lead_label(lead)}"
        out[key] = Reminder(key, commitment, "lead", lead, fire_at)
    key = f"{prefix}|overdue"
    out[key] = Reminder(
        key, commitment, "overdue", None, _local(due + timedelta(days=1), at_time, tz)
    )
    return sorted(out.values(), key=lambda r: (r.fire_at, r.key))


@dataclass(frozen=True)
class Plan:
    """What a run at ``now`` would do (see the module docstring for the windows)."""

    now: datetime
    watermark: datetime | None
    post: list[Reminder] = field(default_factory=list)
    summarize: list[Reminder] = field(default_factory=list)
    skip: list[Reminder] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``briefbot remind --dry-run --json``."""
        return {
            "now": self.now.isoformat(),
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "post": [r.to_json() for r in self.post],
            "summarize": [r.to_json() for r in self.summarize],
            "skip": [r.to_json() for r in self.skip],
        }


def _claimable(row: ReminderRow | None, now: datetime) -> bool:
    if row is None:
        return True
    if row.state == "claimed":
        return row.lease_expires is not None and row.lease_expires < now
    if row.state == "failed":
        return row.next_attempt_at is None or row.next_attempt_at <= now
    return False  # sent, skipped, summarized


def watermark_key(scope: str | None = None) -> str:
    """The meta key of a run's watermark: one per workspace when ``scope`` (a team id)."""
    return f"{WATERMARK}:{scope}" if scope else WATERMARK


def scoped(reminder: Reminder, scope: str | None) -> Reminder:
    """The reminder with its ledger key prefixed by ``scope`` (a team id), so that every
    workspace gets each reminder once; unchanged without a scope."""
    return replace(reminder, key=f"{scope}|{reminder.key}") if scope else reminder


def read_watermark(store: Store, scope: str | None = None) -> datetime | None:
    """The last completed run instant, or None before the first run."""
    value = store.get_meta(watermark_key(scope))
    if value is None:
        return None
    try:
        return _utc(datetime.fromisoformat(value), WATERMARK)
    except ValueError:
        log.warning("ignoring unreadable reminder watermark %r", value)
        return None


def plan(
    commitments: Iterable[Commitment],
    statuses: Mapping[str, str],
    *,
    now: datetime,
    settings: Settings,
    store: Store,
    catch_up: timedelta = MAX_CATCH_UP,
    scope: str | None = None,
) -> Plan:
    """Sort the reminders of open commitments that fell due by ``now`` into post/summarize/skip.

    Read-only. ``statuses`` maps commitment id -> status (missing = ``not_yet_rated``);
    only :data:`bot.commitments.OPEN_STATUSES` of the kinds in
    ``settings.reminder_kinds`` (``BRIEFBOT_REMINDER_KINDS``) get reminders. Reminders already sent,
    skipped or summarized, held by a live claim, or waiting for their retry time are left
    out. ``catch_up`` bounds how far back a summary reaches. ``scope`` (a workspace's team
    id) prefixes the ledger keys and names its own watermark.
    """
    now = _utc(now)
    watermark = read_watermark(store, scope)
    rows = {r.key: r for r in store.reminders()}
    cutoff = now - settings.grace
    horizon = now - max(catch_up, settings.grace)
    result = Plan(now=now, watermark=watermark)
    seen: set[str] = set()
    for commitment in commitments:
        if statuses.get(commitment.id, "not_yet_rated") not in OPEN_STATUSES:
            continue
        if commitment.kind not in settings.reminder_kinds:
            continue  # BRIEFBOT_REMINDER_KINDS leaves this kind out
        for reminder in schedule_for(
            commitment,
            leads=settings.reminder_leads,
            at_time=settings.reminder_time,
            tz=settings.timezone,
        ):
            reminder = scoped(reminder, scope)
            if reminder.fire_at > now:
                break
            if reminder.key in seen:
                continue
            seen.add(reminder.key)
            row = rows.get(reminder.key)
            if reminder.fire_at > cutoff:
                if _claimable(row, now):
                    result.post.append(reminder)
            elif row is None:
                if watermark is not None and reminder.fire_at > max(watermark, horizon):
                    result.summarize.append(reminder)
                else:
                    result.skip.append(reminder)
            elif (
                reminder.fire_at > horizon
                and _claimable(row, now)
                and not (row.state == "failed" and row.attempts >= MAX_ATTEMPTS)
            ):
                # Failed, or its poster crashed, and now past grace: retry in a summary.
                result.summarize.append(reminder)
    for bucket in (result.post, result.summarize, result.skip):
        bucket.sort(key=lambda r: (r.fire_at, r.key))
    return result


class PostError(Exception):
    """Posting failed. ``retryable``: worth trying again soon (rate limit, 5xx, network)."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Poster(Protocol):
    """Where reminders go (Slack in production). Implementations raise :class:`PostError`.

    Messages should carry their ledger key(s) in message metadata (a summary: all its
    keys) so that :meth:`find_posted` can recognise them after a crash.
    """

    def post(self, reminder: Reminder, channel: str) -> str:
        """Post one reminder; return the message ts."""
        ...

    def post_summary(self, reminders: list[Reminder], channel: str) -> str:
        """Post one message listing reminders missed while the bot was down; return its ts."""
        ...

    def find_posted(self, key: str, channel: str, since: datetime) -> str | None:
        """The ts of a message posted since ``since`` carrying ``key``; None if unknown."""
        ...


@dataclass
class RunReport:
    """What :func:`run_due` did. ``failed`` holds (key, reason) pairs."""

    plan: Plan
    posted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    summarized: list[str] = field(default_factory=list)
    skipped: int = 0
    recovered: list[str] = field(default_factory=list)
    #: Keys another process held (or took first): not ours to post.
    contended: list[str] = field(default_factory=list)
    summary_ts: str | None = None
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``briefbot remind --json``."""
        return {
            "now": self.plan.now.isoformat(),
            "dry_run": self.dry_run,
            "posted": self.posted,
            "failed": [{"key": k, "reason": r} for k, r in self.failed],
            "summarized": self.summarized,
            "skipped": self.skipped,
            "recovered": self.recovered,
            "contended": self.contended,
            "plan": self.plan.to_json(),
        }


class _Run:
    """The state of one non-dry run (keeps run_due's steps small)."""

    def __init__(
        self,
        store: Store,
        poster: Poster,
        *,
        now: datetime,
        channel: str,
        owner: str,
        lease: timedelta,
        report: RunReport,
    ) -> None:
        self.store, self.poster, self.now = store, poster, now
        self.channel, self.owner, self.lease, self.report = channel, owner, lease, report

    def claim(self, reminder: Reminder) -> tuple[bool, ReminderRow | None]:
        """Claim; also return the row as it was before (to spot a takeover)."""
        prior = self.store.reminder(reminder.key)
        won = self.store.claim(
            reminder.key,
            commitment_id=reminder.commitment.id,
            kind=reminder.kind,
            fire_at=reminder.fire_at,
            owner=self.owner,
            now=self.now,
            lease=self.lease,
        )
        if not won:
            self.report.contended.append(reminder.key)
        return won, prior

    def already_posted(self, reminder: Reminder, prior: ReminderRow | None) -> str | None:
        """After taking over a crashed or failed attempt: is the message in Slack already?

        Raises PostError (retryable) if the lookup itself should be retried later.
        """
        if prior is None or prior.state not in ("claimed", "failed"):
            return None
        since = min(reminder.fire_at, prior.updated_at)
        try:
            return self.poster.find_posted(reminder.key, self.channel, since)
        except PostError as exc:
            if exc.retryable:
                raise
            # e.g. missing history scope: a possible duplicate beats a lost reminder.
            log.warning("cannot check whether %s was posted (%s); posting", reminder.key, exc)
            return None

    def fail(self, key: str, exc: PostError) -> None:
        retry_at = None if exc.retryable else self.now + NON_RETRYABLE_DELAY
        self.store.mark_failed(
            key, owner=self.owner, error=exc.reason, now=self.now, retry_at=retry_at
        )
        self.report.failed.append((key, exc.reason))
        log.warning(
            "reminder %s not posted to %s: %s (%s)",
            key,
            self.channel,
            exc.reason,
            "will retry" if exc.retryable else f"retry after {NON_RETRYABLE_DELAY}",
        )

    def unexpected(self, keys: list[str], exc: Exception) -> None:
        # We cannot know whether the message went out: keep the claim, let its lease expire
        # and the next holder check find_posted before posting.
        log.error("posting %s raised an unexpected error", ", ".join(keys), exc_info=exc)
        self.report.failed.extend((k, f"unexpected error: {type(exc).__name__}") for k in keys)

    def post_one(self, reminder: Reminder) -> None:
        won, prior = self.claim(reminder)
        if not won:
            return
        try:
            ts = self.already_posted(reminder, prior)
            if ts is not None:
                self.mark_sent(reminder.key, ts)
                self.report.recovered.append(reminder.key)
                log.info("reminder %s was already posted (ts %s); recorded", reminder.key, ts)
                return
            ts = self.poster.post(reminder, self.channel)
        except PostError as exc:
            self.fail(reminder.key, exc)
            return
        except Exception as exc:
            self.unexpected([reminder.key], exc)
            return
        self.mark_sent(reminder.key, ts)
        self.report.posted.append(reminder.key)

    def mark_sent(self, key: str, ts: str) -> None:
        self.store.mark_sent(
            key, owner=self.owner, channel=self.channel, message_ts=ts, now=self.now
        )

    def mark_summarized(self, key: str, ts: str) -> None:
        self.store.mark(
            key, "summarized", now=self.now, owner=self.owner, channel=self.channel, message_ts=ts
        )

    def summarize(self, reminders: list[Reminder]) -> None:
        batch: list[Reminder] = []
        for reminder in reminders:
            won, prior = self.claim(reminder)
            if not won:
                continue
            try:
                ts = self.already_posted(reminder, prior)
            except PostError as exc:
                self.fail(reminder.key, exc)
                continue
            except Exception as exc:
                self.unexpected([reminder.key], exc)
                continue
            if ts is not None:
                self.mark_summarized(reminder.key, ts)
                self.report.recovered.append(reminder.key)
            else:
                batch.append(reminder)
        if not batch:
            return
        try:
            ts = self.poster.post_summary(batch, self.channel)
        except PostError as exc:
            for reminder in batch:
                self.fail(reminder.key, exc)
            return
        except Exception as exc:
            self.unexpected([r.key for r in batch], exc)
            return
        for reminder in batch:
            self.mark_summarized(reminder.key, ts)
            self.report.summarized.append(reminder.key)
        self.report.summary_ts = ts

    def skip(self, reminders: list[Reminder]) -> None:
        for r in reminders:
            if self.store.mark(
                r.key,
                "skipped",
                now=self.now,
                commitment_id=r.commitment.id,
                kind=r.kind,
                fire_at=r.fire_at,
            ):
                self.report.skipped += 1


def run_due(
    store: Store,
    commitments: Iterable[Commitment],
    *,
    now: datetime,
    settings: Settings,
    poster: Poster,
    owner: str,
    dry_run: bool = False,
    lease: timedelta = DEFAULT_LEASE,
    catch_up: timedelta = MAX_CATCH_UP,
    scope: str | None = None,
) -> RunReport:
    """Post the reminders due at ``now`` (each exactly once), summarize missed ones, record.

    ``now`` must be timezone-aware. ``dry_run`` only plans: nothing is claimed, posted or
    recorded. Failures are recorded in the ledger (``failed``, retried by later runs) and
    logged; they never stop the run. Finally the watermark moves forward to ``now``.
    Raises ConfigError when the reminder channel is not set (except in a dry run).
    ``scope`` (a workspace's team id, when installed into many) keeps that workspace's
    ledger keys, watermark and commitment statuses apart from the others'.
    """
    now = _utc(now)
    commitments = list(commitments)
    the_plan = plan(
        commitments,
        # The workspace's own statuses: another marking an item met stops only its own.
        store.statuses(team_id=scope or DEFAULT_TEAM),
        now=now,
        settings=settings,
        store=store,
        catch_up=catch_up,
        scope=scope,
    )
    report = RunReport(plan=the_plan, dry_run=dry_run)
    if dry_run:
        return report
    if not settings.reminder_channel:
        raise ConfigError("BRIEFBOT_REMINDER_CHANNEL: not set; reminders need a channel")
    run = _Run(
        store,
        poster,
        now=now,
        channel=settings.reminder_channel,
        owner=owner,
        lease=lease,
        report=report,
    )
    for reminder in the_plan.post:
        run.post_one(reminder)
    run.summarize(the_plan.summarize)
    run.skip(the_plan.skip)
    store.set_meta(
        watermark_key(scope), now.isoformat(timespec="microseconds"), only_if_greater=True
    )
    if report.posted or report.summarized or report.failed or report.recovered:
        log.info(
            "reminders at %s: %d posted, %d summarized, %d failed, %d recovered, %d skipped",
            now.isoformat(),
            len(report.posted),
            len(report.summarized),
            len(report.failed),
            len(report.recovered),
            report.skipped,
        )
    return report
