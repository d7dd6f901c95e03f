"""Issue 10's "Done when": a statement pasted into the Slack modal, through signed requests
to one `briefbot serve --http` process, is answered by a second such process sharing the
PostgreSQL database within 10 s."""

from __future__ import annotations

import json
import time

import pytest
from e2e_conf import SECRET
from fakeslack import global_shortcut_body, post_signed, slash_command_body, view_submission_body
from helpers import UNDERSEA_QUERY as QUERY
from helpers import UNDERSEA_STATEMENT as STATEMENT
from helpers import UNDERSEA_TEXT as NEW_TEXT
from helpers import all_text
from pgtest import fresh_schema_url, require_server
from serving import running_server

from handlers import library_views as V

FORM = "application/x-www-form-urlencoded"
EDITOR = "U0EDITOR"
DONE_WHEN_SECONDS = 10.0


@pytest.fixture
def pg_url():
    require_server()
    yield from fresh_schema_url()


def post(url: str, body: str) -> dict:
    status, text, _ = post_signed(f"{url}/slack/events", body, SECRET, content_type=FORM)
    assert status == 200, text
    return json.loads(text) if text else {}


def ask(url: str, fake) -> str:
    return all_text(
        post(url, slash_command_body("/brief", QUERY, response_url=fake.response_url()))
    )


def field_values(fields: dict) -> dict:
    return {k: {k: {"type": "plain_text_input", "value": v}} for k, v in fields.items()}


@pytest.mark.postgres
def test_a_statement_pasted_in_the_modal_is_answered_by_a_second_process(
    fake, tmp_path, pg_url, capsys
):
    shared = {
        "DATABASE_URL": pg_url,
        "BRIEFBOT_EDITORS": EDITOR,
        "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND",
    }
    with (
        running_server(fake.url, tmp_path, **shared) as first,
        running_server(fake.url, tmp_path, **shared) as second,
    ):
        assert NEW_TEXT not in ask(second.url, fake)

        post(first.url, global_shortcut_body(V.SHORTCUT_ADD, user_id=EDITOR))
        (opened,) = fake.wait_for("views.open")
        assert opened.params["view"]["callback_id"] == V.VIEW_INPUT

        step = post(
            first.url,
            view_submission_body(V.VIEW_INPUT, field_values({"source": STATEMENT}), user_id=EDITOR),
        )
        assert step["response_action"] == "update", step
        preview = step["view"]
        assert preview["callback_id"] == V.VIEW_PREVIEW
        filled = {
            b["block_id"]: b["element"].get("initial_value")
            for b in preview["blocks"]
            if b["type"] == "input"
        }
        assert filled["date"] == "2026-03-03"

        saved = post(
            first.url,
            view_submission_body(
                V.VIEW_PREVIEW,
                field_values(filled),
                user_id=EDITOR,
                private_metadata=preview["private_metadata"],
            ),
        )
        started = time.monotonic()
        assert saved["response_action"] == "update" and "Saved" in all_text(saved["view"])

        while NEW_TEXT not in ask(second.url, fake):
            elapsed = time.monotonic() - started
            assert elapsed < DONE_WHEN_SECONDS, "the second process did not answer within 10 s"
            time.sleep(0.2)
        seconds = time.monotonic() - started
        # The first process announced it in the reminder channel, with its dated item.
        posts = fake.wait_for("chat.postMessage")
        (announce,) = [c for c in posts if c.params.get("channel") == "C0REMIND"]
        assert "New statement" in all_text(announce.params)
        assert NEW_TEXT in all_text(announce.params)
        with capsys.disabled():
            print(
                f"\n[done-when] saved in the modal via process 1; process 2 answered /brief "
                f"from it {seconds:.2f} s after the save was acknowledged"
            )
