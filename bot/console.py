"""A local console: type what you would type in Slack, get the same answers as text.

``/brief …``, ``/commitments …`` and ``@briefbot …`` go through the same reply
functions the Slack listeners use; Block Kit is rendered as readable text.
"""

from __future__ import annotations

import html
import logging
import re
import sys
import textwrap
from typing import Any, TextIO

from bot.services import Services

__all__ = ["render_blocks", "run_console"]

log = logging.getLogger(__name__)

PROMPT = "briefbot> "
INTRO = (
    "briefbot console (no Slack needed). Type what you would type in Slack:\n"
    "  /brief navgation talks heixiazi\n"
    "  /commitments upcoming\n"
    "  @briefbot 100 billion trade target\n"
    "or just words (same as /brief). 'help' for help, 'quit' or Ctrl-D to leave."
)


def _plain(mrkdwn: str) -> str:
    text = re.sub(r"<@([A-Z0-9]+)>", r"@\1", mrkdwn)
    text = re.sub(r"(?<!\w)[*_](.+?)[*_](?!\w)", r"\1", text)
    return html.unescape(text)


def _rich_text_lines(block: dict[str, Any], width: int) -> list[str]:
    """A rich_text block as text: its words as written (rich text is never mrkdwn)."""
    lines: list[str] = []
    for part in block.get("elements") or []:
        words = "".join(e.get("text", "") for e in part.get("elements") or [])
        quoted = part.get("type") == "rich_text_quote"
        indent = "  │ " if quoted else ""
        for line in words.split("\n"):
            lines.append(
                textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent)
                if line
                else indent.rstrip()
            )
    return lines


def render_blocks(message: dict[str, Any], width: int = 96) -> str:
    """Block Kit (message or view) as terminal text."""
    out: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            out.append(block["text"]["text"].upper())
        elif kind == "section":
            text = block.get("text", {}).get("text", "")
            for line in text.split("\n"):
                if line.startswith(">"):
                    out.append(
                        textwrap.fill(
                            _plain(line[1:]), width, initial_indent="  │ ", subsequent_indent="  │ "
                        )
                    )
                else:
                    out.append(textwrap.fill(_plain(line), width) if line else "")
        elif kind == "context":
            texts = [_plain(e.get("text", "")) for e in block.get("elements", [])]
            out.append(
                textwrap.fill(
                    "  · ".join(texts), width, initial_indent="    ", subsequent_indent="    "
                )
            )
        elif kind == "actions":
            labels = []
            for el in block.get("elements", []):
                if el.get("type") == "button":
                    labels.append(f"[{el['text']['text']}]")
                elif el.get("type") == "static_select":
                    labels.append(f"[{el['placeholder']['text']} ▾]")
            out.append("    " + " ".join(labels))
        elif kind == "rich_text":
            out.extend(_rich_text_lines(block, width))
        elif kind == "divider":
            out.append("    " + "─" * 40)
    if not out and message.get("text"):
        out.append(message["text"])
    return "\n".join(out)


def answer(services: Services, line: str) -> str | None:
    """The console's answer to one typed line (None means quit)."""
    from handlers.commands import brief_reply
    from handlers.mentions import mention_reply, query_from_slack_text

    text = line.strip()
    if text.lower() in {"quit", "exit", ":q"}:
        return None
    if not text:
        return ""
    if text.lower() in {"help", "?"}:
        return INTRO
    if text.startswith("/brief"):
        return render_blocks(brief_reply(services, text[len("/brief") :]))
    if text.startswith("/commitments"):
        from handlers.commitments import commitments_reply

        return render_blocks(commitments_reply(services, text[len("/commitments") :]))
    if text.startswith("@briefbot"):
        query = query_from_slack_text(text[len("@briefbot") :])
        return render_blocks(mention_reply(services, query))
    if text.startswith("/"):
        return f"Unknown command {text.split()[0]!r}: try /brief, /commitments or @briefbot."
    return render_blocks(brief_reply(services, text))


def run_console(
    services: Services, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Read lines until EOF or 'quit'; answer each. Returns 0."""
    inp, out = stdin or sys.stdin, stdout or sys.stdout
    interactive = inp.isatty() if hasattr(inp, "isatty") else False
    print(INTRO, file=out)
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = inp.readline()
        if not line:
            break
        try:
            reply = answer(services, line)
        except Exception as exc:  # keep the session alive; say what failed, in one line
            log.debug("console line failed", exc_info=True)
            first = (str(exc).splitlines() or [""])[0]
            reply = f"Sorry, that failed: {type(exc).__name__}: {first}"
        if reply is None:
            break
        if reply:
            print(reply, file=out)
            print(file=out)
        out.flush()
    return 0
