"""``briefbot sources add|list|remove|check``: messages, exit codes, and a dry run that
stores nothing."""

from __future__ import annotations

import json

import pytest
from clirun import run, use_fresh_env
from sourcefixtures import publisher, rss
from test_sources import CABLES, FISHERIES, READOUT


@pytest.fixture(autouse=True)
def fresh(tmp_path, monkeypatch):
    use_fresh_env(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "ftp://example.org/feed"), "is not a web address"),
        (("add", "https://a.example/", "--kinds", "memo"), "is not a kind of document"),
        (("add", "https://a.example/", "--every", "10x"), "is not an interval"),
        (("add", "https://a.example/", "--every", "0s"), "at least 1 s"),
        (("add", "https://a.example/", "--name", "has space"), "is not a usable name"),
        (("add", "https://a.example/", "--selector", "ul >> ["), "is not a CSS selector"),
        (("add", "https://a.example/", "--backfill", "-1"), "use a whole number from 0 to 50"),
        (("add", "https://a.example/", "--backfill", "51"), "use a whole number from 0 to 50"),
        (("add", "https://a.example/", "--backfill", "2.5"), "use a whole number from 0 to 50"),
        (("add", "https://a.example/", "--backfill", "all"), "'all' is not a backfill"),
        (("remove", "nothing"), "no source named 'nothing'"),
        (("check", "nothing"), "no source named 'nothing'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    code, _out, err = run("sources", *args)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_add_list_check_remove():
    with publisher() as pub:
        pub.put("/cables.html", CABLES)
        pub.put("/readout.html", READOUT)
        items = [
            {"title": "Joint statement on cables", "link": f"{pub.url}/cables.html"},
            {"title": "Readout of a call", "link": f"{pub.url}/readout.html"},
        ]
        pub.put("/feed.xml", rss(items), "application/rss+xml")
        code, out, err = run(
            "sources",
            "add",
            f"{pub.url}/feed.xml",
            "--name",
            "mfa",
            "--match",
            "joint",
            "--every",
            "30m",
            "--backfill",
            "1",
        )
        assert code == 0, err
        assert "following mfa" in out and "every 30m" in out
        assert "storing the 1 newest items it lists without announcing them" in out
        code, out, err = run("sources", "add", f"{pub.url}/other.xml", "--name", "mfa")
        assert code == 2 and "a source named 'mfa' exists already" in err
        code, out, _ = run("sources", "list")
        assert "not checked yet (backfill 1)" in out
        code, out, _ = run("sources", "list", "--json")
        [listed] = json.loads(out)
        assert listed["backfill_pending"] == 1
        assert (listed["name"], listed["match"], listed["interval_seconds"]) == (
            "mfa",
            "joint",
            1800,
        )

        code, out, err = run("sources", "check", "--dry-run")
        assert code == 0, err
        assert "mfa (dry run: nothing stored)" in out
        # the first check is the backfill: what the feed lists already is not news
        assert (
            "would add (backfill, not announced): "
            "Joint Statement of Portugal and Norway on Undersea Cables" in out
        )
        assert "filtered out: Readout of a call (does not mention: joint)" in out
        code, out, _ = run("docs", "--json")
        assert "Undersea Cables" not in out  # nothing stored

        code, out, err = run("sources", "check", "mfa")
        assert code == 0, err
        assert "   added (backfill, not announced) " in out and "Undersea Cables" in out
        code, out, _ = run("sources", "check", "mfa")
        assert "not modified since the last check" in out
        code, out, _ = run("docs", "--json")
        assert "Undersea Cables" in out
        code, out, _ = run("sources", "list", "--json")
        assert json.loads(out)[0]["backfill_pending"] is None

        # published after the first check: added (and owed an announcement)
        pub.put("/fish.html", FISHERIES)
        fish = {"title": "Joint communique on fisheries", "link": f"{pub.url}/fish.html"}
        pub.put("/feed.xml", rss([fish, *items]), "application/rss+xml")
        code, out, err = run("sources", "check", "mfa", "--dry-run")
        assert "would add: Joint Communiqué of Iceland and Canada" in out, out
        code, out, err = run("sources", "check", "mfa")
        assert code == 0, err
        assert "   added 2026-11-20_joint-communique" in out and "backfill" not in out

        code, out, _ = run("sources", "remove", "mfa")
        assert code == 0 and "stopped following mfa" in out
        code, out, _ = run("sources", "list")
        assert "No sources followed yet" in out


def test_backfill_0_records_what_is_listed_as_seen_and_stores_none_of_it():
    with publisher() as pub:
        pub.put("/cables.html", CABLES)
        feed = rss([{"title": "Joint statement on cables", "link": f"{pub.url}/cables.html"}])
        pub.put("/feed.xml", feed, "application/rss+xml")
        code, out, err = run("sources", "add", f"{pub.url}/feed.xml", "--backfill", "0")
        assert code == 0, err
        code, out, err = run("sources", "check", "--json")
        assert code == 0, err
        [report] = json.loads(out)
        assert [i["outcome"] for i in report["items"]] == ["skipped"]
        code, out, _ = run("sources", "check")
        assert "not modified since the last check" in out
        assert pub.hits("/cables.html") == []  # never fetched
        code, out, _ = run("docs", "--json")
        assert "Undersea Cables" not in out


def test_add_help_states_the_backfill_default():
    code, out, _ = run("sources", "add", "--help")
    assert code == 0
    assert "--backfill N" in out and "default 20" in " ".join(out.split())


def test_a_source_that_cannot_be_fetched_fails_the_check_with_a_reason():
    with publisher() as pub:
        run("sources", "add", f"{pub.url}/gone.xml", "--name", "gone")
        code, out, err = run("sources", "check")
        assert code == 1
        assert "check failed" in out and "HTTP 404" in out and "Traceback" not in out + err
        code, out, _ = run("sources", "list")
        assert "last error" in out and "404" in out


def test_the_readme_following_sources_commands_run_in_order():
    """The README's "Following sources" commands, one after the other on one database,
    with its two example sites served by a local publisher."""
    import re
    import shlex

    from paths import ROOT
    from sourcefixtures import listing_page

    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Following sources", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    lines = [ln for ln in block.splitlines() if ln.strip()]
    assert lines and all(ln.startswith("briefbot sources ") for ln in lines)
    with publisher() as pub:
        pub.put("/cables.html", CABLES)
        feed = rss([{"title": "Cables", "link": f"{pub.url}/cables.html"}])
        pub.put("/statements/feed.xml", feed, "application/rss+xml")
        pub.put("/press/", listing_page([("/cables.html", "Joint statement on cables")]))
        outputs = []
        for line in lines:
            line = line.replace("https://mfa.example", pub.url)
            line = line.replace("https://summit.example", pub.url)
            code, out, err = run(*shlex.split(line)[1:])
            assert code == 0, f"{line}: {err}"
            assert out.strip(), line
            outputs.append(out)
    text = "\n".join(outputs)
    assert (
        "would add (backfill, not announced): "
        "Joint Statement of Portugal and Norway on Undersea Cables" in text
    )
    assert "stopped following summit" in text
