"""Workspace state belongs to one workspace (issue 20, item 1): statuses, their history
and notes, and the reminder ledger, on SQLite and PostgreSQL; an older database's rows
go to the default (single-workspace) team when the column is added."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from builders import commitment
from sqlalchemy import create_engine, inspect, text

from bot.config import Settings
from bot.reminders import Reminder
from bot.services import Services
from bot.store import DEFAULT_TEAM, Store
from bot.workspaces import run_workspaces

NOW = datetime(2013, 6, 23, 9, 30, tzinfo=UTC)


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
        (True, None, "U0PLAIN", False),  # no workspace: no editor
        (True, None, "U0ENVA", False),
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


# --------------------------------------------------------------- added statements

CABLES = (
    "Joint Statement on Undersea Cables\n\nLisbon, 3 March 2026\n\n"
    "1. Portugal and Norway share an interest in secure undersea cables.\n\n"
    "2. The two sides will complete a joint survey of undersea cable routes in the North "
    "Atlantic by the end of 2027.\n"
)
CABLES_QUERY = "joint survey of undersea cable routes"


def oauth_services(tmp_path, url: str, **env: str) -> Services:
    from paths import CORPUS

    from bot.services import build_services

    settings = Settings.from_env(
        {
            "SLACK_CLIENT_ID": "1.2",
            "SLACK_CLIENT_SECRET": "s",
            "DATABASE_URL": url,
            "BRIEFBOT_CORPUS": str(CORPUS),
            "BRIEFBOT_SENTENCE_ENCODER": "off",
            "BRIEFBOT_INDEX_CACHE": "off",
            **env,
        }
    )
    return build_services(settings)


def found(services: Services, team: str | None) -> bool:
    hits = services.index_for(team).search(CABLES_QUERY, limit=3).hits
    return any("undersea cable routes" in h.clause.text for h in hits)


@pytest.mark.parametrize("share", ["off", "on"])
def test_a_statement_added_in_one_workspace_is_served_there_only(tmp_path, share):
    from bot.library import UnknownStatement, preview

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    services = oauth_services(tmp_path, url, BRIEFBOT_SHARE_STATEMENTS=share)
    stored = services.library.add(preview(CABLES), added_by="UA", team_id="T0A")
    assert services.refresh() is True
    assert stored.team_id == "T0A" and services.snapshot.owners == {stored.doc_id: "T0A"}
    shared = share == "on"
    assert found(services, "T0A")
    assert found(services, None) is shared  # the single-workspace key is not T0A
    assert found(services, "T0B") is shared
    assert (services.statement(stored.doc_id, "T0B") is not None) is shared
    assert services.statement(stored.doc_id, "T0A") is not None
    b_docs = {r["doc_id"] for r in services.document_rows("T0B")}
    assert (stored.doc_id in b_docs) is shared
    assert stored.doc_id in {r["doc_id"] for r in services.document_rows("T0A")}
    items = [c.id for c in services.commitments if c.doc_id == stored.doc_id]
    assert items  # "by the end of 2027"
    assert set(items) <= {c.id for c in services.commitments_for("T0A")}
    assert bool(set(items) & {c.id for c in services.commitments_for("T0B")}) is shared
    services.record_status(items[0], "met", actor="UA", team_id="T0A")
    if not shared:  # B cannot rate (and so read back) A's own statement's items
        with pytest.raises(KeyError):
            services.record_status(items[0], "met", actor="UB", team_id="T0B")
    clause = services.index.clauses_of(stored.doc_id)[0]
    assert (services.index_for("T0B").get(clause.clause_id) is not None) is shared
    # Only the owning workspace may remove it; another's try is an unknown statement.
    with pytest.raises(UnknownStatement):
        services.library.remove(stored.doc_id, by="UB", team_id="T0B")
    assert services.library.list_statements(team_id="T0B") == []
    services.library.remove(stored.doc_id, by="UA", team_id="T0A")
    services.refresh()
    assert not found(services, "T0A")


def test_statements_from_the_command_line_are_everyones(tmp_path):
    from bot.library import preview

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    services = oauth_services(tmp_path, url)
    services.library.add(preview(CABLES), added_by="cli")
    services.refresh()
    assert services.snapshot.owners == {}
    assert found(services, "T0A") and found(services, "T0B")


def test_another_workspaces_statement_gives_no_reminders(tmp_path):
    from bot.library import preview

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    services = oauth_services(tmp_path, url)
    stored = services.library.add(preview(CABLES), added_by="UA", team_id="T0A")
    services.refresh()
    a, b = Poster(), Poster()
    now = datetime(2027, 12, 1, 10, tzinfo=UTC)  # 30 days before 31 Dec 2027
    settings = Settings(reminder_channel="C0ENV", reminder_leads=(timedelta(days=30),))
    run_workspaces(
        services.store,
        [c for c in services.commitments if c.doc_id == stored.doc_id],
        [("T0A", a), ("T0B", b)],
        now=now,
        settings=settings,
        owner="o",
        hidden=services.hidden_docs,
    )
    assert a.posts and all(k.startswith("T0A|") for k in a.posts)
    assert b.posts == []


def test_a_hidden_statement_is_never_suggested_or_named_in_notes(tmp_path):
    from bot.library import preview

    services = oauth_services(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    stored = services.library.add(preview(CABLES), added_by="UA", team_id="T0A")
    services.refresh()
    seen_by_b = services.index_for("T0B")
    for options in [{}, {"after": "2030"}, {"doc": "2026"}]:
        result = seen_by_b.search(CABLES_QUERY, limit=5, **options)
        shown = [h.clause for h in result.hits] + [o for h in result.hits for o in h.also_in]
        if result.suggestion is not None:
            shown.append(result.suggestion.clause)
        assert all(c.doc_id != stored.doc_id for c in shown), options
        assert "Undersea" not in " ".join(result.notes), result.notes
    # The same filters as the owner sees them do name it ("the filters hid …").
    owner = services.index_for("T0A").search(CABLES_QUERY, limit=5, after="2030")
    assert "Undersea" in " ".join(owner.notes)


def test_the_tenancy_bench_runs_and_the_filter_leaks_nothing(capsys):
    from benchscripts import bench_script

    with bench_script("tenancy_bench") as bench:
        assert bench.main(["--queries", "30", "--hidden", "0.5"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert rows["exclude_docs"][-1] == "0"  # no hit of a hidden document
    assert int(rows["no"][-1]) > 0  # without the filter they are found (the test bites)


def test_the_editor_check_never_waits_on_a_failing_database_twice():
    class Failing:
        calls = 0

        def is_stored_editor(self, team_id, user_id):
            Failing.calls += 1
            raise ConnectionRefusedError("database went away")

    settings = Settings.from_env(
        {"BRIEFBOT_EDITORS": "T0A:U0ENVA", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}
    )
    services = Services(settings, None, None, [], store=Failing())  # type: ignore[arg-type]
    assert services.is_editor("T0A", "U0NAMED") is False
    assert services.is_editor("T0A", "U0NAMED") is False  # not asked again for a while
    assert Failing.calls == 1
    assert services.is_editor("T0A", "U0ENVA") is True  # the environment still counts
