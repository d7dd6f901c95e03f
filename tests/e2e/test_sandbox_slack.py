"""A hostile URL pasted in the Add a statement modal (issue 20): the page is read in the
sandbox, so while it trickles its headers a byte at a time other users' /brief are
acknowledged at once, and the modal then shows one line on its source field."""

from __future__ import annotations

import time

from fakeslack import slash_command_body
from helpers import all_text
from hostile import fixed, hostile_server, response, slow_headers
from test_add_statement import QUERY, dispatch, make_settings, submit
from webfixtures import STATEMENT_PAGE

from handlers import library_views as V


def test_a_slow_hostile_page_holds_nobody_else(fake, tmp_path, monkeypatch):
    import bot.fetch
    from bot.adding import read_input
    from bot.services import build_services
    from handlers.app import build_app
    from handlers.later import Later

    monkeypatch.setattr(bot.fetch, "FETCH_DEADLINE", 6.0)  # the real one is 25 s
    settings = make_settings(fake, tmp_path, allow_private_urls=True)
    later = Later(2)
    app = build_app(settings, build_services(settings), later=later)
    with hostile_server() as server:
        slow = server.add("/slow", slow_headers(interval=1.0))
        started = time.monotonic()
        answer = submit(app, V.VIEW_INPUT, {"source": slow})
        assert answer["response_action"] == "update"
        assert "Reading the statement" in all_text(answer["view"])
        acks = []
        while not fake.calls_to("views.update") and time.monotonic() - started < 60:
            t = time.monotonic()
            body = slash_command_body("/brief", QUERY, response_url=fake.response_url())
            dispatch(app, body)  # acknowledged with HTTP 200 (checked there)
            acks.append(time.monotonic() - t)
            time.sleep(0.2)
        (update,) = fake.wait_for("views.update", timeout=30)
        elapsed = time.monotonic() - started
        # The same process goes on reading good pages.
        good = server.add("/good.html", fixed(response(STATEMENT_PAGE.encode())))
        assert "undersea cable routes" in read_input(good, allow_private=True).text
    view = update.params["view"]
    assert view["callback_id"] == V.VIEW_INPUT
    assert "the page took longer than 6 s; stopped" in str(view)
    assert elapsed < 60
    # Measured 20 ms at worst on a loaded 2-core machine; the bound is 1 s.
    assert len(acks) >= 5 and max(acks) < 1.0, acks
    assert later.drain(5)
