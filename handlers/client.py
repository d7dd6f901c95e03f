"""The Slack Web API client every part of the app uses (the app, each installed
workspace's reminder poster, the CLI's checks): one place for its retry rules."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings

__all__ = ["build_client"]


def build_client(
    settings: Settings, *, max_retries: int = 2, idempotent: bool = False
) -> WebClient:
    """A WebClient for ``SLACK_API_URL`` that retries 429 (after Retry-After), 5xx and
    connection errors.

    ``idempotent=True`` retries only 429, where Slack guarantees nothing was done: the
    reminder poster uses it, because a 5xx or a dropped connection may come *after* the
    message was posted; the reminder ledger then checks the channel before posting again.
    """
    handlers = [RateLimitErrorRetryHandler(max_retry_count=max_retries)]
    if not idempotent:
        handlers += [
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries),
        ]
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=settings.slack_timeout,
        retry_handlers=handlers,
    )
