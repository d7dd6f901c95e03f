"""Segmentation of documents into citable clauses.

A clause is a sentence within a paragraph, or a whole bullet ("— To maintain
close high-level exchanges ...;") which remembers its lead-in ("To this end, the
two sides have agreed the following:") as context. Clause ids are positional
within their document (``<doc_id>#p<block>.<sentence>``), so they do not change
when other documents are added or the index is rebuilt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from bot.reading.clean import INVISIBLE_CHARS
from bot.reading.documents import Document

__all__ = [
    "Clause",
    "format_date",
    "heading_text",
    "segment",
    "segment_all",
    "split_sentences",
]

#: Paragraph label of text before paragraph 1 in a document with numbered paragraphs.
PREAMBLE = "preamble"

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(d: date | None) -> str:
    """'6 Dec 2012' style, as used in citations; '' for no date."""
    return f"{d.day} {_MONTH_ABBR[d.month - 1]} {d.year}" if d else ""


@dataclass(frozen=True, slots=True)
class Clause:
    """A citable unit of a statement; ``text`` is verbatim from the document."""

    clause_id: str
    doc_id: str
    doc_title: str
    doc_date: date | None
    text: str
    paragraph: str
    block: int
    sentence: int
    lead_in: str = ""
    is_bullet: bool = False
    section: str = ""

    @property
    def citation(self) -> str:
        """Human citation, e.g. "China–Russia Joint Communiqué, 6 Dec 2012, ¶14".

        Under a heading the section is named: "…, 15 Apr 2024, Economy and Finance, ¶12".
        """
        parts = [self.doc_title]
        if self.doc_date:
            parts.append(format_date(self.doc_date))
        if self.section:
            parts.append(self.section)
        parts.append(self.paragraph if self.paragraph == PREAMBLE else f"¶{self.paragraph}")
        return ", ".join(parts)

    @property
    def search_text(self) -> str:
        """What search matches: the section heading, then the verbatim clause."""
        return search_text(self.section, self.text)


def search_text(section: str, text: str) -> str:
    """What search matches for a clause: its section heading (if any), then its text."""
    return f"{section}\n{text}" if section else text


# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "no",
    "nos",
    "art",
    "para",
    "paras",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "gen",
    "col",
    "lt",
    "gov",
    "sen",
    "rep",
    "prof",
    "inc",
    "ltd",
    "co",
    "corp",
    "approx",
    "fig",
    "vol",
    "ed",
    "cf",
    "op",
    "jr",
    "sr",
    "hon",
    "amb",
    "pres",
    "dept",
    "govt",
    "sec",
    "mt",
    "ft",
    "a.m",
    "p.m",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
# "14. " and "14.\u200b" (an invisible space after the number, as some pages write it)
_NUMBERED = re.compile(r"^(\d{1,3})\.[\s\u200b\u2060]+")
_BULLET = re.compile(r"^(?:[—–]|-(?=\s))\s*")
_HEADING = re.compile(r"^#{1,6}\s+(?P<text>\S.*?)\s*#*$")
_SMALL_WORDS = frozenset("a an and as at by for from in into of on or the to with – - & vs".split())


def heading_text(block: str) -> str | None:
    """The heading a block is, or None: "## Energy" or a short Title Case line.

    A plain line counts when it is one line of at most 12 words, ends without
    punctuation and every word but the small ones ("and", "of", ...) is capitalised.
    """
    if "\n" in block:
        return None
    if m := _HEADING.match(block):
        return m.group("text")
    words = block.split()
    if not 1 <= len(words) <= 12 or re.search(r"[.,;:!?\"”’]$", block):
        return None
    if _NUMBERED.match(block) or _BULLET.match(block) or re.search(r"\b(?:19|20)\d\d\b", block):
        return None

    def titled(word: str) -> bool:
        letter = re.search(r"[^\W\d_]", word)
        return letter is None or letter.group(0).isupper() or word.lower() in _SMALL_WORDS

    return block if all(titled(w) for w in words) else None


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text``; the spans cover it verbatim."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[start : m.start()]
        word = re.search(r"(\S+)$", before)
        last = word.group(1) if word else ""
        bare = last.rstrip('.!?"”’)]').lower()
        # "Canada-U.S.", "(U.S." : the word's last part decides.
        bare = re.split(r"[-–/(\[“\"]", bare)[-1]
        # "U.N." / "U.S." / single initials / "No. 4" / "1." list numbers: not an end.
        if (
            re.fullmatch(r"(?:[a-z]\.)*[a-z]", bare)
            or bare in _ABBREVIATIONS
            or (re.fullmatch(r"\d{1,3}", bare) and m.start() - start <= 4)
        ):
            continue
        closing = len(m.group(0)) - len(m.group(0).lstrip('"”’)]'))
        end = m.start() + closing
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s, e) for s, e in spans if text[s:e].strip()]


# Invisible characters are no part of a quote (a body stored before they were cleaned
# may still hold them): zero-width space, word joiner, byte-order mark, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE_CHARS))


def _blocks(body: str) -> list[str]:
    return [b.strip() for b in re.split(r"\n\s*\n", body) if b.strip()]


def segment(doc: Document) -> list[Clause]:
    """Split one document into clauses, in reading order."""
    blocks = _blocks(doc.body.translate(_INVISIBLE))
    numbered = sum(1 for b in blocks if _NUMBERED.match(b)) >= 3
    clauses: list[Clause] = []
    current_number = ""
    lead_in = ""
    section = ""
    paragraph = 0  # body paragraphs only: headings are not counted
    for bi, block in enumerate(blocks, start=1):
        # Headings are not quotes: they name the section of the clauses under them.
        # They keep their block number, so the ids of the clauses after them are stable.
        if bi < len(blocks) and (heading := heading_text(block)) is not None:
            section = heading
            lead_in = ""
            continue
        if bi == len(blocks) and (m := _HEADING.match(block)):
            block = m.group("text")  # a last line marked as a heading is text, not "## "
        bullet = _BULLET.match(block)
        paragraph += 1
        if numbered:
            if m := _NUMBERED.match(block):
                current_number = m.group(1)
            label = current_number or PREAMBLE
        else:
            label = str(paragraph)
        if bullet:
            text = block[bullet.end() :].strip()
            clauses.append(
                Clause(
                    clause_id=f"{doc.doc_id}#p{bi}.1",
                    doc_id=doc.doc_id,
                    doc_title=doc.cite_title,
                    doc_date=doc.date,
                    text=text,
                    paragraph=label,
                    block=bi,
                    sentence=1,
                    lead_in=lead_in,
                    is_bullet=True,
                    section=section,
                )
            )
            continue
        spans = split_sentences(block)
        for si, (s, e) in enumerate(spans, start=1):
            clauses.append(
                Clause(
                    clause_id=f"{doc.doc_id}#p{bi}.{si}",
                    doc_id=doc.doc_id,
                    doc_title=doc.cite_title,
                    doc_date=doc.date,
                    text=block[s:e].strip(),
                    paragraph=label,
                    block=bi,
                    sentence=si,
                    section=section,
                )
            )
        if spans:
            last = block[spans[-1][0] : spans[-1][1]].strip()
            lead_in = last if last.endswith(":") else ""
    return clauses


def segment_all(docs: Iterable[Document]) -> Iterator[Clause]:
    """Clauses of every document, document by document."""
    for doc in docs:
        yield from segment(doc)
