"""Commitment extraction on the seeds, and the analysts' curated corrections."""

from __future__ import annotations

from datetime import date

import pytest
from paths import COMMUNIQUE, STATEMENT

from bot.commitments import CurationError, extract_all, is_binding
from bot.reading.clauses import Clause


@pytest.fixture(scope="module")
def found(corpus, index):
    return extract_all(corpus.documents, index.clauses)


# (document, phrase in the clause, expression as written, start, due)
SEED_COMMITMENTS = [
    (STATEMENT, "$100 billion before 2015", "before 2015", None, date(2014, 12, 31)),
    (STATEMENT, "$200 billion before 2020", "before 2020", None, date(2019, 12, 31)),
    (
        STATEMENT,
        '2013 "Chinese tourism year" in Russia',
        "2013",
        date(2013, 1, 1),
        date(2013, 12, 31),
    ),
    (
        STATEMENT,
        "youth delegations in the next five years",
        "in the next five years",
        date(2012, 6, 6),
        date(2017, 6, 6),
    ),
    (
        STATEMENT,
        "outline for implementing the 2013-2016 treaty",
        "2013-2016",
        date(2013, 1, 1),
        date(2016, 12, 31),
    ),
    (
        COMMUNIQUE,
        "navigation pact",
        "in the first half of 2013",
        date(2013, 1, 1),
        date(2013, 6, 30),
    ),
    (
        COMMUNIQUE,
        "heads of government will be held in China in 2013",
        "in 2013",
        date(2013, 1, 1),
        date(2013, 12, 31),
    ),
    (
        COMMUNIQUE,
        "Tourism Year of China to be held in Russia next year",
        "next year",
        date(2013, 1, 1),
        date(2013, 12, 31),
    ),
    (
        COMMUNIQUE,
        "youth groups will be held in the next five years",
        "in the next five years",
        date(2012, 12, 6),
        date(2017, 12, 6),
    ),
]


@pytest.mark.parametrize(("doc", "phrase", "expression", "start", "due"), SEED_COMMITMENTS)
def test_seed_commitments_are_found_with_due_dates(found, doc, phrase, expression, start, due):
    matches = [
        c for c in found if c.doc_id == doc and phrase in c.text and c.expression == expression
    ]
    assert len(matches) == 1, [(c.expression, c.text[:60]) for c in found if c.doc_id == doc]
    c = matches[0]
    assert (c.start, c.due) == (start, due)
    assert c.parties == ("China", "Russia") and c.citation.startswith("China–Russia")


def test_no_false_dates_in_the_seeds(found):
    seeds = [c for c in found if c.doc_id in (STATEMENT, COMMUNIQUE)]
    for c in seeds:
        assert c.expression in c.text  # verbatim
        assert c.due is None or c.due >= c.doc_date
    expressions = " | ".join(c.expression for c in seeds)
    for not_a_date in ["2043", "$100 billion", "300", "17th", "2011"]:
        assert not_a_date not in expressions


def test_ids_are_stable_and_unique(corpus, index, found):
    again = extract_all(corpus.documents, index.clauses)
    assert [c.id for c in again] == [c.id for c in found]
    assert len({c.id for c in found}) == len(found)
    nav = next(c for c in found if "navigation pact" in c.text)
    assert nav.id == f"{nav.clause_id}/2013-h1"


def test_sorted_by_due_date_with_undated_last(found):
    dues = [c.due for c in found]
    dated = [d for d in dues if d]
    assert dated == sorted(dated) and dues[: len(dated)] == dated


@pytest.mark.parametrize(
    ("text", "lead_in", "bullet", "expected"),
    [
        ("The two sides will step up education cooperation.", "", False, True),
        ("The two sides agreed to start formal negotiation.", "", False, True),
        ("They pledged to promote joint efforts.", "", False, True),
        (
            "To maintain close high-level exchanges;",
            "To this end, the two sides have agreed the following:",
            True,
            True,
        ),
        (
            "Politically, it is necessary to carry out cooperation.",
            "The two sides advocate efforts in the following areas:",
            True,
            False,
        ),
        ("The two sides reviewed the course of development.", "", False, False),
        ("The border inspection started in 2011.", "", False, False),
    ],
)
def test_is_binding(text, lead_in, bullet, expected):
    clause = Clause("d#p1.1", "d", "D", date(2012, 1, 1), text, "1", 1, 1, lead_in, bullet)
    assert is_binding(clause) is expected


