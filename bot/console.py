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

__all__ = ["Session", "render_blocks", "run_console"]

log = logging.getLogger(__name__)

PROMPT = "briefbot> "
#: A document id as ``briefbot ingest`` names them (``show`` takes these, or any id served).
_DOC_ID = re.compile(r"\d{4}-\d{2}-\d{2}_\S+")
INTRO = (
    "briefbot console (no Slack needed). Type what you would type in Slack:\n"
    "  /brief navgation talks heixiazi\n"
    "  /commitments upcoming\n"
    "  @briefbot 100 billion trade target\n"
    "or just words (same as /brief). The buttons are words here:\n"
    "  more                 the next page of the last answer or list\n"
    "  context N / share N  the Context / Share button of result N\n"
    "  show DOC_ID          the Full text button: a whole statement, and what was removed\n"
    "  status ID VALUE      record a commitment's outcome (met, partial, missed, ...)\n"
    "  home                 the App Home tab\n"
    "'help' for help, 'quit' or Ctrl-D to leave."
)


def _plain(mrkdwn: str) -> str:
    text = re.sub(r"<@([^<>|]+)>", r"@\1", mrkdwn)
    text = re.sub(r"(?<!\w)[*_](.+?)[*_](?!\w)", r"\1", text)
    return html.unescape(text)


def _rich_text_lines(block: dict[str, Any], width: int) -> list[str]:
    """A rich_text block as text: its words as written (rich text is never mrkdwn)."""
    lines: list[str] = []
    for part in block.get("elements") or []:
        if part.get("type") == "rich_text_list":  # a bullet list: one line per item
            for item in part.get("elements") or []:
                words = "".join(e.get("text", "") for e in item.get("elements") or [])
                lines.append(
                    textwrap.fill(words, width, initial_indent="  • ", subsequent_indent="    ")
                )
            continue
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


def _hint(block: dict[str, Any]) -> str:
    """What to type in the console for an actions block's buttons."""
    from handlers import blocks as B

    block_id = str(block.get("block_id", ""))
    ids = {el.get("action_id") for el in block.get("elements", [])}
    if block_id.startswith("hit-"):
        n = block_id[len("hit-") :]
        return " · ".join(
            f"{word} {n}"
            for action, word in ((B.ACTION_SHARE, "share"), (B.ACTION_CONTEXT, "context"))
            if action in ids
        )
    if B.ACTION_FULL_TEXT in ids:
        button = next(el for el in block["elements"] if el.get("action_id") == B.ACTION_FULL_TEXT)
        return f"show {B.decode(button.get('value')).get('d', 'DOC_ID')}"
    if B.ACTION_STATUS in ids:
        cid, _ = B.status_choice(block_id, "")
        return f"status {cid} VALUE"
    if ids & {B.ACTION_MORE, B.ACTION_COMMITMENTS_MORE}:
        return "more"
    return ""


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
            hint = _hint(block)
            out.append("    " + " ".join(labels) + (f"   → {hint}" if hint else ""))
        elif kind == "rich_text":
            out.extend(_rich_text_lines(block, width))
        elif kind == "divider":
            out.append("    " + "─" * 40)
    if not out and message.get("text"):
        out.append(message["text"])
    return "\n".join(out)


