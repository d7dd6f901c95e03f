"""Assertions shared by the end-to-end tests."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View


def assert_valid_blocks(blocks: list[dict[str, Any]], *, limit: int = 50) -> None:
    """Every block parses and validates with slack_sdk's models (Slack's own limits)."""
    assert blocks, "no blocks"
    assert len(blocks) <= limit
    for b in blocks:
        parsed = Block.parse(b)
        assert parsed is not None, b
        parsed.validate_json()
    assert len(json.dumps(blocks)) < 13_000


def assert_valid_view(view: dict[str, Any]) -> None:
    View(**view).validate_json()
    assert_valid_blocks(view["blocks"], limit=100)


def all_text(payload: dict[str, Any]) -> str:
    """Every string in a payload, joined (for 'contains' checks)."""
    out: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(payload)
    return "\n".join(out)


def quotes(payload: dict[str, Any]) -> list[str]:
    """The texts of every rich_text_quote in a message's blocks, in order."""
    out: list[str] = []
    for block in payload.get("blocks") or []:
        if block.get("type") != "rich_text":
            continue
        for part in block.get("elements") or []:
            if part.get("type") == "rich_text_quote":
                out.append("".join(e.get("text", "") for e in part.get("elements") or []))
    return out


def parsed_text(payload: dict[str, Any]) -> str:
    """Every string Slack parses as markup: all of the payload except rich_text blocks
    (whose text Slack shows as written)."""
    rest = {k: v for k, v in payload.items() if k != "blocks"}
    blocks = [b for b in payload.get("blocks") or [] if b.get("type") != "rich_text"]
    return all_text({**rest, "blocks": blocks})


def rich_lines(block: dict[str, Any]) -> list[str]:
    """A rich_text block's parts as text, bold runs in *asterisks*, italic in _underscores_
    (for readable assertions; Slack itself never parses these characters)."""
    out = []
    for part in block.get("elements") or []:
        runs = []
        for e in part.get("elements") or []:
            style = e.get("style") or {}
            mark = "*" if style.get("bold") else "_" if style.get("italic") else ""
            runs.append(f"{mark}{e.get('text', '')}{mark}")
        out.append(("> " if part.get("type") == "rich_text_quote" else "") + "".join(runs))
    return out


#: A statement that is not in the bundled corpus, and how to ask for it: the live-corpus
#: tests add it (CLI, Slack modal) and wait for servers to answer from it.
UNDERSEA_QUERY = "joint survey of undersea cable routes"
UNDERSEA_TEXT = "complete a joint survey of undersea cable routes in the North Atlantic"
UNDERSEA_STATEMENT = (
    "Joint Statement on Undersea Cables\n\nLisbon, 3 March 2026\n\n"
    "1. Portugal and Norway share an interest in secure undersea cables.\n\n"
    "2. The two sides will complete a joint survey of undersea cable routes in the North "
    "Atlantic by the end of 2027.\n"
)


def bolt_app(settings: Any, corpus: Any, index: Any, fake: Any, today: Any) -> tuple[Any, Any]:
    """The real Bolt app over the bundled corpus's services, answering in the ack, with
    ``today`` fixed; the fake Slack's call log cleared."""
    from paths import CORPUS

    from bot.commitments import extract_all
    from bot.services import CURATED_FILE, Services
    from handlers.app import build_app

    commitments = extract_all(corpus.documents, index.clauses, CORPUS / CURATED_FILE, [])
    services = Services(
        settings=settings,
        corpus=corpus,
        index=index,
        commitments=commitments,
        today=lambda: today,
    )
    app = build_app(settings, services, process_before_response=True)
    fake.reset()
    return app, services
