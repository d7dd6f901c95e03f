"""The one Slack-markup normaliser, and every surface using it."""

from __future__ import annotations

import pytest
from paths import STATEMENT

from bot.slacktext import plain_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U123> <#C123|general> Kofi Annan", "Kofi Annan"),
        ("<@U123|kofi> navigation", "navigation"),
        ("<#C0ABC> navigation", "navigation"),
        ("<!subteam^S1|@team> <!here> <!channel> <!everyone> gas", "gas"),
        ("<https://example.org/a?b=c|navigation talks> heixiazi", "navigation talks heixiazi"),
        ("see <https://example.org/x/y> for the pact", "see for the pact"),
        ("<mailto:a@b.org|a@b.org>", "a@b.org"),
        ("<!date^1392734382^{date}|Feb 18, 2014> summit", "Feb 18, 2014 summit"),
        ("trade &amp; investment &lt;2015&gt;", "trade & investment <2015>"),
        ("&lt;@U123&gt; stays text", "<@U123> stays text"),
        ("  many   \n spaces\t", "many spaces"),
        ("", ""),
        (None, ""),
    ],
)
def test_plain_text(text, expected):
    assert plain_text(text) == expected


def test_limit_cuts_at_a_word():
    out = plain_text("word " * 200, limit=52)
    assert len(out) <= 52 and out.endswith("word")


def test_brief_with_mentions_finds_annan(index, corpus):
    result = index.search("<@U123> <#C123|general> Kofi Annan")
    assert result.hits and result.hits[0].clause.doc_id == STATEMENT
    assert "Kofi Annan" in result.hits[0].clause.text


def test_labelled_link_is_read_as_its_label(index):
    result = index.search("<https://example.org/pact|navigation talks> heixiazi")
    assert result.hits and "navigation pact" in result.hits[0].clause.text


@pytest.mark.parametrize("surface", ["/brief", "@briefbot", "plain"])
def test_every_console_surface_reads_markup_alike(surface, corpus, index):
    from bot.console import answer
    from bot.services import Services

    services = Services(settings=None, corpus=corpus, index=index)
    line = "<@U123> <#C123|general> Kofi Annan"
    text = answer(services, f"{surface} {line}" if surface != "plain" else line)
    assert "Kofi Annan" in text and "No good match" not in text
