"""The front door: verify every HTTP request before anything acts on it, and make
``respond()`` reliable.

Two Bolt global middlewares, installed by :func:`handlers.app.build_app`:

* :class:`StrictVerification` replaces Bolt's ``RequestVerification``. It fails closed:
  a missing, non-numeric or stale timestamp, or a missing or wrong signature, is answered
  401 before authorization (so not even ``auth.test`` is called), the body is never
  logged, and the request is marked verified in its context only when it passed. The
  error handler acts only on requests so marked. (Bolt's ``SslCheck`` runs first: it
  answers Slack's certificate probe with an empty 200 and does nothing else. Over HTTP
  the front door in :mod:`bot.serve` has already refused any unsigned request.)
* :class:`ReliableRespond` replaces the context's ``respond`` with
  :class:`SafeRespond`: a timeout on every response_url call, one retry on a 5xx or a
  connection error, then a fallback through the Web API (``chat.postEphemeral``, or
  ``chat.postMessage`` for an in-channel answer), logged at WARNING. Bolt's own
  ``respond`` ignores a 5xx silently, which lost answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from handlers.signing import signature_ok

log = logging.getLogger(__name__)

__all__ = ["VERIFIED", "ReliableRespond", "SafeRespond", "StrictVerification", "is_verified"]

#: Context key set to True once a request's signature was checked (or it came over
#: Socket Mode, which Slack authenticates by the app token).
VERIFIED = "briefbot_verified"
def is_verified(context: Any) -> bool:
    """True when :class:`StrictVerification` let this request through."""
    try:
        return bool(context.get(VERIFIED))
    except AttributeError:
        return False


class StrictVerification(Middleware):
    """Fail-closed signature check (see the module docstring)."""

    def __init__(self, signing_secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret
        self._clock = clock

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if req.mode == "socket_mode":  # authenticated by the app-level token
            req.context[VERIFIED] = True
            return next()
        try:
            timestamp = (req.headers.get("x-slack-request-timestamp") or [None])[0]
            signature = (req.headers.get("x-slack-signature") or [None])[0]
            ok = signature_ok(self._secret, req.raw_body, timestamp, signature, now=self._clock())
        except Exception:  # a header shape we did not foresee: still just "invalid"
            ok = False
        if not ok:
            # One line, no body, no signature: an attacker must not be able to fill the log.
            log.warning("rejected a request with a missing, stale or wrong Slack signature")
            return BoltResponse(status=401, body={"error": "invalid request"})
        req.context[VERIFIED] = True
        return next()


class SafeRespond:
    """A drop-in for Bolt's ``respond`` with a timeout, one retry and a Web API fallback."""

    def __init__(
        self,
        response_url: str,
        *,
        client: Any,
        channel: str | None,
        user: str | None,
        timeout: float,
        retry_delay: float = 0.5,
    ) -> None:
        self.response_url = response_url
        self._client = client
        self._channel = channel
        self._user = user
        self._timeout = timeout
        self._retry_delay = retry_delay

    def __call__(self, text: str | dict[str, Any] = "", **kwargs: Any) -> Any:
        message = dict(text) if isinstance(text, dict) else {"text": text, **kwargs}
        message = {k: v for k, v in message.items() if v is not None}
        webhook = WebhookClient(url=self.response_url, timeout=self._timeout, retry_handlers=[])
        problem = ""
        for attempt in (1, 2):
            try:
                resp = webhook.send_dict(message)
            except URLError as exc:  # failed while connecting or sending: Slack never had it
                problem = f"connection error ({type(exc.reason).__name__})"
            except (OSError, SlackClientError, HTTPException) as exc:
                # Sent, then no answer in time: Slack may well have posted it, so a retry or
                # a fallback could show the answer twice. Say so instead.
                log.warning(
                    "response_url did not answer in %ss (%s); the answer may not have arrived",
                    self._timeout,
                    type(exc).__name__,
                )
                return None
            else:
                if resp.status_code < 400:
                    return resp
                problem = f"HTTP {resp.status_code}"
                if resp.status_code < 500:  # expired or used up: retrying cannot help
                    break
            if attempt == 1:
                time.sleep(self._retry_delay)
        return self._fallback(message, problem)

    def _fallback(self, message: dict[str, Any], problem: str) -> Any:
        if message.get("delete_original"):
            log.warning("response_url failed (%s); the original message was not deleted", problem)
            return None
        if not self._channel:
            log.warning("response_url failed (%s) and there is no channel to fall back to", problem)
            return None
        body = {k: message[k] for k in ("text", "blocks") if k in message}
        try:
            if message.get("response_type") == "in_channel":
                out = self._client.chat_postMessage(channel=self._channel, **body)
            elif self._user:
                out = self._client.chat_postEphemeral(
                    channel=self._channel, user=self._user, **body
                )
            else:
                log.warning("response_url failed (%s) and there is no user to answer", problem)
                return None
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning(
                "response_url failed (%s) and so did the Web API fallback (%s)",
                problem,
                type(exc).__name__,
            )
            return None
        log.warning("response_url failed (%s); answered through the Web API instead", problem)
        return out


class ReliableRespond(Middleware):
    """Puts a :class:`SafeRespond` in the context of every request with a response_url."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        context = req.context
        if context.response_url:
            context["respond"] = SafeRespond(
                context.response_url,
                client=context.client,
                channel=context.channel_id,
                user=context.user_id,
                timeout=self._timeout,
            )
        return next()
