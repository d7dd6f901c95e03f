"""Pure Block Kit builders, action ids and mrkdwn escaping. No I/O here.

Everything that puts statement or user text into mrkdwn goes through
:func:`escape`, so a clause or a query containing ``<!channel>`` pings nobody.
Long clauses are cut at a word boundary with a visible ellipsis, never silently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from bot.kinds import kind_label
from bot.reading.clauses import Clause, format_date
from bot.search import Hit, SearchResult, Timeline

ACTION_SHARE = "brief_share"
ACTION_MORE = "brief_more"
ACTION_CONTEXT = "brief_context"
ACTION_FULL_TEXT = "brief_full_text"
VIEW_FULL_TEXT = "brief_full_text"
ACTION_STATUS = "commitment_status"
ACTION_CANVAS = "brief_canvas"
ACTION_COMMITMENTS_MORE = "commitments_more"
#: "Dated items" under a new statement a followed source brought (value: {"d": doc id}).
ACTION_DATED_ITEMS = "brief_dated_items"
SHORTCUT_FIND_SOURCE = "find_source"

PAGE = 3
SECTION_LIMIT = 3000
QUOTE_LIMIT = 2700  # leaves room for the quote marks and the "cut" note
MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
TIMELINE_CHARS = 11_000

Message = dict[str, Any]


def escape(text: str) -> str:
    """Escape &, < and > for mrkdwn (Slack's three control characters).

    Applies to every string that Slack parses: block text *and* the ``text``
    fallback, which Slack also renders (and uses for notifications)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut at a word boundary to at most ``limit`` chars (with "…"), and whether it was."""
    if len(text) <= limit:
        return text, False
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:") + "…", True


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(cut(text, SECTION_LIMIT)[0])}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(cut(t, SECTION_LIMIT)[0]) for t in texts[:10]]}


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75], "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        b["style"] = style
    return b


def quote_block(text: str, limit: int = QUOTE_LIMIT, *, bold: bool = False) -> tuple[dict, bool]:
    """A clause as a ``rich_text`` block holding one ``rich_text_quote`` (cut if needed).

    Rich text is never parsed as mrkdwn, so ``*``, ``_``, ``~``, ``<!channel>`` or
    ``&amp;`` in a statement reach the reader exactly as published: no escaping here
    (escaping would show the reader ``&amp;lt;``), no formatting, no pings."""
    shown, was_cut = cut(text, limit)
    element: dict[str, Any] = {"type": "text", "text": shown or " "}
    if bold:
        element["style"] = {"bold": True}
    quote = {"type": "rich_text_quote", "elements": [element]}
    return {"type": "rich_text", "elements": [quote]}, was_cut


def pieces(text: str, size: int) -> list[str]:
    """``text`` split at spaces into pieces whose escaped length is at most ``size``.

    Joined with single spaces, the pieces give back the text (whitespace folded)."""
    out: list[str] = []
    current = ""
    for word in text.split():
        while len(escape(word)) > size:  # a "word" longer than a piece: hard split
            if current:
                out.append(current)
                current = ""
            out.append(word[: size // 5])
            word = word[size // 5 :]
        candidate = f"{current} {word}" if current else word
        if len(escape(candidate)) > size:
            out.append(current)
            current = word
        else:
            current = candidate
    if current:
        out.append(current)
    return out


def citation_line(clause: Clause, score: float | None = None, *, kind: str = "") -> str:
    """'China–Russia Joint Communiqué, 6 Dec 2012, ¶35 · communiqué · score 91' (the
    document's kind, :data:`bot.kinds.KINDS`, as people read it, when given)."""
    line = f"*{escape(clause.citation)}*"
    if kind:
        line += f" · {escape(kind_label(kind))}"
    if score is not None:
        line += f" · score {score:.0f}"
    return line


def encode(**values: Any) -> str:
    """A compact button value (JSON)."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def decode(value: str | None) -> dict[str, Any]:
    """Parse a button value made by :func:`encode`; {} when it is not ours."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _also_in(hit: Hit) -> str:
    """'also in Readout of …, 13 May 2025, ¶2 (readout); …' (at most three)."""
    kinds = hit.also_kinds if len(hit.also_kinds) == len(hit.also_in) else ("",) * len(hit.also_in)
    shown = list(zip(hit.also_in, kinds, strict=True))[:3]
    return "also in " + "; ".join(
        escape(o.citation) + (f" ({escape(kind_label(k))})" if k else "") for o, k in shown
    )


def hit_blocks(hit: Hit, *, query: str, shareable: bool, number: int | None = None) -> list[dict]:
    """Quote, citation context line and buttons for one hit."""
    c = hit.clause
    quote, was_cut = quote_block(c.text)
    blocks: list[dict] = []
    if c.lead_in:
        blocks.append(_context(f"_{escape(cut(c.lead_in, 300)[0])}_"))
    blocks.append(quote)
    notes = [citation_line(c, hit.score, kind=hit.kind)]
    if hit.also_in:
        notes.append(_also_in(hit))
    if was_cut:
        notes.append("_quote cut; press Context for the full clause_")
    blocks.append(_context(*notes))
    buttons = []
    if shareable:
        buttons.append(
            _button("Share in channel", ACTION_SHARE, encode(c=c.clause_id), style="primary")
        )
    buttons.append(_button("Context", ACTION_CONTEXT, encode(c=c.clause_id)))
    blocks.append({"type": "actions", "block_id": f"hit-{number or 1}", "elements": buttons})
    return blocks


def search_message(result: SearchResult, *, query: str, shareable: bool = True) -> Message:
    """The answer to /brief or a mention: up to a page of hits, or no-match with a suggestion."""
    q = escape(cut(query, 200)[0])
    blocks: list[dict] = []
    fixes = ", ".join(f"{escape(a)} → {escape(b)}" for a, b in result.corrections.items())
    if result.read_as:
        line = f"Read as: {escape(cut(result.read_as, 300)[0])}"
        blocks.append(_context(line + (f" (corrected: {fixes})" if fixes else "")))
    elif fixes:
        blocks.append(_context(f"Read as: {fixes}"))
    for note in result.notes:
        blocks.append(_context(f"_{escape(note)}_"))
    if result.timeline_topic:
        topic = escape(cut(result.timeline_topic, 200)[0])
        blocks.append(_context(f"Every statement on it, oldest first: `/brief timeline {topic}`"))
    if not result.hits:
        blocks.insert(0, _section(f"No good match for “{q}”."))
        fallback = f"No good match for “{q}”."
        if result.suggestion:
            s = result.suggestion
            blocks.append(_context("Closest clause (a weak match, check before quoting):"))
            blocks.append(quote_block(s.clause.text)[0])
            blocks.append(_context(citation_line(s.clause, s.score, kind=s.kind)))
        blocks.append(_context("Try other words, fewer words, or `/brief help`."))
        return {"text": fallback, "blocks": blocks[:MAX_BLOCKS]}
    header = (
        f"Results {result.offset + 1}–{result.offset + len(result.hits)} of {result.total} "
        f"for “{q}”"
    )
    blocks.insert(0, _context(header))
    for n, hit in enumerate(result.hits, start=result.offset + 1):
        blocks.extend(hit_blocks(hit, query=query, shareable=shareable, number=n))
        blocks.append({"type": "divider"})
    if blocks[-1]["type"] == "divider":
        blocks.pop()
    below = []
    if result.has_more:
        more = encode(q=cut(query, 500)[0], o=result.offset + len(result.hits), s=int(shareable))
        below.append(_button("More results", ACTION_MORE, more))
    below.append(_button("Make a brief", ACTION_CANVAS, encode(q=cut(query, 500)[0])))
    blocks.append({"type": "actions", "block_id": "more", "elements": below})
    top = result.hits[0].clause
    fallback = f"“{escape(cut(top.text, 300)[0])}” ({escape(top.citation)})"
    return {"text": fallback, "blocks": blocks[:MAX_BLOCKS]}


def shared_message(clause: Clause, user_id: str) -> Message:
    """A quote posted for everyone, attributed to whoever shared it."""
    quote, was_cut = quote_block(clause.text)
    notes = [citation_line(clause), f"shared by <@{escape(user_id)}>"]
    if was_cut:
        notes.append("_quote cut for Slack; the full clause is in the statement_")
    blocks = [quote, _context(*notes)]
    fallback = f"“{escape(cut(clause.text, 300)[0])}” ({escape(clause.citation)})"
    return {"text": fallback, "blocks": blocks}


def context_message(clauses: Sequence[Clause], focus: Clause) -> Message:
    """The clause with its neighbours and its lead-in; the clause itself in bold; a
    *Full text* button opens the whole statement (:func:`full_text_view`)."""
    blocks: list[dict] = [_context(f"Context for {escape(focus.citation)}")]
    if focus.lead_in:
        blocks.append(_section(f"_{escape(cut(focus.lead_in, 500)[0])}_"))
    for c in clauses:
        if c.clause_id == focus.clause_id:
            # The whole clause, over as many sections as it takes (this is where a
            # clause cut elsewhere is shown in full).
            parts = pieces(c.text, QUOTE_LIMIT)
            for i, part in enumerate(parts):
                more = " …" if i < len(parts) - 1 else ""
                blocks.append(quote_block(part + more, len(part + more), bold=True)[0])
        else:
            blocks.append(quote_block(c.text, 900)[0])
        blocks.append(_context(escape(c.citation)))
    button = _button("Full text", ACTION_FULL_TEXT, encode(d=focus.doc_id))
    actions = {"type": "actions", "block_id": "full-text", "elements": [button]}
    return {
        "text": f"Context for {escape(focus.citation)}",
        "blocks": [*blocks[: MAX_BLOCKS - 1], actions],
    }


#: A Full text modal's blocks stay under this many JSON characters: Slack documents no
#: size limit for views beyond 100 blocks, so they are held to what messages may carry.
FULL_TEXT_BUDGET = 12_000
#: Removed pieces listed in a Full text modal, and the characters shown of each.
FULL_TEXT_REMOVED = 12
REMOVED_CHARS = 200


def _plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _paragraph_label(clause: dict[str, Any]) -> str:
    """'Economy and Finance, ¶12' (a clause's citation without title and date)."""
    para = clause["paragraph"]
    label = para if para == "preamble" else f"¶{para}"
    return f"{clause['section']}, {label}" if clause["section"] else label


def _rich(text: str, **style: bool) -> dict[str, Any]:
    return {"type": "text", "text": text or " ", **({"style": style} if style else {})}


def _full_text_removed(view: dict[str, Any]) -> list[dict]:
    """The "Removed as debris" part: each piece's reason and (the start of) its text."""
    removed = view["removed"]
    out: list[dict] = [{"type": "header", "text": _plain_text("Removed as debris")}]
    if not removed:
        return [*out, _context("Nothing removed as debris is on record for this statement.")]
    shown = [(r["reason"], " / ".join(r["text"].splitlines())) for r in removed]
    lines = [
        [(f"{reason}: ", True), (cut(text, REMOVED_CHARS)[0], False)]
        for reason, text in shown[:FULL_TEXT_REMOVED]
    ]
    out.append(_rich_list(lines))
    if len(removed) > FULL_TEXT_REMOVED:
        more = len(removed) - FULL_TEXT_REMOVED
        doc_id = escape(view["doc_id"])
        out.append(_context(f"… {more} more removed: use `briefbot show {doc_id}`"))
    return out


def full_text_view(view: dict[str, Any]) -> dict[str, Any]:
    """The *Full text* modal of a statement (:func:`bot.reading.view.statement_view`'s
    shape): title, date and parties, the clauses verbatim under their paragraph labels
    (rich text: shown as written, never parsed as mrkdwn), then what was removed as
    debris, with reasons.

    Within Slack's limits (100 blocks, :data:`FULL_TEXT_BUDGET` characters): clauses that
    do not fit are counted in a last line that points to ``briefbot show DOC_ID``."""
    when = format_date(date.fromisoformat(view["date"])) if view["date"] else ""
    facts = [when or "undated", f"{len(view['clauses'])} clauses"]
    if view["parties"]:
        facts.insert(1, cut(", ".join(view["parties"]), 300)[0])
    cited = ", ".join(x for x in (view.get("short_title") or view["title"], when) if x)
    blocks: list[dict] = [
        {"type": "header", "text": _plain_text(cut(view["title"], 150)[0])},
        _context(escape(" · ".join(facts)), f"quoted as “{escape(cut(cited, 300)[0])}, ¶…”"),
    ]
    tail = _full_text_removed(view)
    room = FULL_TEXT_BUDGET - _size(blocks) - _size(tail) - 300  # 300: the "… more" line
    shown, label, group = 0, "", None
    for c in view["clauses"]:
        quote = {"type": "rich_text_quote", "elements": [_rich(cut(c["text"], QUOTE_LIMIT)[0])]}
        if group is not None and _paragraph_label(c) == label:
            part, cost = quote, _size([quote]) + 1
        else:  # a new paragraph: a new block, headed by its label
            label = _paragraph_label(c)
            heading = {"type": "rich_text_section", "elements": [_rich(label, bold=True)]}
            part = {"type": "rich_text", "elements": [heading, quote]}
            cost = _size([part])
            if len(blocks) + len(tail) + 2 > MAX_HOME_BLOCKS:
                break
        if cost > room:
            break
        if part is quote:
            group["elements"].append(quote)  # type: ignore[index]
        else:
            blocks.append(part)
            group = part
        room -= cost
        shown += 1
    if shown < len(view["clauses"]):
        more = len(view["clauses"]) - shown
        blocks.append(
            _context(f"… {more} more clauses: use `briefbot show {escape(view['doc_id'])}`")
        )
    return {
        "type": "modal",
        "callback_id": VIEW_FULL_TEXT,
        "title": _plain_text("Full text"),
        "close": _plain_text("Close"),
        "blocks": [*blocks, *tail][:MAX_HOME_BLOCKS],
    }


FULL_TEXT_GONE = "That statement is no longer in the corpus; search again with /brief."


def full_text_gone_view() -> dict[str, Any]:
    """The *Full text* modal for a statement no longer served."""
    return {
        "type": "modal",
        "callback_id": VIEW_FULL_TEXT,
        "title": _plain_text("Full text"),
        "close": _plain_text("Close"),
        "blocks": [_section(f":warning: {FULL_TEXT_GONE}")],
    }


HELP_EXAMPLES = (
    "navgation talks heixiazi",
    "what did China and Russia say about Syria?",
    "Kofi Annan in:statement",
    "tourism year after:2012-06",
    "timeline freedom of navigation",
)


def _runs(runs: Sequence[str], limit: int = 6, chars: int = 600) -> str:
    shown = " · ".join(runs[:limit])
    more = f" … (+{len(runs) - limit} more)" if len(runs) > limit else ""
    return escape(cut(shown, chars)[0]) + more


def timeline_message(timeline: Timeline) -> Message:
    """`/brief timeline <topic>`: one quote per statement, oldest first, with wording diffs."""
    topic = escape(cut(timeline.topic, 200)[0])
    blocks: list[dict] = []
    if timeline.read_as:
        blocks.append(_context(f"Read as: {escape(cut(timeline.read_as, 300)[0])}"))
    for note in timeline.notes:
        blocks.append(_context(f"_{escape(note)}_"))
    if not timeline.entries:
        blocks.insert(0, _section(f"No statement has a good match for “{topic}”."))
        blocks.append(_context("Try other words, fewer words, or `/brief help`."))
        return {"text": f"No timeline for “{topic}”.", "blocks": blocks[:MAX_BLOCKS]}
    blocks.insert(
        0, _context(f"Timeline for “{topic}”: {len(timeline.entries)} statements, oldest first")
    )
    # Each entry takes up to 4 blocks; stay within Slack's 50 blocks and well under the
    # ~13k characters at which Slack refuses a message (msg_blocks_too_long).
    shown = 0
    for entry in timeline.entries:
        c = entry.hit.clause
        part: list[dict] = [
            quote_block(c.text, 700)[0],
            _context(citation_line(c, entry.hit.score, kind=entry.hit.kind)),
        ]
        if not entry.first:
            changes = []
            if entry.added:
                changes.append(f"*+ added:* {_runs(entry.added, chars=300)}")
            if entry.dropped:
                changes.append(f"*− dropped:* {_runs(entry.dropped, chars=300)}")
            part.append(_context(*(changes or ["same wording as the previous statement"])))
        part.append({"type": "divider"})
        too_many = len(blocks) + len(part) > MAX_BLOCKS - 1
        if too_many or len(json.dumps(blocks + part, ensure_ascii=False)) > TIMELINE_CHARS:
            break
        blocks.extend(part)
        shown += 1
    if shown < len(timeline.entries):
        blocks.append(_context(f"{len(timeline.entries) - shown} later statements not shown"))
    elif blocks[-1]["type"] == "divider":
        blocks.pop()
    first = timeline.entries[0].hit.clause
    fallback = f"Timeline for “{topic}”, from {escape(first.citation)}"
    return {"text": fallback, "blocks": blocks[:MAX_BLOCKS]}


def help_message(command: str = "/brief") -> Message:
    """Usage, with examples."""
    examples = "\n".join(f"• `{command} {e}`" for e in HELP_EXAMPLES)
    text = (
        f"*{command} <words>* finds the statement clauses that best match your words or "
        "question: typos, any word order and partial phrases are fine. Answers are "
        "verbatim, with document, date and paragraph.\n"
        "Filters: `in:<document>` (id or title words), `after:YYYY[-MM[-DD]]`, "
        "`before:YYYY[-MM[-DD]]` (both inclusive: `after:2012` includes all of 2012), "
        "`kind:joint` / `kind:readout` / `kind:fact-sheet` (what kind of document).\n"
        f"`{command} timeline <topic>`: the best clause on the topic from each statement, "
        "oldest first, with the words added and dropped since the previous one."
    )
    blocks = [
        _section(text),
        _section(f"*Examples*\n{examples}"),
        _context(
            "In a thread, mention me with a phrase, or with nothing to look up the "
            "thread's first message. `/commitments` lists dated commitments."
        ),
    ]
    return {"text": f"How to use {command}", "blocks": blocks}


DM_PROMPTS_TITLE = "Ask for the exact words of a statement"
#: Suggested prompts in the Messages tab (Slack shows up to four).
DM_PROMPTS = (
    {"title": "Navigation talks on Heixiazi", "message": "navgation talks heixiazi"},
    {"title": "On Syria", "message": "what did China and Russia say about Syria?"},
    {"title": "How wording changed over time", "message": "timeline freedom of navigation"},
    {"title": "How to ask", "message": "help"},
)


def dm_welcome() -> Message:
    """The short welcome at the top of a new assistant thread."""
    text = (
        "Hi! Send me a phrase or a question and I will answer with the statement clauses "
        "that match, word for word, with document, date and paragraph. Typos are fine."
    )
    return {"text": text, "blocks": [_section(text)]}


def canvas_shared_message(title: str, url: str, user_id: str, clauses: int, items: int) -> Message:
    """The channel post that links a new canvas brief."""
    name = escape(cut(title, 150)[0])
    link = f"<{escape(url)}|Brief: {name}>"
    text = f":page_facing_up: <@{escape(user_id)}> made a brief: {link}"
    return {
        "text": f"Brief: {name} {escape(url)}",
        "blocks": [
            _section(text),
            _context(f"{clauses} clauses quoted word for word · {items} dated items · read only"),
        ],
    }


def error_message(text: str) -> Message:
    """A short, specific message for bad input."""
    return {"text": escape(text), "blocks": [_section(f":warning: {escape(text)}")]}


def _doc_line(row: dict[str, Any]) -> str:
    d = date.fromisoformat(row["date"]) if row.get("date") else None
    when = format_date(d) or "undated"
    return f"*{escape(cut(row['title'], 200)[0])}*\n{when} · {row['clauses']} clauses"


def commitment_line(row: dict[str, Any]) -> dict[str, Any]:
    """One commitment as a rich_text block: due date, status, time phrase (bold), kind;
    the clause (cut at 240) as a quote; the citation. Rich text, so the statement's own
    words are shown as written, never as formatting."""

    def run(text: str, **style: bool) -> dict[str, Any]:
        return {"type": "text", "text": text, **({"style": style} if style else {})}

    due = row.get("due") or "undated"
    status = str(row.get("status", "not_yet_rated")).replace("_", " ")
    head = [run(due, bold=True), run(f" · {status} · “"), run(row.get("expression", ""), bold=True)]
    head.append(run("”" + (f" · {row['kind']}" if row.get("kind") else "")))
    excerpt = cut(row.get("text", ""), 240)[0] or " "
    citation = row.get("citation", "") or " "
    return {
        "type": "rich_text",
        "elements": [
            {"type": "rich_text_section", "elements": [e for e in head if e["text"]]},
            {"type": "rich_text_quote", "elements": [run(excerpt)]},
            {"type": "rich_text_section", "elements": [run(citation, italic=True)]},
        ],
    }


def home_view(
    documents: Iterable[dict[str, Any]],
    upcoming: Sequence[dict[str, Any]] = (),
    overdue: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The App Home tab: how-to, indexed documents, upcoming and overdue commitments."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "briefbot", "emoji": True}},
        _section(
            "Verbatim, cited quotes from diplomatic statements, and reminders when their "
            "commitments come due.\n• `/brief navgation talks heixiazi` — best matching "
            "clauses\n• mention me in a thread — quote in the thread\n• `/commitments "
            "upcoming` — what falls due next"
        ),
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Documents"}},
    ]
    docs = list(documents)
    for row in docs[:30]:
        blocks.append(_section(_doc_line(row)))
    if len(docs) > 30:
        blocks.append(_context(f"…and {len(docs) - 30} more (`briefbot docs` lists all)"))
    for title, rows in (("Overdue commitments", overdue), ("Upcoming commitments", upcoming)):
        if not rows:
            continue
        blocks.append({"type": "divider"})
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": title}})
        for row in rows[:12]:
            blocks.append(commitment_line(row))
            blocks.append(status_actions(row["id"], row.get("status", "not_yet_rated")))
        if len(rows) > 12:
            blocks.append(
                _context(f"…and {len(rows) - 12} more: `/commitments {title.split()[0].lower()}`")
            )
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


STATUS_CHOICES = (
    ("met", "Met"),
    ("partial", "Partial"),
    ("missed", "Missed"),
    ("in_progress", "In progress"),
    ("stalled", "Stalled"),
    ("not_applicable", "N/A"),
    ("not_yet_rated", "Not yet rated"),
)


STATUS_BLOCK_PREFIX = "status|"
#: Keep a whole message's blocks under this many JSON characters (Slack answers
#: msg_blocks_too_long at about 13k).
MESSAGE_BUDGET = 12_000


def status_actions(commitment_id: str, current: str) -> dict[str, Any]:
    """A status picker for a commitment (static select with the current status).

    The commitment id travels in the block id, so each option's value is only the
    status; an id too long for a block id (255) is carried in the values instead.
    """
    block_id = STATUS_BLOCK_PREFIX + commitment_id
    in_values = len(block_id) > 255
    if in_values:
        block_id = STATUS_BLOCK_PREFIX + hashlib.sha1(commitment_id.encode()).hexdigest()
    options = [
        {
            "text": {"type": "plain_text", "text": label},
            "value": encode(id=commitment_id, s=key) if in_values else key,
        }
        for key, label in STATUS_CHOICES
    ]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ACTION_STATUS,
        "placeholder": {"type": "plain_text", "text": "Record outcome"},
        "options": options,
    }
    initial = next(
        (o for o, (key, _) in zip(options, STATUS_CHOICES, strict=True) if key == current), None
    )
    if initial:
        select["initial_option"] = initial
    return {"type": "actions", "block_id": block_id, "elements": [select]}


def status_choice(block_id: str, value: str) -> tuple[str, str]:
    """(commitment id, status) from a status picker's block id and selected value."""
    data = decode(value)
    if data:
        return str(data.get("id", "")), str(data.get("s", ""))
    return block_id.removeprefix(STATUS_BLOCK_PREFIX), value


def _size(blocks: list[dict]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False))


