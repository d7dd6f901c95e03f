"""The core of adding statements from Slack (bot.adding): who may, the form's fields,
the text kept between preview and save. No Slack here."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from paths import ROOT
from sqlalchemy import update

from bot.adding import (
    PENDING_TTL,
    Form,
    FormProblem,
    read_input,
    stash,
    unstash,
)
from bot.fetch import RawSource
from bot.store import Store, pending_statements_table


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, Form()),
        (
            {"title": "  A   title ", "date": " 2026-03-03 "},
            Form("A title", None, date(2026, 3, 3)),
        ),
        ({"parties": "China, Russia ,, "}, Form(parties=("China", "Russia"))),
        ({"short_title": "", "parties": "  "}, Form()),
    ],
)
def test_form_fields(values, expected):
    assert Form.parse(values) == expected


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"date": "March 3"}, "date", "'March 3' is not a date; use YYYY-MM-DD"),
        ({"date": "1066-10-14"}, "date", "1066-10-14 is out of range"),
        ({"title": "x" * 301}, "title", "at most 300 characters"),
        ({"parties": ",".join(f"P{i}" for i in range(31))}, "parties", "at most 30 parties"),
    ],
)
def test_form_problems_name_their_field(values, field, message):
    with pytest.raises(FormProblem) as exc:
        Form.parse(values)
    assert exc.value.field == field and exc.value.message.startswith(message)


def test_read_input():
    assert read_input("  Some text.  ") == RawSource("Some text.", "statement")
    with pytest.raises(FormProblem, match="Paste the statement's text"):
        read_input(" \n ")
    with pytest.raises(FormProblem, match="not a public address"):
        read_input("http://127.0.0.1:9/statement")  # never fetched


def test_kept_text_is_for_its_user_and_expires(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    raw = RawSource("Text as pasted *verbatim* <!channel>.", "cables.md", url="")
    token = stash(store, raw, user="U0A")
    assert len(token) >= 30
    assert unstash(store, token, user="U0A") == raw
    with pytest.raises(FormProblem, match="expired"):
        unstash(store, token, user="U0B")
    t = pending_statements_table
    with store.engine.begin() as conn:
        old = datetime.now(UTC) - PENDING_TTL * 2
        conn.execute(update(t).where(t.c.token == token).values(created_at=old))
    with pytest.raises(FormProblem, match="expired") as exc:
        unstash(store, token, user="U0A")
    assert exc.value.field == "title"
    stash(store, raw, user="U0A")  # a new one sweeps the expired row away
    with store.engine.connect() as conn:
        assert conn.execute(t.select().where(t.c.token == token)).first() is None


def test_the_core_does_not_load_slack():
    code = "import sys, bot.adding; print('slack_bolt' in sys.modules, 'slack_sdk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr
