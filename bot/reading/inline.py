"""Reading a paragraph's inline Markdown/HTML as the words a reader sees.

A CommonMark parser (markdown-it-py) reads each paragraph, so that only real
syntax is taken as markup: ``<1.5 degrees`` and ``tariffs < 10% and > 2%`` are
prose, ``\\*`` is an asterisk, ``[up 5%](est.)`` (no address inside the
parentheses) stays as written. What the parser reads as formatting goes:
emphasis markers, a link's address (its label stays; an autolink's address is
its visible text and stays), images, inline tags. Web exports also close
emphasis after a space ("**Keep families together. **The bill …"), which
CommonMark leaves as text: such leftover markers are paired and removed too,
and a lone marker at a paragraph's edge is debris. Anything else is kept: when
in doubt, keep the text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from markdown_it import MarkdownIt

__all__ = ["Inline", "render_inline"]

_MD = MarkdownIt("commonmark", {"html": True})
# Characters that can start inline syntax; a paragraph with none is already plain.
_SYNTAX = re.compile(r"[*_\[\]<>&\\`!]")
#: A link target that is an address: a scheme, "www.", a path, a fragment or an e-mail.
_ADDRESS = re.compile(
    r"^(?:[a-z][a-z0-9+.-]{1,20}:|www\.|/|#|\.{1,2}/|[^\s@/]+@[^\s@/]+\.\w+$)"
    r"|^[\w-]+(?:\.[\w-]+)+/|%[0-9a-f]{2}",  # a path, or percent-encoded: an address
    re.I,
)
_LEFT_LINK = re.compile(r"\[([^\[\]]{1,500})\]\((?:https?://|www\.)[^\s]{1,2000}?\)(?=[\s.,;:!?\]”’\"']|$)")
_TAG_NAME = re.compile(r"^<\s*(/?)\s*([a-z][a-z0-9]*)", re.I)
# A run of emphasis markers left as text by CommonMark.
_STARS = re.compile(r"\*+")
# "Agriculture**.**": emphasis around a lone punctuation mark.
_EMPHASISED_MARK = re.compile(r"(\*{1,3})([.,;:!?])\1")


@dataclass(frozen=True, slots=True)
class Inline:
    """A paragraph read: its visible text, whether it is all emphasis, and what went."""

    text: str
    #: Every word of the paragraph sits inside emphasis ("**Energy and Environment**").
    all_emphasis: bool
    #: Counts of what was read as formatting, by label.
    notes: Counter[str]


def render_inline(source: str) -> Inline:
    """The visible text of one paragraph of Markdown (with inline HTML)."""
    notes: Counter[str] = Counter()
    if not _SYNTAX.search(source):
        return Inline(source, False, notes)
    children = _MD.parseInline(source)[0].children or []
    out: list[str] = []
    depth = 0  # emphasis nesting
    outside = False  # a word outside any emphasis
    link_stack: list[tuple[int, str]] = []
    sup: list[int] = []
    for child in children:
        kind = child.type
        if kind in ("em_open", "strong_open"):
            depth += 1
            notes["Markdown emphasis markers"] += 1
        elif kind in ("em_close", "strong_close"):
            depth -= 1
        elif kind == "text":
            if depth == 0 and child.content.strip(" *_"):
                outside = True
            out.append(child.content)
        elif kind == "code_inline":
            outside = outside or depth == 0
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind == "link_open":
            link_stack.append((len(out), child.attrGet("href") or ""))
            if child.markup != "autolink":
                notes["Markdown link addresses (label kept)"] += 1
        elif kind == "link_close":
            start, href = link_stack.pop() if link_stack else (len(out), "")
            if child.markup != "autolink" and not _ADDRESS.search(href):
                # "[up 5%](est.)": no address, so the brackets are the statement's own.
                notes["Markdown link addresses (label kept)"] -= 1
                label = "".join(out[start:])
                del out[start:]
                out.append(_original_link(source, label, href))
        elif kind == "image":
            notes["Markdown images"] += 1
        elif kind == "html_inline":
            _inline_tag(child.content, out, sup, notes)
        else:  # anything new in the parser: keep its text
            out.append(child.content)
    text = _unpair_stars("".join(out), notes)
    if "](" in text:
        # A link the parser left as text (an address it could not take, e.g. a text
        # fragment "#:~:text=…(RTC,…)"): an address is still no word of the statement.
        text, n = _LEFT_LINK.subn(r"\1", text)
        notes["Markdown link addresses (label kept)"] += n
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    emphasised = bool(text) and not outside and notes["Markdown emphasis markers"] > 0
    return Inline(text, emphasised, notes)


def _original_link(source: str, label: str, href: str) -> str:
    """The bracketed text as written in ``source`` (falls back to rebuilding it)."""
    m = re.search(r"\[[^\]]*\]\(\s*" + re.escape(href) + r"\s*\)", source)
    return m.group(0) if m else f"[{label}]({href})"


def _inline_tag(tag: str, out: list[str], sup: list[int], notes: Counter[str]) -> None:
    m = _TAG_NAME.match(tag)
    name = m.group(2).lower() if m else ""
    closing = bool(m and m.group(1))
    if name == "br":
        out.append(" ")
    elif name == "sup" and not closing:
        sup.append(len(out))
        return
    elif name == "sup" and sup:
        start = sup.pop()
        raw = "".join(out[start:])
        inner = raw.strip()
        del out[start:]
        before = "".join(out)
        if inner and not inner.isdigit() and before[-1:].isalnum():
            # "25<sup>th</sup>", "1<sup>er</sup>", "Start<sup>TM</sup>": part of the word
            out.append(inner + (" " if raw[-1:].isspace() else ""))
            notes["<sup> suffixes joined (25th)"] += 1
        elif inner:
            out.append(f"[{inner}] ")  # a footnote mark, kept as [n]
        elif raw:
            out.append(" ")  # "Framework<sup> </sup>also": the space stays
            notes["<sup> footnote tags (kept as [n])"] += 1
        return
    if name or tag.startswith("<!--"):
        notes["HTML tags" if name else "HTML comments"] += 1
    else:
        out.append(tag)


def _unpair_stars(text: str, notes: Counter[str]) -> str:
    """Emphasis markers CommonMark left as text ("**Bold. **Next"), paired and removed.

    Runs are paired in order when each opener touches a word on its right; a lone
    run left at the start or end of the paragraph, beside a space, is debris. Runs
    inside words ("2*3", "a*b") and footnote marks in the middle ("2021*") stay.
    """
    if "*" not in text:
        return text
    text, n = _EMPHASISED_MARK.subn(r"\2", text)
    notes["Markdown emphasis markers"] += 2 * n
    runs = [
        m
        for m in _STARS.finditer(text)
        if not (_wordy(text, m.start() - 1) and _wordy(text, m.end()))  # "a*b"
    ]
    if not runs or len(runs) > 40:
        return text
    drop: list[re.Match[str]] = []
    i = 0
    while i + 1 < len(runs):
        opener, closer = runs[i], runs[i + 1]
        if (
            len(opener.group(0)) == len(closer.group(0)) <= 3
            and _visible(text, opener.end())
            and not _visible(text, opener.start() - 1, word_only=True)
        ):
            drop += [opener, closer]
            i += 2
        else:
            i += 1
    kept = [r for r in runs if r not in drop]
    for run in kept:
        if len(run.group(0)) >= 2:
            drop.append(run)  # "**" left over is never prose (a lone "*" may be: "All* Above")
            continue
        # (other markers beside it are no words: "* ***Title" opens with both)
        left, right = text[: run.start()].strip(" *"), text[run.end() :].strip(" *")
        empty = len(run.group(0)) > 3 and not _visible(text, run.end())  # "****"
        if not left or not right or empty:
            drop.append(run)  # "…in the 21st Century. *" / a lone "*"
    if not drop:
        return text
    notes["Markdown emphasis markers"] += len(drop)
    for run in sorted(drop, key=lambda r: r.start(), reverse=True):
        text = text[: run.start()] + text[run.end() :]
    return text


def _wordy(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isalnum()


def _visible(text: str, i: int, *, word_only: bool = False) -> bool:
    if not 0 <= i < len(text):
        return False
    return text[i].isalnum() if word_only else not text[i].isspace()