def commitments_message(
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    limit: int = 10,
    offset: int = 0,
    query: str | None = None,
) -> Message:
    """A page of commitments (from ``offset``), each with a status picker.

    At most ``limit`` rows, and only as many as fit Slack's message size; the rest are
    counted, with a hint to narrow the list and, when ``query`` (the /commitments text)
    is given, a button for the next page.
    """
    if not rows:
        return {
            "text": f"{escape(title)}: none.",
            "blocks": [
                _section(f"*{escape(title)}*: none."),
                _context(
                    "Try `/commitments upcoming`, `/commitments overdue`, "
                    "`/commitments due:2013`, `/commitments kind:event` or "
                    "`/commitments navigation`."
                ),
            ],
        }
    offset = max(0, min(offset, len(rows) - 1))
    blocks: list[dict] = [_section(f"*{escape(title)}* ({len(rows)})")]
    shown = 0
    for row in rows[offset : offset + limit]:
        pair = [
            commitment_line(row),
            status_actions(row["id"], row.get("status", "not_yet_rated")),
        ]
        if _size(blocks + pair) > MESSAGE_BUDGET - 600:
            break
        blocks.extend(pair)
        shown += 1
    end = offset + shown
    if offset or len(rows) > end:
        span = f"{offset + 1}–{end}" if offset else f"{shown}"
        note = f"Showing {span} of {len(rows)}"
        if len(rows) > end:
            note += (
                "; narrow it with `due:YYYY`, `status:…` or words, or run "
                "`briefbot commitments` for the full list."
            )
        blocks.append(_context(note))
        if len(rows) > end and query is not None:
            value = encode(t=cut(query, 1500)[0], o=end)
            button = _button("Next page", ACTION_COMMITMENTS_MORE, value)
            blocks.append({"type": "actions", "block_id": "commitments-more", "elements": [button]})
    return {"text": f"{escape(title)} ({len(rows)})", "blocks": blocks[:MAX_BLOCKS]}


