"""A fake Slack Web API on loopback, plus helpers that sign requests the way Slack does.

Nothing here talks to the network beyond 127.0.0.1. Typical use::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="hi")
        (call,) = fake.wait_for("chat.postMessage")
        assert call.params["text"] == "hi"

Only the standard library is used at import time (slack_bolt is imported lazily by
``bolt_request``).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import copy
import email.parser
import email.policy
import hashlib
import hmac
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt.request import BoltRequest

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "JSON_FIELDS",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "Workspace",
    "block_actions_body",
    "bolt_request",
    "event_body",
    "global_shortcut_body",
    "message_shortcut_body",
    "post_signed",
    "sign",
    "slash_command_body",
    "token_hash",
    "view_submission_body",
]

TEAM_ID = "T0FAKE"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0FAKE"
REDACTED = "<redacted>"

#: Form/JSON fields whose string values are JSON documents; they are decoded in ``Call.params``.
JSON_FIELDS = frozenset(
    {
        "attachments",
        "blocks",
        "files",
        "metadata",
        "outputs",
        "profile",
        "unfurls",
        "user_auth_blocks",
        "view",
    }
)

#: Methods Slack answers without a token.
_NO_AUTH_METHODS = frozenset(
    {"api.test", "oauth.access", "oauth.v2.access", "oauth.v2.exchange", "openid.connect.token"}
)

_FIRST_TS_SECONDS = 1_700_000_000
_TS_STEP_MICROS = 100


@dataclass
class Call:
    """One request the fake received (failed attempts included)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    path: str
    answered: int = 200  # HTTP status the fake answered with
    error: str | None = None  # the "error" of an {"ok": false} answer, "ratelimited" for a 429
    authorized: bool = False  # a "Authorization: Bearer <token>" header was present
    response: Any = None  # the JSON document (or text) the fake answered with
    #: Which token the call used, without the token itself: a SHA-256 prefix
    #: (:func:`token_hash`) and the team the fake issued it to (None: not issued by
    #: ``oauth.v2.access``, e.g. a test's fixed token).
    token_hash: str | None = None
    token_team: str | None = None

    @property
    def ok(self) -> bool:
        return self.answered == 200 and self.error is None


