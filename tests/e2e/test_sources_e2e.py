"""Issue 21, "Done when": a publisher on loopback serves a feed and a listing page; two
sources are added; two `briefbot scheduler` processes run against one PostgreSQL; the
first check stores what the feed lists already (its backlog) without announcing it;
new items appear over time (a duplicate from a second site, a 304, a 429, a malformed
entry, a broken link); each new statement is stored and announced exactly once, and is
answered by every worker of a running server within 15 s of being stored."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter

import pytest
from e2e_conf import SECRET, TOKEN
from fakeslack import post_signed, slash_command_body
from helpers import all_text, assert_valid_blocks
from paths import CORPUS, ROOT
from pgtest import fresh_schema_url, require_server
from serving import running_server
from sourcefixtures import listing_page, publisher, rss, statement_page
from test_sources import CABLES, ENERGY, FISHERIES, READOUT

from bot.store import Store

CHANNEL = "C0SOURCES"
CONTRACT_SECONDS = 15.0
FORM = "application/x-www-form-urlencoded"
COCOA = statement_page(
    "Joint Declaration of Ghana and Kenya on Cocoa and Tea Prices",
    [
        "1. Ghana and Kenya discussed the prices paid to smallholder growers of cocoa and "
        "tea, and the cost of fertiliser and transport to the ports of Tema and Mombasa.",
        "2. The two governments will set up a joint price observatory by 1 March 2032.",
        "3. They will invite other producing countries to share their market data.",
    ],
)
CABLES_TEXT = "complete a joint survey of undersea cable routes in the North Atlantic"
FISH_TEXT = "hold a ministerial meeting on fisheries science"
COCOA_TEXT = "set up a joint price observatory"
ENERGY_TEXT = "build a green hydrogen corridor across the Strait of"


def wait_for(check, seconds: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        elapsed = time.monotonic() - started
        assert elapsed < seconds, f"{what}: not seen within {seconds:.0f} s"
        time.sleep(0.25)
    return time.monotonic() - started


def env_for(fake, db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.url,
            "BRIEFBOT_REMINDER_CHANNEL": CHANNEL,
            "BRIEFBOT_CORPUS": str(CORPUS),
            "DATABASE_URL": db,
            "BRIEFBOT_ENV_FILE": os.devnull,
            "BRIEFBOT_SOURCES_TICK": "1",
            "BRIEFBOT_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def cli(env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def announcements(fake) -> list:
    return [
        c
        for c in fake.calls_to("chat.postMessage")
        if c.ok and str(c.params.get("text", "")).startswith("New statement:")
    ]


def announced_ids(fake) -> Counter:
    ids: Counter = Counter()
    for call in announcements(fake):
        blocks = call.params["blocks"]
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        actions = next(b for b in blocks if b["type"] == "actions")
        ids[json.loads(actions["elements"][0]["value"])["d"]] += 1
    return ids


def ask(server_url: str, fake, query: str) -> str:
    body = slash_command_body("/brief", query, response_url=fake.response_url())
    status, resp, _ = post_signed(f"{server_url}/slack/events", body, SECRET, content_type=FORM)
    assert status == 200
    return all_text(json.loads(resp))


@contextlib.contextmanager
def schedulers(env, tmp_path, n: int = 2):
    procs, logs = [], []
    for i in range(n):
        log = tmp_path / f"scheduler-{i}.log"
        handle = open(log, "w")  # noqa: SIM115 (closed below)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "bot", "scheduler"],
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=handle,
                stdin=subprocess.DEVNULL,
            )
        )
        logs.append((log, handle))
    try:
        yield [log for log, _ in logs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log, handle in logs:
            handle.close()
            text = log.read_text("utf-8", "replace")
            assert TOKEN not in text
            assert "Traceback" not in text, text[-3000:]


def backfilled(db: str, name: str) -> bool:
    """True once the source's first check (its backfill) has been claimed."""
    from sqlalchemy import select

    from bot.store import sources_table as t

    store = Store(db)
    try:
        with store.engine.connect() as conn:
            row = conn.execute(select(t.c.backfill).where(t.c.name == name)).first()
    finally:
        store.close()
    return row is not None and row.backfill is None


@pytest.fixture
def pg_url():
    require_server()
    yield from fresh_schema_url()


