"""Several bot instances on one PostgreSQL database: every reminder posted exactly once.

Needs the server named by ``BRIEFBOT_TEST_PG_URL`` (default: local ``test`` database).
Unreachable server: the tests skip, except under CI (``CI=true``), where they fail.
Each test works in a fresh schema ``bb_<random>`` (dropped afterwards) with a non-UTC
session time zone, so runs are repeatable and time zone handling is exercised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from builders import commitment
from pgtest import fresh_schema_url, require_server
from test_reminders import NAV, FakePoster, SimulatedCrash, make_settings

from bot.commitments import Commitment
from bot.reminders import WATERMARK, Reminder, RunReport, plan, run_due
from bot.store import Store

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2013, 6, 30, 12, 0, tzinfo=UTC)
WATERMARK_AT = "2013-06-20T12:00:00.000000+00:00"  # last run before a ten-day outage


def commitments() -> list[Commitment]:
    """12 commitments: at NOW, 18 reminders to post, 12 to summarize, 12 to skip."""
    return [
        commitment(f"c{i:02d}", date(2013, 6, 29) if i % 2 else date(2013, 6, 30))
        for i in range(12)
    ]


class RecordingPoster:
    """Thread-safe: records (how, key) for every delivered reminder."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def post(self, reminder: Reminder, channel: str) -> str:
        with self._lock:
            self.delivered.append(("post", reminder.key))
            return f"ts-{len(self.delivered)}"

    def post_summary(self, reminders: list[Reminder], channel: str) -> str:
        with self._lock:
            self.delivered.extend(("summary", r.key) for r in reminders)
            return f"ts-{len(self.delivered)}"

    def find_posted(self, key: str, channel: str, since: datetime) -> str | None:
        return None


class FilePoster:
    """For separate processes: appends one line per message to a shared file (O_APPEND)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _write(self, line: str) -> str:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, (line + "\n").encode())  # one write() per line: appends atomically
        finally:
            os.close(fd)
        return f"{os.getpid()}.{uuid.uuid4().hex[:6]}"

    def post(self, reminder: Reminder, channel: str) -> str:
        return self._write(f"post {reminder.key}")

    def post_summary(self, reminders: list[Reminder], channel: str) -> str:
        return self._write("summary " + " ".join(r.key for r in reminders))

    def find_posted(self, key: str, channel: str, since: datetime) -> str | None:
        return None


@pytest.fixture(scope="module")
def pg_server():
    require_server()


@pytest.fixture
def pg_url(pg_server):
    yield from fresh_schema_url()


@pytest.fixture
def pg_store(pg_url):
    store = Store(pg_url)
    yield store
    store.close()


def expected_deliveries(store: Store) -> tuple[set[str], set[str]]:
    p = plan(commitments(), {}, now=NOW, settings=make_settings(), store=store)
    assert (len(p.post), len(p.summarize), len(p.skip)) == (18, 12, 12)
    return {r.key for r in p.post}, {r.key for r in p.summarize}


def run_in_threads(n: int, target: Callable[[int], RunReport]) -> list[RunReport]:
    barrier = threading.Barrier(n)
    reports: list[RunReport] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            reports.append(target(i))
        except BaseException as exc:  # surface in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return reports


def test_store_roundtrips_utc_under_another_session_time_zone(pg_store):
    at = datetime(2013, 6, 23, 9, 0, tzinfo=UTC)
    pg_store.set_status("nav", "in_progress", actor="U1", note="x", at=at)
    assert pg_store.history("nav")[0].changed_at == at
    assert pg_store.history("nav")[0].changed_at.tzinfo is UTC
    assert pg_store.claim("k", commitment_id="nav", kind="lead", fire_at=at, owner="a", now=at)
    row = pg_store.reminder("k")
    assert (row.fire_at, row.lease_expires) == (at, at + timedelta(minutes=5))
    assert not pg_store.claim(
        "k", commitment_id="nav", kind="lead", fire_at=at, owner="b", now=at + timedelta(minutes=5)
    )
    assert pg_store.claim(
        "k", commitment_id="nav", kind="lead", fire_at=at, owner="b", now=at + timedelta(minutes=6)
    )
    assert pg_store.statuses() == {"nav": "in_progress"}


def test_threads_post_every_reminder_exactly_once(pg_url, pg_store):
    pg_store.set_meta(WATERMARK, WATERMARK_AT)
    want_posts, want_summaries = expected_deliveries(pg_store)
    poster = RecordingPoster()
    stores = [Store(pg_url) for _ in range(8)]
    try:
        reports = run_in_threads(
            8,
            lambda i: run_due(
                stores[i],
                commitments(),
                now=NOW,
                settings=make_settings(),
                poster=poster,
                owner=f"thread-{i}",
            ),
        )
    finally:
        for s in stores:
            s.close()

    counts = Counter(key for _, key in poster.delivered)
    assert set(counts.values()) == {1}, [k for k, n in counts.items() if n > 1]
    assert {k for how, k in poster.delivered if how == "post"} == want_posts
    assert {k for how, k in poster.delivered if how == "summary"} == want_summaries
    assert sum(len(r.posted) for r in reports) == 18
    assert sum(len(r.summarized) for r in reports) == 12
    assert sum(r.skipped for r in reports) == 12
    assert Counter(r.state for r in pg_store.reminders()) == {
        "sent": 18,
        "summarized": 12,
        "skipped": 12,
    }
    assert pg_store.get_meta(WATERMARK) == "2013-06-30T12:00:00.000000+00:00"


CHILD = """
import json, os, sys, time
sys.path[:0] = [sys.argv[5], os.path.join(sys.argv[5], "tests")]
from test_postgres import NOW, FilePoster, commitments
from test_reminders import make_settings
from bot.reminders import run_due
from bot.store import Store

