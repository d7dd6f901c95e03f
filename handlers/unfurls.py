"""Link unfurls: a posted link to an indexed statement's source gets a summary card."""

from __future__ import annotations

import logging
from typing import Any

from bot.services import Services
from bot.unfurl import find_linked
from handlers import blocks
from handlers.mentions import delivery_key

log = logging.getLogger(__name__)


def unfurls_for(
    services: Services, urls: list[str], team_id: str | None = None
) -> dict[str, dict[str, Any]]:
    """``chat.unfurl``'s ``unfurls`` map for the URLs that are indexed statements (that
    workspace ``team_id`` sees)."""
    snap = services.snapshot  # one corpus version for the whole card
    hidden = services.hidden_docs(team_id)
    counts: dict[str, int] = {}
    for c in snap.index.clauses:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    documents = [d for d in snap.corpus.documents if d.doc_id not in hidden]
    items = [c for c in snap.commitments if c.doc_id not in hidden]
    found = find_linked(urls, documents, counts, items, today=services.today())
    return {s.url: {"blocks": blocks.unfurl_blocks(s)} for s in found}


def unfurl(services: Services, body: dict[str, Any], event: dict[str, Any], client: Any) -> None:
    """Answer one link_shared event (once per delivery); links we do not know are left
    to Slack's own preview."""
    if not services.first_delivery(delivery_key(body)):
        return
    urls = [str(link.get("url", "")) for link in event.get("links") or [] if link.get("url")]
    unfurls = unfurls_for(services, urls[:10], body.get("team_id"))
    if not unfurls:
        return
    if event.get("channel") and event.get("message_ts") and event.get("source") != "composer":
        client.chat_unfurl(channel=event["channel"], ts=event["message_ts"], unfurls=unfurls)
    elif event.get("unfurl_id") and event.get("source"):
        # Links in the composer (not yet posted) are addressed by unfurl_id and source.
        client.chat_unfurl(unfurl_id=event["unfurl_id"], source=event["source"], unfurls=unfurls)
    else:
        log.info("link_shared without a message or an unfurl_id; nothing to unfurl")


def register(app: Any, services: Services, later: Any) -> None:
    """Register the link_shared listener (the work goes to the answer pool)."""

    @app.event("link_shared")
    def on_link_shared(body, event, client):
        if not event.get("links"):
            return
        later.submit(lambda: unfurl(services, body, event, client), what="unfurl")