def reminder_message(row: dict[str, Any], *, kind: str, lead: str | None) -> Message:
    """A reminder post: what falls due when, the verbatim clause, citation, status picker."""
    due = row.get("due") or "undated"
    if kind == "overdue":
        head = f":alarm_clock: *Due date passed* ({escape(due)}) and the status is still open."
    elif lead in (None, "0d"):
        head = f":date: *Due today* ({escape(due)})"
    else:
        head = f":date: *Due in {escape(lead or '')}* ({escape(due)})"
    quote, _ = quote_block(row.get("text", ""))
    blocks = [
        _section(head),
        quote,
        _context(
            f"*{escape(row.get('citation', ''))}*",
            f"time phrase: “*{escape(row.get('expression', ''))}*”",
            f"status: {escape(str(row.get('status', 'not_yet_rated')).replace('_', ' '))}",
        ),
        status_actions(row["id"], row.get("status", "not_yet_rated")),
    ]
    text = f"Reminder: due {due}: “{escape(cut(row.get('text', ''), 200)[0])}”"
    return {"text": text, "blocks": blocks}


def summary_message(rows: Sequence[dict[str, Any]]) -> Message:
    """One post for reminders missed while the bot was offline (never a flood)."""
    blocks: list[dict] = [
        _section(f":zzz: *While I was offline, {len(rows)} reminder(s) fell due:*"),
    ]
    for row in rows[:20]:
        blocks.append(commitment_line(row))
    if len(rows) > 20:
        blocks.append(_context(f"…and {len(rows) - 20} more: `/commitments overdue`"))
    return {
        "text": f"While I was offline, {len(rows)} reminder(s) fell due.",
        "blocks": blocks[:MAX_BLOCKS],
    }


