"""Block Kit for adding and removing statements: the two-step modal, the "New statement"
post, the DM file offer and App Home's list for editors. Pure builders, no I/O.

Statement text is shown only in ``rich_text`` quotes (never parsed, so verbatim); titles,
parties and messages put in mrkdwn are escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.adding import DATE, MAX_PASTE, PARTIES, SHORT_TITLE, SOURCE, TITLE, Form
from bot.commitments import Commitment
from bot.library import Draft, StoredStatement
from bot.reading.clauses import format_date
from handlers import blocks

SHORTCUT_ADD = "add_statement"
VIEW_INPUT = "add_statement_input"
VIEW_PREVIEW = "add_statement_preview"
ACTION_ADD_FILE = "add_statement_file"
ACTION_REMOVE = "statement_remove"
#: Dated items shown in the preview and in the "New statement" post.
PREVIEW_ITEMS = 5
POST_ITEMS = 10

TITLE_TEXT = "Add a statement"
REFUSAL = (
    "Only briefbot's editors can add or remove statements. Ask one of them to add it, "
    "or ask the team that runs briefbot to list you in BRIEFBOT_EDITORS."
)
SOURCE_HINT = (
    f"Up to {MAX_PASTE:,} characters. For a longer statement paste its web address (a page "
    "or a PDF), or send the file (txt, md, html or pdf) to briefbot in a direct message."
)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _text_input(
    field: str,
    label: str,
    *,
    initial: str | None = None,
    optional: bool = True,
    multiline: bool = False,
    max_length: int = 300,
    hint: str | None = None,
    placeholder: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": field,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = _plain(placeholder)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field,
        "optional": optional,
        "label": _plain(label),
        "element": element,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _meta_fields(form: Form | Draft | None, *, title_required: bool) -> list[dict[str, Any]]:
    title = getattr(form, "title", None)
    short = getattr(form, "short_title", None)
    when = getattr(form, "date", None)
    parties = getattr(form, "parties", None)
    return [
        _text_input(TITLE, "Title", initial=title, optional=not title_required),
        _text_input(SHORT_TITLE, "Short title", initial=short, max_length=120),
        _text_input(
            DATE,
            "Date",
            initial=when.isoformat() if when else None,
            max_length=10,
            placeholder="YYYY-MM-DD",
        ),
        _text_input(
            PARTIES,
            "Parties",
            initial=", ".join(parties) if parties else None,
            max_length=1000,
            placeholder="China, Russia",
            hint="Separated by commas.",
        ),
    ]


def meta(**values: str) -> str:
    """``private_metadata``: a few short values as JSON (far under Slack's 3,000)."""
    return json.dumps({k: v for k, v in values.items() if v}, separators=(",", ":"))


def read_meta(view: dict[str, Any]) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def input_view(
    *, initial: str | None = None, form: Form | None = None, notice: str | None = None, **m: str
) -> dict[str, Any]:
    """Step 1: paste text or a URL; the metadata fields may stay empty (inferred)."""
    view_blocks: list[dict[str, Any]] = []
    if notice:
        view_blocks.append(blocks._section(f":warning: {blocks.escape(notice)}"))
    view_blocks.append(
        _text_input(
            SOURCE,
            "Statement text or web address",
            initial=initial,
            optional=False,
            multiline=True,
            max_length=MAX_PASTE,
            hint=SOURCE_HINT,
        )
    )
    view_blocks += _meta_fields(form, title_required=False)
    view_blocks.append(
        blocks._context(
            "Leave the other fields empty to have them read from the text; you can "
            "correct them on the next step, before anything is saved."
        )
    )
    return {
        "type": "modal",
        "callback_id": VIEW_INPUT,
        "title": _plain(TITLE_TEXT),
        "submit": _plain("Preview"),
        "close": _plain("Cancel"),
        "private_metadata": meta(**m),
        "blocks": view_blocks,
    }


def item_rows(items: Sequence[Commitment], limit: int) -> list[dict[str, Any]]:
    """Dated items as rich_text blocks (due date, time phrase, the clause verbatim)."""
    return [blocks.commitment_line(c.to_json()) for c in items[:limit]]


def _who(user: str) -> str:
    """A Slack user id as a mention, anything else (a CLI ``--by`` name) as text."""
    return f"<@{user}>" if re.fullmatch(r"[UW][A-Z0-9]{2,30}", user) else blocks.escape(user)


def preview_view(draft: Draft, *, origin: str = "", **m: str) -> dict[str, Any]:
    """Step 2: what was read (fields pre-filled, editable), clause count, the first dated
    items with due dates, and any warnings. Submitting saves. ``origin`` names where the
    text came from (a file name; default: its URL, else "pasted text")."""
    src = draft.url or origin or draft.source or "pasted text"
    summary = (
        f"*{draft.clauses} clauses* and *{len(draft.dated_items)} dated items* read from "
        f"{blocks.escape(blocks.cut(src, 300)[0])}. Check the details, then *Save*."
    )
    view_blocks: list[dict[str, Any]] = [blocks._section(summary)]
    if draft.inferred:
        view_blocks.append(
            blocks._context(f"Read from the text: {blocks.escape(', '.join(draft.inferred))}")
        )
    view_blocks += _meta_fields(draft, title_required=True)
    view_blocks.append(blocks._context("How it begins:"))
    view_blocks.append(blocks.quote_block(draft.body, 400)[0])
    if draft.dated_items:
        shown = min(PREVIEW_ITEMS, len(draft.dated_items))
        view_blocks.append(
            blocks._context(f"Dated items (first {shown} of {len(draft.dated_items)}):")
        )
        view_blocks += item_rows(draft.dated_items, PREVIEW_ITEMS)
    else:
        view_blocks.append(blocks._context("No dated items found."))
    notes = [f":warning: {blocks.escape(w)}" for w in draft.warnings[:5]]
    if draft.removed:
        notes.append(f"Cleaning removed {len(draft.removed)} line(s) of page debris.")
    if notes:
        view_blocks.append(blocks._context(*notes))
    return {
        "type": "modal",
        "callback_id": VIEW_PREVIEW,
        "title": _plain(TITLE_TEXT),
        "submit": _plain("Save"),
        "close": _plain("Cancel"),
        "private_metadata": meta(**m),
        "blocks": view_blocks[: blocks.MAX_HOME_BLOCKS],
    }


def message_view(text: str, *, title: str = TITLE_TEXT) -> dict[str, Any]:
    """A modal with one message and a close button (saved, refused, working, failed)."""
    return {
        "type": "modal",
        "title": _plain(title),
        "close": _plain("Close"),
        "blocks": [blocks._section(text)],
    }


def saved_text(stored: StoredStatement) -> str:
    return (
        f":white_check_mark: Saved *{blocks.escape(blocks.cut(stored.title, 200)[0])}* as "
        f"`{blocks.escape(stored.doc_id)}`. /brief answers from it within a few seconds."
    )


def new_statement_message(
    stored: StoredStatement, items: Sequence[Commitment], user_id: str
) -> blocks.Message:
    """The reminder channel's "New statement" post: title, date, parties, who added it,
    and its dated items with due dates (the clauses verbatim)."""
    title = blocks.escape(blocks.cut(stored.title, 300)[0])
    out: list[dict[str, Any]] = [
        {"type": "header", "text": _plain("New statement")},
        blocks._section(f"*{title}*"),
        blocks._context(
            f"*Date:* {format_date(stored.date) or 'undated'}",
            f"*Parties:* {blocks.escape(', '.join(stored.parties) or 'not given')}",
            f"added by {_who(user_id)} as `{blocks.escape(stored.doc_id)}`",
        ),
    ]
    dated = sorted(items, key=lambda c: (c.due is None, c.due or stored.date or 0))
    if dated:
        out.append(blocks._context("Dated items:"))
        out += item_rows(dated, POST_ITEMS)
        if len(dated) > POST_ITEMS:
            out.append(blocks._context(f"…and {len(dated) - POST_ITEMS} more: `/commitments`"))
    return {"text": f"New statement: {title}", "blocks": out[: blocks.MAX_BLOCKS]}


def file_offer(name: str, file_id: str) -> blocks.Message:
    """The reply to a file sent in a DM: a button that opens the preview."""
    shown = blocks.escape(blocks.cut(name, 200)[0])
    return {
        "text": f"Add {shown} to the statements?",
        "blocks": [
            blocks._section(f"Add *{shown}* to the statements? You will see a preview first."),
            {
                "type": "actions",
                "block_id": "add_file",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACTION_ADD_FILE,
                        "text": _plain("Add this statement"),
                        "value": file_id[:100],
                        "style": "primary",
                    }
                ],
            },
        ],
    }


