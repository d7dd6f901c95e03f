"""Reminder schedule, planning and exactly-once posting under a frozen clock (no sleeping)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import commitment

from bot.config import ConfigError, Settings
from bot.reminders import (
    NON_RETRYABLE_DELAY,
    WATERMARK,
    PostError,
    Reminder,
    plan,
    run_due,
    schedule_for,
)
from bot.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
LEADS = (timedelta(days=30), timedelta(days=7), timedelta(0))


NAV = commitment("nav", date(2013, 6, 30))
TRADE = commitment("trade", date(2014, 12, 31))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "reminder_channel": "C123",
        "timezone": ZoneInfo("UTC"),
        "reminder_leads": LEADS,
        "reminder_time": time(9, 0),
        "grace": timedelta(days=2),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


class SimulatedCrash(BaseException):
    """The process dying between claim and post (not an Exception: nothing catches it)."""


class FakePoster:
    """Records posts; can fail (PostError), crash, or claim a key is already in Slack."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.summaries: list[list[str]] = []
        self.lookups: list[str] = []
        self.errors: list[Exception] = []  # raised by the next post() calls
        self.summary_errors: list[Exception] = []  # raised by the next post_summary() calls
        self.crash = False
        self.already_posted: dict[str, str] = {}
        self._lock = threading.Lock()

    def _maybe_fail(self, errors: list[Exception]) -> None:
        if self.crash:
            raise SimulatedCrash
        if errors:
            raise errors.pop(0)

    def post(self, reminder: Reminder, channel: str) -> str:
        with self._lock:
            self._maybe_fail(self.errors)
            self.posts.append(reminder.key)
            return f"ts-{len(self.posts)}"

    def post_summary(self, reminders: list[Reminder], channel: str) -> str:
        with self._lock:
            self._maybe_fail(self.summary_errors)
            self.summaries.append([r.key for r in reminders])
            return f"summary-ts-{len(self.summaries)}"

    def find_posted(self, key: str, channel: str, since: datetime) -> str | None:
        with self._lock:
            self.lookups.append(key)
            return self.already_posted.get(key)


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'briefbot.db'}")
    yield s
    s.close()


@pytest.fixture
def poster():
    return FakePoster()


def run(store, poster, now, commitments=(NAV, TRADE), owner="a", **settings):
    return run_due(
        store, commitments, now=now, settings=make_settings(**settings), poster=poster, owner=owner
    )


# -- schedule_for --------------------------------------------------------------------


def test_schedule_keys_and_times_in_utc():
    got = schedule_for(NAV, leads=LEADS, at_time=time(9, 0), tz=ZoneInfo("UTC"))
    assert [(r.key, r.kind, r.lead, r.fire_at.isoformat()) for r in got] == [
        ("nav|2013-06-30|lead-30d", "lead", timedelta(days=30), "2013-05-31T09:00:00+00:00"),
        ("nav|2013-06-30|lead-7d", "lead", timedelta(days=7), "2013-06-23T09:00:00+00:00"),
        ("nav|2013-06-30|lead-0d", "lead", timedelta(0), "2013-06-30T09:00:00+00:00"),
        ("nav|2013-06-30|overdue", "overdue", None, "2013-07-01T09:00:00+00:00"),
    ]


def test_seven_day_lead_fires_at_local_time_in_berlin():
    got = {r.key: r.fire_at for r in schedule_for(NAV, leads=LEADS, at_time=time(9), tz=BERLIN)}
    assert got["nav|2013-06-30|lead-7d"] == utc("2013-06-23T07:00")  # 09:00 CEST
    assert got["nav|2013-06-30|lead-7d"].astimezone(BERLIN).hour == 9


