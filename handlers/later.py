"""Work that answers after the acknowledgement, on a thread pool of its own.

Bolt runs every listener on one executor and waits for the listener's ``ack()`` there.
When the same threads also wait on a slow response_url or a rate-limited Web API call,
new requests cannot even be acknowledged. So listeners only ``ack()`` and hand what
needs the network to :class:`Later`, whose threads can be as slow as Slack is without
delaying anybody's acknowledgement.

A failure after the ack is logged with its traceback and the user gets one polite
ephemeral line (never an HTTP error plus an apology).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

__all__ = ["APOLOGY", "Later", "apologise"]

APOLOGY = (
    ":warning: Sorry, something went wrong on my side while answering. "
    "Try again in a moment; if it keeps happening, tell the team that runs briefbot."
)


def apologise(
    *,
    respond: Any = None,
    client: Any = None,
    channel: str | None = None,
    user: str | None = None,
    thread_ts: str | None = None,
) -> None:
    """Send :data:`APOLOGY` once, ephemerally, by whatever way there is; never raises."""
    try:
        if respond is not None:
            respond(response_type="ephemeral", replace_original=False, text=APOLOGY)
        elif client is not None and channel and user:
            client.chat_postEphemeral(channel=channel, user=user, text=APOLOGY, thread_ts=thread_ts)
        else:
            log.warning("could not apologise: no response_url and no channel and user")
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("the apology could not be sent either (%s)", type(exc).__name__)


class Later:
    """A bounded pool of answer threads with a graceful :meth:`drain`.

    ``max_workers=0`` runs each answer inline, on the listener's own thread (for
    ``process_before_response`` apps and tests)."""

    def __init__(self, max_workers: int) -> None:
        self._pool = (
            ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="answer")
            if max_workers > 0
            else None
        )
        self._pending = 0
        self._idle = threading.Condition()

    @property
    def pending(self) -> int:
        """Answers accepted and not yet finished."""
        return self._pending

    def submit(
        self,
        work: Callable[[], Any],
        *,
        what: str,
        respond: Any = None,
        client: Any = None,
        channel: str | None = None,
        user: str | None = None,
        thread_ts: str | None = None,
    ) -> None:
        """Run ``work()`` on the pool; on failure log it and apologise to the user."""

        def run() -> None:
            try:
                work()
            except Exception as exc:
                log.error("%s failed after the ack: %s", what, type(exc).__name__, exc_info=exc)
                apologise(
                    respond=respond, client=client, channel=channel, user=user, thread_ts=thread_ts
                )
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        with self._idle:
            self._pending += 1
        if self._pool is None:
            run()
            return
        try:
            self._pool.submit(run)
        except RuntimeError:  # shut down: answer on this thread rather than drop it
            run()

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the answers in flight, then drop the ones not
        started (logged with their number); True when all finished."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
            left_over = self._pending
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if left_over:
            log.error("%d answer(s) were not sent before the shutdown grace ran out", left_over)
        return left_over == 0
