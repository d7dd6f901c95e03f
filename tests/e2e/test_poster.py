"""The Slack reminder poster against the fake Web API: errors, metadata, crash recovery."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from e2e_conf import TOKEN
from helpers import parsed_text, quotes

from bot.commitments import Commitment
from bot.config import Settings
from bot.reminders import PostError, Reminder
from handlers.client import build_client
from handlers.reminders import SlackPoster

NAV = Commitment(
    id="nav",
    doc_id="d",
    clause_id="d#p1.1",
    text="Talks in the first half of 2013 <!channel>.",
    citation="Doc, 6 Dec 2012, ¶1",
    expression="in the first half of 2013",
    value="2013-H1",
    start=date(2013, 1, 1),
    due=date(2013, 6, 30),
)
FIRE = datetime(2013, 6, 23, 9, tzinfo=UTC)


def reminder(key: str = "nav|2013-06-30|lead-7d") -> Reminder:
    return Reminder(key=key, commitment=NAV, kind="lead", lead=timedelta(days=7), fire_at=FIRE)


@pytest.fixture
def poster(fake):
    settings = Settings.from_env({"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.url})
    return SlackPoster(build_client(settings, idempotent=True))


def test_post_carries_the_key_in_metadata_and_escapes_text(poster, fake):
    ts = poster.post(reminder(), "C1")
    (call,) = fake.calls_to("chat.postMessage")
    assert call.params["metadata"] == {
        "event_type": "briefbot_reminder",
        "event_payload": {"keys": ["nav|2013-06-30|lead-7d"]},
    }
    assert "<!channel>" not in parsed_text(call.params) and ts == call.response["ts"]
    assert quotes(call.params) == [NAV.text]  # the quote itself is rich text, as written


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_is_not_retried_blindly(poster, fake, status):
    """A 5xx may come after Slack posted: the ledger, not the client, decides what next."""
    fake.fail_next("chat.postMessage", status=status)
    with pytest.raises(PostError) as exc:
        poster.post(reminder(), "C1")
    assert exc.value.retryable is True
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_rate_limit_is_retried_after_retry_after(poster, fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    poster.post(reminder(), "C1")
    assert [c.answered for c in fake.calls_to("chat.postMessage")] == [429, 200]


@pytest.mark.parametrize(
    ("error", "retryable"),
    [("channel_not_found", False), ("not_in_channel", False), ("internal_error", True)],
)
def test_slack_errors_become_post_errors_with_the_reason(poster, fake, error, retryable):
    fake.fail_next("chat.postMessage", error=error)
    with pytest.raises(PostError) as exc:
        poster.post(reminder(), "C1")
    assert (exc.value.reason, exc.value.retryable) == (error, retryable)


def test_find_posted_pages_through_a_busy_channel(poster, fake):
    ts = poster.post(reminder(), "C1")
    later = [{"ts": f"1800000{i:03d}.000100", "text": f"chatter {i}"} for i in range(450)]
    fake.set_messages("C1", fake.messages("C1") + later)
    assert poster.find_posted("nav|2013-06-30|lead-7d", "C1", FIRE - timedelta(days=1)) == ts
    assert len(fake.calls_to("conversations.history")) == 3
    assert poster.find_posted("other|key", "C1", FIRE - timedelta(days=1)) is None


def test_summary_metadata_names_every_key(poster, fake):
    keys = [f"c{i}|2013-06-30|lead-7d" for i in range(80)]
    poster.post_summary([reminder(k) for k in keys], "C1")
    (call,) = fake.calls_to("chat.postMessage")
    assert call.params["metadata"]["event_payload"]["keys"] == keys
    assert poster.find_posted(keys[-1], "C1", FIRE - timedelta(days=1)) is not None