def status_recorded_message(row: dict[str, Any], user_id: str) -> Message:
    """What replaces a commitment card after someone records its status."""
    status = str(row.get("status", "")).replace("_", " ")
    quote, _ = quote_block(row.get("text", ""))
    blocks = [
        quote,
        _context(
            f"*{escape(row.get('citation', ''))}*", f"due {escape(row.get('due') or 'undated')}"
        ),
        _context(f"Status recorded: *{escape(status)}* by <@{escape(user_id)}>"),
        status_actions(row["id"], row.get("status", "not_yet_rated")),
    ]
    return {"text": f"Status recorded: {status}", "blocks": blocks}


def _rich_list(lines: Sequence[Sequence[tuple[str, bool]]]) -> dict[str, Any]:
    """A rich_text bullet list; each line is (text, bold) runs shown as written."""
    items = [
        {
            "type": "rich_text_section",
            "elements": [
                {"type": "text", "text": t, **({"style": {"bold": True}} if bold else {})}
                for t, bold in line
                if t
            ],
        }
        for line in lines
    ]
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_list", "style": "bullet", "elements": items}],
    }


def unfurl_blocks(link: Any) -> list[dict[str, Any]]:
    """The unfurl of an indexed statement (a :class:`bot.unfurl.LinkSummary`): title, date,
    parties, clause count and the next dated items (their time phrases as written)."""
    facts = [format_date(link.date) or "undated"]
    if link.parties:
        facts.append(", ".join(link.parties[:8]) + (" …" if len(link.parties) > 8 else ""))
    facts.append(f"{link.clauses} clauses")
    facts.append(f"{link.dated_items} dated items")
    blocks: list[dict] = [
        _section(f"*{escape(cut(link.title, 300)[0])}*"),
        _context(escape(" · ".join(facts))),
    ]
    if link.items:
        head = "Next dated items:" if link.ahead else "No dated item is still ahead; the last:"
        blocks.append(_context(head))
        blocks.append(
            _rich_list(
                [
                    [
                        (c.due.isoformat(), True),
                        (f" · “{cut(c.expression, 200)[0]}” · {c.kind} · ", False),
                        (cut(c.citation, 200)[0], False),
                    ]
                    for c in link.items
                ]
            )
        )
    return blocks


