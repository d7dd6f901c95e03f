"""The App Home tab."""

from __future__ import annotations

import logging
from typing import Any

from bot.services import Services
from handlers import blocks

log = logging.getLogger(__name__)


def home_for(services: Services) -> dict[str, Any]:
    """The Home view for the current corpus and commitments."""
    upcoming, overdue = services.commitment_rows_for_home()
    return blocks.home_view(services.document_rows(), upcoming=upcoming, overdue=overdue)


def register(app: Any, services: Services, later: Any) -> None:
    """Publish the Home tab when a user opens it."""

    @app.event("app_home_opened")
    def on_home_opened(event, client):
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        later.submit(
            lambda: client.views_publish(user_id=event["user"], view=home_for(services)),
            what="App Home",
        )
