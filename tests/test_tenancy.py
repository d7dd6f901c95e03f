"""Workspace state belongs to one workspace (issue 20, item 1): statuses, their history
and notes, and the reminder ledger, on SQLite and PostgreSQL; an older database's rows
go to the default (single-workspace) team when the column is added."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.commitments import Commitment
from bot.config import Settings
from bot.reminders import Reminder
from bot.services import Services
from bot.store import DEFAULT_TEAM, Store
from bot.workspaces import run_workspaces

NOW = datetime(2013, 6, 23, 9, 30, tzinfo=UTC)


def commitment(cid: str, due: date) -> Commitment:
    return Commitment(
        id=cid,
        doc_id=f"doc-{cid}",
        clause_id=f"doc-{cid}#1",
        text=f"The parties will do {cid} by then.",
        citation=f"Doc {cid}, para. 1",
        expression="by then",
        value=due.isoformat(),
        start=None,
        due=due,
        kind="commitment",
    )


NAV = commitment("nav", date(2013, 6, 30))
BASE = Settings(
    reminder_channel="C0ENV", reminder_leads=(timedelta(days=7),), reminder_time=time(9, 0)
)


class Poster:
    def __init__(self) -> None:
        self.posts: list[str] = []

    def post(self, reminder: Reminder, channel: str) -> str:
        self.posts.append(reminder.key)
        return f"ts-{len(self.posts)}"

    def post_summary(self, reminders: list[Reminder], channel: str) -> str:
        raise AssertionError("no summaries expected")

    def find_posted(self, key: str, channel: str, since: datetime) -> str | None:
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite'}"
        return
    from pgtest import fresh_schema_url, require_server

    require_server()
    yield from fresh_schema_url()


@pytest.fixture
def any_store(any_url):
    s = Store(any_url)
    yield s
    s.close()


def test_statuses_history_and_notes_are_per_workspace(any_store):
    s = any_store
    s.set_status("nav", "met", actor="UB", note="B says done", team_id="T0B")
    s.set_status("nav", "missed", actor="UA", note="A disagrees", team_id="T0A")
    s.set_status("nav", "partial", actor="cli")  # the default workspace
    assert s.current_status("nav", team_id="T0A") == "missed"
    assert s.current_status("nav", team_id="T0B") == "met"
    assert s.current_status("nav") == "partial"
    assert s.current_status("nav", team_id="T0C") == "not_yet_rated"
    assert s.statuses(team_id="T0A") == {"nav": "missed"}
    assert s.statuses(team_id="T0B") == {"nav": "met"}
    assert s.statuses(team_id="T0C") == {}
    assert [(h.actor, h.note) for h in s.history("nav", team_id="T0B")] == [("UB", "B says done")]
    assert [(h.actor, h.note) for h in s.history("nav", team_id="T0A")] == [("UA", "A disagrees")]
    assert [h.actor for h in s.history("nav")] == ["cli"]


def test_b_marking_met_never_stops_a_reminders(any_store):
    s = any_store
    s.set_status("nav", "met", actor="UB", team_id="T0B")
    a, b = Poster(), Poster()
    reports = run_workspaces(s, [NAV], [("T0A", a), ("T0B", b)], now=NOW, settings=BASE, owner="o")
    assert a.posts == ["T0A|nav|2013-06-30|lead-7d"]
    assert b.posts == []  # B's own status: met, so B is not reminded
    assert reports["T0B"].plan.skip or not reports["T0B"].posted
    assert s.reminder("T0A|nav|2013-06-30|lead-7d").state == "sent"
    assert s.reminder("T0B|nav|2013-06-30|lead-7d") is None


def test_services_read_the_asking_workspace_only_in_oauth_mode(any_store):
    oauth = Settings(client_id="1.2", client_secret="s")
    single = Settings(bot_token="xoxb-1")
    for settings, team_a, team_b in [(oauth, "T0A", "T0B"), (single, DEFAULT_TEAM, DEFAULT_TEAM)]:
        services = Services(settings, None, None, [NAV], store=any_store)  # type: ignore[arg-type]
        assert services.team_key("T0A") == team_a and services.team_key(None) == DEFAULT_TEAM
        services.record_status("nav", "met", actor="UB", note="n", team_id="T0B")
        assert services.statuses("T0B")["nav"] == "met"
        assert services.statuses("T0A").get("nav") == ("met" if team_a == team_b else None)
        assert services.status_of("T0A")("nav") == ("met" if team_a == team_b else "not_yet_rated")
        assert [h.note for h in services.history("nav", "T0B")] == ["n"]


def test_an_older_database_keeps_its_statuses_in_the_default_workspace(any_url):
    """A ``commitment_status`` table made before team ids: the column (and its index) is
    added at start-up and every existing row goes to the default workspace."""
    engine = create_engine(any_url)
    with engine.begin() as conn:
        serial = "SERIAL" if conn.dialect.name == "postgresql" else "INTEGER"
        conn.execute(
            text(
                f"CREATE TABLE commitment_status (id {serial} PRIMARY KEY, "
                "commitment_id VARCHAR(200) NOT NULL, status VARCHAR(40) NOT NULL, "
                "actor VARCHAR(200) NOT NULL, note TEXT, changed_at TIMESTAMP NOT NULL)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO commitment_status "
                "(commitment_id, status, actor, note, changed_at) VALUES "
                "('nav', 'met', 'U1', 'old note', '2024-01-02 03:04:05')"
            )
        )
    engine.dispose()
    store = Store(any_url)
    try:
        assert store.current_status("nav") == "met"
        assert [h.note for h in store.history("nav")] == ["old note"]
        assert store.current_status("nav", team_id="T0A") == "not_yet_rated"
        names = {i["name"] for i in inspect(store.engine).get_indexes("commitment_status")}
        assert "ix_commitment_status_team" in names
        store.set_status("nav", "missed", actor="UA", team_id="T0A")
        assert store.current_status("nav") == "met"
    finally:
        store.close()
    Store(any_url).close()  # a second start finds everything in place


@pytest.mark.parametrize(
    ("oauth", "team", "user", "expected"),
    [
        # OAuth: only T…:U… entries of that team, and editors its admin named.
        (True, "T0A", "U0ENVA", True),
        (True, "T0B", "U0ENVA", False),
        (True, "T0A", "U0PLAIN", False),  # a plain id is the single workspace's
        (True, "T0B", "U0NAMED", True),
        (True, "T0A", "U0NAMED", False),
        (True, "T0A", None, False),
        # One workspace (bot token): plain ids, its own T…:U… and the default team's.
        (False, "T0A", "U0PLAIN", True),
        (False, "T0A", "U0ENVA", True),
        (False, "T0B", "U0ENVA", False),
        (False, "T0B", "U0SINGLE", True),
        (False, "T0B", "U0NAMED", False),
    ],
)
def test_editors_belong_to_one_workspace(any_store, oauth, team, user, expected):
    env = {"BRIEFBOT_EDITORS": "T0A:U0ENVA,U0PLAIN"}
    env |= {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"} if oauth else {}
    settings = Settings.from_env(env | ({} if oauth else {"SLACK_BOT_TOKEN": "xoxb-1"}))
    assert settings.oauth is oauth
    any_store.set_editors("T0B", ["U0NAMED"], actor="UADMIN")
    any_store.set_editors(DEFAULT_TEAM, ["U0SINGLE"], actor="UADMIN")
    services = Services(settings, None, None, [], store=any_store)  # type: ignore[arg-type]
    assert services.is_editor(team, user) is expected


def test_editors_are_replaced_and_forgotten_with_the_workspace(any_store):
    s = any_store
    assert s.set_editors("T0B", ["U2", "U1", "U1"], actor="UADMIN") == ["U1", "U2"]
    s.set_editors("T0A", ["U9"], actor="UADMIN")
    assert s.editors("T0B") == ["U1", "U2"] and s.is_stored_editor("T0B", "U1")
    s.set_editors("T0B", ["U3"], actor="UADMIN")
    assert s.editors("T0B") == ["U3"] and not s.is_stored_editor("T0B", "U1")
    assert s.delete_workspace_settings("T0B") is True
    assert s.editors("T0B") == [] and s.editors("T0A") == ["U9"]