@pytest.mark.parametrize(
    ("due", "expected_utc"),
    [
        (date(2024, 3, 29), "2024-03-29T08:00"),  # CET, before the spring change
        (date(2024, 3, 31), "2024-03-31T07:00"),  # the change day itself (02:00 -> 03:00)
        (date(2024, 4, 2), "2024-04-02T07:00"),  # CEST
        (date(2024, 10, 25), "2024-10-25T07:00"),  # CEST, before the autumn change
        (date(2024, 10, 27), "2024-10-27T08:00"),  # the change day itself (03:00 -> 02:00)
        (date(2024, 10, 28), "2024-10-28T08:00"),  # CET again
    ],
)
def test_dst_correct_fire_times(due, expected_utc):
    (reminder,) = [
        r
        for r in schedule_for(
            commitment("x", due), leads=(timedelta(0),), at_time=time(9), tz=BERLIN
        )
        if r.kind == "lead"
    ]
    assert reminder.fire_at == utc(expected_utc)


def test_leads_across_a_dst_change_keep_local_time():
    got = schedule_for(
        commitment("x", date(2024, 4, 2)),
        leads=(timedelta(days=7), timedelta(0)),
        at_time=time(9),
        tz=BERLIN,
    )
    assert [(r.key, r.fire_at) for r in got] == [
        ("x|2024-04-02|lead-7d", utc("2024-03-26T08:00")),
        ("x|2024-04-02|lead-0d", utc("2024-04-02T07:00")),
        ("x|2024-04-02|overdue", utc("2024-04-03T07:00")),
    ]


def test_hour_lead_counts_back_from_reminder_time_on_due_day():
    got = schedule_for(NAV, leads=(timedelta(hours=12),), at_time=time(9), tz=ZoneInfo("UTC"))
    assert (got[0].key, got[0].fire_at) == ("nav|2013-06-30|lead-12h", utc("2013-06-29T21:00"))


def test_undated_commitment_has_no_reminders():
    assert (
        schedule_for(commitment("vague", None), leads=LEADS, at_time=time(9), tz=BERLIN) == []
    )


def test_redated_commitment_gets_fresh_keys():
    old = {r.key for r in schedule_for(NAV, leads=LEADS, at_time=time(9), tz=BERLIN)}
    moved = commitment("nav", date(2013, 9, 30))
    new = {r.key for r in schedule_for(moved, leads=LEADS, at_time=time(9), tz=BERLIN)}
    assert old.isdisjoint(new)
    assert "nav|2013-09-30|lead-7d" in new


# -- planning and posting --------------------------------------------------------------


def test_posts_exactly_the_due_reminders_once(store, poster):
    store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    now = utc("2013-06-23T09:00")
    report = run(store, poster, now)
    assert report.posted == ["nav|2013-06-30|lead-7d"]
    assert poster.posts == ["nav|2013-06-30|lead-7d"]
    row = store.reminder("nav|2013-06-30|lead-7d")
    assert (row.state, row.channel, row.message_ts, row.owner) == ("sent", "C123", "ts-1", "a")

    again = run(store, poster, now, owner="b")
    assert (again.posted, again.plan.post) == ([], [])
    assert poster.posts == ["nav|2013-06-30|lead-7d"]


def test_nothing_before_fire_time(store, poster):
    store.set_meta(WATERMARK, "2013-06-23T08:00:00.000000+00:00")
    report = run(store, poster, utc("2013-06-23T08:59:59"))
    assert (report.posted, poster.posts) == ([], [])


@pytest.mark.parametrize(
    ("status", "posted"),
    [
        ("not_yet_rated", 1),
        ("in_progress", 1),
        ("stalled", 1),
        ("met", 0),
        ("partial", 0),
        ("missed", 0),
        ("not_applicable", 0),
    ],
)
def test_only_open_commitments_get_reminders(store, poster, status, posted):
    store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    store.set_status("nav", status, actor="U1")
    run(store, poster, utc("2013-06-23T09:00"))
    assert len(poster.posts) == posted


def test_first_start_with_past_dates_posts_nothing_and_records_skips(store, poster):
    now = utc("2026-05-04T09:00")
    report = run(store, poster, now)
    assert (poster.posts, poster.summaries, report.posted) == ([], [], [])
    assert report.skipped == 8  # 3 leads + overdue, for nav and trade
    assert [r.state for r in store.reminders()] == ["skipped"] * 8
    assert store.get_meta(WATERMARK) == "2026-05-04T09:00:00.000000+00:00"

    later = run(store, poster, now + timedelta(days=1))
    assert (later.skipped, later.plan.skip, poster.posts) == (0, [], [])


