"""Cleaning raw statements, and normalising text for matching.

Two very different jobs live here, on purpose side by side so nobody mixes them up:

* :func:`clean_raw` turns a web page, paste or Markdown export into the statement's
  own text. It removes what is *not* the statement (comment forms, headline lists,
  share widgets, Markdown/HTML debris, hard line wraps) and reports every removal.
  It never edits the statement's words: typos such as "BOTh sides" stay, because a
  quote is evidence.
* :func:`normalise` folds case, punctuation and typography so that matching is
  forgiving. Its output is only ever used for matching, never shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from bot.reading.inline import render_inline
from bot.reading.removal import Removal

__all__ = [
    "INVISIBLE_CHARS",
    "CleanResult",
    "Removal",
    "clean_raw",
    "fold_words",
    "normalise",
    "tokens",
]

# --------------------------------------------------------------------------- matching

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)
_NON_WORD = re.compile(r"[^\w]+")
_APOSTROPHE_S = re.compile(r"'s\b")
# Every ASCII byte but a-z and 0-9 to a space (bytes.translate is several times
# faster than str.translate).
_ASCII_SPACES = bytes(
    b if (48 <= b <= 57 or 97 <= b <= 122 or b >= 128) else 32 for b in range(256)
)


def normalise(text: str) -> str:
    """Fold text for matching: NFKC, lower case, typography folded, punctuation to spaces.

    Control characters and unassigned code points become spaces, so odd input never
    breaks matching. "China–Russia's" becomes "china russia".
    """
    return " ".join(fold_words(text))


def fold_words(text: str) -> list[str]:
    """The words of :func:`normalise` (``normalise(t) == " ".join(fold_words(t))``)."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():  # (the typography folded is all outside ASCII)
        text = text.translate(_FOLD)
    text = text.lower()
    if text.isascii():
        # The same result, fast (the index normalises every clause): ASCII has no
        # accents to fold, and every ASCII character but a-z and 0-9 (upper case is
        # gone) is a control character, punctuation, "_" or a space: all spaces.
        if "'" in text:
            text = _APOSTROPHE_S.sub("", text)
        return text.encode("ascii").translate(_ASCII_SPACES).decode("ascii").split()
    # Fold accents ("communiqué" -> "communique") for matching only.
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = _APOSTROPHE_S.sub("", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _NON_WORD.sub(" ", text).replace("_", " ").split()


def tokens(text: str) -> list[str]:
    """The match tokens of ``text`` (normalised words)."""
    return fold_words(text)


# --------------------------------------------------------------------------- cleaning


@dataclass
class CleanResult:
    """What :func:`clean_raw` produced: the body, metadata found on the way, and removals.

    ``removals`` holds the visible text removed (with its reason); ``notes`` counts the
    markup that was read as formatting (emphasis markers, link targets, tags), which
    carries no words.
    """

    body: str
    meta: dict[str, str] = field(default_factory=dict)
    removals: list[Removal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def removed(self) -> list[str]:
        """Human-readable lines: the markup notes, then each removal with its reason."""
        return [*self.notes, *(f"{r.reason}: {r.text!r}" for r in self.removals)]

    def remove(self, text: str, reason: str) -> None:
        """Record ``text`` as removed for ``reason``."""
        self.removals.append(Removal(text, reason))


_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LONE_COMMENT = re.compile(r"^[ \t]*<!--[^\n]*?-->[ \t]*$", re.M)
_LIST_BREAK = "\ue000"
# Invisible characters that are no part of any word: zero-width space, word joiner,
# byte-order mark, soft hyphen. (Zero-width joiners stay inside emoji and scripts
# that need them; beside a space or ASCII they are debris too.)
#: Characters that are no part of any word, wherever they stand.
INVISIBLE_CHARS = "\u200b\u2060\ufeff\u00ad"
_INVISIBLE = re.compile(
    f"[{INVISIBLE_CHARS}]"
    r"|(?<=[\x00-\x7f])[\u200c\u200d]|[\u200c\u200d](?=[\x00-\x7f])"
)
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(\S.*?)\s*#*\s*$")
_TEXT_MARKER = re.compile(r"^[#*\\\s]*(?:Begin|End)\s+text[*\\\s]*$", re.I)
# What starts a list item in a paragraph: "- ", a dash bullet, "12. " (or "12\\. ").
_LIST_PREFIX = re.compile(r"^(?:- |[—–]\s*|\d{1,3}\\?\.\s+)")
_MD_BULLET = re.compile(r"^\s*[-*+]\s{1,4}(?=\S)")
_NUMBERED_LINE = re.compile(r"^\s{0,3}\d{1,3}\\?\.\s+\S")
_DASH_BULLET = re.compile(r"^\s*[—–]\s*(?=\S)")
_WORDY = re.compile(r"[^\W_]")
_END_MARKER = re.compile(
    r"^\s*[*_]{0,3}(\\?#{3,}|\\?#(?:\s+\\?#){2,}|-{0,2}\s*30\s*-{0,2}|—–|–—|\*\s*\*\s*\*|END)"
    r"[*_]{0,3}\s*$"
)
_UPDATED = re.compile(r"Updated:\s*(\d{4}-\d{2}-\d{2})")
_SOURCE_LINE = re.compile(r"^Source:\s*(.+)$")

# Blocks of a blog's comment form, from their first line to the end of the page.
_COMMENT_FORM_START = re.compile(
    r"^(Leave a (comment|Reply)|\d+ (comments?|responses?)|No comments yet\.?|"
    r"Comments RSS|Post a comment)\b",
    re.I,
)
_WIDGET = re.compile(
    r"^(Share this:?|Like this:?|Share on \w+|Tweet|Print|Email|Facebook|Twitter|LinkedIn|"
    r"WhatsApp|Reddit|Pinterest|Related|Related posts?|Like Loading\.\.\.|Loading\.\.\.|"
    r"Posted (in|by) .*|Filed under .*|Tags?: .*|Categories?: .*|Advertisements?|"
    r"Report this ad|Subscribe|Follow us.*|(?:Copyright\s*)?(?:©|\(c\))\s*\d{4}.*|"
    r"Copyright \d{4}.*|All rights reserved\.?)$",
    re.I,
)
_HEADLINE_LIST_MARKER = re.compile(
    r"^(Most (Popular|Read|Viewed|Commented)|Hot Topics|Editor'?s Picks?|"
    r"Top News|Related (News|Stories|Articles)|You may also like|Recommended)\s*:?$",
    re.I,
)
# A section breadcrumb of the hosting site, e.g. "World / Asia-Pacific".
_BREADCRUMB = re.compile(r"^[A-Z][\w&-]*( / [A-Z][\w& -]*)+$")
_BYLINE = re.compile(
    r"^(\(Xinhua\)|By [A-Z][\w.\-]+(?: [A-Z][\w.\-]+){0,3}|Text of report .*|\(?Source: .*\)?)"
    r"(\s*Updated:.*)?$"
)
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Za-z .'-]{1,40}),\s+(?P<day>\d{1,2})\s+(?P<month>[A-Z][a-z]+)"
    r"(\s+(?P<year>\d{4}))?\s*[–—-]"
)


def _is_blank(line: str) -> bool:
    return not line.strip()


def _paragraphs(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines into paragraphs; each Markdown or dash bullet starts one."""
    paras: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paras.append(" ".join(current))
            current.clear()

    for raw in lines:
        line = raw.rstrip()
        if _is_blank(line):
            flush()
            continue
        stripped = line.strip()
        if _MD_HEADING.match(line):
            # A heading is a paragraph of its own, whatever follows it.
            flush()
            paras.append(stripped)
            continue
        if _MD_BULLET.match(line):
            flush()
            current.append("- " + _MD_BULLET.sub("", line).strip())
            continue
        if current and _NUMBERED_LINE.match(line) and (
            _NUMBERED_LINE.match(current[0])
            or _SENTENCE_END.search(current[-1])
            or current[-1].endswith(("**", "__"))  # after an emphasised heading
        ):
            # "1. Mayor A\n2. Mayor B": each numbered line is an item of its own
            flush()
            current.append(stripped)
            continue
        if _DASH_BULLET.match(line):
            if current and not current[0].startswith(("—", "–", "- ")) and not (
                _SENTENCE_END.search(current[-1])
            ):
                # "…launched a new initiative\n— the COMPACT — to drive …": a dash
                # that opens a wrapped line of a sentence is punctuation, not a bullet
                current.append(stripped)
                continue
            flush()
            current.append(stripped)
            continue
        current.append(stripped)
    flush()
    return [re.sub(r"[ \t]{2,}", " ", p) for p in paras]


def _strip_invisible(text: str, notes: list[str]) -> str:
    """HTML comments, no-break and zero-width spaces: no words, only layout."""
    if _LIST_BREAK not in text:
        # Pandoc ends a list with a lone "<!-- -->" before the next one: two lists, each
        # numbered on its own, so the break is kept (as a mark) until lists are numbered.
        text = _LONE_COMMENT.sub(f"\n\n{_LIST_BREAK}\n\n", text)
    text, n = _COMMENT.subn("", text)
    if n:
        notes.append(f"HTML comments: {n}")
    n = text.count("\u00a0") + text.count("\u202f")
    if n:
        text = text.replace("\u00a0", " ").replace("\u202f", " ")
        notes.append(f"no-break spaces: {n}")
    text, n = _INVISIBLE.subn("", text)
    if n:
        notes.append(f"zero-width characters: {n}")
    return text


def _render(paras: list[str], result: CleanResult) -> list[str]:
    """Each paragraph's inline markup read (bot.reading.inline); headings marked '## '."""
    counts: Counter[str] = Counter()
    out: list[str] = []
    for para in paras:
        if para == _LIST_BREAK:
            out.append(para)
            continue
        prefix, rest = "", para
        if m := _MD_HEADING.match(para):
            prefix, rest = "## ", m.group(2)
        elif m := _LIST_PREFIX.match(para):
            prefix, rest = m.group(0).replace("\\.", "."), para[m.end() :]
        read = render_inline(rest)
        counts.update(read.notes)
        text = read.text.replace("\u00a0", " ").replace("\u202f", " ")
        if not _WORDY.search(text):
            # "# # #", "* * *", a rule of dashes: a separator, not a clause
            result.remove(para, "separator line")
            continue
        if not prefix and read.all_emphasis and _is_heading_text(text):
            prefix = "## "
            counts["emphasised headings marked as '## '"] += 1
        if prefix.startswith("#") and not text:
            continue
        out.append(prefix + text if text else para if not prefix else prefix.rstrip())
    result.notes.extend(f"{label}: {n}" for label, n in counts.items() if n > 0)
    return out


_ITEM_NUMBER = re.compile(r"^(\d{1,3})\. ")


def _renumber(paras: list[str], result: CleanResult) -> list[str]:
    """A list written "1." on every item (Markdown auto-numbering) numbered as it renders."""
    out = list(paras)
    i = 0
    while i < len(out):
        first = _ITEM_NUMBER.match(out[i])
        j = i + 1
        while first and j < len(out) and (m := _ITEM_NUMBER.match(out[j])) and (
            m.group(1) == first.group(1)
        ):
            j += 1
        if first and j - i >= 2:
            start = int(first.group(1))
            for k in range(i + 1, j):
                out[k] = f"{start + k - i}. " + out[k][_ITEM_NUMBER.match(out[k]).end() :]
            result.notes.append(f"list numbered as rendered ({j - i} items)")
        i = j
    return [p for p in out if p != _LIST_BREAK]


def _is_heading_text(inner: str) -> bool:
    """A short, unpunctuated line of words: "Energy and Environment"; not a dateline."""
    if not re.search(r"[^\W\d_]", inner) or len(inner) > 150 or inner[-1] in ".,;:!?":
        return False
    return not re.search(r"\b(?:19|20)\d\d\b", inner)  # "Bali, 15-16 November 2022"


def _split_front_matter(raw: str) -> tuple[str | None, str]:
    if raw.startswith("---"):
        end = re.search(r"^---\s*$", raw[3:], re.M)
        if end and raw[:4].strip() == "---":
            return raw[3 : 3 + end.start()], raw[3 + end.end() :]
    return None, raw


def clean_raw(raw: str) -> CleanResult:
    """Clean a raw statement (text, Markdown or HTML) into paragraphs of the statement.

    Returns the body (paragraphs separated by blank lines), metadata spotted on the
    way (``title``, ``date``, ``source``, ``dateline``) and a list of human-readable
    removals. Raw front matter, if any, is returned under ``meta['front_matter']``.
    """
    result = CleanResult(body="")
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    fm, raw = _split_front_matter(raw)
    if fm is not None:
        result.meta["front_matter"] = fm
    if re.search(r"<(p|div|br|html|body)\b", raw, re.I):
        raw = re.sub(r"<(script|style)\b.*?</\1>", "", raw, flags=re.I | re.S)
        raw = re.sub(r"<br\s*/?>|</(p|div|h\d|li)>", "\n\n", raw, flags=re.I)
        result.notes.append("HTML layout converted to paragraphs")
    text = _strip_invisible(raw, result.notes)
    lines = text.split("\n")

    # The comment form runs to the end of the page.
    for i, line in enumerate(lines):
        if _COMMENT_FORM_START.match(line.strip()):
            tail = [x.strip() for x in lines[i:] if x.strip()]
            result.remove("\n".join(tail), "blog comment form")
            lines = lines[:i]
            break

    kept: list[str] = []
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            kept.append("")
            continue
        if m := _UPDATED.search(s):
            result.meta.setdefault("updated", m.group(1))
        if _inside_sentence(lines, i):
            # Part of a hard-wrapped sentence: statement text, whatever it looks like.
            kept.append(line)
            continue
        if m := _SOURCE_LINE.match(s):
            result.meta.setdefault("source", m.group(1).strip())
            result.remove(s, "source line")
            continue
        if _TEXT_MARKER.match(s):
            result.remove(s, "begin/end text marker")
            continue
        if _END_MARKER.match(s):
            result.remove(s, "end marker")
            continue
        if _WIDGET.match(s):
            result.remove(s, "share widget")
            continue
        if _BREADCRUMB.match(s):
            result.remove(s, "site breadcrumb")
            continue
        if _BYLINE.match(s):
            result.remove(s, "site byline")
            continue
        kept.append(line)

    kept = _drop_headline_list(_join_split_links(kept), result)
    paras = _renumber(_render(_paragraphs(kept), result), result)
    paras = _take_title_and_dateline(paras, result)
    result.body = "\n\n".join(paras).strip() + "\n"
    return result


_SENTENCE_END = re.compile(r"[.!?:;\"”’)\]]$")


def _inside_sentence(lines: list[str], i: int) -> bool:
    """True when line ``i`` continues, or is continued by, a wrapped sentence."""
    prev = lines[i - 1].strip() if i > 0 else ""
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if prev and not _SENTENCE_END.search(prev) and len(prev) > 50:
        return True
    here = lines[i].strip()
    return bool(nxt and nxt[0].islower() and not _SENTENCE_END.search(here) and len(here) > 50)


def _looks_like_headline(p: str, limit: int = 120) -> bool:
    if p == _LIST_BREAK:
        return False
    return len(p) < limit and not re.search(r"[.,;:!?\"”)]$", p) and not p.startswith(("-", "—"))


_LINK_TAIL = re.compile(r"^\s*[*_]{0,3}\]\(\S+\)")


def _join_split_links(lines: list[str]) -> list[str]:
    """A link whose label a web export broke with a hard line break ("[**Title.”  \n
    \n**](https://…)") is one link: the blank line inside it is no paragraph end."""
    out: list[str] = []
    for line in lines:
        if _LINK_TAIL.match(line) and out and not out[-1].strip():
            while out and not out[-1].strip():
                out.pop()
            para: list[str] = []
            for previous in reversed(out):
                if not previous.strip():
                    break
                para.append(previous)
            if "[" in "".join(para):
                out.append(line)
                continue
            out.append("")
        out.append(line)
    return out


def _wraps_prose(lines: list[str], start: int) -> bool:
    """True when the trailing run from ``start`` holds a hard-wrapped paragraph.

    A headline list is one title per line; a paragraph goes on from the text line
    before the run, or a line of it goes on in lower case ("…and\nwelcomed…").
    """
    if start > 0 and lines[start - 1].strip():
        return True
    return any(
        lines[i].strip()[:1].islower() and lines[i - 1].strip()
        for i in range(start + 1, len(lines))
    )


def _drop_headline_list(lines: list[str], result: CleanResult) -> list[str]:
    """Drop a trailing run of headline lines ("Most Popular", unrelated news titles)."""
    start = len(lines)
    run: list[str] = []
    while start > 0 and (
        not lines[start - 1].strip() or _looks_like_headline(lines[start - 1].strip())
    ):
        start -= 1
        if lines[start].strip():
            run.insert(0, lines[start].strip())
    has_marker = any(_HEADLINE_LIST_MARKER.match(p) for p in run)
    if not has_marker and _wraps_prose(lines, start):
        return lines
    if run and (has_marker or len(run) >= 3):
        result.remove("\n".join(run), "headline list")
        return lines[:start]
    return lines


def _take_title_and_dateline(paras: list[str], result: CleanResult) -> list[str]:
    """A leading headline becomes the title; a dateline line gives the date hint."""
    out = list(paras)
    # Front matter with a title names the statement; without one (a PDF's record of
    # removed running headers, say) the leading headline still does.
    titled = re.search(r"^title:", result.meta.get("front_matter", ""), re.M) is not None
    if not titled and out and _looks_like_headline(out[0], limit=240) and len(out) > 1:
        result.meta.setdefault("title", _MD_HEADING.sub(r"\2", out[0]))
        result.remove(out[0], "title line (moved to the title)")
        out.pop(0)
        # A second headline (the article's own) right after a site header.
        if out and _looks_like_headline(out[0]) and len(out) > 1:
            result.meta["headline"] = out[0]
            result.remove(out[0], "headline line")
            out.pop(0)
    if out and (m := _DATELINE.match(out[0])) and len(out[0]) < 400 and "Full Text" in out[0]:
        result.meta["dateline"] = m.group(0)
        result.remove(out[0], "dateline header")
        out.pop(0)
    elif out and (m := _DATELINE.match(out[0])):
        result.meta["dateline"] = m.group(0)
    return out
