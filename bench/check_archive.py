"""Fidelity check: read every statement of an archive and account for every word.

For each Markdown statement this renders the source as a reader sees it (a
CommonMark renderer, markdown-it-py, then the HTML's text) and compares its words,
in order, with what briefbot keeps: the clauses, the section headings and the
title, plus the pieces it removed as debris (each with a reason). It counts:

* **lost**: statements with a source word in neither a clause nor a removal;
* **added**: statements with a word in a clause that the source does not have;
* **markup**: statements with Markdown or HTML syntax (``**``, ``](``, ``\\*``,
  tags, entities, zero-width characters) in a quote or a section name;
* **empty**: clauses with no word in them;
* **numbering**: statements that number their paragraphs (an ordered list or
  "N." paragraphs) where a clause's paragraph number differs from the source's.

Usage::

    python bench/check_archive.py [--archive PATH] [--limit N] [--show N]

``--archive`` is the ``.tar.xz`` in ``../shared/archive/`` (the default) or a
directory of ``.md`` files. Exit status 1 when any count is not zero.
"""

from __future__ import annotations

import argparse
import html
import html.entities
import re
import sys
import tarfile
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from rapidfuzz.distance import Indel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest import IngestError, prepare_text  # noqa: E402
from bot.reading.clauses import heading_text, segment  # noqa: E402
from bot.reading.documents import parse_document  # noqa: E402

DEFAULT_ARCHIVE = ROOT.parent / "shared" / "archive" / "statements-2021-2022.tar.xz"