def test_first_start_still_posts_what_is_within_grace(store, poster):
    report = run(store, poster, utc("2013-06-24T10:00"))
    assert report.posted == ["nav|2013-06-30|lead-7d"]
    assert store.reminder("nav|2013-06-30|lead-30d").state == "skipped"


def test_downtime_posts_recent_individually_and_older_in_one_summary(store, poster):
    gas = commitment("gas", date(2013, 6, 28))
    store.set_meta(WATERMARK, "2013-06-20T12:00:00.000000+00:00")  # last run before the outage
    now = utc("2013-06-30T12:00")  # ten days later; grace 2 days -> cutoff 06-28 12:00
    report = run(store, poster, now, commitments=(NAV, gas, TRADE))

    assert poster.posts == ["gas|2013-06-28|overdue", "nav|2013-06-30|lead-0d"]
    assert poster.summaries == [
        ["gas|2013-06-28|lead-7d", "nav|2013-06-30|lead-7d", "gas|2013-06-28|lead-0d"]
    ]
    assert report.summarized == poster.summaries[0]
    assert report.skipped == 2  # the 30-day leads, already past at the last run
    summarized = store.reminder("nav|2013-06-30|lead-7d")
    assert (summarized.state, summarized.message_ts) == ("summarized", "summary-ts-1")

    run(store, poster, now + timedelta(minutes=1), commitments=(NAV, gas, TRADE))
    assert (len(poster.posts), len(poster.summaries)) == (2, 1)


@pytest.mark.parametrize(
    ("watermark", "summarized"),
    [
        # Stale watermark (e.g. an old `remind --as-of` run): the summary reaches back 30
        # days only; recent's 30-day lead (03-29) and all of nav's are skipped.
        (
            "2013-06-20T12:00:00.000000+00:00",
            ["recent|2026-04-28|lead-7d", "recent|2026-04-28|lead-0d", "recent|2026-04-28|overdue"],
        ),
        # Last run on 04-25: only what fell due after it.
        (
            "2026-04-25T12:00:00.000000+00:00",
            ["recent|2026-04-28|lead-0d", "recent|2026-04-28|overdue"],
        ),
    ],
)
def test_summaries_reach_back_only_to_the_catch_up_horizon(store, poster, watermark, summarized):
    recent = commitment("recent", date(2026, 4, 28))
    store.set_meta(WATERMARK, watermark)
    report = run(store, poster, utc("2026-05-04T09:00"), commitments=(NAV, recent))
    assert report.summarized == summarized
    assert report.skipped == 8 - len(summarized)
    assert poster.posts == []


def test_retryable_failure_is_retried_and_posted_once(store, poster):
    store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    now = utc("2013-06-23T09:00")
    poster.errors.append(PostError("ratelimited", retryable=True))
    report = run(store, poster, now)
    assert report.failed == [("nav|2013-06-30|lead-7d", "ratelimited")]
    row = store.reminder("nav|2013-06-30|lead-7d")
    assert (row.state, row.attempts, row.last_error) == ("failed", 1, "ratelimited")

    retry = run(store, poster, now + timedelta(minutes=1))
    assert retry.posted == ["nav|2013-06-30|lead-7d"]
    assert poster.posts == ["nav|2013-06-30|lead-7d"]
    assert store.reminder("nav|2013-06-30|lead-7d").state == "sent"
    run(store, poster, now + timedelta(minutes=2))
    assert poster.posts == ["nav|2013-06-30|lead-7d"]


