"""Followed sources when installed into several workspaces (OAuth): the scheduler's
sources job checks each installed workspace's sources and announces each new statement
in that workspace's channel with its own token; a workspace without a channel has its
statements stored and their announcement waits; a source is its workspace's alone."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from e2e_conf import SECRET, TOKEN_KEY
from fakeslack import FakeSlack
from paths import CORPUS
from slack_sdk.oauth.installation_store import Installation
from sourcefixtures import publisher, rss
from sqlalchemy import update
from test_sources import CABLES, FISHERIES

from bot.config import Settings
from bot.services import build_services
from bot.sources import add_source, list_sources
from bot.store import Store, source_items_table, sources_table
from bot.workspaces import WorkspaceSettings, save
from handlers.install import OAuthStores

CLIENT_ID, CLIENT_SECRET = "1234.5678", "client-secret-for-tests"
TEAMS = {
    "T0ONE": ("xoxb-1-workspace-one-token", "C1NEWS"),
    "T0BARE": ("xoxb-3-workspace-bare-token", None),
}


def test_each_workspace_hears_of_its_own_new_statements(tmp_path):
    from handlers.sources import workspaces_sources_tick

    url = f"sqlite:///{tmp_path / 'briefbot.db'}"
    with FakeSlack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake, publisher() as pub:
        settings = Settings.from_env(
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "BRIEFBOT_TOKEN_KEY": TOKEN_KEY,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.url,
                "DATABASE_URL": url,
                "BRIEFBOT_CORPUS": str(CORPUS),
                "BRIEFBOT_SENTENCE_ENCODER": "off",
            }
        )
        services = build_services(settings)
        stores = OAuthStores(settings, SimpleNamespace(store=services.store))  # type: ignore[arg-type]
        for team, (token, channel) in TEAMS.items():
            fake.add_workspace(team, team.lower(), code=f"code-{team}").token = token
            stores.installations.save(
                Installation(
                    app_id="A1", user_id="U1", team_id=team, bot_token=token, bot_id=f"B{team}"
                )
            )
            if channel:
                save(services.store, WorkspaceSettings(team, channel), actor="UADMIN")
        pub.put("/one/cables.html", CABLES)
        pub.put("/bare/fish.html", FISHERIES)
        old = {"title": "old", "link": f"{pub.url}/old.html"}
        for team, path, _page in (("T0ONE", "one", "cables"), ("T0BARE", "bare", "fish")):
            pub.put(f"/{path}/feed.xml", rss([old]), "application/rss+xml")
            add_source(
                services.store, f"{pub.url}/{path}/feed.xml", name="mfa", team_id=team,
                allow_private=True, backfill=0,
            )  # fmt: skip
        # A source of a workspace that is no longer installed is not checked.
        pub.put("/gone/feed.xml", rss([]), "application/rss+xml")
        add_source(
            services.store, f"{pub.url}/gone/feed.xml", name="mfa", team_id="T0GONE",
            allow_private=True,
        )  # fmt: skip

        tick = workspaces_sources_tick(settings, services, stores)
        assert tick() == 2  # the first checks: what is listed already is not news
        assert tick() == 0  # nothing due again before its interval
        # Each feed lists a new statement, and the interval has passed.
        for _team, path, page in (("T0ONE", "one", "cables"), ("T0BARE", "bare", "fish")):
            feed = rss([{"title": page, "link": f"{pub.url}/{path}/{page}.html"}, old])
            pub.put(f"/{path}/feed.xml", feed, "application/rss+xml")
        with services.store.engine.begin() as conn:
            conn.execute(update(sources_table).values(next_check_at=datetime.now(UTC)))
        assert tick() == 2
        posts = [c for c in fake.calls_to("chat.postMessage") if c.ok]
        assert [(c.token_team, c.params["channel"]) for c in posts] == [("T0ONE", "C1NEWS")]
        assert "Undersea Cables" in posts[0].params["text"]
        assert pub.hits("/gone/feed.xml") == []
        assert pub.hits("/old.html") == []  # listed before: never fetched

        owned = {s.team_id: s.doc_id for s in services.library.list_statements()}
        assert set(owned) == {"T0ONE", "T0BARE"}  # each statement belongs to its workspace
        assert [s.name for s in list_sources(services.store, team_id="T0ONE")] == ["mfa"]
        store = Store(url)
        try:
            from sqlalchemy import select

            with store.engine.connect() as conn:
                rows = {r.doc_id: r for r in conn.execute(select(source_items_table))}
        finally:
            store.close()
        assert rows[owned["T0ONE"]].announced_at is not None
        waiting = rows[owned["T0BARE"]]
        assert waiting.announced_at is None and "no channel" in waiting.announce_error
        services.store.close()
