"""Cleaning raw statements: debris out, the statement's words untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import SHARED

from bot.reading.clean import Removal, clean_raw, normalise

SEEDS = SHARED / "seeds"
SAMPLES = SHARED / "corpus-samples"
needs_shared = pytest.mark.skipif(
    not SEEDS.is_dir(), reason="../shared is not beside this checkout"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("China–Russia's  Joint", "china russia joint"),
        ("“Quoted”\u00a0text", "quoted text"),
        ("Communiqué", "communique"),
        ("$100 billion", "100 billion"),
        ("a\x00b\x07c", "a b c"),
        ("ＦＵＬＬ", "full"),
        ("", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_comment_form_widgets_and_headlines_removed():
    raw = (
        "Statement title\n\nThe parties will meet in 2013.\n\nShare this:\nTwitter\nFacebook\n\n"
        "Leave a Reply\n\nFill in your details below\n\nConnecting to %s\n"
    )
    out = clean_raw(raw)
    assert out.body == "The parties will meet in 2013.\n"
    assert any(r.startswith("blog comment form") for r in out.removed)
    assert any("share widget: 'Twitter'" in r for r in out.removed)


def test_markdown_debris_and_hard_wraps():
    raw = (
        "---\ntitle: X\n---\n \n1\\. We met in Bali on 15-16 November 2022, at a\ntime of"
        " crises.\u00a0 <!-- x -->\n\n-   Stay agile and flexible in our\n    policy responses.\n"
        "-   Protect stability.\n\n33. <sup>1 </sup>We are committed.\n\n\\###\n"
    )
    out = clean_raw(raw)
    assert out.body.split("\n\n") == [
        "1. We met in Bali on 15-16 November 2022, at a time of crises.",
        "- Stay agile and flexible in our policy responses.",
        "- Protect stability.",
        "33. [1] We are committed.\n",
    ]
    assert Removal("\\###", "end marker") in out.removals
    assert "end marker: '\\\\###'" in out.removed


@needs_shared
def test_seed_statement_keeps_its_words_verbatim():
    raw = (SEEDS / "2012-06-06_china-russia-joint-statement.raw.txt").read_text("utf-8")
    body = clean_raw(raw).body
    for phrase in [
        "BOTh sides maintained",
        "mechan ism",
        "assis tance",
        "encoyuraged",
        "peace plan !",
    ]:
        assert phrase in body
    for debris in ["Leave a Reply", "Connecting to %s", "Google+", "Text of report in Chinese"]:
        assert debris not in body


@needs_shared
def test_seed_communique_headline_list_removed():
    raw = (SEEDS / "2012-12-06_china-russia-joint-communique.raw.txt").read_text("utf-8")
    out = clean_raw(raw)
    for debris in [
        "Most Popular",
        "Hot Topics",
        "Trudeau visits Sina Weibo",
        "World / Asia-Pacific",
    ]:
        assert debris not in out.body
    assert out.body.rstrip().endswith("decided through diplomatic channels.")


@needs_shared
@pytest.mark.parametrize("path", sorted(SAMPLES.glob("2*.txt")) if SAMPLES.is_dir() else [])
def test_samples_lose_all_web_debris(path: Path):
    body = clean_raw(path.read_text("utf-8")).body
    assert "\u00a0" not in body and "<sup>" not in body and "\\" not in body
    assert "###" not in body and "<!--" not in body
    # no hard wraps left: every paragraph is one line
    assert all("\n" not in p for p in body.strip().split("\n\n"))


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        (
            "Via the *Defense Production Act* Investment Office, it acted.\n",
            "Via the Defense Production Act Investment Office, it acted.\n",
        ),
        (
            "See [the fact sheet](https://example.org/x) for **all** of it.\n",
            "See the fact sheet for all of it.\n",
        ),
        ("It was <em>signed</em> into law.\n", "It was signed into law.\n"),
        (
            "First.\n\n**Energy and Environment**\n\nThey will act.\n",
            "First.\n\n## Energy and Environment\n\nThey will act.\n",
        ),
        (
            "First.\n\n**<u>Developing Resilient Civil Nuclear Supply\nChains</u>**\n\nThey act.\n",
            "First.\n\n## Developing Resilient Civil Nuclear Supply Chains\n\nThey act.\n",
        ),
        (
            "First.\n\n***<u>Partnering for Peace</u>*** ****\n\nThey act.\n",
            "First.\n\n## Partnering for Peace\n\nThey act.\n",
        ),
        ("Dialogue on Agriculture**.** Next.\n", "Dialogue on Agriculture. Next.\n"),
        ("The 25<sup>th</sup> Anniversary.\n", "The 25th Anniversary.\n"),
        ("Costs 2 \\* 3 and a\\_b.\n", "Costs 2 * 3 and a_b.\n"),
        (
            "First.\n\n*\\*  \\*  \\* Begin text \\*  \\*  \\**\n\nThey act.\n",
            "First.\n\nThey act.\n",
        ),
        (
            "First.\n\n**Bali, Indonesia, 15-16 November 2022**\n\nThey act.\n",
            "First.\n\nBali, Indonesia, 15-16 November 2022\n\nThey act.\n",
        ),
    ],
)
def test_emphasis_links_and_headings(raw, body):
    out = clean_raw("---\ntitle: T\n---\n" + raw)
    assert out.body == body


def test_markdown_title_and_headings_without_front_matter():
    out = clean_raw("# Joint Statement of A and B\n\nToday A and B met.\n\n## Energy\n\nWe act.\n")
    assert out.meta["title"] == "Joint Statement of A and B"
    assert out.body == "Today A and B met.\n\n## Energy\n\nWe act.\n"


@pytest.mark.parametrize(
    "debris", ["*a " * 5000, "**a " * 5000, "_a " * 5000, "[a " * 5000 + "](", "![" * 5000]
)
def test_unpaired_markup_is_cleaned_in_linear_time(debris):
    import time

    start = time.perf_counter()
    clean_raw("---\ntitle: x\n---\n" + debris)
    assert time.perf_counter() - start < 2.0


def _normalise_slow(text: str) -> str:
    """normalise() without its ASCII fast path (the general Unicode route)."""
    import unicodedata

    from bot.reading.clean import _APOSTROPHE_S, _FOLD, _NON_WORD

    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = _APOSTROPHE_S.sub("", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def test_ascii_fast_path_folds_exactly_like_the_unicode_route():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    for path in sorted(corpus.glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert normalise(line) == _normalise_slow(line), line

    ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=60)
    mixed = st.text(alphabet="ab'sS _-\t\x00\x7f\u2019\u2013\u00a0é1", max_size=40)

    @settings(max_examples=400, deadline=None)
    @given(st.one_of(ascii_text, mixed))
    def check(text: str) -> None:
        assert normalise(text) == _normalise_slow(text)

    check()


# ---------------------------------------------------------------- issue 17 regressions


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        # plain text is never markup: '<' and '>' are prose
        (
            "Both sides will keep warming <1.5 degrees and cut emissions >45 percent by 2030.\n",
            "keep warming <1.5 degrees and cut emissions >45 percent by 2030.",
        ),
        ("Tariffs < 10% and > 2% apply.\n", "Tariffs < 10% and > 2% apply."),
        # brackets with no address inside are the statement's own
        ("Exports rose [up 5%](est.) last year.\n", "Exports rose [up 5%](est.) last year."),
        # an autolink's address is what the reader sees
        ("Register at <https://www.disasterassistance.gov> now.\n", "https://www."),
        # zero-width spaces never reach a quote
        ("We met on 1 May.\u200b The talks\u200b went well.\n", "The talks went well."),
        # web exports that close emphasis after a space
        (
            "**Keep families together. **The bill reforms the system.\n",
            "Keep families together. The bill reforms the system.",
        ),
        ("It is a plan for the 21st Century. *\n", "It is a plan for the 21st Century."),
    ],
)
def test_prose_is_not_markup(raw, kept):
    body = clean_raw("---\ntitle: T\n---\n" + raw).body
    assert kept in body
    assert "\u200b" not in body and "**" not in body


def test_a_last_paragraph_without_a_full_stop_is_kept():
    """From a 2024 joint statement: its final sentence has no full stop; it was cut
    as a 'headline list' with the sentence before it."""
    raw = (
        "---\ntitle: T\n---\n"
        "The leaders reaffirmed their commitment to a free and open Indo-Pacific and\n"
        "welcomed the progress made since their last meeting in Washington in the\n"
        "spring of 2023. They look forward to meeting again in Manila next year and\n"
        "to carrying the partnership forward together with their peoples\n"
    )
    out = clean_raw(raw)
    assert out.body.rstrip().endswith("together with their peoples")
    assert "meeting again in Manila" in out.body
    assert not out.removals


def test_a_dash_that_continues_a_wrapped_sentence_is_no_bullet():
    """From the U.S.-India statement of February 2025: em dashes opened wrapped lines."""
    raw = (
        "---\ntitle: T\n---\n"
        "The leaders launched a new initiative\n"
        "— the “U.S.-India COMPACT (Catalyzing Opportunities for Military Partnership,\n"
        "Accelerated Commerce & Technology) for the 21st Century” — to drive\n"
        "transformative change across key pillars of cooperation.\n\n"
        "To this end the two sides agreed the following:\n\n"
        "— To maintain close high-level exchanges;\n"
        "— To deepen trade.\n"
    )
    paras = clean_raw(raw).body.strip().split("\n\n")
    assert paras[0].startswith("The leaders launched a new initiative — the “U.S.-India")
    assert paras[0].endswith("key pillars of cooperation.")
    assert paras[2:] == ["— To maintain close high-level exchanges;", "— To deepen trade."]


def test_a_list_that_repeats_one_is_numbered_as_it_renders():
    raw = "---\ntitle: T\n---\n1. First item.\n\n1. Second item.\n\n1. Third item.\n"
    assert clean_raw(raw).body == "1. First item.\n\n2. Second item.\n\n3. Third item.\n"


def test_separator_lines_are_recorded_not_kept():
    out = clean_raw("---\ntitle: T\n---\nWe agree.\n\n—\n\n# # #\n\n* * *\n\nWe act.\n")
    assert out.body == "We agree.\n\nWe act.\n"
    assert {r.reason for r in out.removals} <= {"separator line", "end marker"}
    assert len(out.removals) == 3


def test_numbered_lines_without_blank_lines_are_items():
    """From 2022 readouts listing participants '1. A' / '2. B' on consecutive lines."""
    raw = "---\ntitle: T\n---\nParticipants:\n\n"
    raw += "1. Mayor Lightfoot (D-Chicago)\n2. Mayor B\n3. Mayor C\n"
    assert clean_raw(raw).body.split("\n\n")[1:] == [
        "1. Mayor Lightfoot (D-Chicago)",
        "2. Mayor B",
        "3. Mayor C\n",
    ]


def test_lists_pandoc_keeps_apart_are_numbered_apart():
    """Pandoc ends a list with '<!-- -->' before the next: two lists, each from 1."""
    raw = "---\ntitle: T\n---\n1. A.\n2. B.\n\n<!-- -->\n\n1. C.\n\n1. D.\n"
    assert clean_raw(raw).body == "1. A.\n\n2. B.\n\n1. C.\n\n2. D.\n"


def test_an_empty_superscript_keeps_its_space():
    raw = "---\ntitle: T\n---\nThe Recovery Framework<sup> </sup>also supports it.\n"
    assert clean_raw(raw).body == "The Recovery Framework also supports it.\n"


def test_a_link_label_broken_by_a_hard_line_break_is_one_link():
    """From a 2021 fact sheet: the label ended '…Approach.”  ' and a blank line."""
    raw = (
        "---\ntitle: T\n---\nThese goals are outlined in a new national\nstrategy, "
        "[**“Reducing Military and\nVeteran Suicide.”  \n  \n**](https://example.gov/s.pdf)"
        "The key components follow.\n"
    )
    body = clean_raw(raw).body
    assert body == (
        "These goals are outlined in a new national strategy, “Reducing Military and "
        "Veteran Suicide.” The key components follow.\n"
    )


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        # an address the parser cannot take (a text fragment with a parenthesis)
        (
            "Adopt a [three-year pilot](https://www.chicago.gov/x.html#:~:text=The%20Right"
            "%20(RTC,eviction%20in%20Chicago.). The city acts.\n",
            "Adopt a three-year pilot. The city acts.\n",
        ),
        # a percent-encoded target is an address, however broken
        (
            "Black borrowers are [twice](%20Selected%20Years,%202003–04) as likely.\n",
            "Black borrowers are twice as likely.\n",
        ),
        # '**' against a word on both sides stays: removing it would join two words
        ("Six assessment**reports for them.\n", "Six assessment**reports for them.\n"),
    ],
)
def test_links_the_parser_leaves_and_markers_between_words(raw, body):
    assert clean_raw("---\ntitle: T\n---\n" + raw).body == body


def test_stray_markers_before_an_emphasised_source_line_go():
    """From a 2022 ICYMI page: '*  ' then '***Northwest News Network:** [headline](url)'."""
    raw = (
        "---\ntitle: T\n---\nRead below:\n\n*  \n***Northwest News Network:** [Biden launches"
        " a website](https://example.org/a)  \nThe website helps.\n"
    )
    assert clean_raw(raw).body == (
        "Read below:\n\nNorthwest News Network: Biden launches a website The website helps.\n"
    )
