"""`briefbot commitments`, `status` and `remind` in-process: contract output, exit codes."""

from __future__ import annotations

import io
import json
import os
import shutil
from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar
from paths import COMMUNIQUE, CORPUS, STATEMENT

from bot.cli import main
from bot.commitments import STATUSES
from bot.config import Settings
from bot.reminders import WATERMARK, Reminder, plan, run_due
from bot.store import Store

NAV = f"{COMMUNIQUE}#p35.1/2013-h1"
NAV_KEY = f"{NAV}|2013-06-30|lead-7d"
NAV_CITATION = "China–Russia Joint Communiqué, 6 Dec 2012, ¶35"
NAV_TEXT = (
    "The two sides agreed to start formal negotiation in the first half of 2013 on a navigation "
    "pact of Chinese and Russian ships in the surrounding water of Heixiazi Island (Tarabarov "
    "Island and Bolshoi Ussuriysky Island)."
)
#: The other commitments due in 2013 (all on 31 Dec).
DUE_2013 = {
    NAV,
    f"{STATEMENT}#p10.1/2013",
    f"{COMMUNIQUE}#p29.1/2013",
    f"{COMMUNIQUE}#p42.1/2013",
}
CONTRACT = {"id", "doc_id", "clause_id", "text", "expression", "due", "start", "status"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """Only what a test sets: no Slack or briefbot settings from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "BRIEFBOT_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'briefbot.db'}"


@pytest.fixture
def cli(db):
    """Run the CLI in-process against the bundled corpus and a fresh SQLite file."""

    def run(*argv: str, corpus=CORPUS) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--corpus", str(corpus), "--db", db, *argv], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def listed(cli, *argv: str, corpus=CORPUS) -> list[dict]:
    code, out, err = cli("commitments", "--json", *argv, corpus=corpus)
    assert code == 0, err
    return json.loads(out)


def ids(rows: list[dict]) -> set[str]:
    return {r["id"] for r in rows}


# --------------------------------------------------------------------------- commitments


def test_json_rows_follow_the_contract_for_the_navigation_pact(cli):
    rows = listed(cli)
    assert all(set(r) >= CONTRACT for r in rows)
    (nav,) = [r for r in rows if r["id"] == NAV]
    assert {k: nav[k] for k in CONTRACT} == {
        "id": NAV,
        "doc_id": COMMUNIQUE,
        "clause_id": f"{COMMUNIQUE}#p35.1",
        "text": NAV_TEXT,
        "expression": "in the first half of 2013",
        "due": "2013-06-30",
        "start": "2013-01-01",
        "status": "not_yet_rated",
    }
    assert nav["citation"] == NAV_CITATION
    assert nav["expression"] in nav["text"]


def test_due_year_filter_keeps_only_that_year(cli):
    rows = listed(cli, "due:2013")
    assert ids(rows) == DUE_2013
    assert all(r["due"].startswith("2013-") for r in rows)


def test_due_month_filter(cli):
    assert ids(listed(cli, "due:2013-06")) == {NAV}


def test_due_after_and_before_bound_the_list_inclusively(cli):
    rows = listed(cli, "--due-after", "2013-06-30", "--due-before", "2013-12-31")
    assert ids(rows) == DUE_2013
    assert ids(listed(cli, "--due-after", "2013-07-01", "--due-before", "2013-12-30")) == set()
    assert ids(listed(cli, "--due-before", "2012-12-31")) == {
        f"{STATEMENT}#p10.1/2012",
        f"{STATEMENT}#p7.1/2009-2012",
    }


def test_overdue_view_has_the_seeds_and_upcoming_has_none_of_them(cli):
    today = datetime.now(UTC).date()
    overdue = listed(cli, "overdue")
    upcoming = listed(cli, "upcoming")
    assert NAV in ids(overdue)
    assert all(r["overdue"] and date.fromisoformat(r["due"]) < today for r in overdue)
    # The China–Russia seeds all fell due years ago.
    seeds = {r["id"] for r in listed(cli) if r["doc_id"] in (COMMUNIQUE, STATEMENT) and r["due"]}
    assert seeds <= ids(overdue)
    assert not seeds & ids(upcoming)
    assert all(not r["overdue"] and date.fromisoformat(r["due"]) >= today for r in upcoming)


def test_free_words_narrow_the_list(cli):
    everything = listed(cli)
    rows = listed(cli, "navigation")
    assert ids(rows) == {NAV}
    assert len(everything) > len(rows)


def test_text_listing_shows_due_phrase_citation_and_id(cli):
    code, out, _ = cli("commitments", "navigation")
    assert code == 0
    assert out.startswith("2013-06-30  not yet rated  OVERDUE\n")
    assert "   time phrase: “in the first half of 2013” (commitment)\n" in out
    assert f"   — {NAV_CITATION}\n" in out
    assert f"   id: {NAV}\n" in out


def test_no_match_is_success_with_a_message(cli):
    assert cli("commitments", "due:2099") == (0, "No commitments match.\n", "")
    assert listed(cli, "due:2099") == []


@pytest.mark.parametrize(
    "argv",
    [("--status", "bogus"), ("status:bogus",)],
    ids=["option", "query-word"],
)
def test_bad_status_filter_exits_2_listing_the_statuses(cli, argv):
    code, out, err = cli("commitments", *argv)
    assert code == 2 and out == ""
    assert err == f"briefbot: unknown status 'bogus'; use one of: {', '.join(STATUSES)}\n"


def test_bad_due_filter_exits_2(cli):
    code, _, err = cli("commitments", "due:2013-13")
    assert code == 2 and err == "briefbot: due:2013-13 has no month 13\n"


# --------------------------------------------------------------------------- status


def test_status_met_then_status_filter_finds_it(cli):
    assert listed(cli, "--status", "met") == []
    code, out, _ = cli("status", NAV, "met")
    assert (code, out) == (0, f"{NAV}: not_yet_rated → met\n")
    rows = listed(cli, "--status", "met")
    assert ids(rows) == {NAV} and rows[0]["status"] == "met"
    # Met is closed: no longer overdue, not in the open view.
    assert NAV not in ids(listed(cli, "overdue"))
    assert NAV not in ids(listed(cli, "open"))


def test_status_history_with_actor_and_note_oldest_first_across_runs(cli):
    assert cli("status", NAV, "in_progress", "--note", "talks opened", "--by", "ana")[0] == 0
    assert cli("status", NAV, "Met", "--note", "pact signed")[0] == 0
    code, out, _ = cli("status", NAV)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{NAV}: met"
    assert len(lines) == 3
    assert lines[1].endswith("Z  in_progress  by ana — talks opened")
    assert lines[2].endswith("Z  met  by cli — pact signed")


def test_status_without_note_shows_no_dash(cli):
    cli("status", NAV, "stalled", "--by", "U123")
    _, out, _ = cli("status", NAV)
    assert out.splitlines()[1].endswith("Z  stalled  by U123")


def test_status_unknown_id_exits_2_with_a_clear_message(cli):
    code, out, err = cli("status", "no-such-commitment", "met")
    assert (code, out) == (2, "")
    assert err == (
        "briefbot: no commitment 'no-such-commitment'; 'briefbot commitments' lists the ids\n"
    )


def test_status_bad_value_exits_2_and_records_nothing(cli, db):
    code, _, err = cli("status", NAV, "done")
    assert code == 2
    assert err == f"briefbot: unknown status 'done'; use one of: {', '.join(STATUSES)}\n"
    assert Store(db).history(NAV) == []


# --------------------------------------------------------------------------- iCalendar


def ics_events(text: str) -> list:
    return [c for c in Calendar.from_ical(text).walk() if c.name == "VEVENT"]


def test_ics_one_all_day_event_per_dated_commitment(cli):
    dated = {r["id"]: r for r in listed(cli) if r["due"]}
    code, out, _ = cli("commitments", "--ics")
    assert code == 0
    events = ics_events(out)
    assert len(events) == len(dated)
    assert all(type(e.decoded("DTSTART")) is date for e in events)
    by_description = {
        str(e["DESCRIPTION"]).rsplit("Id: ", 1)[1]: e for e in events
    }  # the id is the description's last line
    assert set(by_description) == set(dated)
    for cid, event in by_description.items():
        assert event.decoded("DTSTART") == date.fromisoformat(dated[cid]["due"])
    nav = by_description[NAV]
    assert nav.decoded("DTSTART") == date(2013, 6, 30)
    assert nav.decoded("DTEND") == date(2013, 7, 1)
    assert "in the first half of 2013" in str(nav["SUMMARY"])
    description = str(nav["DESCRIPTION"])
    assert NAV_TEXT in description and NAV_CITATION in description
    assert "Status: not yet rated" in description


def test_ics_uids_are_unique_and_stable_across_runs(cli):
    first, second = cli("commitments", "--ics")[1], cli("commitments", "--ics")[1]
    uids = [str(e["UID"]) for e in ics_events(first)]
    assert len(set(uids)) == len(uids)
    assert uids == [str(e["UID"]) for e in ics_events(second)]


def test_ics_lines_are_folded_to_75_octets_with_crlf(cli):
    out = cli("commitments", "--ics")[1]
    raw = out.encode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # long lines were folded
    for line in lines:
        line.decode("utf-8")  # never folded inside a multi-byte character


def test_ics_respects_filters_and_status(cli):
    cli("status", NAV, "partial")
    events = ics_events(cli("commitments", "--ics", "navigation")[1])
    assert len(events) == 1
    assert "Status: partial" in str(events[0]["DESCRIPTION"])


# --------------------------------------------------------------------------- remind


def test_remind_dry_run_shows_the_navigation_reminder(cli, monkeypatch):
    monkeypatch.setenv("BRIEFBOT_REMINDER_LEADS", "7d")
    code, out, _ = cli("remind", "--as-of", "2013-06-23T09:00", "--dry-run")
    assert code == 0
    assert out.startswith(
        "Reminders due at 2013-06-23 09:00 UTC (dry run: nothing posted or recorded)\n"
        "- due 2013-06-30 (7d ahead): “in the first half of 2013”\n"
    )
    assert f"   — {NAV_CITATION}\n" in out
    assert "\nposted " not in out


def test_remind_dry_run_json_has_it_in_plan_post(cli, monkeypatch):
    monkeypatch.setenv("BRIEFBOT_REMINDER_LEADS", "7d")
    code, out, _ = cli("remind", "--as-of", "2013-06-23T09:00", "--dry-run", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["dry_run"] is True and report["posted"] == []
    (post,) = report["plan"]["post"]
    assert post == {
        "key": NAV_KEY,
        "commitment_id": NAV,
        "kind": "lead",
        "lead": "7d",
        "fire_at": "2013-06-23T09:00:00+00:00",
        "due": "2013-06-30",
        "text": NAV_TEXT,
        "citation": NAV_CITATION,
    }


def test_remind_as_of_without_offset_is_in_the_configured_time_zone(cli, monkeypatch):
    monkeypatch.setenv("BRIEFBOT_REMINDER_LEADS", "7d")
    monkeypatch.setenv("BRIEFBOT_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("BRIEFBOT_REMINDER_TIME", "09:00")
    code, out, _ = cli("remind", "--as-of", "2013-06-23T09:00", "--dry-run", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["now"] == "2013-06-23T01:00:00+00:00"
    assert [p["fire_at"] for p in report["plan"]["post"]] == ["2013-06-23T01:00:00+00:00"]


class RecordingPoster:
    def __init__(self) -> None:
        self.posted: list[str] = []

    def post(self, reminder: Reminder, channel: str) -> str:
        self.posted.append(reminder.key)
        return f"1.{len(self.posted)}"

    def post_summary(self, reminders: list[Reminder], channel: str) -> str:
        raise AssertionError("no summary expected")

    def find_posted(self, key: str, channel: str, since: datetime) -> str | None:
        return None


def test_remind_dry_run_leaves_the_database_untouched(cli, db, monkeypatch):
    monkeypatch.setenv("BRIEFBOT_REMINDER_LEADS", "7d")
    for _ in range(2):
        assert cli("remind", "--as-of", "2013-06-23T09:00", "--dry-run")[0] == 0
    store = Store(db)
    assert store.reminders() == [] and store.get_meta(WATERMARK) is None
    # A real run afterwards still finds the reminder due and posts it.
    from bot.services import build_services

    settings = Settings.from_env(
        {"BRIEFBOT_REMINDER_LEADS": "7d", "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND"},
        corpus_dir=CORPUS,
        database_url=db,
    )
    services = build_services(settings)
    now = datetime(2013, 6, 23, 9, 0, tzinfo=UTC)
    p = plan(services.commitments, {}, now=now, settings=settings, store=services.store)
    assert [r.key for r in p.post] == [NAV_KEY]
    poster = RecordingPoster()
    report = run_due(
        services.store, services.commitments, now=now, settings=settings, poster=poster, owner="t"
    )
    assert poster.posted == report.posted == [NAV_KEY]
    assert services.store.reminder(NAV_KEY).state == "sent"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"BRIEFBOT_REMINDER_CHANNEL": "C0REMIND"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "BRIEFBOT_REMINDER_CHANNEL"),
    ],
    ids=["nothing", "no-token", "no-channel"],
)
def test_remind_without_slack_settings_exits_2_naming_the_variable(
    cli, db, monkeypatch, env, missing
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BRIEFBOT_REMINDER_LEADS", "7d")
    code, out, err = cli("remind", "--as-of", "2013-06-23T09:00")
    assert (code, out) == (2, "")
    assert err == f"briefbot: {missing}: not set (see .env.example)\n"
    assert Store(db).reminders() == []


def test_remind_bad_instant_exits_2(cli):
    code, _, err = cli("remind", "--as-of", "next tuesday", "--dry-run")
    assert code == 2
    assert "'next tuesday' is not an ISO date-time" in err


# --------------------------------------------------------------------------- curation


@pytest.fixture
def corpus_copy(tmp_path):
    target = tmp_path / "corpus"
    target.mkdir()
    for path in CORPUS.glob("*.md"):
        shutil.copy(path, target / path.name)
    return target


def test_curated_file_suppresses_a_commitment(cli, corpus_copy):
    before = ids(listed(cli, corpus=corpus_copy))
    assert NAV in before
    (corpus_copy / "commitments.yml").write_text(
        f'suppress:\n  - id: "{NAV}"\n    reason: talks never planned\n', encoding="utf-8"
    )
    after = ids(listed(cli, corpus=corpus_copy))
    assert after == before - {NAV}
    # Everything else reads the same file: no reminder for it either.
    code, out, _ = cli(
        "remind", "--as-of", "2013-06-23T09:00", "--dry-run", "--json", corpus=corpus_copy
    )
    assert code == 0 and json.loads(out)["plan"]["post"] == []


def test_curated_unknown_id_is_a_warning_not_an_error(cli, corpus_copy):
    (corpus_copy / "commitments.yml").write_text("suppress:\n  - nope\n", encoding="utf-8")
    code, out, err = cli("commitments", "--json", corpus=corpus_copy)
    assert code == 0 and NAV in ids(json.loads(out))
    assert "warning: commitments.yml: suppress #1: no extracted commitment 'nope'" in err


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("suppress: [unclosed\n", "commitments.yml: not valid YAML"),
        ("remove:\n  - x\n", "commitments.yml: unknown section(s) ['remove']"),
        ("redate:\n  - id: x\n", "commitments.yml: redate #1: needs 'id' and 'due'"),
        (
            f"redate:\n  - id: '{NAV}'\n    due: soon\n",
            "commitments.yml: redate #1: 'soon' is not a date (YYYY-MM-DD)",
        ),
    ],
    ids=["yaml", "section", "redate-fields", "redate-date"],
)
def test_broken_curated_file_exits_2_naming_the_file(cli, corpus_copy, content, reason):
    (corpus_copy / "commitments.yml").write_text(content, encoding="utf-8")
    code, out, err = cli("commitments", "--json", corpus=corpus_copy)
    assert (code, out) == (2, "")
    assert err.startswith(f"briefbot: {reason}")


def test_broken_curated_yaml_reason_is_one_line(cli, corpus_copy):
    (corpus_copy / "commitments.yml").write_text("suppress: [unclosed\n", encoding="utf-8")
    code, _, err = cli("commitments", "--json", corpus=corpus_copy)
    assert code == 2
    assert len(err.splitlines()) == 1, err


# --------------------------------------------------------------------------- kinds


def test_json_rows_have_a_kind(cli):
    rows = listed(cli)
    assert rows and all(r["kind"] in {"commitment", "call", "event", "target"} for r in rows)
    assert {r["kind"] for r in rows} >= {"commitment", "event"}


@pytest.mark.parametrize("argv", [("--kind", "event"), ("kind:event",), ("kind:Events",)])
def test_kind_filter(cli, argv):
    rows = listed(cli, *argv)
    assert rows and {r["kind"] for r in rows} == {"event"}
    assert len(rows) < len(listed(cli))


@pytest.mark.parametrize("argv", [("--kind", "promise"), ("kind:promise",)])
def test_bad_kind_filter_exits_2(cli, argv):
    code, out, err = cli("commitments", *argv)
    assert code == 2 and out == ""
    assert err == "briefbot: unknown kind 'promise'; use one of: commitment, call, event, target\n"


def test_status_and_commitments_read_the_named_workspace_in_oauth_mode(cli, monkeypatch):
    """Installed into many workspaces: ``--team`` reads and sets that workspace's state;
    without it, the single-workspace (default) state, which no workspace sees."""
    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "s")
    assert cli("status", NAV, "met", "--team", "T0B", "--note", "B's view")[0] == 0
    assert cli("status", NAV, "stalled")[0] == 0
    assert cli("status", NAV, "--team", "T0B")[1].splitlines()[0] == f"{NAV}: met"
    assert "B's view" in cli("status", NAV, "--team", "T0B")[1]
    code, out, _ = cli("status", NAV, "--team", "T0A")
    assert (code, out) == (0, f"{NAV}: not_yet_rated\n")
    assert cli("status", NAV)[1].splitlines()[0] == f"{NAV}: stalled"
    assert ids(listed(cli, "--status", "met", "--team", "T0B")) == {NAV}
    assert listed(cli, "--status", "met", "--team", "T0A") == []
    code, _, err = cli("commitments", "--team", "lower")
    assert code == 2 and "--team: 'lower' is not a Slack team id" in err


def test_team_is_refused_with_one_workspace(cli):
    code, out, err = cli("status", NAV, "--team", "T0B")
    assert (code, out) == (2, "")
    assert "--team: this briefbot serves one workspace" in err
