"""`python -m bot remind` as real processes posting to a fake Slack Web API.

Each reminder reaches the channel exactly once, whatever happens: reruns, a 429, a
channel error fixed later, two processes racing on one database (SQLite, and PostgreSQL
when the server named by ``BRIEFBOT_TEST_PG_URL`` answers; under ``CI=true`` it must).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from typing import Any

import pytest
from e2e_conf import TOKEN
from helpers import all_text, assert_valid_blocks, quotes
from paths import COMMUNIQUE, CORPUS, ROOT
from pgtest import fresh_schema_url, require_server

from bot.store import Store

NAV = f"{COMMUNIQUE}#p35.1/2013-h1"
NAV_KEY = f"{NAV}|2013-06-30|lead-7d"
CHANNEL = "C0REMIND"
CLAUSE = (
    "The two sides agreed to start formal negotiation in the first half of 2013 on a navigation "
    "pact of Chinese and Russian ships in the surrounding water of Heixiazi Island (Tarabarov "
    "Island and Bolshoi Ussuriysky Island)."
)


def remind_env(fake, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.url,
            "BRIEFBOT_REMINDER_CHANNEL": CHANNEL,
            "BRIEFBOT_REMINDER_LEADS": "7d",
            "BRIEFBOT_GRACE": "2d",
            "BRIEFBOT_CORPUS": str(CORPUS),
            "DATABASE_URL": database_url,
            "BRIEFBOT_ENV_FILE": os.devnull,
            # The most talkative level: the token must not show up even there.
            "BRIEFBOT_LOG_LEVEL": "DEBUG",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def command(as_of: str, *options: str) -> list[str]:
    return [sys.executable, "-m", "bot", "remind", "--as-of", as_of, *options]


def assert_no_token(*outputs: str) -> None:
    for text in outputs:
        assert TOKEN not in text
        assert TOKEN.rsplit("-", 1)[1] not in text


def remind(env: dict[str, str], as_of: str, *options: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        command(as_of, *options), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert_no_token(proc.stdout, proc.stderr)
    return proc


def posts(fake) -> list[Any]:
    """chat.postMessage calls Slack accepted."""
    return [c for c in fake.calls_to("chat.postMessage") if c.ok]


def keys_of(call) -> list[str]:
    meta = call.params["metadata"]
    assert meta["event_type"] == "briefbot_reminder"
    return meta["event_payload"]["keys"]


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'briefbot.db'}"


@pytest.fixture
def env(fake, sqlite_url):
    return remind_env(fake, sqlite_url)


# --------------------------------------------------------------------------- one process


def test_first_run_posts_the_navigation_reminder_and_a_rerun_posts_nothing(fake, env, sqlite_url):
    first = remind(env, "2013-06-23T09:00")
    assert first.returncode == 0, first.stderr
    assert "posted 1, summarized 0, failed 0" in first.stdout
    (call,) = fake.calls_to("chat.postMessage")
    assert call.ok and call.authorized
    assert call.params["channel"] == CHANNEL
    assert keys_of(call) == [NAV_KEY]
    assert call.params["text"].startswith("Reminder: due 2013-06-30: “The two sides agreed")
    assert_valid_blocks(call.params["blocks"])
    text = all_text(call.params)
    assert ":date: *Due in 7d* (2013-06-30)" in text
    assert quotes(call.params) == [CLAUSE]
    assert "time phrase: “*in the first half of 2013*”" in text
    ts = call.response["ts"]
    row = Store(sqlite_url).reminder(NAV_KEY)
    assert (row.state, row.channel, row.message_ts) == ("sent", CHANNEL, ts)

    for as_of in ("2013-06-23T09:00", "2013-06-24T09:00"):
        again = remind(env, as_of)
        assert again.returncode == 0, again.stderr
        assert "posted 0, summarized 0, failed 0" in again.stdout
    assert len(fake.calls_to("chat.postMessage")) == 1
    (message,) = fake.messages(CHANNEL)
    assert message["metadata"]["event_payload"] == {"keys": [NAV_KEY]}


def test_first_ever_run_long_after_every_seed_posts_nothing(fake, env, sqlite_url):
    proc = remind(env, "2026-11-23T09:00")
    assert proc.returncode == 0, proc.stderr
    assert "posted 0, summarized 0, failed 0" in proc.stdout
    assert "from before the first run are not posted" in proc.stdout
    assert fake.calls == []
    store = Store(sqlite_url)
    assert store.reminders("sent") == [] and store.reminders("summarized") == []
    assert store.reminders("skipped")


def test_rate_limited_post_is_retried_after_retry_after_and_posted_once(fake, env):
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    proc = remind(env, "2013-06-23T09:00")
    assert proc.returncode == 0, proc.stderr
    assert "posted 1, summarized 0, failed 0" in proc.stdout
    calls = fake.calls_to("chat.postMessage")
    assert [c.answered for c in calls] == [429, 200]
    assert all(keys_of(c) == [NAV_KEY] for c in calls)
    assert len(fake.messages(CHANNEL)) == 1


def test_channel_not_found_fails_loudly_and_a_later_run_posts_once(fake, env, sqlite_url):
    fake.fail_next("chat.postMessage", error="channel_not_found")
    first = remind(env, "2013-06-23T09:00")
    assert first.returncode == 1
    assert "posted 0, summarized 0, failed 1" in first.stdout
    assert f"failed: {NAV_KEY}: channel_not_found" in first.stderr
    row = Store(sqlite_url).reminder(NAV_KEY)
    assert (row.state, row.last_error, row.attempts) == ("failed", "channel_not_found", 1)
    assert posts(fake) == []

    # Not retried within the hour (a misconfiguration must not hit Slack every minute)...
    soon = remind(env, "2013-06-23T09:30")
    assert soon.returncode == 0, soon.stderr
    assert len(fake.calls_to("chat.postMessage")) == 1

    # ...but once the bot is in the channel, a run still within grace posts it, once.
    later = remind(env, "2013-06-24T09:00")
    assert later.returncode == 0, later.stderr
    assert "posted 1, summarized 0, failed 0" in later.stdout
    (posted,) = posts(fake)
    assert keys_of(posted) == [NAV_KEY] and posted.params["channel"] == CHANNEL
    assert Store(sqlite_url).reminder(NAV_KEY).state == "sent"

    last = remind(env, "2013-06-24T10:00")
    assert last.returncode == 0, last.stderr
    assert len(posts(fake)) == 1
    assert len(fake.calls_to("chat.postMessage")) == 2  # the failure and the post


# --------------------------------------------------------------------------- two processes


@pytest.fixture
def pg_url():
    """A URL whose connections use a fresh schema (dropped afterwards)."""
    require_server()
    yield from fresh_schema_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_db(request, sqlite_url):
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


AS_OF = "2013-06-23T09:00"
# Big grace: several reminders of 2012-13 are still "due" at AS_OF on a first run.
MANY = {"BRIEFBOT_REMINDER_LEADS": "30d,7d,0d", "BRIEFBOT_GRACE": "200d"}


def test_two_concurrent_processes_post_each_reminder_exactly_once(fake, shared_db):
    env = remind_env(fake, shared_db, **MANY)
    dry = remind(env, AS_OF, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    planned = [r["key"] for r in json.loads(dry.stdout)["plan"]["post"]]
    assert len(planned) >= 2 and NAV_KEY in planned
    assert fake.calls == []

    procs = [
        subprocess.Popen(
            command(AS_OF, "--json"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        assert_no_token(out, err)
        results.append((proc.returncode, out, err))
    for code, _, err in results:
        assert code == 0, err

    delivered = Counter(key for call in posts(fake) for key in keys_of(call))
    assert delivered == Counter(planned)  # every planned reminder, each exactly once
    assert all(c.ok for c in fake.calls_to("chat.postMessage"))
    reports = [json.loads(out) for _, out, _ in results]
    first, second = (set(r["posted"]) for r in reports)
    assert not first & second and first | second == set(planned)
    assert all(r["failed"] == [] and r["summarized"] == [] for r in reports)
    store = Store(shared_db)
    try:
        assert {r.key for r in store.reminders("sent")} == set(planned)
    finally:
        store.close()


def test_two_first_starts_on_a_fresh_database_both_open_it(shared_db):
    """Several processes opening an empty database at once all succeed (tables made once)."""
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_store() -> None:
        barrier.wait()
        try:
            Store(shared_db).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def test_losing_the_create_table_race_is_retried(shared_db, monkeypatch):
    """The loser of the race sees "already exists"; it retries and finds the tables."""
    from sqlalchemy.exc import OperationalError

    from bot.store import metadata

    real = metadata.create_all
    calls: list[int] = []

    def racing_create_all(bind, **kw):
        calls.append(1)
        if len(calls) == 1:
            real(bind, **kw)  # the other process wins...
            raise OperationalError("CREATE TABLE meta", {}, Exception("table meta already exists"))
        return real(bind, **kw)

    monkeypatch.setattr(metadata, "create_all", racing_create_all)
    Store(shared_db).close()
    assert len(calls) == 2
