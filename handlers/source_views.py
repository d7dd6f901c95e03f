"""Block Kit for followed sources in App Home (editors only): the list with Remove
buttons, an "Add a source" button and its modal. Pure builders, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.sources import Source
from handlers import blocks

__all__ = [
    "ACTION_SOURCE_ADD",
    "ACTION_SOURCE_REMOVE",
    "FIELDS",
    "VIEW_SOURCE_ADD",
    "add_source_view",
    "sources_blocks",
]

ACTION_SOURCE_ADD = "source_add"
ACTION_SOURCE_REMOVE = "source_remove"
VIEW_SOURCE_ADD = "source_add_view"
#: The modal's fields (block id = action id).
FIELDS = ("url", "name", "match", "kinds")
#: Sources shown in App Home (the command line lists all).
SHOWN = 15


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _state(s: Source) -> str:
    if s.last_error:
        return f"last check failed: {blocks.cut(s.last_error, 200)[0]}"
    if s.last_checked_at:
        return f"last checked {s.last_checked_at:%Y-%m-%d %H:%M} UTC"
    return "not checked yet"


def sources_blocks(sources: Sequence[Source]) -> list[dict[str, Any]]:
    """App Home for editors: the workspace's followed sources, each with a Remove
    button (confirmed), and an "Add a source" button."""
    out: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "header", "text": _plain("Followed sources")},
    ]
    if not sources:
        out.append(
            blocks._context(
                "None yet. A feed or a listing page you add is checked on its own, and each "
                "new statement is announced in the channel."
            )
        )
    for s in list(sources)[:SHOWN]:
        url = s.to_json()["url"]
        filters = "; ".join(
            f"{label}: {value}"
            for label, value in (("match", s.match), ("kinds", ", ".join(s.kinds)))
            if value
        )
        text = (
            f"*{blocks.escape(s.name)}* · {blocks.escape(blocks.cut(url, 300)[0])}\n"
            + blocks.escape(
                f"{s.kind or 'feed or page'}"
                + (f" · {filters}" if filters else "")
                + f" · {_state(s)}"
            )
        )
        out.append(
            {
                "type": "section",
                "block_id": f"source|{s.name}"[:255],
                "text": {"type": "mrkdwn", "text": text},
                "accessory": {
                    "type": "button",
                    "action_id": ACTION_SOURCE_REMOVE,
                    "text": _plain("Remove"),
                    "value": s.name,
                    "style": "danger",
                    "confirm": {
                        "title": _plain("Stop following?"),
                        "text": _plain(
                            f"{s.name} will no longer be checked. The statements it added stay."
                        ),
                        "confirm": _plain("Stop following"),
                        "deny": _plain("Keep it"),
                        "style": "danger",
                    },
                },
            }
        )
    if len(sources) > SHOWN:
        out.append(blocks._context(f"…and {len(sources) - SHOWN} more (`briefbot sources list`)"))
    out.append(
        {
            "type": "actions",
            "block_id": "sources",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_SOURCE_ADD,
                    "text": _plain("Add a source"),
                    "value": "add",
                }
            ],
        }
    )
    return out


def _input(field: str, label: str, *, optional: bool, hint: str, max_length: int) -> dict:
    return {
        "type": "input",
        "block_id": field,
        "optional": optional,
        "label": _plain(label),
        "hint": _plain(hint),
        "element": {
            "type": "plain_text_input",
            "action_id": field,
            "max_length": max_length,
        },
    }


def add_source_view() -> dict[str, Any]:
    """The "Add a source" modal."""
    return {
        "type": "modal",
        "callback_id": VIEW_SOURCE_ADD,
        "title": _plain("Add a source"),
        "submit": _plain("Follow"),
        "close": _plain("Cancel"),
        "blocks": [
            _input(
                "url",
                "Feed or listing page",
                optional=False,
                hint="An RSS or Atom feed, or a page that links to statements (public "
                "addresses only).",
                max_length=2000,
            ),
            _input(
                "name",
                "Name",
                optional=True,
                hint="Letters, digits, '.', '_' and '-'; default: the site's name.",
                max_length=100,
            ),
            _input(
                "match",
                "Only items mentioning",
                optional=True,
                hint="Words the item's title or summary must all contain, e.g. joint statement.",
                max_length=200,
            ),
            _input(
                "kinds",
                "Only these kinds",
                optional=True,
                hint="e.g. joint-statement, communique, declaration, readout",
                max_length=200,
            ),
        ],
    }
