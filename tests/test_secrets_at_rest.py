"""Secrets at rest (issue 20, item 2): installation tokens encrypted in the database with
BRIEFBOT_TOKEN_KEY (rotation: the first key encrypts, all decrypt); SQLite files and
cache directories private whatever the umask; expired OAuth states purged; the install
page rate-limited."""

from __future__ import annotations

import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import select

from bot.config import KEY_HOWTO, ConfigError, Settings
from bot.store import Store
from handlers.install import InstallLimiter, OAuthStores, installed_workspaces

#: Fernet keys made for these tests.
OLD_KEY = "xckospf9ImgQZNoUxYhEYHiJNdbFDjD9yAlJSuf01Vs="
NEW_KEY = "HtSzSTE_Ht8re8I-Jaj5PV-NMZ3DPeFlzsmbs44CZNY="
OTHER_KEY = "za4If1MRPNJ7UDAYdDcL3gig5pB0QYQ3pCpxwdS-rTg="
TOKEN = "xoxb-1111-2222-secretbottokenvalue"
REFRESH = "xoxe-1-refreshtokenvaluethatislongenoughtomatter"


def stores(store: Store, *keys: str) -> OAuthStores:
    settings = Settings(client_id="1.2", client_secret="s", token_keys=keys)
    return OAuthStores(settings, SimpleNamespace(store=store))  # type: ignore[arg-type]


def install(oauth: OAuthStores, team: str = "T0A", token: str = TOKEN) -> None:
    oauth.installations.save(
        Installation(
            app_id="A1",
            user_id="U1",
            team_id=team,
            bot_token=token,
            bot_id=f"B{team}",
            bot_refresh_token=REFRESH,
            user_token="xoxp-user-token-secret",
        )
    )


def raw_rows(store: Store) -> list[str]:
    """Every stored value of every token column, as the database holds it."""
    from sqlalchemy import MetaData, Table

    meta = MetaData()
    out = []
    with store.engine.connect() as conn:
        for name in ("slack_bots", "slack_installations"):
            table = Table(name, meta, autoload_with=conn)
            for row in conn.execute(select(table)).mappings():
                out.extend(str(v) for k, v in row.items() if "token" in k and v is not None)
    return out


def test_tokens_are_encrypted_in_the_database_and_read_back(any_store):
    oauth = stores(any_store, NEW_KEY)
    install(oauth)
    values = raw_rows(any_store)
    assert len(values) == 5  # bot + refresh in slack_bots; bot, refresh, user token
    assert all(v.startswith("enc:v1:") for v in values)
    assert not any(secret in v for v in values for secret in (TOKEN, REFRESH, "xoxp-user"))
    bot = oauth.installations.find_bot(enterprise_id=None, team_id="T0A")
    assert (bot.bot_token, bot.bot_refresh_token) == (TOKEN, REFRESH)
    found = oauth.installations.find_installation(enterprise_id=None, team_id="T0A")
    assert (found.bot_token, found.user_token) == (TOKEN, "xoxp-user-token-secret")
    assert list(installed_workspaces(oauth)) == [("T0A", TOKEN)]


def test_a_long_rotating_token_fits(any_store):
    """Encrypted, a token is ~2.4x longer: slack_sdk's VARCHAR(200) would refuse it."""
    long_token = "xoxe.xoxb-1-" + "A" * 150
    oauth = stores(any_store, NEW_KEY)
    install(oauth, token=long_token)
    assert oauth.installations.find_bot(enterprise_id=None, team_id="T0A").bot_token == long_token


def test_rotation_first_key_encrypts_every_key_decrypts(any_store, caplog):
    install(stores(any_store, OLD_KEY))
    before = raw_rows(any_store)
    # New key in front: the start-up re-encrypts every row with it.
    rotated = stores(any_store, NEW_KEY, OLD_KEY)
    after = raw_rows(any_store)
    assert set(before).isdisjoint(after)
    assert rotated.installations.find_bot(enterprise_id=None, team_id="T0A").bot_token == TOKEN
    # The old key dropped: still readable, everything is under the new one.
    assert list(installed_workspaces(stores(any_store, NEW_KEY))) == [("T0A", TOKEN)]
    # A key that opens nothing: not installed, logged with the team id and no secret.
    with caplog.at_level(logging.DEBUG):
        lost = stores(any_store, OTHER_KEY)
        assert lost.installations.find_bot(enterprise_id=None, team_id="T0A") is None
        assert list(installed_workspaces(lost)) == []
    assert "T0A" in caplog.text and "BRIEFBOT_TOKEN_KEY" in caplog.text
    for secret in (TOKEN, REFRESH, NEW_KEY, OLD_KEY, OTHER_KEY):
        assert secret not in caplog.text


def test_tokens_an_older_briefbot_stored_in_plain_text_are_encrypted_at_start(any_store):
    plain = SQLAlchemyInstallationStore(client_id="1.2", engine=any_store.engine)
    plain.create_tables()
    plain.save(Installation(app_id="A1", user_id="U1", team_id="T0A", bot_token=TOKEN))
    assert TOKEN in raw_rows(any_store)
    oauth = stores(any_store, NEW_KEY)
    assert TOKEN not in raw_rows(any_store)
    assert all(v.startswith("enc:v1:") for v in raw_rows(any_store))
    assert oauth.installations.find_bot(enterprise_id=None, team_id="T0A").bot_token == TOKEN


