"""Slack glue: turn payloads into core calls and core results into Block Kit.

Each module exposes ``register(app, services)``; nothing registers at import time.
"""

from __future__ import annotations

from typing import Any

from bot.services import Services

__all__ = ["register"]


def register(app: Any, services: Services, later: Any) -> None:
    """Register every listener on ``app``. Listeners acknowledge at once and hand
    anything that waits on the network to ``later`` (a :class:`handlers.later.Later`)."""
    from handlers import (
        actions,
        adding,
        canvas,
        commands,
        commitments,
        dms,
        home,
        mentions,
        sources,
        unfurls,
        workflow,
    )

    # dms before home: both listen to app_home_opened (dms only for the Messages tab).
    for module in (
        commands,
        commitments,
        mentions,
        actions,
        canvas,
        dms,
        home,
        unfurls,
        workflow,
        adding,
        sources,
    ):
        module.register(app, services, later)