url, out, go, owner = sys.argv[1:5]
store = Store(url)
print("ready", flush=True)
deadline = time.monotonic() + 30
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.002)
report = run_due(store, commitments(), now=NOW, settings=make_settings(),
                 poster=FilePoster(out), owner=owner)
store.close()
print(json.dumps({"posted": len(report.posted), "summarized": len(report.summarized)}))
"""


def test_two_processes_post_every_reminder_exactly_once(pg_url, pg_store, tmp_path):
    pg_store.set_meta(WATERMARK, WATERMARK_AT)
    want_posts, want_summaries = expected_deliveries(pg_store)
    out, go = tmp_path / "posts.log", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, pg_url, str(out), str(go), f"proc-{i}", str(ROOT)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for i in range(2)
    ]
    try:
        for p in procs:  # both connected and waiting: start them together
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        go.touch()
        results = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=60)
            assert p.returncode == 0, stderr
            results.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()

    posts: list[str] = []
    summarized: list[str] = []
    for line in out.read_text().splitlines():
        how, _, keys = line.partition(" ")
        (posts if how == "post" else summarized).extend(keys.split())
    assert Counter(posts + summarized).most_common(1)[0][1] == 1
    assert (set(posts), set(summarized)) == (want_posts, want_summaries)
    assert sum(r["posted"] for r in results) == 18
    assert sum(r["summarized"] for r in results) == 12


@pytest.mark.parametrize("in_slack", [True, False])
def test_crash_recovery_on_postgres(pg_url, pg_store, in_slack):
    key = "nav|2013-06-30|lead-7d"
    now = datetime(2013, 6, 23, 9, 0, tzinfo=UTC)
    pg_store.set_meta(WATERMARK, "2013-06-23T08:59:00.000000+00:00")
    dying = FakePoster()
    dying.crash = True
    with pytest.raises(SimulatedCrash):
        run_due(pg_store, [NAV], now=now, settings=make_settings(), poster=dying, owner="dead")
    assert (pg_store.reminder(key).state, pg_store.reminder(key).owner) == ("claimed", "dead")

    poster = FakePoster()
    if in_slack:
        poster.already_posted[key] = "ts-before-crash"
    stores = [Store(pg_url) for _ in range(6)]
    try:

        def at(offset: timedelta) -> list[RunReport]:
            return run_in_threads(
                len(stores),
                lambda i: run_due(
                    stores[i],
                    [NAV],
                    now=now + offset,
                    settings=make_settings(),
                    poster=poster,
                    owner=f"w{i}",
                ),
            )

        early = at(timedelta(minutes=1))  # the lease is still running: hands off
        assert (poster.posts, poster.lookups) == ([], [])
        assert all(r.contended == [key] for r in early if r.contended)

        late = at(timedelta(minutes=6))  # lease expired: exactly one instance takes over
    finally:
        for s in stores:
            s.close()

    assert poster.lookups == [key]
    assert poster.posts == ([] if in_slack else [key])
    assert sum(len(r.recovered) for r in late) == (1 if in_slack else 0)
    row = pg_store.reminder(key)
    assert (row.state, row.message_ts) == ("sent", "ts-before-crash" if in_slack else "ts-1")