@pytest.mark.postgres
def test_new_statements_arrive_by_themselves_exactly_once(fake, tmp_path, pg_url, capsys):
    env = env_for(fake, pg_url)
    with publisher() as pub:
        # Site A: a feed that already lists a statement (its backlog), a malformed entry
        # and a broken link.
        pub.put("/a/cables.html", CABLES)
        feed = [
            {
                "title": "Joint statement on undersea cables",
                "link": f"{pub.url}/a/cables.html",
                "guid": "a-cables",
                "date": "Fri, 20 Nov 2026 10:00:00 GMT",
            },
            {"title": "An entry without a link"},
            {"title": "A page that is gone", "link": f"{pub.url}/a/gone.html"},
        ]
        pub.put("/a/feed.xml", rss(feed), "application/rss+xml")
        # Site B: a listing page, nothing on it yet.
        pub.put("/b/press/", listing_page([]))

        for args in (
            ("sources", "add", f"{pub.url}/a/feed.xml", "--name", "site-a", "--every", "2s"),
            (
                "sources", "add", f"{pub.url}/b/press/", "--name", "site-b", "--every", "2s",
                "--kinds", "joint-statement,communique,declaration",
            ),
        ):  # fmt: skip
            proc = cli(env, *args)
            assert proc.returncode == 0, proc.stderr

        # What a dry run would add, without adding it.
        dry = cli(env, "sources", "check", "site-a", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert (
            "would add (backfill, not announced): "
            "Joint Statement of Portugal and Norway on Undersea Cables" in dry.stdout
        )
        assert "HTTP 404" in dry.stdout and "An entry without a link" in dry.stdout
        assert announcements(fake) == []
        probe = Store(pg_url)
        try:
            from bot.library import Library

            assert Library(probe).list_statements() == []
        finally:
            probe.close()

        with (
            running_server(
                fake.url, tmp_path, DATABASE_URL=pg_url, BRIEFBOT_WEB_WORKERS="2"
            ) as server,
            schedulers(env, tmp_path) as logs,
        ):
            # 0. The first checks: A's backlog is stored (searchable) but not announced;
            #    B lists nothing yet.
            first_seen = time.monotonic()
            wait_for(
                lambda: CABLES_TEXT in ask(server.url, fake, "undersea cable routes survey"),
                120,
                "the backlog stored",
            )
            wait_for(lambda: backfilled(pg_url, "site-b"), 60, "site B's first check")

            # 1. A new statement on A's feed: stored, announced once, answered within 15 s.
            pub.put("/a/energy.html", ENERGY)
            feed.insert(
                0,
                {"title": "Green hydrogen", "link": f"{pub.url}/a/energy.html", "guid": "a-energy",
                 "date": "Thu, 03 Dec 2026 08:00:00 GMT"},
            )  # fmt: skip
            pub.put("/a/feed.xml", rss(feed), "application/rss+xml")
            wait_for(lambda: len(announcements(fake)) >= 1, 120, "the first announcement")
            seconds = [
                wait_for(
                    lambda: ENERGY_TEXT in ask(server.url, fake, "green hydrogen corridor strait"),
                    CONTRACT_SECONDS,
                    "hydrogen searchable",
                )
            ]

            # 2. Nothing new on A: conditional requests answered 304.
            wait_for(lambda: any(s == 304 for _, s in pub.hits("/a/feed.xml")), 60, "a 304")

            # 3. Site B lists the same statement (another site's layout) and, on its
            #    second page, a new communiqué (relative link) and a readout.
            pub.put("/b/press/cables-copy.html", CABLES.replace("Ministry", "Other Ministry"))
            pub.put("/b/fish.html", FISHERIES)
            pub.put("/b/press/readout.html", READOUT)
            pub.put(
                "/b/press/page2",
                listing_page([("../fish.html", "Fisheries"), ("readout.html", "A call")]),
            )
            pub.put(
                "/b/press/",
                listing_page([("cables-copy.html", "Cables")], next_href="page2"),
            )
            wait_for(lambda: len(announcements(fake)) >= 2, 120, "the communiqué announced")
            seconds.append(
                wait_for(
                    lambda: (
                        FISH_TEXT in ask(server.url, fake, "ministerial meeting fisheries science")
                    ),
                    CONTRACT_SECONDS,
                    "fisheries searchable",
                )
            )

            # 4. A 429 on A's feed (Retry-After 3 s), then a new declaration there.
            pub.retry_after = "3"
            pub.throttle["/a/feed.xml"] = 1
            wait_for(lambda: any(s == 429 for _, s in pub.hits("/a/feed.xml")), 60, "a 429")
            throttled_at = time.monotonic()
            pub.put("/a/cocoa.html", COCOA)
            feed.insert(
                0,
                {"title": "Cocoa and tea", "link": f"{pub.url}/a/cocoa.html", "guid": "a-cocoa",
                 "date": "Mon, 07 Dec 2026 08:00:00 GMT"},
            )  # fmt: skip
            pub.put("/a/feed.xml", rss(feed), "application/rss+xml")
            wait_for(lambda: len(announcements(fake)) >= 3, 120, "the declaration announced")
            assert time.monotonic() - throttled_at >= 2.5  # Retry-After was honoured
            seconds.append(
                wait_for(
                    lambda: COCOA_TEXT in ask(server.url, fake, "joint price observatory cocoa"),
                    CONTRACT_SECONDS,
                    "cocoa searchable",
                )
            )

            # Let both schedulers poll a few more times: nothing more is announced.
            polls = len(pub.hits("/a/feed.xml"))
            wait_for(lambda: len(pub.hits("/a/feed.xml")) >= polls + 3, 60, "more polls")
            both = [log.read_text("utf-8", "replace") for log in logs]
        elapsed = time.monotonic() - first_seen

    ids = announced_ids(fake)
    assert len(ids) == 3 and set(ids.values()) == {1}, ids
    for call in announcements(fake):
        blocks = call.params["blocks"]
        assert_valid_blocks(json.loads(blocks) if isinstance(blocks, str) else blocks)
    assert re.search(r"New statement: Joint Declaration of Ghana and Kenya on Cocoa and Tea "
                     r"Prices — \d+ clauses, \d+ dated items?, next due 2032-03-01",
                     " ".join(c.params["text"] for c in announcements(fake)))  # fmt: skip
    # Each statement page read once, whichever scheduler took it (and once more by the
    # dry run); the 404 once too.
    for path in ("/a/cables.html", "/a/energy.html", "/a/cocoa.html", "/b/fish.html",
                 "/b/press/cables-copy.html", "/b/press/readout.html",
                 "/a/gone.html"):  # fmt: skip
        assert len(pub.hits(path)) == 1 + (path in ("/a/cables.html", "/a/gone.html")), path
    # Both schedulers ran all along.
    assert all("briefbot scheduler" in text for text in both)

    store = Store(pg_url)
    try:
        from sqlalchemy import select

        from bot.library import Library
        from bot.store import source_items_table as t

        stored = Library(store).list_statements()
        # every statement stored; all but the backlog announced
        assert len(stored) == 4
        assert sorted(ids) == sorted(s.doc_id for s in stored if "Undersea" not in s.title)
        with store.engine.connect() as conn:
            rows = {r.url.rsplit("/", 1)[-1]: r for r in conn.execute(select(t))}
    finally:
        store.close()
    assert rows["cables-copy.html"].outcome == "duplicate"
    assert rows["cables-copy.html"].doc_id == rows["cables.html"].doc_id
    assert rows["readout.html"].outcome == "filtered"
    assert rows["gone.html"].outcome == "failed" and "404" in rows["gone.html"].detail
    assert rows["fish.html"].date_from == "page"
    assert rows["cables.html"].outcome == "backfilled" and rows["cables.html"].backfill == 1
    assert rows["gone.html"].backfill == 1  # the backlog's broken link, not read again
    assert {rows[k].outcome for k in ("energy.html", "fish.html", "cocoa.html")} == {"added"}
    listed = json.loads(cli(env_for(fake, pg_url), "sources", "list", "--json").stdout)
    assert {s["name"]: s["kind"] for s in listed} == {"site-a": "feed", "site-b": "listing"}
    with capsys.disabled():
        print(
            f"\n[contract] stored -> answered by the server: "
            f"{', '.join(f'{s:.1f}' for s in seconds)} s; whole run {elapsed:.0f} s "
            f"(load {os.getloadavg()[0]:.1f})"
        )
