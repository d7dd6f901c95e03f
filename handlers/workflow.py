"""Workflow Builder custom step "Find statement clause" (``function_executed``).

Input ``query``; outputs ``quote`` (the verbatim clause), ``citation`` and ``score``
(0–100). No good match, an empty or malformed query end the step with ``fail`` and a
message a workflow author can act on.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.search import QueryError
from bot.services import Services
from handlers.mentions import query_from_slack_text

log = logging.getLogger(__name__)

FUNCTION_ID = "find_statement_clause"
FAILED = "briefbot could not finish this step because of an error on its side; try again later."


def find_clause(
    services: Services, inputs: dict[str, Any], team_id: str | None = None
) -> tuple[dict[str, Any] | None, str]:
    """(outputs, "") for the best clause (among the statements workspace ``team_id``
    sees), or (None, why not) in words for the workflow."""
    raw = inputs.get("query")
    if not isinstance(raw, str):
        return None, "The step needs a text input named 'query'."
    query = query_from_slack_text(raw)
    if not query:
        return None, "The query is empty: give the step the words to look for."
    try:
        result = services.index_for(team_id).search(query, limit=1)
    except QueryError as exc:
        return None, str(exc)
    if not result.hits:
        return None, f"No statement clause matches “{query}” well enough; try other words."
    hit = result.hits[0]
    outputs = {
        "quote": hit.clause.text,
        "citation": hit.clause.citation,
        "score": round(float(hit.score), 1),
    }
    return outputs, ""


def register(app: Any, services: Services, later: Any) -> None:
    """Register the custom step (Bolt acknowledges ``function_executed`` itself)."""

    @app.function(FUNCTION_ID)
    def find_statement_clause(inputs, complete, fail, context):
        team = context.team_id

        def work() -> None:
            try:
                outputs, why = find_clause(services, inputs or {}, team)
            except Exception:
                fail(error=FAILED)  # the workflow must not wait for a step that died
                raise  # logged with its traceback by the answer pool
            if outputs is None:
                fail(error=why)
            else:
                complete(outputs=outputs)

        later.submit(work, what="workflow step")
