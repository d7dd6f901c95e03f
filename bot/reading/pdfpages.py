"""A PDF's pages as a reader reads them: running headers, footers and page numbers out.

A PDF repeats its header ("THE WHITE HOUSE | Briefing Room") and footer ("Page 4")
on every page; extracted as text they land between the statement's sentences and
would become sections and citations. A line at the top or the bottom of a page is
*running* when the same line (its digits aside) stands there on at least half the
pages, and at least two; a line at the top or bottom that is only a page number
("4", "Page 4", "4 of 12", "- 4 -") is a page number on any page. Each is removed
and recorded with its reason; everything else is left as it is, in order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from bot.reading.removal import Removal

__all__ = ["Pages", "strip_running_lines"]

#: How many lines at each end of a page can be a header or a footer.
EDGE = 3
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I
)


@dataclass
class Pages:
    """Pages with their running lines removed, and what was removed."""

    pages: list[list[str]]
    removals: list[Removal] = field(default_factory=list)


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def _edges(lines: list[str]) -> list[int]:
    """Indexes of the non-blank lines at the top and the bottom of a page."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:EDGE] + filled[-EDGE:]))


def strip_running_lines(pages: list[str]) -> Pages:
    """Each page's lines, less its running headers, footers and page numbers."""
    split = [page.splitlines() for page in pages]
    seen: Counter[str] = Counter()
    for lines in split:
        seen.update({_key(lines[i]) for i in _edges(lines)})
    needed = max(2, (len(split) + 1) // 2)
    out = Pages([])
    for lines in split:
        drop: dict[int, str] = {}
        for i in _edges(lines):
            line = lines[i].strip()
            if _PAGE_NUMBER.match(line):
                drop[i] = "page number"
            elif len(split) >= 2 and seen[_key(line)] >= needed and len(line) <= 200:
                drop[i] = "running header or footer"
        out.pages.append([line for i, line in enumerate(lines) if i not in drop])
        out.removals += [Removal(lines[i].strip(), reason) for i, reason in sorted(drop.items())]
    return out
