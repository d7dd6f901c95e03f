"""The reading guarantee as a property: every word of a generated statement ends up in
a clause (or a section name), in order, unchanged, or in a recorded removal.

Statements are generated the way they are found: paragraphs hard-wrapped at any
width, Markdown headings and emphasised headings, bullet and numbered lists (also
"1." on every item), emphasis and links inside sentences, '<' and '>' in prose,
invisible characters, and page debris (share widgets, end markers). The check is
bench/check_archive.py's: a CommonMark rendering of the source, word by word.
"""

from __future__ import annotations

import textwrap

import pytest
from benchscripts import bench_script
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WORDS = st.sampled_from(
    "the sides agreed to expand trade and energy cooperation by 2030 Beijing Moscow "
    "navigation pact $100 billion 1.5 degrees U.S. EU talks will meet again in "
    "March peace security climate".split()
)


@st.composite
def sentence(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=3, max_size=14))
    words[0] = words[0][:1].upper() + words[0][1:]
    i = draw(st.integers(0, len(words) - 1))
    style = draw(st.sampled_from(["", "**", "*", "link", "lt", "zw"]))
    if style in ("**", "*"):
        words[i] = f"{style}{words[i]}{style}"
    elif style == "link":
        words[i] = f"[{words[i]}](https://example.org/{i})"
    elif style == "lt":
        words[i] = f"<{words[i]}"
    elif style == "zw":
        words[i] = f"{words[i]}\u200b"
    return " ".join(words) + draw(st.sampled_from([".", ";", "!", "."]))


@st.composite
def block(draw: st.DrawFn, first: bool) -> str:
    kinds = ["para", "para", "heading", "bold-heading", "bullets", "list"]
    kind = "para" if first else draw(st.sampled_from(kinds))
    title = " ".join(w.capitalize() for w in draw(st.lists(WORDS, min_size=1, max_size=5)))
    if kind == "heading":
        return "## " + title
    if kind == "bold-heading":
        return f"**{title}**"
    if kind == "bullets":
        return "\n".join(f"- {draw(sentence())}" for _ in range(draw(st.integers(2, 4))))
    if kind == "list":
        same = draw(st.booleans())
        items = draw(st.integers(2, 4))
        numbered = [f"{1 if same else n}. {draw(sentence())}" for n in range(1, items + 1)]
        # text after a list, so two lists never touch (CommonMark would make them one
        # list numbered on, where a statement's own numbers say otherwise)
        return "\n\n".join([*numbered, draw(sentence())])
    text = " ".join(draw(st.lists(sentence(), min_size=1, max_size=4)))
    width = draw(st.integers(30, 120))
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False))


@st.composite
def statement(draw: st.DrawFn) -> str:
    blocks = [draw(block(n == 0)) for n in range(draw(st.integers(1, 6)))]
    debris = draw(st.sampled_from(["", "Share this:\nTwitter\nFacebook", "\\###", "# # #"]))
    body = "\n\n".join([*blocks, debris] if debris else blocks)
    return f"---\ntitle: A Statement\ndate: '2024-05-01'\n---\n\n{body}\n"


@pytest.fixture(scope="module")
def check_archive():
    with bench_script("check_archive") as module:
        yield module


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=statement())
def test_every_word_is_quoted_or_recorded_in_order(check_archive, raw):
    finding = check_archive.check(raw, "generated.md")
    assert not finding.error, finding.error
    assert not finding.lost, finding.lost
    assert not finding.added, finding.added
    assert not finding.markup, finding.markup
    assert not finding.empty, finding.empty
