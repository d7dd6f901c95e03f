"""Tests of the FakeSlack harness against the real slack_sdk WebClient and slack_bolt App."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fakeslack import (
    Call,
    FakeSlack,
    block_actions_body,
    bolt_request,
    event_body,
    message_shortcut_body,
    post_signed,
    sign,
    slash_command_body,
)
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

TOKEN = "xoxb-test-0123456789-secret"
SECRET = "signing-secret-for-tests"
BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Quote* of the day"}},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "source: MFA"}]},
]


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib (used by WebClient) honours *_proxy variables; loopback must never go through one.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server
    assert not server.errors, server.errors


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.url, timeout=5)


# ---------------------------------------------------------------------- basics


def test_url_has_api_path_and_trailing_slash(fake: FakeSlack) -> None:
    assert fake.url == f"http://127.0.0.1:{fake.port}/api/"
    assert fake.response_url("r1") == f"http://127.0.0.1:{fake.port}/response/r1"


def test_not_started_url_raises() -> None:
    with pytest.raises(RuntimeError):
        _ = FakeSlack().url


def test_auth_test_answer(fake: FakeSlack, client: WebClient) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == "UBOT"
    assert response["bot_id"] == "BBOT"
    assert response["team_id"] == "T0FAKE"
    (call,) = fake.calls_to("auth.test")
    assert call.method == "auth.test"
    assert call.path == "/api/auth.test"
    assert call.answered == 200
    assert call.ok


def test_post_message_recorded_with_blocks_parsed(fake: FakeSlack, client: WebClient) -> None:
    metadata = {"event_type": "brief_posted", "event_payload": {"id": 7}}
    first = client.chat_postMessage(
        channel="C1",
        text="fallback",
        blocks=BLOCKS,
        thread_ts="1699999999.000001",
        metadata=metadata,
    )
    second = client.chat_postMessage(channel="C1", text="again")

    assert first["channel"] == "C1"
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "fallback"
    assert first["message"]["blocks"] == BLOCKS
    assert first["message"]["metadata"] == metadata
    assert first["message"]["thread_ts"] == "1699999999.000001"

    calls = fake.calls_to("chat.postMessage")
    assert [c.params["text"] for c in calls] == ["fallback", "again"]
    assert calls[0].params["blocks"] == BLOCKS
    assert isinstance(calls[0].params["blocks"][0], dict)
    assert calls[0].response["ts"] == first["ts"]
    assert [c.method for c in fake.calls] == ["chat.postMessage", "chat.postMessage"]


def test_form_encoded_json_fields_are_parsed(fake: FakeSlack, client: WebClient) -> None:
    client.api_call(
        "chat.postMessage",
        data={"channel": "C2", "text": "[draft] not json", "blocks": json.dumps(BLOCKS)},
    )
    (call,) = fake.calls_to("chat.postMessage")
    assert call.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert call.params["blocks"] == BLOCKS
    assert call.params["text"] == "[draft] not json"


def test_get_requests_and_unknown_methods(fake: FakeSlack, client: WebClient) -> None:
    response = client.api_call("reactions.add", params={"name": "eyes", "timestamp": "1.0"})
    assert response.data == {"ok": True}
    (call,) = fake.calls_to("reactions.add")
    assert call.params == {"name": "eyes", "timestamp": "1.0"}

    request = urllib.request.Request(
        fake.url + "users.info?user=U5", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.loads(answer.read())["user"]["id"] == "U5"
    (call,) = fake.calls_to("users.info")
    assert call.params == {"user": "U5"}
    assert call.authorized is True


def test_default_answers_have_plausible_shapes(fake: FakeSlack, client: WebClient) -> None:
    assert client.chat_postEphemeral(channel="C1", user="U123", text="psst")["message_ts"]
    posted = client.chat_postMessage(channel="C1", text="v1")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert updated["ts"] == posted["ts"]
    assert fake.messages("C1")[0]["text"] == "v2"
    assert client.chat_delete(channel="C1", ts=posted["ts"])["ts"] == posted["ts"]
    assert fake.messages("C1") == []
    view = {"type": "home", "blocks": BLOCKS}
    published = client.views_publish(user_id="U123", view=view)
    assert published["view"]["type"] == "home"
    assert published["view"]["id"].startswith("V")
    assert fake.calls_to("views.publish")[0].params["view"] == view
    opened = client.views_open(trigger_id="t", view={"type": "modal", "blocks": []})
    assert opened["view"]["type"] == "modal"
    assert client.conversations_join(channel="C9")["channel"]["id"] == "C9"
    user = client.users_info(user="U123")["user"]
    assert user["id"] == "U123"
    assert user["profile"]["real_name"]
    link = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")
    assert link["permalink"].endswith("/archives/C1/p1700000000000100")


def test_post_message_validation_errors(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc_info, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel="C1", text="")
    assert exc_info.value.response["error"] == "no_text"


def test_files_upload_v2_round_trip(fake: FakeSlack, client: WebClient) -> None:
    response = client.files_upload_v2(
        channel="C1", content="quote,source\n", filename="brief.csv", title="Brief"
    )
    assert response["file"]["title"] == "Brief"
    (upload,) = fake.calls_to("file_upload")
    assert upload.params["data"] == b"quote,source\n"
    (complete,) = fake.calls_to("files.completeUploadExternal")
    assert complete.params["files"][0]["id"] == upload.params["file_id"]


# ---------------------------------------------------------------------- threads / history


def test_conversations_replies_and_history(fake: FakeSlack, client: WebClient) -> None:
    parent = {"type": "message", "user": "U1", "ts": "1690000000.000100", "text": "Statement"}
    reply = {
        "type": "message",
        "user": "U2",
        "ts": "1690000001.000100",
        "thread_ts": parent["ts"],
        "text": "+1",
    }
    other = {"type": "message", "user": "U3", "ts": "1690000002.000100", "text": "unrelated"}
    fake.set_messages("C1", [reply, parent, other])

    replies = client.conversations_replies(channel="C1", ts=parent["ts"])["messages"]
    assert [m["ts"] for m in replies] == [parent["ts"], reply["ts"]]
    assert replies[0]["reply_count"] == 1

    history = client.conversations_history(channel="C1")["messages"]
    assert [m["ts"] for m in history] == [other["ts"], parent["ts"]]  # newest first, no replies

    posted = client.chat_postMessage(channel="C1", text="bot reply", thread_ts=parent["ts"])
    replies = client.conversations_replies(channel="C1", ts=parent["ts"])["messages"]
    assert [m["ts"] for m in replies] == [parent["ts"], reply["ts"], posted["ts"]]

    with pytest.raises(SlackApiError) as exc_info:
        client.conversations_replies(channel="C1", ts="1.000000")
    assert exc_info.value.response["error"] == "thread_not_found"


# ---------------------------------------------------------------------- failure injection


def test_rate_limited_then_retried_by_handler(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    client = WebClient(
        token=TOKEN,
        base_url=fake.url,
        timeout=5,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    started = time.monotonic()
    response = client.chat_postMessage(channel="C1", text="hello")
    assert response["ok"] is True
    assert time.monotonic() - started >= 1.0  # the handler honoured Retry-After

    first, second = fake.calls_to("chat.postMessage")
    assert (first.answered, first.error) == (429, "ratelimited")
    assert not first.ok
    assert (second.answered, second.error) == (200, None)
    assert first.params == second.params == {"channel": "C1", "text": "hello"}


def test_rate_limited_without_handler_raises(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as exc_info:
        client.chat_postMessage(channel="C1", text="hello")
    response = exc_info.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "7"
    assert len(fake.calls_to("chat.postMessage")) == 1
    # The failure was consumed: the next call succeeds.
    assert client.chat_postMessage(channel="C1", text="hello")["ok"] is True


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "invalid_auth"])
def test_error_injection(fake: FakeSlack, client: WebClient, error: str) -> None:
    fake.fail_next("chat.postMessage", error=error)
    with pytest.raises(SlackApiError) as exc_info:
        client.chat_postMessage(channel="C404", text="hello")
    assert exc_info.value.response.status_code == 200
    assert exc_info.value.response["error"] == error
    (call,) = fake.calls_to("chat.postMessage")
    assert (call.answered, call.error) == (200, error)


def test_server_errors_times_and_scoping(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.update", status=503, times=2)
    assert client.auth_test()["ok"] is True  # other methods are unaffected
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc_info:
            client.chat_update(channel="C1", ts="1.0", text="x")
        assert exc_info.value.response.status_code == 503
    assert client.chat_update(channel="C1", ts="1.0", text="x")["ok"] is True
    assert [c.answered for c in fake.calls_to("chat.update")] == [503, 503, 200]


def test_respond_with_override(fake: FakeSlack, client: WebClient) -> None:
    fake.respond_with("users.info", lambda call: {"ok": True, "user": {"id": call.params["user"]}})
    assert client.users_info(user="U9")["user"] == {"id": "U9"}
    fake.respond_with("team.info", {"ok": True, "team": {"id": "T0FAKE", "name": "Fake"}})
    assert client.team_info()["team"]["name"] == "Fake"


def test_broken_override_is_reported_not_hidden() -> None:
    with FakeSlack() as server:
        server.respond_with("users.info", lambda call: 1 / 0)
        client = WebClient(token=TOKEN, base_url=server.url, timeout=5, retry_handlers=[])
        with pytest.raises(SlackApiError) as exc_info:
            client.users_info(user="U1")
        assert exc_info.value.response.status_code == 500
        assert isinstance(server.errors[0], ZeroDivisionError)


# ---------------------------------------------------------------------- response_url


def test_response_url_posts_recorded(fake: FakeSlack) -> None:
    url = fake.response_url("r1")
    result = WebhookClient(url).send(text="done", response_type="ephemeral", blocks=BLOCKS)
    assert (result.status_code, result.body) == (200, "ok")
    (call,) = fake.calls_to("response_url")
    assert call.path == "/response/r1"
    assert call.params["text"] == "done"
    assert call.params["response_type"] == "ephemeral"
    assert call.params["blocks"] == BLOCKS
    assert call.authorized is False


def test_response_url_failure_injection(fake: FakeSlack) -> None:
    fake.fail_next("response_url", status=404)
    result = WebhookClient(fake.response_url("gone")).send(text="late")
    assert result.status_code == 404


# ---------------------------------------------------------------------- secrets


def test_token_is_never_recorded(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    client.chat_postMessage(channel="C1", text="hi", blocks=BLOCKS)
    client.api_call("auth.test", params={"token": TOKEN})
    assert len(fake.calls) == 3
    assert all(c.authorized for c in fake.calls)
    for call in fake.calls:
        assert call.headers["Authorization"] == "<redacted>"
        assert TOKEN not in repr(call)
    # A token sent as a form field (legacy style) is redacted too.
    request = urllib.request.Request(
        fake.url + "auth.test",
        data=urllib.parse.urlencode({"token": TOKEN}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["ok"] is True
    legacy = fake.calls[-1]
    assert legacy.params["token"] == "<redacted>"
    assert legacy.authorized is False
    assert TOKEN not in repr(fake.calls)


def test_missing_token_is_not_authed(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc_info:
        WebClient(base_url=fake.url).chat_postMessage(channel="C1", text="hi")
    assert exc_info.value.response["error"] == "not_authed"
    (call,) = fake.calls_to("chat.postMessage")
    assert call.authorized is False
    assert "Authorization" not in call.headers


# ---------------------------------------------------------------------- wait_for / reset


def test_wait_for_blocks_until_calls_arrive(fake: FakeSlack, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.1)
        for i in range(2):
            client.chat_postMessage(channel="C1", text=f"m{i}")

    worker = threading.Thread(target=later)
    worker.start()
    calls = fake.wait_for("chat.postMessage", count=2, timeout=5)
    worker.join()
    assert [c.params["text"] for c in calls] == ["m0", "m1"]
    assert all(isinstance(c, Call) for c in calls)


def test_wait_for_timeout_lists_recorded_methods(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*auth\.test"):
        fake.wait_for("chat.postMessage", timeout=0.2)


def test_reset(fake: FakeSlack, client: WebClient) -> None:
    fake.set_messages("C1", [{"ts": "1.000100", "text": "kept"}])
    fake.fail_next("chat.delete", error="message_not_found")
    client.auth_test()
    fake.reset()
    assert fake.calls == []
    assert fake.messages("C1")[0]["text"] == "kept"
    with pytest.raises(SlackApiError):
        client.chat_delete(channel="C1", ts="1.000100")
    fake.fail_next("chat.delete", error="message_not_found")
    fake.reset(all_state=True)
    assert fake.messages("C1") == []
    assert client.chat_delete(channel="C1", ts="1.000100")["ok"] is True


# ---------------------------------------------------------------------- signing


def test_sign_verifies_with_signature_verifier() -> None:
    body = slash_command_body("/brief", "iran", response_url="http://127.0.0.1:1/response/x")
    headers = sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("wrong-secret").is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "x", headers)


def test_sign_with_explicit_timestamp_matches_slack_sdk() -> None:
    body = event_body({"type": "app_mention", "text": "hi"})
    headers = sign(body, SECRET, timestamp=1_531_420_618)
    assert headers["X-Slack-Request-Timestamp"] == "1531420618"
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1531420618", body=body)
    assert headers["X-Slack-Signature"] == expected
    # Too old for a real verifier (replay protection).
    assert not SignatureVerifier(SECRET).is_valid_request(body, headers)


def test_body_builders_shapes(fake: FakeSlack) -> None:
    command = urllib.parse.parse_qs(
        slash_command_body("brief", "x y", response_url=fake.response_url())
    )
    assert command["command"] == ["/brief"]
    assert command["text"] == ["x y"]
    assert command["response_url"] == [fake.response_url()]

    envelope = json.loads(event_body({"type": "app_mention"}, event_time=5))
    assert envelope["type"] == "event_callback"
    assert envelope["token"] == "legacy"
    assert envelope["event_time"] == 5
    assert envelope["authorizations"][0]["user_id"] == "UBOT"

    form = urllib.parse.parse_qs(block_actions_body("approve", "42", response_url=None))
    payload = json.loads(form["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["action_id"] == "approve"
    assert payload["actions"][0]["value"] == "42"
    assert payload["container"]["message_ts"] == payload["message"]["ts"]
    assert "response_url" not in payload

    message = {"type": "message", "user": "U7", "ts": "1690000000.000100", "text": "quote me"}
    form = urllib.parse.parse_qs(message_shortcut_body("cite", message))
    payload = json.loads(form["payload"][0])
    assert payload["type"] == "message_action"
    assert payload["message"] == message
    assert payload["message_ts"] == message["ts"]


# ---------------------------------------------------------------------- real Bolt app


def _bolt_app(fake: FakeSlack):
    from slack_bolt import App

    app = App(client=WebClient(token=TOKEN, base_url=fake.url, timeout=5), signing_secret=SECRET)

    @app.command("/brief")
    def brief(ack, respond, command):
        ack()
        respond(text=f"brief on {command['text']}", response_type="ephemeral")

    @app.action("approve")
    def approve(ack, body, respond, client):
        ack()
        client.chat_update(
            channel=body["channel"]["id"], ts=body["container"]["message_ts"], text="approved"
        )
        respond(text="thanks", replace_original=False)

    @app.event("app_mention")
    def mention(event, say):
        say(text="on it", thread_ts=event["ts"])

    @app.message_shortcut("cite")
    def cite(ack, shortcut, client):
        ack()
        client.chat_postMessage(
            channel=shortcut["channel"]["id"],
            thread_ts=shortcut["message"]["ts"],
            text=f"cited: {shortcut['message']['text']}",
        )

    return app


def test_bolt_app_dispatch_end_to_end(fake: FakeSlack) -> None:
    app = _bolt_app(fake)
    fake.wait_for("auth.test")

    body = slash_command_body("/brief", "iran", response_url=fake.response_url("cmd"))
    form = "application/x-www-form-urlencoded"
    assert app.dispatch(bolt_request(body, SECRET, content_type=form)).status == 200
    (answer,) = fake.wait_for("response_url")
    assert answer.path == "/response/cmd"
    assert answer.params["text"] == "brief on iran"

    body = block_actions_body("approve", "1", response_url=fake.response_url("act"))
    assert app.dispatch(bolt_request(body, SECRET, content_type=form)).status == 200
    (update,) = fake.wait_for("chat.update")
    assert update.params["channel"] == "C123"
    assert update.params["ts"] == "1700000000.000100"
    assert update.params["text"] == "approved"
    assert fake.wait_for("response_url", count=2)[1].path == "/response/act"

    mention = {
        "type": "app_mention",
        "user": "U123",
        "text": "<@UBOT> brief",
        "ts": "1690000000.000200",
        "channel": "C123",
        "event_ts": "1690000000.000200",
    }
    body = event_body(mention)
    assert app.dispatch(bolt_request(body, SECRET, content_type="application/json")).status == 200
    (said,) = fake.wait_for("chat.postMessage")
    assert said.params["thread_ts"] == "1690000000.000200"
    assert said.params["channel"] == "C123"

    message = {"type": "message", "user": "U7", "ts": "1690000000.000300", "text": "quote me"}
    body = message_shortcut_body("cite", message)
    assert app.dispatch(bolt_request(body, SECRET, content_type=form)).status == 200
    cited = fake.wait_for("chat.postMessage", count=2)[1]
    assert cited.params["text"] == "cited: quote me"
    assert cited.params["thread_ts"] == "1690000000.000300"

    bad = bolt_request(body, "not-the-secret", content_type=form)
    assert app.dispatch(bad).status == 401


@pytest.fixture
def bolt_server(fake: FakeSlack) -> Iterator[str]:
    """The Bolt app behind a loopback HTTP server; yields its /slack/events URL."""
    from slack_bolt.request import BoltRequest

    app = _bolt_app(fake)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            response = app.dispatch(BoltRequest(body=raw, headers=dict(self.headers.items())))
            payload = response.body.encode("utf-8")
            self.send_response(response.status)
            for key, values in response.headers.items():
                for value in values:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_post_signed_to_loopback_bolt_server(fake: FakeSlack, bolt_server: str) -> None:
    body = slash_command_body("/brief", "sanctions", response_url=fake.response_url())
    form = "application/x-www-form-urlencoded"
    status, text, headers = post_signed(bolt_server, body, SECRET, content_type=form)
    assert status == 200, text
    assert "content-type" in headers
    assert fake.wait_for("response_url")[0].params["text"] == "brief on sanctions"

    status, _, _ = post_signed(bolt_server, body, "wrong", content_type=form)
    assert status == 401
    stale = int(time.time()) - 3600
    status, _, _ = post_signed(bolt_server, body, SECRET, content_type=form, timestamp=stale)
    assert status == 401

    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _, _ = post_signed(bolt_server, body, SECRET, content_type=form, headers=retry)
    assert status == 200
    assert len(fake.wait_for("response_url", count=2)) == 2