def library_blocks(statements: Sequence[StoredStatement]) -> list[dict[str, Any]]:
    """App Home for editors: the added statements, each with a Remove button (confirmed)."""
    out: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "header", "text": _plain("Added statements")},
    ]
    if not statements:
        out.append(
            blocks._context("None yet. Add one with `/brief add`, the shortcut, or a file in a DM.")
        )
    for s in list(statements)[-20:]:
        title = blocks.escape(blocks.cut(s.title, 200)[0])
        out.append(
            {
                "type": "section",
                "block_id": f"added|{s.doc_id}"[:255],
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{title}*\n{blocks.escape(format_date(s.date) or 'undated')} · "
                    f"`{blocks.escape(s.doc_id)}` · added by {_who(s.added_by)}",
                },
                "accessory": {
                    "type": "button",
                    "action_id": ACTION_REMOVE,
                    "text": _plain("Remove"),
                    "value": s.doc_id[:2000],
                    "style": "danger",
                    "confirm": {
                        "title": _plain("Remove this statement?"),
                        "text": _plain(
                            f"{blocks.cut(s.title, 200)[0]} will no longer be quoted and its "
                            "dated items stop reminding. Its history is kept."
                        ),
                        "confirm": _plain("Remove"),
                        "deny": _plain("Keep it"),
                        "style": "danger",
                    },
                },
            }
        )
    if len(statements) > 20:
        out.append(
            blocks._context(f"The latest 20 of {len(statements)}; `briefbot docs` lists all")
        )
    return out