_WORD = re.compile(r"\w+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_ENTITIES = sorted(name for name in html.entities.name2codepoint if len(name) > 1)
#: Markup that must never reach a quote or a section name.
MARKUP = re.compile(
    r"\*\*|^\*(?=\S)|\s\*$|\]\(|\\[\\`*_{}\[\]()#+.!|-]"
    r"|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:" + "|".join(_ENTITIES) + r"|#\d+|#x[0-9a-f]+);"
    r"|[\u200b\u2060\ufeff]|^#{1,6}\s|(?<!\w)__|__(?!\w)",
    re.I,
)
_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
_NUMBERED_PARA = re.compile(r"^\s{0,3}(\d{1,3})[.)]\s+\S")


def words(text: str) -> list[str]:
    """The words of ``text`` as compared here: NFKC, invisible characters dropped, lower case."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return [w.lower() for w in _WORD.findall(text.replace("_", " "))]


def _inline_text(token) -> str:
    out: list[str] = []
    children = token.children or []
    for i, child in enumerate(children):
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "html_inline":
            # "21<sup>st</sup>" reads "21st", a footnote "<sup>1</sup>" is a word of
            # its own, and a line break separates words
            tag = child.content.lower()
            nxt = children[i + 1].content.strip() if i + 1 < len(children) else ""
            footnote = tag.startswith("<sup") and nxt.isdigit()
            out.append("\n" if tag.startswith("<br") or footnote else "")
        elif child.type == "image":
            out.append(" ")
    return "".join(out)


# A link label a web export broke with a hard line break and a blank line
# ("[**Title.”  \n  \n**](https://…)") was one link on the page.
_SPLIT_LINK = re.compile(r"(\[[^\[\]]*?)\n[ \t]*\n([ \t]*[*_]{0,3}\]\(\S+\))")


# A link the parser leaves as text because of its address ("#:~:text=…(RTC,…)") was
# a link on the page: its label shows, its address does not.
_LEFT_LINK = re.compile(r"\[([^\[\]]{1,500})\]\((?:https?://|www\.)[^\s]{1,2000}?\)")


def _walk(markdown: str) -> list[tuple[str, int | None]]:
    """The source's visible blocks as a CommonMark reader renders them, in order:
    ``(text, number)``, where ``number`` is an ordered-list item's number as shown."""
    markdown = _SPLIT_LINK.sub(r"\1\n\2", markdown)
    blocks: list[tuple[str, int | None]] = []
    numbers: list[int] = []  # the next number of each open list (0: a bullet list)
    pending: int | None = None  # the number of the item whose first text comes next
    tokens = _MD.parse(markdown)
    written: list[bool] = []  # per open list: show each item's number as written
    for i, token in enumerate(tokens):
        if token.type == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
            # A list written "1." on every item is auto-numbered (1, 2, 3); any other
            # shows the statement's own numbers (CommonMark would number on where a
            # list restarts at "1." inside another's paragraph).
            infos = _item_numbers(tokens, i)
            written.append(len(set(infos)) > 1)
        elif token.type == "ordered_list_close":
            numbers.pop()
            written.pop()
        elif token.type == "bullet_list_open":
            numbers.append(0)
        elif token.type == "bullet_list_close":
            numbers.pop()
        elif token.type == "list_item_open" and numbers and numbers[-1]:
            if written and written[-1] and token.info.isdigit():
                numbers[-1] = int(token.info)
            pending = numbers[-1] if len([n for n in numbers if n]) == 1 else None
            blocks.append((f"{numbers[-1]}.", None))  # a reader sees the item's number
            numbers[-1] += 1
        elif token.type == "inline":
            blocks.append((_LEFT_LINK.sub(r"\1", _inline_text(token)), pending))
            pending = None
        elif token.type == "html_block":
            # inline tags join what they wrap ("15<sup>th</sup>"); block tags separate
            inline = re.sub(r"</?(?:sup|sub|span|em|strong|b|i|u|a)\b[^>]*>", "", token.content)
            text = html.unescape(re.sub(r"<[^>]*>", " ", inline))
            blocks.append((text, None))
        elif token.type in ("code_block", "fence"):
            blocks.append((token.content, None))
    return blocks


def _item_numbers(tokens: list, start: int) -> list[str]:
    """The numbers as written of the items of the ordered list opened at ``start``."""
    level = tokens[start].level
    found: list[str] = []
    for token in tokens[start + 1 :]:
        if token.type == "ordered_list_close" and token.level == level:
            break
        if token.type == "list_item_open" and token.level == level + 1:
            found.append(token.info)
    return found


def source_text(markdown: str) -> list[str]:
    """The source's visible text, block by block, as a CommonMark reader renders it."""
    return [text for text, _ in _walk(markdown)]


def source_numbers(markdown: str) -> list[tuple[int, str]]:
    """``(number, first words)`` of each numbered paragraph the source shows: items of
    an ordered list that is not inside another, and paragraphs written "N. "."""
    found: list[tuple[int, str]] = []
    for text, number in _walk(markdown):
        if number is not None:
            found.append((number, " ".join(words(text)[:8])))
        elif m := _NUMBERED_PARA.match(text):
            found.append((int(m.group(1)), " ".join(words(text)[1:9])))
    return found


@dataclass
class Finding:
    """What the check found in one statement."""

    name: str
    lost: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    markup: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    numbering: list[str] = field(default_factory=list)
    error: str = ""
    #: The statement numbers its paragraphs, so its numbers were compared.
    numbered: bool = False

    @property
    def clean(self) -> bool:
        return not (
            self.lost or self.added or self.markup or self.empty or self.numbering or self.error
        )


def _context(seq: list[str], start: int, end: int) -> str:
    return (
        " ".join(seq[max(0, start - 4) : start])
        + " ["
        + " ".join(seq[start:end])
        + "] "
        + (" ".join(seq[end : end + 4]))
    )


def check(raw: str, name: str) -> Finding:
    """Check one raw Markdown statement (with front matter) as briefbot ingests it."""
    finding = Finding(name)
    try:
        prepared = prepare_text(raw, name)
    except IngestError as exc:
        finding.error = str(exc)
        return finding
    warnings: list[str] = []
    doc = parse_document(prepared.text, name, warnings)
    if doc is None:
        finding.error = "; ".join(warnings) or "did not load"
        return finding
    clauses = segment(doc)
    body = re.sub(r"\A---\n.*?\n---\n", "", raw.replace("\r\n", "\n"), count=1, flags=re.S)

    # What briefbot shows: headings and clauses, in order.
    kept: list[str] = []
    headings_seen: set[str] = set()
    blocks = [b.strip() for b in re.split(r"\n\s*\n", doc.body) if b.strip()]
    for block in blocks:
        heading = heading_text(block)
        if heading is not None:
            headings_seen.add(heading)
    by_block: dict[int, list] = {}
    for clause in clauses:
        by_block.setdefault(clause.block, []).append(clause)
    for bi, block in enumerate(blocks, start=1):
        if bi in by_block:
            for clause in by_block[bi]:
                kept.extend(words(clause.text))
        else:
            kept.extend(words(heading_text(block) or block))
    removed: list[str] = []
    for removal in prepared.removals:
        removed.extend(words(removal.text))

    source = words("\n".join(source_text(body)))
    pool: dict[str, int] = {}
    for w in removed:
        pool[w] = pool.get(w, 0) + 1
    for op in Indel.opcodes(source, kept):
        if op.tag in ("delete", "replace"):
            for w in source[op.src_start : op.src_end]:
                if pool.get(w, 0) > 0:
                    pool[w] -= 1
                else:
                    finding.lost.append(_context(source, op.src_start, op.src_end))
                    break
        if op.tag in ("insert", "replace"):
            finding.added.append(_context(kept, op.dest_start, op.dest_end))

    for clause in clauses:
        if not _WORD.search(clause.text):
            finding.empty.append(f"{clause.clause_id}: {clause.text!r}")
        for label, text in (("quote", clause.text), ("section", clause.section)):
            if m := MARKUP.search(text):
                where = f"{label} {clause.clause_id}"
                finding.markup.append(f"{where}: {m.group(0)!r} in {text[:90]!r}")

    numbers = source_numbers(body)
    # A statement numbers its paragraphs when most of them carry a number (a short
    # numbered list inside a fact sheet is a list, cited by paragraph).
    if len(numbers) >= 3 and len(numbers) * 2 >= len(blocks):
        finding.numbered = True
        at = 0  # numbered paragraphs are matched in order (two may open alike)
        for number, head in numbers:
            if not head:
                continue
            found = next(
                (i for i in range(at, len(clauses)) if _opens_with(clauses[i].text, head)), None
            )
            if found is None:
                continue
            at = found + 1
            match = clauses[found]
            if match.paragraph != str(number):
                finding.numbering.append(
                    f"source ¶{number} cited as {match.paragraph!r}: {match.text[:70]!r}"
                )
    return finding


def _opens_with(text: str, head: str) -> bool:
    """True when ``text`` (its own number aside: "32. We …") begins with the words ``head``."""
    found = words(text)
    if found and found[0].isdigit():
        found = found[1:]
    return (" ".join(found) + " ").startswith(head + " ")


def iter_archive(path: Path) -> Iterator[tuple[str, str]]:
    """``(name, text)`` of each ``.md`` statement in a directory or a tar archive."""
    if path.is_dir():
        for f in sorted(path.rglob("*.md")):
            if f.name.upper() != "SOURCES.MD":
                yield f.name, f.read_text("utf-8")
        return
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(path) as tar:
        tar.extractall(tmp, filter="data")
        yield from iter_archive(Path(tmp))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--limit", type=int, default=0, help="check only the first N statements")
    parser.add_argument("--show", type=int, default=5, help="examples to print per kind")
    args = parser.parse_args(argv)
    if not args.archive.exists():
        print(f"no archive at {args.archive}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    findings: list[Finding] = []
    for i, (name, text) in enumerate(iter_archive(args.archive)):
        if args.limit and i >= args.limit:
            break
        findings.append(check(text, name))
    elapsed = time.perf_counter() - started
    kinds = ("lost", "added", "markup", "empty", "numbering", "error")
    numbered = sum(1 for f in findings if f.numbered)
    print(
        f"statements checked: {len(findings)} in {elapsed:.1f} s "
        f"({numbered} number their paragraphs)"
    )
    for kind in kinds:
        bad = [f for f in findings if getattr(f, kind)]
        print(f"{kind:>10}: {len(bad)} statements")
        for f in bad[: args.show]:
            items = getattr(f, kind)
            first = items if isinstance(items, str) else items[0]
            print(f"{'':>12}{f.name[:70]}: {first}")
    return 0 if all(f.clean for f in findings) else 1


if __name__ == "__main__":
    sys.exit(main())
