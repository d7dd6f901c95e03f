"""The local console: the buttons work as typed words (more, context N, share N,
status ID VALUE, home), and a long commitments list is paged."""

from __future__ import annotations

import io
import re

import pytest
from paths import CORPUS

from bot.config import Settings
from bot.console import run_console
from bot.services import build_services
from bot.tracking import parse_commitment_query


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    db = tmp_path_factory.mktemp("console") / "bot.db"
    settings = Settings.from_env(
        {"BRIEFBOT_CORPUS": str(CORPUS), "DATABASE_URL": f"sqlite:///{db}"}
    )
    return build_services(settings)


def run(services, *lines):
    """Each answer's text, in order (the console separates answers with a blank line)."""
    out = io.StringIO()
    assert (
        run_console(services, stdin=io.StringIO("".join(f"{ln}\n" for ln in lines)), stdout=out)
        == 0
    )
    text = out.getvalue().split("leave.\n", 1)[1]
    answers = text.split("\n\n")
    assert len(answers) == len(lines) + 1 and answers[-1] == ""
    return answers[:-1]


def test_more_context_and_share_press_the_buttons_of_the_last_answer(services):
    result = services.index.search("cooperation", limit=3, offset=3)
    assert result.total > 6
    first, more, context, share = run(
        services, "/brief cooperation", "more", "context 5", "share 4"
    )
    assert f"Results 1–3 of {result.total}" in first and "→ share 1 · context 1" in first
    assert f"Results 4–6 of {result.total}" in more and "→ share 5 · context 5" in more
    fifth, fourth = result.hits[1].clause, result.hits[0].clause
    assert context.startswith(f"    Context for {fifth.citation}")
    assert fifth.text[:60] in context.replace("\n  │ ", " ")
    assert "shared by @console" in share and fourth.citation in share


def test_a_long_commitments_list_is_paged_and_a_status_recorded(services):
    rows = services.commitment_rows(parse_commitment_query("overdue"))
    assert len(rows) > 18
    first, second, recorded, again = run(
        services,
        "/commitments overdue",
        "more",
        f"status {rows[12]['id']} met",
        "/commitments status:met",
    )
    shown = re.search(r"Showing (\d+) of (\d+)", first)
    assert shown and int(shown.group(2)) == len(rows) and "[Next page]   → more" in first
    n = int(shown.group(1))
    assert f"Showing {n + 1}–" in second and f"of {len(rows)}" in second
    assert rows[n]["expression"] in second and rows[0]["expression"] not in second.split("\n")[1]
    assert f"→ status {rows[12]['id']} VALUE" in first + second
    assert "Status recorded: met by @console" in recorded
    assert services.statuses()[rows[12]["id"]] == "met"
    assert "Commitments with status met (1)" in again and rows[12]["expression"] in again


def test_home_is_shown(services):
    (home,) = run(services, "home")
    assert home.startswith("BRIEFBOT") and "DOCUMENTS" in home
    assert all(row["title"][:40] in home.replace("\n", " ") for row in services.document_rows())


@pytest.mark.parametrize(
    "line, expected",
    [
        ("more", "Nothing more to show"),
        ("context 9", "Usage: context N, where N is the number of a result shown."),
        ("status nope met", "no commitment 'nope'"),
        ("status " + "x met", "no commitment 'x'"),
    ],
)
def test_buttons_without_an_answer_explain_themselves(services, line, expected):
    (answer,) = run(services, line)
    assert expected in answer


def test_words_that_only_start_like_a_button_are_searched(services):
    (answer,) = run(services, "more trade")
    assert "for “more trade”" in answer