def test_oauth_without_a_key_is_refused_in_one_clear_line(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(ConfigError) as exc:
        stores(store)
    assert str(exc.value).startswith("BRIEFBOT_TOKEN_KEY: not set; installing into many")
    assert "Fernet.generate_key()" in str(exc.value)


@pytest.mark.parametrize("value", ["not-a-key", f"{NEW_KEY},short", "é" * 44])
def test_a_bad_key_is_named_by_position_never_shown(value):
    with pytest.raises(ConfigError) as exc:
        Settings.from_env({"BRIEFBOT_TOKEN_KEY": value})
    message = str(exc.value)
    assert message.startswith("BRIEFBOT_TOKEN_KEY: key ")
    assert "is not a Fernet key" in message
    for part in value.split(","):
        assert part not in message
    assert Settings.from_env({"BRIEFBOT_TOKEN_KEY": f" {NEW_KEY} , {OLD_KEY}"}).token_keys == (
        NEW_KEY,
        OLD_KEY,
    )
    assert NEW_KEY not in repr(Settings.from_env({"BRIEFBOT_TOKEN_KEY": NEW_KEY}))


# ------------------------------------------------------------------ file modes


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_files_and_their_folder_are_private_under_umask_022(tmp_path, umask_022):
    db = tmp_path / "new" / "deeper" / "briefbot.db"
    store = Store(f"sqlite:///{db}")
    store.set_status("c1", "met", actor="U1")  # a write: the -wal and -shm files exist
    try:
        assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
        assert mode(db) == 0o600
        companions = [p for p in db.parent.iterdir() if p.name != db.name]
        assert companions, "expected the WAL files"
        modes = {p.name: oct(mode(p)) for p in companions}
        assert set(modes.values()) == {"0o600"}, modes
    finally:
        store.close()


def test_an_older_readable_database_file_is_tightened(tmp_path, umask_022):
    db = tmp_path / "old.db"
    Store(f"sqlite:///{db}").close()
    os.chmod(db, 0o644)
    Store(f"sqlite:///{db}").close()
    assert mode(db) == 0o600


def test_cache_directories_are_created_private_under_umask_022(tmp_path, umask_022):
    from bot.services import private_cache_dirs

    settings = Settings(cache_dir=tmp_path / "c" / "briefbot", index_cache=tmp_path / "i" / "x")
    private_cache_dirs(settings)
    made = [tmp_path / "c", tmp_path / "c" / "briefbot", tmp_path / "i", tmp_path / "i" / "x"]
    assert {f.name: mode(f) for f in made} == {f.name: 0o700 for f in made}
    existing = tmp_path / "mine"
    existing.mkdir(mode=0o755)
    private_cache_dirs(Settings(cache_dir=existing, index_cache=None))
    assert mode(existing) == 0o755  # an existing directory is the operator's choice


# ------------------------------------------------------------------ OAuth states


def test_expired_oauth_states_are_purged_when_new_ones_are_issued(any_store):
    oauth = stores(any_store, NEW_KEY)
    states = oauth.states
    table = states.oauth_states
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with any_store.engine.begin() as conn:
        conn.execute(
            table.insert(),
            [{"state": f"old-{n}", "expire_at": long_ago.replace(tzinfo=None)} for n in range(500)],
        )
    fresh = states.issue()
    with any_store.engine.connect() as conn:
        left = [r.state for r in conn.execute(select(table.c.state))]
    assert left == [fresh]
    assert states.consume(fresh) is True and states.consume(fresh) is False
    # Within the purge interval no extra DELETE runs; the next interval's issue purges.
    with any_store.engine.begin() as conn:
        conn.execute(table.insert(), {"state": "old", "expire_at": long_ago.replace(tzinfo=None)})
    states.issue()
    with any_store.engine.connect() as conn:
        assert "old" in {r.state for r in conn.execute(select(table.c.state))}
    states._purged_at -= states.purge_every
    states.issue()
    with any_store.engine.connect() as conn:
        assert "old" not in {r.state for r in conn.execute(select(table.c.state))}


# ------------------------------------------------------------------ install page rate


def test_install_limiter_counts_per_address_in_a_sliding_window():
    limiter = InstallLimiter(limit=3, window=60, max_clients=2)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("b", now=3) is True  # another address has its own count
    assert limiter.allow("a", now=61) is True  # the first view left the window
    limiter.allow("c", now=62)  # a third address: the oldest remembered one is dropped
    assert len(limiter._seen) == 2


def test_the_readme_key_command_makes_a_key_briefbot_accepts():
    import re
    import subprocess
    import sys

    from paths import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    production = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    (command,) = re.findall(r"`(python -c \"from cryptography[^`]*)`", production)
    assert command.replace('\\"', '"') in KEY_HOWTO.replace('\\"', '"')  # the error says it too
    args = command.split(" ", 2)
    key = subprocess.run(
        [sys.executable, "-c", args[2].strip('"')], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Settings.from_env({"BRIEFBOT_TOKEN_KEY": f"{key},{NEW_KEY}"}).token_keys[0] == key