def test_non_retryable_failure_is_logged_and_stays_failed(store, poster, caplog):
    store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    now = utc("2013-06-23T09:00")
    poster.errors.append(PostError("channel_not_found", retryable=False))
    with caplog.at_level(logging.WARNING, logger="bot.reminders"):
        report = run(store, poster, now)
    assert report.failed == [("nav|2013-06-30|lead-7d", "channel_not_found")]
    assert "channel_not_found" in caplog.text
    assert "nav|2013-06-30|lead-7d" in caplog.text
    row = store.reminder("nav|2013-06-30|lead-7d")
    assert (row.state, row.last_error, row.message_ts) == ("failed", "channel_not_found", None)

    # Not hammered every minute...
    soon = run(store, poster, now + timedelta(minutes=1))
    assert (soon.plan.post, poster.posts) == ([], [])
    assert store.reminder("nav|2013-06-30|lead-7d").state == "failed"
    # ...but retried once the delay has passed (e.g. after the bot was invited).
    later = run(store, poster, now + NON_RETRYABLE_DELAY + timedelta(minutes=1))
    assert later.posted == ["nav|2013-06-30|lead-7d"]


def test_unexpected_error_keeps_the_claim_for_recovery(store, poster):
    store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    now = utc("2013-06-23T09:00")
    poster.errors.append(RuntimeError("boom"))
    report = run(store, poster, now)
    assert report.failed == [("nav|2013-06-30|lead-7d", "unexpected error: RuntimeError")]
    assert store.reminder("nav|2013-06-30|lead-7d").state == "claimed"


@pytest.mark.parametrize(
    ("in_slack", "posts", "recovered", "ts"),
    [
        (True, [], ["nav|2013-06-30|lead-7d"], "ts-from-slack"),
        (False, ["nav|2013-06-30|lead-7d"], [], "ts-1"),
    ],
)
def test_crash_between_claim_and_post_is_recovered_once(
    store, poster, in_slack, posts, recovered, ts
):
    store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    now = utc("2013-06-23T09:00")
    poster.crash = True
    with pytest.raises(SimulatedCrash):
        run(store, poster, now, owner="dead")
    row = store.reminder("nav|2013-06-30|lead-7d")
    assert (row.state, row.owner) == ("claimed", "dead")
    assert store.get_meta(WATERMARK) == "2013-06-23T08:59:00.000000+00:00"  # run not completed
    poster.crash = False

    # Lease (5 min) still running: another process must not take over.
    early = run(store, poster, now + timedelta(minutes=1), owner="b")
    assert (poster.posts, poster.lookups, early.posted) == ([], [], [])

    if in_slack:
        poster.already_posted["nav|2013-06-30|lead-7d"] = "ts-from-slack"
    late = run(store, poster, now + timedelta(minutes=6), owner="b")
    assert poster.lookups == ["nav|2013-06-30|lead-7d"]
    assert (poster.posts, late.recovered) == (posts, recovered)
    row = store.reminder("nav|2013-06-30|lead-7d")
    assert (row.state, row.message_ts, row.owner) == ("sent", ts, "b")

    run(store, poster, now + timedelta(minutes=30), owner="c")
    assert poster.posts == posts


GAS = commitment("gas", date(2013, 6, 28))


def test_failed_summary_is_retried_as_a_whole(store, poster):
    store.set_meta(WATERMARK, "2013-06-20T12:00:00.000000+00:00")
    now = utc("2013-06-30T12:00")
    poster.summary_errors.append(PostError("fatal_error", retryable=True))
    first = run(store, poster, now, commitments=(GAS,))
    assert first.posted == ["gas|2013-06-28|overdue"]
    assert first.failed == [
        ("gas|2013-06-28|lead-7d", "fatal_error"),
        ("gas|2013-06-28|lead-0d", "fatal_error"),
    ]
    assert {r.state for r in store.reminders() if "lead-30d" not in r.key} == {"sent", "failed"}

    second = run(store, poster, now + timedelta(minutes=1), commitments=(GAS,))
    assert second.summarized == ["gas|2013-06-28|lead-7d", "gas|2013-06-28|lead-0d"]
    assert poster.summaries == [["gas|2013-06-28|lead-7d", "gas|2013-06-28|lead-0d"]]
    assert poster.posts == ["gas|2013-06-28|overdue"]


