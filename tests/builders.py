"""Small objects several test modules build the same way."""

from __future__ import annotations

from datetime import date

from bot.commitments import Commitment


def commitment(cid: str, due: date | None, kind: str = "commitment") -> Commitment:
    """A dated item of document ``doc-<cid>`` due on ``due`` (undated when None)."""
    return Commitment(
        id=cid,
        doc_id=f"doc-{cid}",
        clause_id=f"doc-{cid}#1",
        text=f"The parties will do {cid} by then.",
        citation=f"Doc {cid}, para. 1",
        expression="by then",
        value=due.isoformat() if due else "",
        start=None,
        due=due,
        kind=kind,
    )
