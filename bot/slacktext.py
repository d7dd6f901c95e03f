"""Slack message markup -> the plain words a person meant to search for.

One normaliser for every surface (``/brief``, mentions, the message shortcut, the
console and the command line), so the same pasted text is read the same way
everywhere. Slack sends text with its own markup
(https://api.slack.com/reference/surfaces/formatting):

* ``<@U123>``, ``<@U123|kofi>``: user mentions — dropped (a name in a mention is a
  person in the workspace, not something a statement says);
* ``<#C123|general>``, ``<#C123>``: channel links — dropped;
* ``<!subteam^S1|@team>``, ``<!here>``, ``<!channel>``, ``<!everyone>``: group and
  special mentions — dropped;
* ``<!date^1392734382^{date}|Feb 18, 2014>``: a date — its fallback text;
* ``<https://example.org|navigation talks>``: a labelled link — its label;
* ``<https://example.org>``, ``<mailto:a@b>``: a bare link — dropped (a URL has no
  words to match, and its path words would only add noise);
* ``&amp;``, ``&lt;``, ``&gt;``: Slack's three escapes — decoded, after the markup
  is read, so a decoded ``<`` never starts markup.

Core module: no Slack SDK imports.
"""

from __future__ import annotations

import re

__all__ = ["plain_text"]

# Slack markup never contains a raw "<" or ">" inside the angle brackets.
_MARKUP = re.compile(r"<([^<>]*)>")
_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def _replace(m: re.Match[str]) -> str:
    inner = m.group(1)
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#")):
        return " "
    if target.startswith("!"):
        # Only dates carry words worth keeping; every other special mention goes.
        return f" {label} " if target.startswith("!date^") and label else " "
    if label:
        return f" {label} "
    return " "


def plain_text(text: str | None, *, limit: int | None = None) -> str:
    """Slack message text as plain query words (whitespace folded).

    ``limit`` cuts the result at a word boundary to at most that many characters
    (a long pasted message becomes a searchable query rather than an error).
    """
    out = _MARKUP.sub(_replace, text or "")
    for escaped, char in _ESCAPES:
        out = out.replace(escaped, char)
    out = " ".join(out.split())
    if limit is not None and len(out) > limit:
        head = out[:limit]
        space = head.rfind(" ")
        out = head[:space] if space > limit // 2 else head
    return out
