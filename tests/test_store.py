"""The SQLite store: status history, the reminder ledger's claim rules, persistence."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.store import StatusChange, Store, safe_url

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
KEY = "nav|2013-06-30|lead-7d"


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "var" / "briefbot.db"


@pytest.fixture
def store(db_path):
    s = Store(f"sqlite:///{db_path}")
    yield s
    s.close()


def claim(store, owner="a", now=T0, key=KEY, **kw):
    return store.claim(
        key, commitment_id="nav", kind="lead", fire_at=T0, owner=owner, now=now, **kw
    )


# -- statuses ----------------------------------------------------------------------------


def test_status_history_keeps_actor_note_and_order(store):
    store.set_status("nav", "in_progress", actor="U123", note="talks resumed", at=T0)
    store.set_status("nav", "stalled", actor="cli", at=T0 + timedelta(days=1))
    store.set_status("nav", "met", actor="U456", note="signed", at=T0 + timedelta(days=2))
    assert store.history("nav") == [
        StatusChange("nav", "in_progress", "U123", "talks resumed", T0),
        StatusChange("nav", "stalled", "cli", None, T0 + timedelta(days=1)),
        StatusChange("nav", "met", "U456", "signed", T0 + timedelta(days=2)),
    ]
    assert store.current_status("nav") == "met"


def test_unrated_commitment_defaults(store):
    assert (store.current_status("nope"), store.history("nope"), store.statuses()) == (
        "not_yet_rated",
        [],
        {},
    )


def test_statuses_returns_latest_per_commitment(store):
    store.set_status("nav", "in_progress", actor="U1", at=T0)
    store.set_status("nav", "missed", actor="U1", at=T0 + timedelta(hours=1))
    store.set_status("trade", "stalled", actor="U2", at=T0)
    # Backdated entry: older than the current one, so it does not win.
    store.set_status("trade", "met", actor="U2", at=T0 - timedelta(days=1))
    assert store.statuses() == {"nav": "missed", "trade": "stalled"}


def test_same_instant_changes_keep_insertion_order(store):
    store.set_status("nav", "in_progress", actor="U1", at=T0)
    store.set_status("nav", "met", actor="U1", at=T0)
    assert store.current_status("nav") == "met"
    assert store.statuses() == {"nav": "met"}


@pytest.mark.parametrize("bad", ["done", "MET", "", "not yet rated"])
def test_invalid_status_lists_the_valid_ones(store, bad):
    with pytest.raises(ValueError) as err:
        store.set_status("nav", bad, actor="U1")
    assert str(err.value) == (
        f"unknown status {bad!r}; valid statuses: not_yet_rated, in_progress, stalled, met, "
        "partial, missed, not_applicable"
    )
    assert store.history("nav") == []


def test_status_time_is_stored_as_utc(store):
    berlin = datetime(2026, 5, 4, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    change = store.set_status("nav", "met", actor="U1", at=berlin)
    assert change.changed_at == T0
    assert store.history("nav")[0].changed_at == T0
    assert store.history("nav")[0].changed_at.tzinfo is UTC


def test_default_change_time_is_now(store):
    before = datetime.now(UTC)
    change = store.set_status("nav", "met", actor="U1")
    assert before <= change.changed_at <= datetime.now(UTC)


# -- the ledger ----------------------------------------------------------------------------


def test_first_claim_wins_and_creates_a_claimed_row(store):
    assert claim(store, "a") is True
    assert claim(store, "b") is False
    row = store.reminder(KEY)
    assert (row.state, row.owner, row.lease_expires, row.attempts) == (
        "claimed",
        "a",
        T0 + timedelta(minutes=5),
        0,
    )


@pytest.mark.parametrize(
    ("setup", "later", "expected"),
    [
        ("claimed", timedelta(minutes=4), False),  # lease still running
        ("claimed", timedelta(minutes=5), False),  # expires exactly now: not yet
        ("claimed", timedelta(minutes=6), True),  # holder crashed: take over
        ("failed", timedelta(0), True),
        ("failed-later", timedelta(minutes=59), False),  # retry_at not reached
        ("failed-later", timedelta(hours=1), True),
        ("sent", timedelta(days=1), False),
        ("skipped", timedelta(days=1), False),
        ("summarized", timedelta(days=1), False),
    ],
)
def test_claim_rules(store, setup, later, expected):
    assert claim(store, "a")
    if setup == "failed":
        store.mark_failed(KEY, owner="a", error="ratelimited", now=T0)
    elif setup == "failed-later":
        store.mark_failed(
            KEY, owner="a", error="channel_not_found", now=T0, retry_at=T0 + timedelta(hours=1)
        )
    elif setup == "sent":
        store.mark_sent(KEY, owner="a", channel="C1", message_ts="1.0", now=T0)
    elif setup in ("skipped", "summarized"):
        store.mark(KEY, setup, now=T0)
    assert claim(store, "b", now=T0 + later) is expected
    assert store.reminder(KEY).owner == ("b" if expected else "a")


def test_mark_failed_counts_attempts_and_keeps_the_error(store):
    for n in range(1, 4):
        assert claim(store, "a", now=T0 + timedelta(minutes=n))
        assert store.mark_failed(KEY, owner="a", error=f"error {n}", now=T0 + timedelta(minutes=n))
    row = store.reminder(KEY)
    assert (row.state, row.attempts, row.last_error) == ("failed", 3, "error 3")


def test_only_the_claim_holder_can_mark_failed(store):
    assert claim(store, "a")
    store.mark_sent(KEY, owner="a", channel="C1", message_ts="1.0", now=T0)
    assert store.mark_failed(KEY, owner="a", error="late", now=T0) is False
    assert claim(store, "b", key="other")
    assert store.mark_failed("other", owner="a", error="not mine", now=T0) is False
    assert store.reminder(KEY).state == "sent"


def test_mark_never_leaves_a_final_state(store):
    assert store.mark(KEY, "skipped", now=T0, commitment_id="nav", kind="lead", fire_at=T0)
    assert store.mark(KEY, "sent", now=T0) is False
    assert store.mark(KEY, "summarized", now=T0) is False
    assert store.reminder(KEY).state == "skipped"


def test_mark_needs_row_details_to_insert(store):
    with pytest.raises(ValueError, match="not in the ledger"):
        store.mark("missing", "skipped", now=T0)
    with pytest.raises(ValueError, match="final state"):
        store.mark(KEY, "claimed", now=T0)


def test_reminders_filter_by_state(store):
    assert claim(store, "a", key="k1")
    assert claim(store, "a", key="k2")
    store.mark_sent("k2", owner="a", channel="C1", message_ts="1.0", now=T0)
    assert [r.key for r in store.reminders()] == ["k1", "k2"]
    assert [r.key for r in store.reminders("sent")] == ["k2"]
    assert store.reminder("k3") is None


@pytest.mark.parametrize("bad", ["now", "fire_at"])
def test_naive_datetimes_are_rejected(store, bad):
    naive = datetime(2026, 5, 4, 9, 0)
    kwargs = {"now": T0, "fire_at": T0, bad: naive}
    with pytest.raises(ValueError, match="timezone-aware"):
        store.claim(KEY, commitment_id="nav", kind="lead", owner="a", **kwargs)


def test_unknown_kind_is_rejected(store):
    with pytest.raises(ValueError, match="lead, overdue, summary"):
        store.claim(KEY, commitment_id="nav", kind="weekly", fire_at=T0, owner="a", now=T0)


def test_concurrent_claims_on_sqlite_have_one_winner(db_path):
    stores = [Store(f"sqlite:///{db_path}") for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    results: list[bool] = []

    def worker(s: Store) -> None:
        barrier.wait()
        results.append(claim(s, owner=str(id(s))))

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert sorted(results) == [False] * 7 + [True]


# -- meta, persistence, URLs ---------------------------------------------------------------


def test_meta_set_get_and_forward_only(store):
    assert store.get_meta("watermark") is None
    assert store.set_meta("watermark", "2026-05-04T09:00:00.000000+00:00")
    assert not store.set_meta("watermark", "2026-05-01T09:00:00.000000+00:00", only_if_greater=True)
    assert store.set_meta("watermark", "2026-05-05T09:00:00.000000+00:00", only_if_greater=True)
    assert store.get_meta("watermark") == "2026-05-05T09:00:00.000000+00:00"
    assert store.set_meta("watermark", "anything")  # unconditional set overwrites
    assert store.get_meta("watermark") == "anything"


def test_restart_keeps_ledger_statuses_and_meta(db_path):
    first = Store(f"sqlite:///{db_path}")
    first.set_status("nav", "stalled", actor="U1", note="no talks", at=T0)
    assert claim(first, "a")
    first.mark_sent(KEY, owner="a", channel="C1", message_ts="171.5", now=T0)
    first.set_meta("watermark", "2026-05-04T09:00:00.000000+00:00")
    first.close()

    second = Store(f"sqlite:///{db_path}")  # create_all again: idempotent
    assert second.history("nav") == [StatusChange("nav", "stalled", "U1", "no talks", T0)]
    row = second.reminder(KEY)
    assert (row.state, row.channel, row.message_ts, row.fire_at) == ("sent", "C1", "171.5", T0)
    assert second.get_meta("watermark") == "2026-05-04T09:00:00.000000+00:00"
    assert claim(second, "b", now=T0 + timedelta(days=1)) is False
    second.close()


def test_sqlite_file_gets_parent_dir_wal_and_busy_timeout(db_path, store):
    assert db_path.parent.is_dir()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    with sqlite3.connect(db_path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"commitment_status", "reminders", "meta"} <= tables


def test_in_memory_sqlite_works_across_threads():
    s = Store("sqlite://")
    assert claim(s, "a")
    results: list[bool] = []
    t = threading.Thread(target=lambda: results.append(claim(s, "b")))
    t.start()
    t.join()
    assert results == [False]
    s.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://bot:s3cret@db.example:5432/briefbot",
            "postgresql+psycopg://bot:***@db.example:5432/briefbot",
        ),
        ("postgresql://bot@db/briefbot", "postgresql://bot@db/briefbot"),
        ("sqlite:///var/briefbot.db", "sqlite:///var/briefbot.db"),
        ("not a url://u:p@h", "not a url://u:***@h"),
    ],
)
def test_safe_url_masks_passwords(url, expected):
    assert safe_url(url) == expected


def test_repr_hides_the_password():
    s = Store.__new__(Store)
    s.url = "postgresql+psycopg://bot:s3cret@db/briefbot"
    assert "s3cret" not in repr(s)


def test_first_delivery_is_true_once_per_key_even_across_store_instances(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    a, b = Store(url), Store(url)
    assert a.first_delivery("Ev1") is True
    assert b.first_delivery("Ev1") is False
    assert a.first_delivery("Ev1") is False
    assert b.first_delivery("Ev2") is True


def test_old_deliveries_are_pruned(tmp_path):
    from datetime import UTC, datetime, timedelta

    store = Store(f"sqlite:///{tmp_path / 'd.db'}")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    store.first_delivery("old", now=t0)
    later = t0 + timedelta(days=2)
    for i in range(200):  # pruning runs every 200 deliveries
        store.first_delivery(f"k{i}", now=later)
    assert store.first_delivery("old", now=later) is True
