"""Following sources (issue 21): feeds and listing pages read, conditional requests and
backoff, each item stored and announced exactly once, dry runs that store nothing."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from pgtest import fresh_schema_url, require_server
from sourcefixtures import listing_page, publisher, rss, statement_page

from bot.library import Library
from bot.reading.documents import Corpus
from bot.sources import (
    SourceError,
    add_source,
    announce_pending,
    check_due,
    check_source,
    get_source,
    list_sources,
    next_check,
    remove_source,
)
from bot.sources.feeds import parse_feed
from bot.sources.listing import parse_listing
from bot.store import Store, source_items_table, sources_table

CABLES = statement_page(
    "Joint Statement of Portugal and Norway on Undersea Cables",
    [
        "1. Portugal and Norway share an interest in secure undersea cables that carry "
        "the world's data and underpin the economies of both countries.",
        "2. The two sides will complete a joint survey of undersea cable routes in the "
        "North Atlantic by the end of 2031.",
        "3. They call on industry to report cable faults within 24 hours of detection.",
    ],
)
FISHERIES = statement_page(
    "Joint Communiqué of Iceland and Canada on Arctic Fisheries",
    [
        "1. Iceland and Canada met in Reykjavik to review cooperation on Arctic fisheries "
        "and the protection of spawning grounds in northern waters.",
        "2. The two governments will hold a ministerial meeting on fisheries science "
        "by 30 June 2031.",
        "3. They agreed to exchange observers aboard research vessels each season.",
    ],
    when="2026-11-20",
)
READOUT = statement_page(
    "Readout of the Call between the Foreign Ministers of Chile and Peru",
    [
        "The foreign ministers of Chile and Peru spoke today about border crossings, "
        "water sharing in the Atacama and the coming trade talks in Lima.",
        "They agreed to speak again before the end of the year about the talks.",
    ],
)


def follow(store, url, **kw):
    """A source whose first check (its backfill) found nothing listed: every item it
    lists from now on is new, added and announced."""
    from sqlalchemy import update

    src = add_source(store, url, **kw)
    with store.engine.begin() as conn:
        conn.execute(
            update(sources_table).where(sources_table.c.id == src.id).values(backfill=None)
        )
    return get_source(store, src.name, team_id=src.team_id)


@pytest.fixture
def library(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    yield Library(store, Corpus())
    store.close()


# ----------------------------------------------------------------- fetching politely


def test_backoff_doubles_caps_and_honours_retry_after():
    now = datetime(2026, 12, 7, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert next_check(now, hour, 0) == now + hour
    assert next_check(now, hour, 2) == now + 4 * hour
    assert next_check(now, hour, 30) == now + timedelta(hours=6)
    assert next_check(now, timedelta(minutes=1), 0, retry_after=600) == now + timedelta(minutes=10)


# ------------------------------------------------------------------------- parsing


def test_feed_entries_dates_and_a_malformed_entry():
    data = rss(
        [
            {
                "title": "A",
                "link": "/a.html",
                "guid": "id-a",
                "date": "Fri, 20 Nov 2026 10:00:00 GMT",
            },
            {"title": "No link here"},
            {"title": "B", "link": "https://other.example/b"},
        ]
    ).encode()
    items, problems = parse_feed(data, "https://ministry.example/feed.xml")
    assert [(i.key, i.url, i.published) for i in items] == [
        # an RSS guid is a permalink unless it says otherwise: resolved like a link
        ("https://ministry.example/id-a", "https://ministry.example/a.html", date(2026, 11, 20)),
        ("https://other.example/b", "https://other.example/b", None),
    ]
    assert problems == ["entry 2 (No link here): no link to follow"]
    with pytest.raises(ValueError, match="feed"):
        parse_feed(b"\x00\x01 not xml at all", "https://ministry.example/feed.xml")


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>MFA</title></channel></rss>',
        b'<?xml version="1.0" encoding="utf-8"?>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>MFA</title></feed>',
    ],
)
def test_a_feed_with_no_entry_yet_is_a_feed(data):
    """A newly followed feed may list nothing yet: no items, no error (its first check
    succeeds, and the backfill waits for nothing)."""
    assert parse_feed(data, "https://ministry.example/feed.xml") == ([], [])
    with pytest.raises(ValueError, match="feed"):
        parse_feed(b"<html><body><p>no feed</p></body></html>", "https://ministry.example/")


def test_listing_links_are_resolved_and_navigation_left_out():
    html = listing_page(
        [("cables.html", "Cables"), ("/press/fish.html", "Fish"), ("/", "Home again")],
        next_href="?page=2",
    )
    items, nxt = parse_listing(html, "https://ministry.example/press/")
    # relative links resolved; the header's /about, the home page, the partner site in
    # the footer and the "Next" link are not statements
    assert [i.url for i in items] == [
        "https://ministry.example/press/cables.html",
        "https://ministry.example/press/fish.html",
    ]
    assert nxt == "https://ministry.example/press/?page=2"
    chosen, _ = parse_listing(html, "https://ministry.example/press/", "ul.releases li")
    assert [i.title for i in chosen] == ["Cables", "Fish", "Home again"]
    based = html.replace("<head>", '<head><base href="https://cdn.example/stmts/">')
    chosen, _ = parse_listing(based, "https://ministry.example/press/", "ul.releases a")
    assert chosen[0].url == "https://cdn.example/stmts/cables.html"
    assert parse_listing("", "https://ministry.example/") == ([], "")


# --------------------------------------------------------------------- the sources


def test_add_list_remove_and_bad_input(library):
    store = library.store
    src = add_source(store, "https://ministry.example/feed.xml", match="Joint", kinds="joint")
    assert src.name == "ministry.example" and src.kinds == ("joint-statement",)
    assert [s.name for s in list_sources(store)] == ["ministry.example"]
    with pytest.raises(SourceError, match="exists already"):
        add_source(store, "https://ministry.example/other.xml")
    with pytest.raises(SourceError, match="not a web address"):
        add_source(store, "ftp://ministry.example/feed")
    with pytest.raises(SourceError, match="not a kind"):
        add_source(store, "https://a.example/", kinds="memo")
    with pytest.raises(SourceError, match="CSS selector"):
        add_source(store, "https://a.example/", selector="ul >> li[")
    with pytest.raises(SourceError, match="public"):
        add_source(store, "http://127.0.0.1:8080/feed")
    remove_source(store, "ministry.example")
    assert list_sources(store) == []
    with pytest.raises(SourceError, match="no source named"):
        remove_source(store, "ministry.example")


def _items(store):
    from sqlalchemy import select

    t = source_items_table
    with store.engine.connect() as conn:
        return {r.item_key: r for r in conn.execute(select(t))}


def test_feed_and_listing_over_time(library):
    store = library.store
    notes = []
    with publisher() as pub:
        pub.put("/a/cables.html", CABLES)
        pub.put("/a/readout.html", READOUT)
        feed = [
            {
                "title": "Undersea cables",
                "link": f"{pub.url}/a/cables.html",
                "guid": "a-1",
                "date": "Fri, 20 Nov 2026 10:00:00 GMT",
            },
            {"title": "A malformed entry"},
        ]
        pub.put("/a/feed.xml", rss(feed), "application/rss+xml")
        a = follow(store, f"{pub.url}/a/feed.xml", name="ministry-a", allow_private=True)
        b = follow(
            store,
            f"{pub.url}/b/press/",
            name="ministry-b",
            allow_private=True,
            kinds="joint,communique",
        )
        pub.put("/b/press/", listing_page([("cables-copy.html", "Cables (copy)")]))
        pub.put("/b/press/cables-copy.html", CABLES.replace("Ministry", "Other Ministry"))

        # dry run: reads, reports, stores nothing
        dry = check_source(library, a, dry_run=True)
        assert [i.outcome for i in dry.items] == ["would add"]
        assert _items(store) == {} and library.list_statements() == []

        first = check_source(library, a, announce=notes.append)
        assert [(i.outcome, i.date_from) for i in first.items] == [("added", "feed")]
        assert first.problems == ["entry 2 (A malformed entry): no link to follow"]
        cables_id = first.items[0].doc_id
        assert library.get(cables_id).document().date == date(2026, 11, 20)
        assert len(notes) == 1 and notes[0].doc_id == cables_id and notes[0].dated_items >= 1
        assert notes[0].next_due == date(2031, 12, 31)

        # the same text on another site: linked to it, not added again
        second = check_source(library, get_source(store, "ministry-b"), announce=notes.append)
        assert [(i.outcome, i.doc_id) for i in second.items] == [("duplicate", cables_id)]

        # nothing new: a 304, and no item fetched again
        fetched = len(pub.hits("/a/cables.html"))
        again = check_source(library, get_source(store, "ministry-a"), announce=notes.append)
        assert again.not_modified and again.items == []
        assert pub.hits("/a/feed.xml")[-1][1] == 304
        assert len(pub.hits("/a/cables.html")) == fetched

        # a new page on the listing (page 2, relative link, no date anywhere): added,
        # dated the day it was fetched and flagged as a guess; the readout is filtered
        pub.put("/b/press/", listing_page([("cables-copy.html", "Cables (copy)")], next_href="p2"))
        pub.put("/b/press/p2", listing_page([("../fish.html", "Fish"), ("readout.html", "Call")]))
        undated = FISHERIES.replace('<meta name="date" content="2026-11-20">', "")
        # its footer's "Copyright 2026" is the site's year, not the statement's date
        assert "Copyright 2026" in undated
        pub.put("/b/fish.html", undated.replace("by 30 June 2031", "within two years"))
        pub.put("/b/press/readout.html", READOUT)
        now = datetime(2026, 12, 7, 12, tzinfo=UTC)
        third = check_source(
            library, get_source(store, "ministry-b"), announce=notes.append, now=now
        )
        outcomes = {i.outcome: i for i in third.items}
        assert set(outcomes) == {"added", "filtered"}
        assert outcomes["added"].date_from == "fetched"
        assert library.get(outcomes["added"].doc_id).document().date == date(2026, 12, 7)
        assert "readout" in outcomes["filtered"].detail
        assert [n.date_guessed for n in notes] == [False, True]

        # a 429: the check fails with the reason and the next one waits Retry-After
        pub.throttle["/a/feed.xml"] = 1
        pub.retry_after = "3600"
        later = datetime(2026, 12, 7, 13, tzinfo=UTC)
        throttled = check_source(library, get_source(store, "ministry-a"), now=later)
        assert "429" in throttled.error
        src = get_source(store, "ministry-a")
        assert src.failures == 1 and src.next_check_at >= later + timedelta(hours=1)
    kept = _items(store)
    assert {r.outcome for r in kept.values()} == {"added", "duplicate", "filtered"}
    assert len(notes) == 2  # each added statement announced once, nothing else
    assert b.id != a.id


def test_an_announcement_that_fails_is_posted_later_once(library):
    store = library.store
    with publisher() as pub:
        pub.put("/cables.html", CABLES)
        pub.put(
            "/feed.xml",
            rss([{"title": "C", "link": f"{pub.url}/cables.html"}]),
            "application/rss+xml",
        )
        src = follow(store, f"{pub.url}/feed.xml", name="m", allow_private=True)

        def broken(note):
            raise RuntimeError("channel_not_found")

        report = check_source(library, src, announce=broken)
        assert report.items[0].outcome == "added"
    posted = []
    assert announce_pending(library, posted.append) == 0  # not straight away again
    later = datetime.now(UTC) + timedelta(minutes=6)
    assert announce_pending(library, posted.append, now=later) == 1
    assert announce_pending(library, posted.append, now=later) == 0
    assert [p.doc_id for p in posted] == [report.items[0].doc_id]


def test_a_claim_left_by_a_stopped_process_is_taken_over_later(library):
    from sqlalchemy import insert

    store = library.store
    with publisher() as pub:
        pub.put("/cables.html", CABLES)
        pub.put("/fish.html", FISHERIES)
        items = [
            {"title": "C", "link": f"{pub.url}/cables.html"},
            {"title": "F", "link": f"{pub.url}/fish.html"},
        ]
        pub.put("/feed.xml", rss(items), "application/rss+xml")
        src = follow(store, f"{pub.url}/feed.xml", name="m", allow_private=True)
        now = datetime.now(UTC)
        with store.engine.begin() as conn:
            for link, age in (("cables", timedelta(minutes=30)), ("fish", timedelta(minutes=1))):
                conn.execute(
                    insert(source_items_table).values(
                        source_id=src.id,
                        item_key=f"{pub.url}/{link}.html",
                        url=f"{pub.url}/{link}.html",
                        outcome="claimed",
                        claimed_at=now - age,
                    )
                )
        report = check_source(library, src)
    # the old claim is taken over and finished; the recent one is left to its process
    assert [(i.outcome, i.url.rsplit("/", 1)[-1]) for i in report.items] == [
        ("added", "cables.html")
    ]
    assert len(pub.hits("/fish.html")) == 0


def test_check_due_claims_each_poll(library):
    store = library.store
    with publisher() as pub:
        pub.put("/feed.xml", rss([]), "application/rss+xml")
        add_source(store, f"{pub.url}/feed.xml", name="m", allow_private=True)
        now = datetime.now(UTC)
        assert len(check_due(library, now=now)) == 1
        assert check_due(library, now=now) == []  # not due again before its interval
        assert len(pub.hits("/feed.xml")) == 1


# ----------------------------------------------------------- racing on PostgreSQL


@pytest.fixture
def pg_library():
    require_server()
    for url in fresh_schema_url():
        stores = [Store(url), Store(url)]
        yield [Library(s, Corpus()) for s in stores]
        for s in stores:
            s.close()


@pytest.mark.postgres
def test_two_processes_checking_at_once_add_each_item_once(pg_library):
    first, second = pg_library
    with publisher() as pub:
        pub.put("/cables.html", CABLES)
        pub.put("/fish.html", FISHERIES)
        items = [
            {"title": "Cables", "link": f"{pub.url}/cables.html"},
            {"title": "Fish", "link": f"{pub.url}/fish.html"},
        ]
        pub.put("/feed.xml", rss(items), "application/rss+xml")
        follow(first.store, f"{pub.url}/feed.xml", name="m", allow_private=True)
        notes: list = []
        lock = threading.Lock()

        def note(n):
            with lock:
                notes.append(n.doc_id)

        def run(lib):
            check_source(lib, get_source(lib.store, "m"), announce=note)

        threads = [threading.Thread(target=run, args=(lib,)) for lib in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert len(first.list_statements()) == 2
        assert sorted(notes) == sorted(s.doc_id for s in first.list_statements())
        assert len(pub.hits("/cables.html")) == 1 and len(pub.hits("/fish.html")) == 1


def test_items_past_the_cap_are_read_at_the_next_check_not_lost_to_a_304(library, monkeypatch):
    from bot.sources import checking

    monkeypatch.setattr(checking, "MAX_ITEMS_PER_CHECK", 1)
    store = library.store
    with publisher() as pub:
        pub.put("/cables.html", CABLES)
        pub.put("/fish.html", FISHERIES)
        items = [  # newest first, as feeds list them
            {"title": "F", "link": f"{pub.url}/fish.html"},
            {"title": "C", "link": f"{pub.url}/cables.html"},
        ]
        pub.put("/feed.xml", rss(items), "application/rss+xml")
        follow(store, f"{pub.url}/feed.xml", name="m", allow_private=True)
        first = check_source(library, get_source(store, "m"))
        assert [i.title for i in first.items] == [
            "Joint Statement of Portugal and Norway on Undersea Cables"  # oldest first
        ]
        assert first.waiting == 1 and get_source(store, "m").etag == ""
        second = check_source(library, get_source(store, "m"))
        assert not second.not_modified and [i.outcome for i in second.items] == ["added"]
        assert second.waiting == 0 and get_source(store, "m").etag
        third = check_source(library, get_source(store, "m"))
        assert third.not_modified and third.items == []
    assert len(library.list_statements()) == 2


def test_a_statement_page_that_says_429_is_read_again_a_few_times(library):
    store = library.store
    with publisher() as pub:
        pub.put("/cables.html", CABLES)
        pub.put("/fish.html", FISHERIES)
        items = [
            {"title": "C", "link": f"{pub.url}/cables.html"},
            {"title": "F", "link": f"{pub.url}/fish.html"},
        ]
        pub.put("/feed.xml", rss(items), "application/rss+xml")
        follow(store, f"{pub.url}/feed.xml", name="m", allow_private=True)
        pub.throttle["/cables.html"] = 1  # busy once
        pub.throttle["/fish.html"] = 10  # busy for good

        def outcomes(done=False):
            report = check_source(library, get_source(store, "m"))
            assert report.not_modified == done  # an item to read again: no 304 before
            return {i.url.rsplit("/", 1)[-1]: (i.outcome, i.detail) for i in report.items}

        first = outcomes()
        assert first["cables.html"][0] == "failed" and "HTTP 429" in first["cables.html"][1]
        assert "read again at the next check" in first["cables.html"][1]
        second = outcomes()
        assert second["cables.html"][0] == "added"
        assert "read again" in second["fish.html"][1]
        third = outcomes()
        assert third["fish.html"][0] == "failed" and "read again" not in third["fish.html"][1]
        assert outcomes(done=True) == {}  # done with: not read a fourth time
        assert len(pub.hits("/fish.html")) == 3 and len(pub.hits("/cables.html")) == 2
    rows = _items(store)
    assert {r.outcome for r in rows.values()} == {"added", "failed"}
    assert max(r.attempts for r in rows.values()) == 3


# ---------------------------------------------------------- the first check: backfill

ENERGY = statement_page(
    "Joint Declaration of Spain and Morocco on Green Hydrogen",
    [
        "1. Spain and Morocco will build a green hydrogen corridor across the Strait of "
        "Gibraltar, with a first pipeline section in service by 31 March 2032.",
        "2. They will set up a joint working group on standards within six months.",
    ],
)


def _feed(pub, names):
    """A feed of /<name>.html items, newest first, each dated a day apart."""
    days = {"readout": 17, "cables": 18, "fish": 19, "energy": 20}
    return rss(
        [
            {
                "title": n.title(),
                "link": f"{pub.url}/{n}.html",
                "date": f"{['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri'][days[n] - 15]}, "
                f"{days[n]} Nov 2026 10:00:00 GMT",
            }
            for n in names
        ]
    )


def _serve(pub):
    for name, page in (
        ("readout", READOUT),
        ("cables", CABLES),
        ("fish", FISHERIES),
        ("energy", ENERGY),
    ):
        pub.put(f"/{name}.html", page)


def test_the_first_check_stores_the_newest_listed_items_without_announcing_them(library):
    store = library.store
    notes = []
    with publisher() as pub:
        _serve(pub)
        # listed in date order, oldest first: the backfill still takes the newest two
        pub.put("/feed.xml", _feed(pub, ["readout", "cables", "fish"]), "application/rss+xml")
        src = add_source(store, f"{pub.url}/feed.xml", name="m", allow_private=True, backfill=2)
        assert src.backfill == 2 and src.to_json()["backfill_pending"] == 2

        dry = check_source(library, src, dry_run=True)
        assert [(i.url.rsplit("/", 1)[-1], i.outcome) for i in dry.items] == [
            ("cables.html", "would backfill"),
            ("fish.html", "would backfill"),
            ("readout.html", "skipped"),
        ]
        assert "would add (backfill, not announced)" in dry.items[0].line()
        assert _items(store) == {} and get_source(store, "m").backfill == 2

        pub.throttle["/fish.html"] = 1  # busy once: read again later, still not announced
        first = check_source(library, get_source(store, "m"), announce=notes.append)
        got = {i.url.rsplit("/", 1)[-1]: i for i in first.items}
        assert got["cables.html"].outcome == "backfilled"
        assert got["cables.html"].line().startswith("added (backfill, not announced) ")
        assert got["fish.html"].outcome == "failed" and "read again" in got["fish.html"].detail
        assert got["readout.html"].outcome == "skipped"
        assert "past --backfill 2" in got["readout.html"].line()
        assert get_source(store, "m").backfill is None

        second = check_source(library, get_source(store, "m"), announce=notes.append)
        assert [(i.url.rsplit("/", 1)[-1], i.outcome) for i in second.items] == [
            ("fish.html", "backfilled")
        ]
        assert notes == [] and announce_pending(library, notes.append) == 0
        assert len(library.list_statements()) == 2
        assert pub.hits("/readout.html") == []  # past the backfill: never fetched

        # a statement published after the first check: added and announced, once
        pub.put(
            "/feed.xml", _feed(pub, ["readout", "cables", "fish", "energy"]), "application/rss+xml"
        )
        third = check_source(library, get_source(store, "m"), announce=notes.append)
        assert [i.outcome for i in third.items] == ["added"]
        assert [n.doc_id for n in notes] == [third.items[0].doc_id]
        fourth = check_source(library, get_source(store, "m"), announce=notes.append)
        assert fourth.not_modified and fourth.items == []
        assert announce_pending(library, notes.append) == 0
    assert len(notes) == 1 and len(library.list_statements()) == 3
    rows = _items(store)
    assert sorted(r.outcome for r in rows.values()) == [
        "added",
        "backfilled",
        "backfilled",
        "skipped",
    ]
    assert sorted(r.backfill for r in rows.values()) == [0, 1, 1, 1]


def test_backfill_0_stores_nothing_listed_and_fetches_none_of_it(library):
    store = library.store
    notes = []
    with publisher() as pub:
        _serve(pub)
        pub.put("/feed.xml", _feed(pub, ["fish", "cables"]), "application/rss+xml")
        add_source(store, f"{pub.url}/feed.xml", name="m", allow_private=True, backfill=0)
        first = check_source(library, get_source(store, "m"), announce=notes.append)
        assert [i.outcome for i in first.items] == ["skipped", "skipped"]
        assert pub.hits("/fish.html") == [] and pub.hits("/cables.html") == []
        assert library.list_statements() == [] and notes == []
        pub.put("/feed.xml", _feed(pub, ["energy", "fish", "cables"]), "application/rss+xml")
        second = check_source(library, get_source(store, "m"), announce=notes.append)
        assert [(i.url.rsplit("/", 1)[-1], i.outcome) for i in second.items] == [
            ("energy.html", "added")
        ]
        assert check_source(library, get_source(store, "m"), announce=notes.append).items == []
    assert [n.doc_id for n in notes] == [second.items[0].doc_id]
    assert pub.hits("/fish.html") == [] and pub.hits("/cables.html") == []


def test_backfill_counts_only_items_that_match(library):
    store = library.store
    with publisher() as pub:
        _serve(pub)
        pub.put("/feed.xml", _feed(pub, ["fish", "cables", "readout"]), "application/rss+xml")
        add_source(
            store, f"{pub.url}/feed.xml", name="m", allow_private=True, backfill=1, match="cables"
        )
        report = check_source(library, get_source(store, "m"))
    assert sorted((i.url.rsplit("/", 1)[-1], i.outcome) for i in report.items) == [
        ("cables.html", "backfilled"),
        ("fish.html", "filtered"),
        ("readout.html", "filtered"),
    ]


@pytest.mark.parametrize("bad", [-1, 51, "3", 2.0, True, None])
def test_a_bad_backfill_is_refused(library, bad):
    with pytest.raises(SourceError, match=r"backfill must be a whole number from 0 to 50"):
        add_source(library.store, "https://ministry.example/feed.xml", backfill=bad)
    assert list_sources(library.store) == []


@pytest.mark.postgres
def test_two_processes_share_the_first_check_and_announce_new_items_once(pg_library):
    first, second = pg_library
    notes: list = []
    lock = threading.Lock()

    def note(n):
        with lock:
            notes.append(n.doc_id)

    def both_check():
        def run(lib):
            check_source(lib, get_source(lib.store, "m"), announce=note)

        threads = [threading.Thread(target=run, args=(lib,)) for lib in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)

    with publisher() as pub:
        _serve(pub)
        pub.put("/feed.xml", _feed(pub, ["fish", "cables", "readout"]), "application/rss+xml")
        add_source(first.store, f"{pub.url}/feed.xml", name="m", allow_private=True, backfill=2)
        both_check()
        assert notes == [] and len(first.list_statements()) == 2
        assert pub.hits("/readout.html") == []
        assert len(pub.hits("/fish.html")) == 1 and len(pub.hits("/cables.html")) == 1
        pub.put(
            "/feed.xml", _feed(pub, ["energy", "fish", "cables", "readout"]), "application/rss+xml"
        )
        both_check()
        assert len(pub.hits("/energy.html")) == 1
    assert len(first.list_statements()) == 3
    assert len(notes) == 1 and notes[0] in {s.doc_id for s in first.list_statements()}