def test_failure_still_failing_after_grace_goes_into_a_summary(store, poster):
    store.set_meta(WATERMARK, "2013-06-29T08:59:00.000000+00:00")
    poster.errors.append(PostError("channel_not_found", retryable=False))
    first = run(store, poster, utc("2013-06-29T09:00"), commitments=(GAS,))
    assert first.failed == [("gas|2013-06-28|lead-0d", "channel_not_found")]
    assert first.posted == ["gas|2013-06-28|overdue"]

    later = run(store, poster, utc("2013-07-03T12:00"), commitments=(GAS,))  # grace is over
    assert later.plan.post == []
    assert later.summarized == ["gas|2013-06-28|lead-0d"]
    assert poster.summaries == [["gas|2013-06-28|lead-0d"]]
    row = store.reminder("gas|2013-06-28|lead-0d")
    assert (row.state, row.attempts) == ("summarized", 1)


def test_dry_run_touches_nothing(store, poster):
    report = run_due(
        store,
        (NAV, TRADE),
        now=utc("2026-05-04T09:00"),
        settings=make_settings(),
        poster=poster,
        owner="a",
        dry_run=True,
    )
    assert len(report.plan.skip) == 8
    assert (report.skipped, report.posted, poster.posts) == (0, [], [])
    assert (store.reminders(), store.get_meta(WATERMARK)) == ([], None)


def test_plan_is_read_only_and_sorted(store):
    store.set_meta(WATERMARK, "2013-06-20T12:00:00.000000+00:00")
    p = plan([TRADE, NAV], {}, now=utc("2013-06-30T12:00"), settings=make_settings(), store=store)
    assert [r.key for r in p.post] == ["nav|2013-06-30|lead-0d"]
    assert [r.key for r in p.summarize] == ["nav|2013-06-30|lead-7d"]
    assert [r.key for r in p.skip] == ["nav|2013-06-30|lead-30d"]
    assert p.watermark == utc("2013-06-20T12:00")
    assert store.reminders() == []


def test_watermark_never_moves_backwards(store, poster):
    run(store, poster, utc("2026-05-04T09:00"))
    run(store, poster, utc("2026-05-01T09:00"))
    assert store.get_meta(WATERMARK) == "2026-05-04T09:00:00.000000+00:00"


def test_naive_now_is_rejected(store, poster):
    with pytest.raises(ValueError, match="timezone-aware"):
        run(store, poster, datetime(2026, 5, 4, 9, 0))


def test_missing_channel_is_a_config_error(store, poster):
    with pytest.raises(ConfigError, match="BRIEFBOT_REMINDER_CHANNEL"):
        run(store, poster, utc("2026-05-04T09:00"), reminder_channel=None)


def test_non_utc_now_is_normalised(store, poster):
    store.set_meta(WATERMARK, "2013-06-23T06:59:00.000000+00:00")
    report = run(store, poster, datetime(2013, 6, 23, 9, 0, tzinfo=BERLIN), timezone=BERLIN)
    assert report.posted == ["nav|2013-06-30|lead-7d"]
    assert report.plan.now == utc("2013-06-23T07:00")


def test_report_json_shape(store, poster):
    store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    data = run(store, poster, utc("2013-06-23T09:00")).to_json()
    assert data["posted"] == ["nav|2013-06-30|lead-7d"]
    assert data["plan"]["post"][0] == {
        "key": "nav|2013-06-30|lead-7d",
        "commitment_id": "nav",
        "kind": "lead",
        "lead": "7d",
        "fire_at": "2013-06-23T09:00:00+00:00",
        "due": "2013-06-30",
        "text": "The parties will do nav by then.",
        "citation": "Doc nav, para. 1",
    }


def test_plan_leaves_out_kinds_not_configured(store):
    from dataclasses import replace

    event = replace(commitment("summit", date(2013, 6, 30)), kind="event")
    now = utc("2013-06-30T12:00")
    everything = plan([NAV, event], {}, now=now, settings=make_settings(), store=store)
    only = plan(
        [NAV, event],
        {},
        now=now,
        settings=make_settings(reminder_kinds=frozenset({"commitment"})),
        store=store,
    )
    assert {r.commitment.id for r in everything.post} == {"nav", "summit"}
    assert {r.commitment.id for r in only.post} == {"nav"}