def source_announcement(
    *,
    doc_id: str,
    title: str,
    source: str,
    clauses: int,
    dated_items: int,
    next_due: str | None,
    next_due_expression: str,
    date_guessed: bool,
) -> Message:
    """The announcement "New statement: <title> — N clauses, M dated items, next due …",
    with buttons to open it (Full text) and to list its dated items."""
    shown_title = cut(" ".join(title.split()), 300)[0]
    counts = f"{clauses} clause{'s' if clauses != 1 else ''}, {dated_items} dated item" + (
        "s" if dated_items != 1 else ""
    )
    due = ""
    if next_due:
        due = f", next due {next_due}"
        if next_due_expression:
            due += f" (“{cut(next_due_expression, 120)[0]}”)"
    line = f"New statement: {shown_title} — {counts}{due}"
    notes = [f"from the followed source {source}"]
    if date_guessed:
        notes.append("its date is a guess (the source gave none)")
    buttons = [_button("Full text", ACTION_FULL_TEXT, encode(d=doc_id), style="primary")]
    if dated_items:
        buttons.append(_button("Dated items", ACTION_DATED_ITEMS, encode(d=doc_id)))
    return {
        "text": line,
        "blocks": [
            _section(f"*New statement:* {escape(shown_title)} — {escape(counts + due)}"),
            _context(escape("; ".join(notes))),
            {"type": "actions", "block_id": "new-statement", "elements": buttons},
        ],
    }