def token_hash(token: str) -> str:
    """How :class:`Call` names a token: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass
class Workspace:
    """A workspace that can install the app: ``oauth.v2.access`` exchanges ``code`` for a
    bot token of its own (``token``, set when issued)."""

    team_id: str
    team_name: str
    code: str
    bot_user_id: str
    bot_id: str
    scopes: tuple[str, ...]
    installer: str = "UINSTALLER"
    token: str | None = None
    revoked: bool = False


Answer = dict[str, Any] | Callable[[Call], dict[str, Any]]


@dataclass
class _Failure:
    status: int
    retry_after: int
    error: str | None


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, collections.deque[_Failure]] = field(
        default_factory=lambda: collections.defaultdict(collections.deque)
    )
    answers: dict[str, Answer] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    workspaces: dict[str, Workspace] = field(default_factory=dict)  # by team id
    admins: set[str] = field(default_factory=set)
    owners: set[str] = field(default_factory=set)
    files: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict)  # by file id


class FakeSlack:
    """Fake Slack Web API server (``/api/<method>``) plus ``response_url`` and upload endpoints.

    * ``url`` is the ``base_url`` for ``slack_sdk.WebClient`` (trailing slash included).
    * Every request is recorded as a :class:`Call` (``calls``, ``calls_to``, ``wait_for``);
      the Authorization header is stored as ``"<redacted>"`` and a ``token`` parameter too.
    * ``fail_next`` injects 429/5xx answers or ``{"ok": false, "error": ...}``.
    * ``set_messages`` seeds ``conversations.history`` / ``conversations.replies``;
      messages posted with ``chat.postMessage`` are added to the same store,
      ``chat.update``/``chat.delete`` edit/remove them.
    * ``respond_with`` overrides the default answer of a method.
    * With ``require_auth=True`` (default) a Web API call without a Bearer token (or ``token``
      parameter) gets ``{"ok": false, "error": "not_authed"}`` as Slack does.
    """

    def __init__(
        self,
        *,
        require_auth: bool = True,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.require_auth = require_auth
        #: When set, ``oauth.v2.access`` checks the app's credentials (HTTP Basic).
        self.client_id, self.client_secret = client_id, client_secret
        self._cond = threading.Condition()
        self._state = _State()
        self._ts_counter = 0
        self._id_counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: Exceptions raised inside the fake while answering (should stay empty).
        self.errors: list[BaseException] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        server = _Server(("127.0.0.1", 0), handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"FakeSlack:{server.server_address[1]}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started; call start() or use it as a context")
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` without a path."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)``."""
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A ``response_url`` served by the fake; posts to it are recorded as "response_url"."""
        return f"{self.base}/response/{urllib.parse.quote(name, safe='')}"

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._state.calls if c.method == method]

    def methods(self) -> list[str]:
        """Methods of all recorded calls, in arrival order."""
        with self._cond:
            return [c.method for c in self._state.calls]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` were recorded; return all calls to it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._state.calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recorded = [c.method for c in self._state.calls]
                    raise AssertionError(
                        f"FakeSlack: expected {count} call(s) to {method!r} within {timeout}s, "
                        f"got {len(found)}; recorded methods: {recorded}"
                    )
                self._cond.wait(remaining)

    def reset(self, *, all_state: bool = False) -> None:
        """Forget recorded calls (and ``errors``).

        With ``all_state=True`` also drop pending ``fail_next`` failures, ``respond_with``
        overrides and the message store.
        """
        with self._cond:
            self._state.calls.clear()
            self.errors.clear()
            if all_state:
                self._state = _State()

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        With ``error`` the answer is HTTP 200 ``{"ok": false, "error": error}`` (``status`` is
        ignored). Otherwise HTTP ``status``: 429 carries ``Retry-After: retry_after`` and the body
        ``{"ok": false, "error": "ratelimited"}``; other statuses get a plain-text body.
        ``method`` may also be "response_url" or "file_upload".
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        failure = _Failure(status=200 if error else status, retry_after=retry_after, error=error)
        with self._cond:
            self._state.failures[method].extend(copy.copy(failure) for _ in range(times))

    def slow(self, method: str, seconds: float) -> None:
        """Make every call to ``method`` (or "response_url") wait ``seconds`` before its
        answer (0 restores speed)."""
        with self._cond:
            self._state.delays[method] = seconds

    def respond_with(self, method: str, answer: Answer) -> None:
        """Override the default answer of ``method``: a dict, or a callable taking the Call."""
        with self._cond:
            self._state.answers[method] = answer

    def set_messages(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Define a channel's messages (threads via ``thread_ts``) for history/replies."""
        with self._cond:
            self._state.messages[channel] = [copy.deepcopy(m) for m in messages]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Current content of the message store for ``channel`` (copies)."""
        with self._cond:
            return copy.deepcopy(self._state.messages.get(channel, []))

    def next_ts(self) -> str:
        """A unique, increasing message ts such as "1700000000.000100"."""
        with self._cond:
            self._ts_counter += 1
            micros = self._ts_counter * _TS_STEP_MICROS
        return f"{_FIRST_TS_SECONDS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        with self._cond:
            self._id_counter += 1
            return f"{prefix}0FAKE{self._id_counter:04d}"

    def add_workspace(
        self,
        team_id: str,
        team_name: str,
        *,
        code: str,
        bot_user_id: str | None = None,
        scopes: tuple[str, ...] = ("commands", "chat:write", "app_mentions:read", "users:read"),
    ) -> Workspace:
        """A workspace whose install (``oauth.v2.access`` with ``code``) issues it a token."""
        ws = Workspace(
            team_id=team_id,
            team_name=team_name,
            code=code,
            bot_user_id=bot_user_id or f"UBOT{team_id}",
            bot_id=f"BBOT{team_id}",
            scopes=tuple(scopes),
        )
        with self._cond:
            self._state.workspaces[team_id] = ws
        return ws

    def revoke(self, team_id: str) -> None:
        """Uninstall: the workspace's token stops working (``token_revoked``)."""
        with self._cond:
            self._state.workspaces[team_id].revoked = True

    def make_admin(self, user_id: str, *, owner: bool = False) -> None:
        """``users.info`` reports this user as a workspace admin (or owner)."""
        with self._cond:
            (self._state.owners if owner else self._state.admins).add(user_id)

    def add_file(self, name: str, data: bytes, *, mimetype: str, filetype: str) -> dict[str, Any]:
        """A file someone shared: ``files.info`` describes it and its ``url_private_download``
        (on this fake, recorded as "file_download") serves ``data`` to a Bearer token only."""
        file_id = self._next_id("F")
        info = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "size": len(data),
            "user": "U123",
            "url_private": f"{self.base}/files/{file_id}/{urllib.parse.quote(name)}",
            "url_private_download": f"{self.base}/files/{file_id}/download/"
            f"{urllib.parse.quote(name)}",
        }
        with self._cond:
            self._state.files[file_id] = (info, data)
        return copy.deepcopy(info)

    def _files_info(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            found = self._state.files.get(str(p.get("file", "")))
        if found is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": copy.deepcopy(found[0])}

    def _serve_file(
        self, handler: _Handler, path: str, headers: dict[str, str], token: Any
    ) -> None:
        file_id = path[len("/files/") :].split("/", 1)[0]
        call = Call("file_download", {"file_id": file_id}, headers, path, authorized=bool(token))
        with self._cond:
            found = self._state.files.get(file_id)
        if not token or found is None:  # Slack answers a login page; a 404 is plainer here
            self._finish(handler, call, 404 if token else 403, "no such file")
            return
        call.token_hash = token_hash(token)
        call.answered, call.response = 200, f"{len(found[1])} bytes"
        with self._cond:
            self._state.calls.append(call)
            self._cond.notify_all()
        handler.answering = True
        handler.send_response(200)
        handler.send_header("Content-Type", found[0]["mimetype"])
        handler.send_header("Content-Length", str(len(found[1])))
        handler.end_headers()
        handler.wfile.write(found[1])

    def _workspace_of(self, token: str | None) -> Workspace | None:
        if not token:
            return None
        with self._cond:
            return next((w for w in self._state.workspaces.values() if w.token == token), None)

    # ------------------------------------------------------------------ request handling

    def _handle(self, handler: _Handler, verb: str) -> None:
        path, _, query = handler.path.partition("?")
        raw = b""
        if verb == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length) if length else b""
        content_type = handler.headers.get("Content-Type") or ""
        raw_auth = handler.headers.get("Authorization") or ""
        authorized = raw_auth.startswith("Bearer ") and bool(raw_auth[len("Bearer ") :].strip())
        token = raw_auth[len("Bearer ") :].strip() if authorized else None
        headers = {
            k: (REDACTED if k.lower() == "authorization" else v) for k, v in handler.headers.items()
        }

        if path.startswith("/api/"):
            method = urllib.parse.unquote(path[len("/api/") :]).strip("/")
            params = _parse_query(query)
            params.update(_parse_body(raw, content_type))
            _decode_json_fields(params)
            has_token_param = bool(params.get("token"))
            token = token or (str(params["token"]) if has_token_param else None)
            if "token" in params:
                params["token"] = REDACTED
            call = Call(method, params, headers, path, authorized=authorized)
            if token:
                owner = self._workspace_of(token)
                call.token_hash = token_hash(token)
                call.token_team = owner.team_id if owner else None
                if owner is not None and owner.revoked:
                    self._finish(handler, call, 200, {"ok": False, "error": "token_revoked"})
                    return
            if method == "oauth.v2.access":
                self._finish(handler, call, 200, self._oauth_v2_access(call.params, raw_auth))
                return
            if (
                self.require_auth
                and not (authorized or has_token_param)
                and method not in _NO_AUTH_METHODS
            ):
                self._finish(handler, call, 200, {"ok": False, "error": "not_authed"})
                return
            kind = "api"
        elif path.startswith("/files/") and verb == "GET":
            self._serve_file(handler, path, headers, token)
            return
        elif path.startswith("/response/") and verb == "POST":
            text = raw.decode("utf-8", "replace")
            try:
                params = json.loads(text) if text else {}
            except ValueError:
                params = _parse_body(raw, content_type) or {"text": text}
            if not isinstance(params, dict):
                params = {"payload": params}
            call = Call("response_url", params, headers, path, authorized=authorized)
            kind = "response_url"
        elif path.startswith("/upload/") and verb == "POST":
            file_id = urllib.parse.unquote(path[len("/upload/") :])
            params = {"file_id": file_id, "length": len(raw), "data": raw}
            call = Call("file_upload", params, headers, path, authorized=authorized)
            kind = "upload"
        else:
            call = Call(path, _parse_query(query), headers, path, authorized=authorized)
            self._finish(handler, call, 404, {"ok": False, "error": "unknown_path"})
            return

        with self._cond:
            pending = self._state.failures.get(call.method)
            failure = pending.popleft() if pending else None
            override = self._state.answers.get(call.method)
            delay = self._state.delays.get(call.method, 0.0)
        if delay:
            time.sleep(delay)
        if failure is not None:
            self._answer_failure(handler, call, failure)
            return
        if kind != "api":
            self._finish(handler, call, 200, "ok")
            return
        if override is not None:
            answer = override(call) if callable(override) else copy.deepcopy(override)
        else:
            answer = self._default_answer(call)
        self._finish(handler, call, 200, answer)

    def _answer_failure(self, handler: _Handler, call: Call, failure: _Failure) -> None:
        if failure.error is not None:
            self._finish(handler, call, 200, {"ok": False, "error": failure.error})
        elif failure.status == 429:
            self._finish(
                handler,
                call,
                429,
                {"ok": False, "error": "ratelimited"},
                extra_headers={"Retry-After": str(failure.retry_after)},
            )
        else:
            try:
                phrase = HTTPStatus(failure.status).phrase
            except ValueError:
                phrase = "Error"
            self._finish(handler, call, failure.status, phrase)

    def _finish(
        self,
        handler: _Handler,
        call: Call,
        status: int,
        answer: Any,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        call.answered = status
        call.response = answer
        if isinstance(answer, dict) and answer.get("ok") is False:
            call.error = str(answer.get("error"))
        if isinstance(answer, (dict, list)):
            body = json.dumps(answer).encode("utf-8")
            ctype = "application/json; charset=utf-8"
        else:
            body = str(answer).encode("utf-8")
            ctype = "text/plain; charset=utf-8"
        # Record before answering so that calls keep the client's order.
        with self._cond:
            self._state.calls.append(call)
            self._cond.notify_all()
        handler.answering = True
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(body)

    # ------------------------------------------------------------------ default answers

    def _default_answer(self, call: Call) -> dict[str, Any]:
        if call.method == "auth.test" and call.token_team:
            return self._workspace_auth_test(call.token_team)
        fn = _DEFAULT_ANSWERS.get(call.method)
        answer = fn(self, call.params) if fn else {"ok": True}
        if call.method == "users.info" and answer.get("ok"):
            user = answer["user"]
            with self._cond:
                user["is_admin"] = user["id"] in self._state.admins | self._state.owners
                user["is_owner"] = user["id"] in self._state.owners
            user["team_id"] = call.token_team or user["team_id"]
        return answer

    def _bot_message(self, p: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
            "text": p.get("text", ""),
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if p.get(key) not in (None, ""):
                message[key] = p[key]
        return message

    def _api_test(self, p: dict[str, Any]) -> dict[str, Any]:
        args = {k: v for k, v in p.items() if k != "token"}
        return {"ok": True, "args": args} if args else {"ok": True}

    def _oauth_v2_access(self, p: dict[str, Any], raw_auth: str) -> dict[str, Any]:
        client_id, client_secret = p.get("client_id"), p.get("client_secret")
        if raw_auth.startswith("Basic "):
            decoded = base64.b64decode(raw_auth[len("Basic ") :]).decode("utf-8", "replace")
            client_id, _, client_secret = decoded.partition(":")
        if self.client_id is not None and (
            client_id != self.client_id or client_secret != self.client_secret
        ):
            return {"ok": False, "error": "invalid_client_id"}
        with self._cond:
            ws = next((w for w in self._state.workspaces.values() if w.code == p.get("code")), None)
            if ws is None:
                return {"ok": False, "error": "invalid_code"}
            ws.code = f"used-{ws.code}"  # a code works once
            ws.revoked = False
            self._id_counter += 1
            ws.token = f"xoxb-{ws.team_id}-{self._id_counter}-fakeissued"
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": ws.installer},
            "scope": ",".join(ws.scopes),
            "token_type": "bot",
            "access_token": ws.token,
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _workspace_auth_test(self, team_id: str) -> dict[str, Any]:
        with self._cond:
            ws = self._state.workspaces[team_id]
        return {
            "ok": True,
            "url": f"https://{ws.team_name.lower()}.slack.com/",
            "team": ws.team_name,
            "user": "briefbot",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "bot_user_id": ws.bot_user_id,
            "is_enterprise_install": False,
        }

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "briefbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "bot_user_id": BOT_USER_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            return {"ok": False, "error": "no_text"}
        ts = self.next_ts()
        message = self._bot_message(p, ts)
        with self._cond:
            self._state.messages.setdefault(channel, []).append(copy.deepcopy(message))
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self.next_ts()}

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel", ""), p.get("ts", "")
        message = self._bot_message(p, ts)
        with self._cond:
            for stored in self._state.messages.get(channel, []):
                if stored.get("ts") == ts:
                    for key in ("text", "blocks", "attachments", "metadata"):
                        if key in message:
                            stored[key] = copy.deepcopy(message[key])
                    stored["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": p.get("text", ""),
            "message": message,
        }

    def _chat_delete(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel", ""), p.get("ts", "")
        with self._cond:
            stored = self._state.messages.get(channel)
            if stored is not None:
                stored[:] = [m for m in stored if m.get("ts") != ts]
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_get_permalink(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel", ""), str(p.get("message_ts", ""))
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _view(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view") if isinstance(p.get("view"), dict) else {}
        return {
            "ok": True,
            "view": {
                **view,
                "id": p.get("view_id") or self._next_id("V"),
                "team_id": TEAM_ID,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                "hash": f"{int(time.time())}.fakehash",
                "state": {"values": {}},
            },
        }

    def _conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel", "")
        with self._cond:
            stored = copy.deepcopy(self._state.messages.get(channel, []))
        top = [m for m in stored if m.get("thread_ts") in (None, m.get("ts"))]
        inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")
        if p.get("oldest"):
            oldest = float(p["oldest"])
            top = [m for m in top if _ts(m) > oldest or (inclusive and _ts(m) == oldest)]
        if p.get("latest"):
            latest = float(p["latest"])
            top = [m for m in top if _ts(m) < latest or (inclusive and _ts(m) == latest)]
        top.sort(key=_ts, reverse=True)
        limit = int(p.get("limit") or 100)
        start = int(p.get("cursor") or 0)  # the cursor is an offset, opaque to clients
        page = top[start : start + limit]
        more = len(top) > start + limit
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel", ""), str(p.get("ts", ""))
        with self._cond:
            stored = copy.deepcopy(self._state.messages.get(channel, []))
        found = next((m for m in stored if m.get("ts") == ts), None)
        if found is None:
            return {"ok": False, "error": "thread_not_found"}
        if found.get("thread_ts") not in (None, ts):  # ts names a reply: Slack returns just it
            return {"ok": True, "messages": [found], "has_more": False}
        replies = sorted(
            (m for m in stored if m.get("thread_ts") == ts and m.get("ts") != ts), key=_ts
        )
        if replies:
            found.setdefault("thread_ts", ts)
            found.setdefault("reply_count", len(replies))
            found.setdefault("latest_reply", replies[-1].get("ts"))
        limit = int(p.get("limit") or 1000)
        messages = [found, *replies][:limit]
        return {
            "ok": True,
            "messages": messages,
            "has_more": len(replies) + 1 > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_join(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel", "")
        return {"ok": True, "channel": _channel_info(channel)}

    def _conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": _channel_info(p.get("channel", ""))}

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = str(p.get("user", ""))
        if not user:
            return {"ok": False, "error": "user_not_found"}
        is_bot = user == BOT_USER_ID
        name = "briefbot" if is_bot else user.lower()
        real_name = "briefbot" if is_bot else f"User {user}"
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": TEAM_ID,
                "name": name,
                "real_name": real_name,
                "deleted": False,
                "is_bot": is_bot,
                "is_admin": False,
                "tz": "Europe/Brussels",
                "tz_label": "Central European Time",
                "tz_offset": 3600,
                "profile": {
                    "real_name": real_name,
                    "display_name": name,
                    "email": f"{name}@example.com",
                    "image_48": "https://fake.slack.com/avatar_48.png",
                },
            },
        }

    def _files_get_upload_url(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = self._next_id("F")
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files") if isinstance(p.get("files"), list) else []
        return {
            "ok": True,
            "files": [{"id": f.get("id"), "title": f.get("title", "")} for f in files],
        }

    # -------------------------------------------- AI apps, unfurls, custom steps, canvases

    def _assistant_prompts(self, p: dict[str, Any]) -> dict[str, Any]:
        prompts = p.get("prompts")
        if not p.get("channel_id") or not isinstance(prompts, list) or not prompts:
            return {"ok": False, "error": "invalid_arguments"}
        if len(prompts) > 4 or not all(
            isinstance(x, dict) and x.get("title") and x.get("message") for x in prompts
        ):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}

    def _chat_unfurl(self, p: dict[str, Any]) -> dict[str, Any]:
        has_target = (p.get("channel") and p.get("ts")) or (p.get("unfurl_id") and p.get("source"))
        if not has_target:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(p.get("unfurls"), dict) or not p["unfurls"]:
            return {"ok": False, "error": "invalid_unfurls_format"}
        return {"ok": True}

    def _canvas_content_ok(self, p: dict[str, Any]) -> bool:
        doc = p.get("document_content")
        if doc is None:
            return True
        return isinstance(doc, dict) and doc.get("type") == "markdown" and "markdown" in doc

    def _canvases_create(self, p: dict[str, Any]) -> dict[str, Any]:
        if not self._canvas_content_ok(p):
            return {"ok": False, "error": "canvas_creation_failed"}
        return {"ok": True, "canvas_id": self._next_id("F")}

    def _conversations_canvases_create(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("channel_id"):
            return {"ok": False, "error": "channel_not_found"}
        if not self._canvas_content_ok(p):
            return {"ok": False, "error": "canvas_creation_failed"}
        return {"ok": True, "canvas_id": self._next_id("F")}

    def _canvases_access_set(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("canvas_id") or p.get("access_level") not in ("read", "write", "owner"):
            return {"ok": False, "error": "invalid_arguments"}
        if not (p.get("channel_ids") or p.get("user_ids")):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}


def _needs(*fields: str) -> Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]:
    """A default answer: ok when every field is present and not empty, as Slack checks."""

    def answer(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
        if any(p.get(f) in (None, "") for f in fields):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}

    return answer


_DEFAULT_ANSWERS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "api.test": FakeSlack._api_test,
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._chat_post_message,
    "chat.postEphemeral": FakeSlack._chat_post_ephemeral,
    "chat.update": FakeSlack._chat_update,
    "chat.delete": FakeSlack._chat_delete,
    "chat.getPermalink": FakeSlack._chat_get_permalink,
    "views.open": FakeSlack._view,
    "views.publish": FakeSlack._view,
    "views.push": FakeSlack._view,
    "views.update": FakeSlack._view,
    "conversations.history": FakeSlack._conversations_history,
    "conversations.replies": FakeSlack._conversations_replies,
    "conversations.join": FakeSlack._conversations_join,
    "conversations.info": FakeSlack._conversations_info,
    "users.info": FakeSlack._users_info,
    "files.info": FakeSlack._files_info,
    "files.getUploadURLExternal": FakeSlack._files_get_upload_url,
    "files.completeUploadExternal": FakeSlack._files_complete_upload,
    "assistant.threads.setSuggestedPrompts": FakeSlack._assistant_prompts,
    "assistant.threads.setStatus": _needs("channel_id", "thread_ts", "status"),
    "assistant.threads.setTitle": _needs("channel_id", "thread_ts", "title"),
    "chat.unfurl": FakeSlack._chat_unfurl,
    "functions.completeSuccess": _needs("function_execution_id", "outputs"),
    "functions.completeError": _needs("function_execution_id", "error"),
    "canvases.create": FakeSlack._canvases_create,
    "conversations.canvases.create": FakeSlack._conversations_canvases_create,
    "canvases.access.set": FakeSlack._canvases_access_set,
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Keep tracebacks off stderr (they could echo request headers); keep them for tests.
        exc = sys.exc_info()[1]
        if exc is not None:
            self.fake.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    server_version = "FakeSlack/1.0"

    answering = False  # set once the fake started writing the answer

    def do_POST(self) -> None:
        self._safely("POST")

    def do_GET(self) -> None:
        self._safely("GET")

    def _safely(self, verb: str) -> None:
        try:
            self.fake._handle(self, verb)
        except Exception as exc:  # e.g. a respond_with callable that raised
            self.fake.errors.append(exc)
            if not self.answering:
                body = b'{"ok": false, "error": "fake_internal_error"}'
                self.send_response(500)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's access log."""


# ---------------------------------------------------------------------- parsing helpers


def _ts(message: dict[str, Any]) -> float:
    try:
        return float(message.get("ts", 0))
    except (TypeError, ValueError):
        return 0.0


def _channel_info(channel: str) -> dict[str, Any]:
    return {
        "id": channel,
        "name": f"channel-{channel.lower()}",
        "is_channel": not channel.startswith(("D", "G")),
        "is_im": channel.startswith("D"),
        "is_private": channel.startswith("G"),
        "is_member": True,
        "is_archived": False,
        "context_team_id": TEAM_ID,
    }


def _parse_query(query: str) -> dict[str, Any]:
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "application/json" or (not ctype and raw.lstrip().startswith(b"{")):
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError:
            return {"_raw": raw.decode("utf-8", "replace")}
        return data if isinstance(data, dict) else {"_json": data}
    if ctype == "multipart/form-data":
        return _parse_multipart(raw, content_type)
    return dict(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True))


def _parse_multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename:
            params[str(name)] = {"filename": filename, "content": payload}
        else:
            params[str(name)] = payload.decode("utf-8", "replace")
    return params


def _decode_json_fields(params: dict[str, Any]) -> None:
    for key in JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)


# ---------------------------------------------------------------------- signing & payloads


def serve_over_pipe(conn: Any) -> None:
    """Run a FakeSlack in this (child) process, driven by ``(name, args, kwargs)`` commands
    over a multiprocessing pipe; ``answered_threads`` returns the ``thread_ts`` of every
    successful ``chat.postMessage``, ``stop`` ends it. Used by bench/load_bench.py, so the
    fake's threads do not share a GIL with the load generator."""
    with FakeSlack() as fake:
        conn.send((fake.url, fake.response_url("{}")))
        while True:
            name, args, kwargs = conn.recv()
            if name == "stop":
                conn.send(None)
                return
            if name == "answered_threads":
                calls = fake.calls_to("chat.postMessage")
                conn.send([c.params.get("thread_ts") for c in calls if c.ok])
            else:
                conn.send(getattr(fake, name)(*args, **kwargs))


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack adds to a request: ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def slash_command_body(
    command: str,
    text: str,
    *,
    user_id: str = "U123",
    user_name: str = "ana",
    channel_id: str = "C123",
    team_id: str = TEAM_ID,
    response_url: str,
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
) -> str:
    """Form-encoded body of a slash command invocation (a leading "/" is added if missing)."""
    fields = {
        "token": "legacy",
        "team_id": team_id,
        "team_domain": "fake",
        "channel_id": channel_id,
        "channel_name": "general" if channel_id.startswith("C") else "directmessage",
        "user_id": user_id,
        "user_name": user_name,
        "command": command if command.startswith("/") else f"/{command}",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urllib.parse.urlencode(fields)


def event_body(
    event: dict[str, Any],
    *,
    event_id: str = "Ev0001",
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_time: int | None = None,
) -> str:
    """JSON body of an Events API ``event_callback`` envelope around ``event``."""
    envelope = {
        "token": "legacy",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-fake-{event_id}",
    }
    return json.dumps(envelope)


def _payload_form(payload: dict[str, Any]) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def block_actions_body(
    action_id: str,
    value: str,
    *,
    user_id: str = "U123",
    channel_id: str = "C123",
    message_ts: str = "1700000000.000100",
    response_url: str | None,
    container: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    block_id: str = "b1",
    team_id: str = TEAM_ID,
) -> str:
    """Form body ``payload=<json>`` of a ``block_actions`` interaction (a button click).

    By default the button sits in a bot message at ``message_ts`` in ``channel_id``.
    ``response_url=None`` leaves the field out (as for clicks inside a modal).
    """
    action_ts = f"{time.time():.6f}"
    button = {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": "Button", "emoji": True},
        "value": value,
    }
    if message is None:
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": message_ts,
            "text": "fake message",
            "blocks": [
                {
                    "type": "actions",
                    "block_id": block_id,
                    "elements": [{k: v for k, v in button.items() if k != "block_id"}],
                }
            ],
        }
    if container is None:
        container = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "ana", "name": "ana", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "legacy",
        "container": container,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "team": {"id": team_id, "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "message": message,
        "state": {"values": {}},
        "actions": [{**button, "action_ts": action_ts}],
    }
    if container.get("type") == "view":
        payload.pop("channel")
        payload.pop("message")
    if response_url is not None:
        payload["response_url"] = response_url
    return _payload_form(payload)


def view_submission_body(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str = "U123",
    team_id: str = TEAM_ID,
    private_metadata: str = "",
) -> str:
    """Form body ``payload=<json>`` of a ``view_submission`` (a modal's Submit) whose
    ``view.state.values`` are ``values`` (block id -> action id -> element state)."""
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "fake"},
        "user": {"id": user_id, "username": "ana", "name": "ana", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "legacy",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "is_enterprise_install": False,
        "enterprise": None,
        "view": {
            "id": "V0FAKEVIEW",
            "team_id": team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "blocks": [],
            "state": {"values": values},
            "hash": "1.fakehash",
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
    }
    return _payload_form(payload)


def global_shortcut_body(callback_id: str, *, user_id: str = "U123", team_id: str = TEAM_ID) -> str:
    """Form body ``payload=<json>`` of a global ``shortcut`` (from the composer or search)."""
    payload: dict[str, Any] = {
        "type": "shortcut",
        "token": "legacy",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": "fake"},
        "user": {"id": user_id, "username": "ana", "team_id": team_id},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    return _payload_form(payload)


def message_shortcut_body(
    callback_id: str,
    message: dict[str, Any],
    *,
    user_id: str = "U123",
    channel_id: str = "C123",
    response_url: str | None = None,
) -> str:
    """Form body ``payload=<json>`` of a ``message_action`` (message shortcut) on ``message``."""
    payload: dict[str, Any] = {
        "type": "message_action",
        "token": "legacy",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user_id, "username": "ana", "name": "ana", "team_id": TEAM_ID},
        "channel": {"id": channel_id, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "message_ts": message.get("ts", ""),
        "message": message,
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return _payload_form(payload)


def post_signed(
    url: str,
    body: str,
    secret: str,
    *,
    content_type: str,
    headers: dict[str, str] | None = None,
    timestamp: int | None = None,
) -> tuple[int, str, dict[str, str]]:
    """POST a Slack-signed ``body`` to ``url``; returns (status, text, lower-cased headers).

    HTTP errors are returned, not raised. Proxies from the environment are ignored.
    """
    request_headers = {"Content-Type": content_type, **sign(body, secret, timestamp)}
    request_headers.update(headers or {})
    request = urllib.request.Request(
        url, data=body.encode("utf-8"), headers=request_headers, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            status, raw, response_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, response_headers = error.code, error.read(), error.headers
        error.close()
    return (
        status,
        raw.decode("utf-8", "replace"),
        {k.lower(): v for k, v in response_headers.items()},
    )


def bolt_request(
    body: str,
    secret: str,
    *,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> BoltRequest:
    """A signed ``slack_bolt.request.BoltRequest`` for ``app.dispatch(...)``."""
    from slack_bolt.request import BoltRequest

    request_headers: dict[str, str] = {"content-type": content_type}
    request_headers.update({k.lower(): v for k, v in sign(body, secret).items()})
    request_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    return BoltRequest(body=body, headers=request_headers)
