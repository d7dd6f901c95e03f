"""Shared fixtures: the bundled corpus and its index, built once per session."""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import fakeslack` from any test dir

from paths import CORPUS


@pytest.fixture(scope="session", autouse=True)
def _caches_in_tmp(tmp_path_factory):
    """Built search indexes and clause sentence vectors go to a per-session directory,
    never the user's cache: both default under ``$XDG_CACHE_HOME/briefbot``, and servers
    and commands started by tests inherit it."""
    import os

    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(scope="session")
def sentence_cache(_caches_in_tmp):
    """The session's clause sentence-vector cache (the bundled corpus's vectors ship in
    corpus/.vectors, so servers start at once)."""
    import os

    from bot.config import default_cache_dir

    return default_cache_dir(os.environ)


@pytest.fixture(scope="session")
def corpus():
    from bot.reading.documents import load_corpus

    return load_corpus(CORPUS)


@pytest.fixture(scope="session")
def index(corpus):
    from bot.search import ClauseIndex

    return ClauseIndex.from_documents(corpus.documents)


@pytest.fixture
def silent_database():
    """A TCP port that accepts connections and never answers (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield server.getsockname()[1]
    stop.set()
    t.join(2)
    for s in held:
        s.close()
    server.close()


# -- a database of each kind ------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request, tmp_path):
    """A SQLite file, then a fresh PostgreSQL schema (skipped without a server, except
    under CI=true): tests of the store run on both."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite'}"
        return
    from pgtest import fresh_schema_url, require_server

    require_server()
    yield from fresh_schema_url()


@pytest.fixture
def any_store(any_url):
    """A :class:`bot.store.Store` on :func:`any_url`, closed afterwards."""
    from bot.store import Store

    s = Store(any_url)
    yield s
    s.close()