CURATED = """\
suppress:
  - id: {suppress}
redate:
  - id: {redate}
    due: 2013-09-30
    start: 2013-07-01
add:
  - clause_id: {clause}
    expression: at an early date
    due: 2014-12-31
"""


def test_curated_file_adds_suppresses_and_redates(tmp_path, corpus, index, found):
    trade2020 = next(c for c in found if c.expression == "before 2020")
    nav = next(c for c in found if "navigation pact" in c.text)
    gas = next(c for c in index.clauses if "Russian gas to China at an early date" in c.text)
    path = tmp_path / "commitments.yml"
    path.write_text(CURATED.format(suppress=trade2020.id, redate=nav.id, clause=gas.clause_id))
    warnings: list[str] = []
    out = {c.id: c for c in extract_all(corpus.documents, index.clauses, path, warnings)}
    assert warnings == []
    assert trade2020.id not in out
    assert (out[nav.id].start, out[nav.id].due, out[nav.id].source) == (
        date(2013, 7, 1),
        date(2013, 9, 30),
        "curated",
    )
    added = next(c for c in out.values() if c.clause_id == gas.clause_id)
    assert added.due == date(2014, 12, 31) and added.expression == "at an early date"
    assert added.source == "curated" and added.text == gas.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("add: [1, 2", "not valid YAML"),
        ("- a\n- b\n", "expected sections"),
        ("remove: []\n", "unknown section"),
        ("redate:\n  - id: x\n", "redate #1: needs 'id' and 'due'"),
        ("redate:\n  - id: {nav}\n    due: soon\n", "'soon' is not a date"),
        (
            "add:\n  - clause_id: {clause}\n    expression: invented words\n    due: 2013-01-01\n",
            "expression 'invented words' is not in clause",
        ),
        (
            "redate:\n  - id: {nav}\n    due: 2013-09-30\n    kind: promise\n",
            "redate #1: kind 'promise' is not one of commitment, call, event, target",
        ),
    ],
)
def test_bad_curated_file_is_a_clear_error(tmp_path, corpus, index, found, content, message):
    nav = next(c for c in found if "navigation pact" in c.text)
    path = tmp_path / "commitments.yml"
    path.write_text(content.format(nav=nav.id, clause=nav.clause_id))
    with pytest.raises(CurationError, match=message):
        extract_all(corpus.documents, index.clauses, path, [])


def test_unknown_ids_in_the_curated_file_are_warnings(tmp_path, corpus, index):
    path = tmp_path / "commitments.yml"
    path.write_text(
        "suppress:\n  - id: nope\nredate:\n  - id: nope2\n    due: 2013-01-01\n"
        "add:\n  - clause_id: gone#p1.1\n    expression: x\n    due: 2013-01-01\n"
    )
    warnings: list[str] = []
    extract_all(corpus.documents, index.clauses, path, warnings)
    assert len(warnings) == 3 and all(w.startswith("commitments.yml:") for w in warnings)


def test_curated_entries_may_set_the_kind(tmp_path, corpus, index, found):
    nav = next(c for c in found if "navigation pact" in c.text)
    path = tmp_path / "commitments.yml"
    path.write_text(
        f"redate:\n  - id: {nav.id}\n    due: 2013-09-30\n    kind: event\n"
        f"add:\n  - clause_id: {nav.clause_id}\n    expression: navigation pact\n"
        "    due: 2014-12-31\n    kind: target\n"
    )
    out = {c.id: c for c in extract_all(corpus.documents, index.clauses, path, [])}
    assert out[nav.id].kind == "event"
    added = next(c for c in out.values() if c.expression == "navigation pact")
    assert added.kind == "target"