class Session:
    """One console conversation: remembers the last answer, so its buttons can be
    pressed by typing (``more``, ``context N``, ``share N``), as in Slack."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.last: dict[str, Any] = {}

    def _remember(self, message: dict[str, Any]) -> str:
        """Keep the buttons of ``message`` (the answer just shown) and render it."""
        from handlers import blocks as B

        buttons: dict[str, Any] = {}
        for block in message.get("blocks") or []:
            if block.get("type") != "actions":
                continue
            block_id = str(block.get("block_id", ""))
            for el in block.get("elements", []):
                value = B.decode(el.get("value"))
                if el.get("action_id") == B.ACTION_CONTEXT and block_id.startswith("hit-"):
                    buttons[f"clause {block_id[4:]}"] = value.get("c")
                elif el.get("action_id") in (B.ACTION_MORE, B.ACTION_COMMITMENTS_MORE):
                    buttons["more"] = (el["action_id"], value)
        self.last = buttons
        return render_blocks(message)

    def _clause(self, number: str) -> Any:
        cid = self.last.get(f"clause {number}")
        return self.services.index.get(cid) if isinstance(cid, str) else None

    def _names_statement(self, arg: str) -> bool:
        """Whether ``show ARG`` is the Full text button (else it is a search for "show …")."""
        return bool(arg) and (
            _DOC_ID.fullmatch(arg) is not None or self.services.corpus.get(arg) is not None
        )

    def press(self, word: str, arg: str) -> str:
        """A typed button press: ``more``, ``context N``, ``share N``, ``show DOC_ID``,
        ``status ID VALUE`` or ``home``."""
        from handlers import blocks as B
        from handlers.commands import brief_reply
        from handlers.commitments import commitments_reply

        if word == "more":
            action, value = self.last.get("more") or (None, {})
            if action == B.ACTION_MORE:
                offset = int(value.get("o", 0))
                reply = brief_reply(self.services, str(value.get("q", "")), offset=offset)
                return self._remember(reply)
            if action == B.ACTION_COMMITMENTS_MORE:
                offset = int(value.get("o", 0))
                return self._remember(
                    commitments_reply(self.services, str(value.get("t", "")), offset=offset)
                )
            return "Nothing more to show: ask something first (/brief … or /commitments …)."
        if word in ("context", "share"):
            clause = self._clause(arg)
            if clause is None:
                shown = sorted(k.split()[1] for k in self.last if k.startswith("clause "))
                which = f"one of {', '.join(shown)}" if shown else "the number of a result shown"
                return f"Usage: {word} N, where N is {which}."
            if word == "share":
                return render_blocks(B.shared_message(clause, "console"))
            around = self.services.index.context(clause.clause_id, radius=2)
            return render_blocks(B.context_message(around, clause))
        if word == "show":
            statement = self.services.statement(arg)
            if statement is None:
                return f"No statement {arg!r}: try /brief, or `briefbot docs` for the ids."
            return render_blocks(B.full_text_view(statement))
        if word == "status":
            parts = arg.split()
            try:
                row = self.services.record_status(parts[0], parts[1], actor="console")
            except (KeyError, ValueError) as exc:
                return render_blocks(B.error_message(str(exc).strip("\"'")))
            return render_blocks(B.status_recorded_message(row, "console"))
        if word == "home":
            from handlers.home import home_for

            return render_blocks(home_for(self.services))
        return f"Unknown button {word!r}."

    def answer(self, line: str) -> str | None:
        """The console's answer to one typed line (None means quit)."""
        from handlers.commands import brief_reply
        from handlers.commitments import commitments_reply
        from handlers.mentions import mention_reply, query_from_slack_text

        text = line.strip()
        if text.lower() in {"quit", "exit", ":q"}:
            return None
        if not text:
            return ""
        if text.lower() in {"help", "?"}:
            return INTRO
        word, _, arg = text.partition(" ")
        word, arg = word.lower(), arg.strip()
        # Only the exact button forms; anything else ("more trade", "status of talks") is
        # a search like in Slack.
        if (
            (word in ("more", "home") and not arg)
            or (word in ("context", "share") and arg.isdigit())
            or (word == "status" and len(arg.split()) == 2)
            or (word == "show" and self._names_statement(arg))
        ):
            return self.press(word, arg)
        if text.startswith("/brief"):
            return self._remember(brief_reply(self.services, text[len("/brief") :]))
        if text.startswith("/commitments"):
            return self._remember(commitments_reply(self.services, text[len("/commitments") :]))
        if text.startswith("@briefbot"):
            query = query_from_slack_text(text[len("@briefbot") :])
            return self._remember(mention_reply(self.services, query))
        if text.startswith("/"):
            return f"Unknown command {text.split()[0]!r}: try /brief, /commitments or @briefbot."
        return self._remember(brief_reply(self.services, text))


def answer(services: Services, line: str) -> str | None:
    """One line in a fresh session (None means quit)."""
    return Session(services).answer(line)


def run_console(
    services: Services, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Read lines until EOF or 'quit'; answer each. Returns 0."""
    inp, out = stdin or sys.stdin, stdout or sys.stdout
    session = Session(services)
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
            reply = session.answer(line)
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
