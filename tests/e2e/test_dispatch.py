"""The real Bolt app through app.dispatch with signed requests and a fake Slack Web API."""

from __future__ import annotations

import json
import logging

import pytest
from e2e_conf import SECRET, TOKEN
from fakeslack import (
    block_actions_body,
    bolt_request,
    event_body,
    message_shortcut_body,
    slash_command_body,
)
from helpers import all_text, assert_valid_blocks, assert_valid_view, parsed_text, quotes

from bot.reading.clauses import Clause
from bot.search import ClauseIndex
from bot.services import Services
from handlers import blocks as B

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def slash(app, fake, text, name="r1"):
    """/brief answers in the acknowledgement itself: no response_url call at all."""
    body = slash_command_body("/brief", text, response_url=fake.response_url(name))
    resp = app.dispatch(bolt_request(body, SECRET, content_type=FORM))
    assert resp.status == 200
    assert fake.calls_to("response_url") == []
    return json.loads(resp.body)


def click(app, fake, action_id, value, *, ephemeral=True, name="r2"):
    body = block_actions_body(
        action_id,
        value,
        response_url=fake.response_url(name),
        container={
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "C123",
            "is_ephemeral": ephemeral,
        },
    )
    resp = app.dispatch(bolt_request(body, SECRET, content_type=FORM))
    assert resp.status == 200
    return [c.params for c in fake.calls_to("response_url")]


