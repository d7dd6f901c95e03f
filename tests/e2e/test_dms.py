"""Direct messages end to end: the Messages tab, assistant threads and plain DMs.

Signed event requests go through the real Bolt app; the fake Web API records the calls.
"""

from __future__ import annotations

import pytest
from e2e_conf import SECRET
from fakeslack import BOT_ID, BOT_USER_ID, bolt_request, event_body
from helpers import assert_valid_blocks, quotes

from handlers import blocks as B

JSON = "application/json"
DM = "D0DM"
NAV = "The two sides agreed to start formal negotiation in the first half of 2013"


def send(app, event, event_id, retry=None):
    headers = (
        {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
    )
    body = event_body(event, event_id=event_id)
    resp = app.dispatch(bolt_request(body, SECRET, content_type=JSON, headers=headers))
    assert resp.status == 200
    return resp


def im(text, ts="1700000200.000100", **extra):
    return {
        "type": "message",
        "channel_type": "im",
        "channel": DM,
        "user": "U123",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def test_messages_tab_sets_suggested_prompts_without_a_thread(app, fake):
    send(app, {"type": "app_home_opened", "user": "U123", "channel": DM, "tab": "messages"}, "EvT")
    (call,) = fake.calls_to("assistant.threads.setSuggestedPrompts")
    assert call.ok and call.params["channel_id"] == DM
    assert "thread_ts" not in call.params  # the agent surface: a thread_ts would fail silently
    assert call.params["title"] == B.DM_PROMPTS_TITLE
    assert [p["message"] for p in call.params["prompts"]] == [p["message"] for p in B.DM_PROMPTS]
    assert fake.calls_to("views.publish") == []  # the Home tab is not published for this tab


def test_home_tab_is_still_published(app, fake):
    send(app, {"type": "app_home_opened", "user": "U123", "channel": DM, "tab": "home"}, "EvH")
    assert len(fake.calls_to("views.publish")) == 1
    assert fake.calls_to("assistant.threads.setSuggestedPrompts") == []


def test_assistant_thread_started_welcomes_with_prompts(app, fake):
    event = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "U123",
            "context": {"channel_id": "C123", "team_id": "T0FAKE", "enterprise_id": None},
            "channel_id": DM,
            "thread_ts": "1700000300.000100",
        },
        "event_ts": "1700000300.000200",
    }
    send(app, event, "EvA")
    (post,) = fake.calls_to("chat.postMessage")
    assert post.params["channel"] == DM and post.params["thread_ts"] == "1700000300.000100"
    assert "Send me a phrase or a question" in post.params["text"]
    (prompts,) = fake.calls_to("assistant.threads.setSuggestedPrompts")
    assert prompts.ok and prompts.params["thread_ts"] == "1700000300.000100"


def test_a_dm_is_answered_in_its_thread_once(app, fake):
    for retry in (None, 1):
        send(app, im("navgation talks heixiazi"), "EvD1", retry=retry)
    (post,) = fake.calls_to("chat.postMessage")
    p = post.params
    assert p["channel"] == DM and p["thread_ts"] == "1700000200.000100"
    assert_valid_blocks(p["blocks"])
    assert quotes(p)[0].startswith(NAV)
    actions = [e["action_id"] for b in p["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert B.ACTION_SHARE not in actions  # nobody to share with in a DM
    (status,) = fake.calls_to("assistant.threads.setStatus")
    assert status.params["thread_ts"] == "1700000200.000100"


def test_a_follow_up_in_the_thread_is_answered_in_the_same_thread(app, fake):
    follow_up = im(
        "100 billion trade target", ts="1700000200.000900", thread_ts="1700000200.000100"
    )
    send(app, follow_up, "EvD2")
    (post,) = fake.calls_to("chat.postMessage")
    assert post.params["thread_ts"] == "1700000200.000100" and post.params["channel"] == DM
    assert any("100 billion" in q for q in quotes(post.params))
    (title,) = fake.calls_to("assistant.threads.setTitle")
    assert title.params["title"] == "100 billion trade target"


def test_a_dm_without_words_gets_help(app, fake):
    send(app, im("   "), "EvD3")
    (post,) = fake.calls_to("chat.postMessage")
    assert "/brief navgation talks heixiazi" in post.params["blocks"][1]["text"]["text"]


def test_an_unsupported_status_does_not_stop_the_answer(app, fake):
    fake.fail_next("assistant.threads.setStatus", error="not_allowed")
    send(app, im("navgation talks heixiazi"), "EvD4")
    assert len(fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"user": BOT_USER_ID, "bot_id": BOT_ID},  # our own reply
        {"user": "U0OTHERBOT", "bot_id": "B0OTHER"},  # another bot
        {"bot_id": "B0OTHER", "thread_ts": "1700000200.000100"},  # a bot in a thread
        {"subtype": "message_changed"},  # an edit
    ],
    ids=["own", "other-bot", "bot-in-thread", "edit"],
)
def test_bot_messages_and_edits_are_never_answered(app, fake, extra):
    send(app, im("navgation talks heixiazi", **extra), "EvB")
    assert fake.calls_to("chat.postMessage") == []