def mention(app, fake, text, *, event_id="Ev1", thread_ts=None, retry=None):
    event = {
        "type": "app_mention",
        "user": "U123",
        "text": text,
        "ts": "1700000100.000200",
        "channel": "C123",
        "event_ts": "1700000100.000200",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    headers = (
        {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
    )
    resp = app.dispatch(
        bolt_request(
            event_body(event, event_id=event_id), SECRET, content_type=JSON, headers=headers
        )
    )
    assert resp.status == 200
    return resp


def test_brief_answers_in_the_ack_with_the_right_clause(app, fake):
    payload = slash(app, fake, "navgation talks heixiazi")
    assert payload["response_type"] == "ephemeral"
    assert_valid_blocks(payload["blocks"])
    text = all_text(payload)
    assert quotes(payload)[0].startswith(
        "The two sides agreed to start formal negotiation in the first half of 2013"
    )
    assert "China–Russia Joint Communiqué, 6 Dec 2012, ¶35" in text
    actions = [
        e["action_id"] for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert B.ACTION_SHARE in actions and B.ACTION_CONTEXT in actions


@pytest.mark.parametrize("text", ["", "help", "  "])
def test_empty_brief_and_help_explain_usage(app, fake, text):
    payload = slash(app, fake, text)
    assert_valid_blocks(payload["blocks"])
    assert "/brief navgation talks heixiazi" in all_text(payload)


def test_overlong_query_gets_a_specific_message(app, fake):
    payload = slash(app, fake, "trade " * 100)
    assert "the limit is 500" in payload["text"]
    assert_valid_blocks(payload["blocks"])


def test_no_good_match_shows_the_closest_suggestion(app, fake):
    payload = slash(app, fake, "recipe for chocolate cake")
    assert_valid_blocks(payload["blocks"])
    text = all_text(payload)
    assert "No good match" in text and "Closest clause" in text


def test_filters_in_the_text(app, fake):
    payload = slash(app, fake, "cooperation in:communique")
    assert_valid_blocks(payload["blocks"])
    text = all_text(payload)
    assert "China–Russia Joint Communiqué" in text and "China–Russia Joint Statement," not in text


def test_share_posts_for_everyone_attributed_then_removes_the_ephemeral(app, fake, index):
    clause = index.search("Heixiazi").hits[0].clause
    calls = click(app, fake, B.ACTION_SHARE, B.encode(c=clause.clause_id))
    posted, deleted = calls
    assert posted["response_type"] == "in_channel" and posted["replace_original"] is False
    assert "shared by <@U123>" in all_text(posted)
    assert clause.text in all_text(posted)
    assert_valid_blocks(posted["blocks"])
    assert deleted["delete_original"] is True


def test_more_replaces_the_ephemeral_with_the_next_page(app, fake):
    calls = click(app, fake, B.ACTION_MORE, B.encode(q="cooperation", o=3, s=1))
    page = calls[-1]
    assert page["replace_original"] is True
    assert_valid_blocks(page["blocks"])
    assert "Results 4–6 of" in all_text(page)


def test_more_on_a_public_message_answers_only_the_clicker(app, fake):
    calls = click(app, fake, B.ACTION_MORE, B.encode(q="cooperation", o=1, s=0), ephemeral=False)
    assert calls[-1]["response_type"] == "ephemeral" and calls[-1]["replace_original"] is False


def test_context_shows_neighbours_and_lead_in(app, fake, index):
    clause = index.search("$100 billion before 2015").hits[0].clause
    payload = click(app, fake, B.ACTION_CONTEXT, B.encode(c=clause.clause_id))[-1]
    assert_valid_blocks(payload["blocks"])
    text = all_text(payload)
    assert "To this end, the two sides have agreed the following:" in text
    neighbours = index.context(clause.clause_id, radius=2)
    assert all(c.text[:60] in text for c in neighbours)


def test_unknown_clause_in_a_button_is_a_clear_message(app, fake):
    payload = click(app, fake, B.ACTION_CONTEXT, B.encode(c="gone#p1.1"))[-1]
    assert "no longer in the corpus" in payload["text"]


def test_mention_in_a_thread_answers_in_that_thread_once_even_when_retried(app, fake):
    mention(app, fake, "<@UBOT> navgation talks heixiazi", thread_ts="1700000000.000001")
    mention(app, fake, "<@UBOT> navgation talks heixiazi", thread_ts="1700000000.000001", retry=1)
    mention(app, fake, "<@UBOT> navgation talks heixiazi", thread_ts="1700000000.000001", retry=2)
    posts = fake.calls_to("chat.postMessage")
    assert len(posts) == 1
    p = posts[0].params
    assert p["thread_ts"] == "1700000000.000001" and p["channel"] == "C123"
    assert "Heixiazi Island" in all_text(p)
    assert_valid_blocks(p["blocks"])


def test_mention_outside_a_thread_starts_a_thread_on_the_message(app, fake):
    mention(app, fake, "<@UBOT> energy cooperation", event_id="Ev2")
    p = fake.wait_for("chat.postMessage")[0].params
    assert p["thread_ts"] == "1700000100.000200"
    assert "Results 1–1 of" in all_text(p)
    assert [e["action_id"] for e in p["blocks"][-1]["elements"]] == [B.ACTION_MORE, B.ACTION_CANVAS]


def test_empty_mention_in_a_thread_uses_the_parent_message(app, fake):
    fake.set_messages(
        "C123",
        [
            {
                "ts": "1700000000.000001",
                "user": "U999",
                "text": "Is it true they promised &lt;talks&gt; on navigation around "
                "Heixiazi Island?",
            },
        ],
    )
    mention(app, fake, "<@UBOT>", event_id="Ev3", thread_ts="1700000000.000001")
    assert fake.calls_to("conversations.replies")[0].params["ts"] == "1700000000.000001"
    p = fake.wait_for("chat.postMessage")[0].params
    assert "navigation pact" in all_text(p) and p["thread_ts"] == "1700000000.000001"


def test_rate_limited_post_is_retried_after_retry_after(app, fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    mention(app, fake, "<@UBOT> Skolkovo", event_id="Ev4")
    calls = fake.calls_to("chat.postMessage")
    assert [c.answered for c in calls] == [429, 200]


def test_server_error_is_retried(app, fake):
    fake.fail_next("chat.postMessage", status=503)
    mention(app, fake, "<@UBOT> Skolkovo", event_id="Ev5")
    assert [c.answered for c in fake.calls_to("chat.postMessage")] == [503, 200]


def test_message_shortcut_finds_the_source(app, fake):
    body = message_shortcut_body(
        B.SHORTCUT_FIND_SOURCE,
        {
            "type": "message",
            "ts": "1700000000.000300",
            "user": "U9",
            "text": "They said trade would hit $100 billion before 2015, right?",
        },
        response_url=fake.response_url("s1"),
    )
    assert app.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    p = fake.wait_for("response_url")[0].params
    assert "$100 billion before 2015" in all_text(p)
    assert_valid_blocks(p["blocks"])


def test_injection_attempts_ping_nobody(app, fake):
    payload = slash(app, fake, "<!channel> <@U0BOSS> <!subteam^S1> navigation heixiazi")
    text = all_text(payload)
    assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<!subteam" not in text
    # The markup is read as what it is (mentions, not words) and left out of the echo.
    assert "for “navigation heixiazi”" in text


def test_a_clause_containing_a_special_mention_is_escaped(app, fake, settings, corpus):
    evil = Clause(
        "x#p1.1",
        "x",
        "Evil <Doc> & Co",
        None,
        "The parties <!channel> will meet <@U0BOSS> soon & often.",
        "1",
        1,
        1,
    )
    services = Services(settings=settings, corpus=corpus, index=ClauseIndex([evil]))
    from handlers.app import build_app

    bolt = build_app(settings, services, process_before_response=True)
    fake.reset()
    payload = slash(bolt, fake, "parties will meet soon")
    text = parsed_text(payload)
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text and "&amp; often" in text
    assert quotes(payload) == [evil.text]  # rich text: shown as written, never parsed
    shared = click(bolt, fake, B.ACTION_SHARE, B.encode(c="x#p1.1"), name="r9")[-2]
    assert "<!channel>" not in parsed_text(shared) and "<@U0BOSS>" not in parsed_text(shared)
    assert quotes(shared) == [evil.text]


def test_long_clause_is_cut_at_a_word_boundary_with_context_button(app, fake, settings, corpus):
    long_text = "The parties will cooperate on navigation " + "and trade " * 700 + "forever."
    services = Services(
        settings=settings,
        corpus=corpus,
        index=ClauseIndex([Clause("l#p1.1", "l", "Long", None, long_text, "1", 1, 1)]),
    )
    from handlers.app import build_app

    bolt = build_app(settings, services, process_before_response=True)
    fake.reset()
    payload = slash(bolt, fake, "parties cooperate on navigation")
    assert_valid_blocks(payload["blocks"])
    quote = quotes(payload)[0]
    assert len(quote) <= 3000 and quote.endswith("…") and quote[-2] != " "
    assert "press Context for the full clause" in all_text(payload)


def test_app_home_lists_documents_within_limits(app, fake, corpus):
    event = {
        "type": "app_home_opened",
        "user": "U123",
        "channel": "D1",
        "tab": "home",
        "event_ts": "1700000000.1",
    }
    assert (
        app.dispatch(
            bolt_request(event_body(event, event_id="EvH"), SECRET, content_type=JSON)
        ).status
        == 200
    )
    call = fake.wait_for("views.publish")[0]
    assert call.params["user_id"] == "U123"
    view = call.params["view"]
    assert_valid_view(view)
    assert all(d.title[:50] in all_text(view) for d in corpus.documents)


def test_listener_failure_apologises_and_logs_without_the_token(
    app, fake, services, caplog, monkeypatch
):
    def boom(*a, **k):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(services.index, "search", boom)
    body = slash_command_body("/brief", "navigation", response_url=fake.response_url("r1"))
    with caplog.at_level(logging.ERROR):
        resp = app.dispatch(bolt_request(body, SECRET, content_type=FORM))
    assert resp.status == 200  # acknowledged: Slack shows no error of its own...
    (apology,) = fake.calls_to("response_url")  # ...and the user gets exactly one line
    assert "Sorry, something went wrong" in apology.params["text"]
    assert apology.params["response_type"] == "ephemeral"
    assert "index exploded" in caplog.text  # logged with the traceback...
    assert TOKEN not in caplog.text and SECRET not in caplog.text  # ...never a secret


def test_bad_signature_is_rejected_and_nothing_runs(app, fake):
    body = slash_command_body("/brief", "navigation", response_url=fake.response_url())
    resp = app.dispatch(bolt_request(body, "wrong-secret", content_type=FORM))
    assert resp.status == 401
    assert fake.calls == []


def test_a_retry_landing_on_another_process_is_answered_once(
    fake, settings, corpus, index, tmp_path
):
    """Two HTTP instances sharing one database (as behind a load balancer)."""
    from bot.store import Store
    from handlers.app import build_app

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    apps = []
    for _ in range(2):
        services = Services(settings=settings, corpus=corpus, index=index, store=Store(url))
        apps.append(build_app(settings, services, process_before_response=True))
    fake.reset()
    mention(apps[0], fake, "<@UBOT> Skolkovo", event_id="EvLB")
    mention(apps[1], fake, "<@UBOT> Skolkovo", event_id="EvLB", retry=1)
    assert len(fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (B.ACTION_MORE, '{"q":"cooperation","o":"x"}'),
        (B.ACTION_MORE, '{"q":"cooperation","o":1e400}'),
        (B.ACTION_SHARE, '{"c":[1]}'),
        (B.ACTION_CONTEXT, "not json at all"),
    ],
)
def test_malformed_button_values_get_an_answer_not_a_crash(app, fake, action_id, value, caplog):
    body = block_actions_body(action_id, value, response_url=fake.response_url("m1"))
    assert app.dispatch(bolt_request(body, SECRET, content_type=FORM)).status == 200
    assert fake.calls_to("response_url")
    assert "listener failed" not in caplog.text


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_home_opened", "tab": "home", "event_ts": "1.1"},
        {"type": "app_mention", "text": "<@UBOT> trade", "ts": "1.2", "user": "U1"},
    ],
    ids=["home-without-user", "mention-without-channel"],
)
def test_events_missing_fields_are_ignored(app, fake, event, caplog):
    resp = app.dispatch(
        bolt_request(event_body(event, event_id="EvBad"), SECRET, content_type=JSON)
    )
    assert resp.status == 200 and "listener failed" not in caplog.text
    assert fake.calls_to("chat.postMessage") == [] and fake.calls_to("views.publish") == []
