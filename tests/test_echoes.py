"""The statement before its echoes: readouts and fact sheets restating a joint statement."""

from __future__ import annotations

from datetime import date

import pytest

from bot.reading.documents import Document
from bot.search import ClauseIndex, QueryError
from bot.search.echoes import echo_view, fold_echoes, restates

AGREED = (
    "The two sides agreed to lower reciprocal tariffs on steel, aluminium and copper by "
    "ninety percent within one hundred days, and to establish a standing mechanism for "
    "consultations on economic and trade relations."
)
# The readout says the same in its own opening words (and is what the query words fit).
ECHO = (
    "The leaders welcomed that the two sides agreed to lower reciprocal tariffs on steel, "
    "aluminium and copper by ninety percent within one hundred days, and to establish a "
    "standing mechanism for consultations on economic and trade relations."
)


def _doc(doc_id: str, title: str, when: date, *paragraphs: str, kind: str = "statement"):
    body = "\n\n".join(paragraphs) + "\n"
    return Document(doc_id, title, when, body, parties=("Freedonia", "Sylvania"), kind=kind)


def _corpus(readout_date: date = date(2025, 5, 13)) -> list[Document]:
    return [
        _doc(
            "2025-05-12_freedonia-sylvania-joint-statement",
            "Joint Statement on Freedonia-Sylvania Economic and Trade Meeting in Lisbon",
            date(2025, 5, 12),
            "Freedonia and Sylvania held talks in Lisbon on 10 and 11 May 2025.",
            AGREED,
            "The two sides will meet again in the second half of 2025 to review progress.",
        ),
        _doc(
            f"{readout_date.isoformat()}_readout-call-freedonia",
            "Readout of the President’s Call with the Prime Minister of Sylvania",
            readout_date,
            "The President spoke today with the Prime Minister of Sylvania.",
            ECHO,
            "The leaders also discussed migration, fisheries and the situation in the region.",
        ),
        _doc(
            "2025-04-01_fact-sheet-orchards",
            "Fact Sheet: Freedonia Invests in Orchards",
            date(2025, 4, 1),
            "Freedonia will plant one million apple trees in the northern valleys by 2030.",
        ),
    ]


@pytest.fixture(scope="module")
def index() -> ClauseIndex:
    return ClauseIndex.from_documents(_corpus(), semantic=False)


QUERY = "leaders welcomed lower reciprocal tariffs on steel aluminium and copper"


def test_without_folding_the_readout_would_rank_first(index, monkeypatch):
    # The hand-made corpus is a fair test: on words alone the readout's clause wins.
    monkeypatch.setattr("bot.search.index.fold_echoes", lambda groups, **_: list(groups))
    result = index.search(QUERY, limit=5)
    texts = [h.clause.text for h in result.hits]
    assert texts[0] == ECHO and result.hits[0].kind == "readout"


def test_the_joint_statement_ranks_first_and_the_readout_is_attached(index):
    result = index.search(QUERY, limit=5)
    first = result.hits[0]
    assert first.clause.text == AGREED
    assert first.kind == "joint-statement" and first.kind_label == "joint statement"
    assert [o.text for o in first.also_in] == [ECHO]
    assert first.also_kinds == ("readout",)
    # The echo takes no separate place.
    assert ECHO not in [h.clause.text for h in result.hits]
    data = first.to_json()
    assert data["kind"] == "joint-statement"
    assert data["also_in"][0]["kind"] == "readout"
    assert data["also_in"][0]["citation"].startswith("Readout of the President’s Call")


def test_a_kind_filter_is_never_undone_by_folding(index):
    only_statements = index.search(f"{QUERY} kind:joint")
    assert {h.kind for h in only_statements.hits} == {"joint-statement"}
    assert "filter: kind joint statement" in only_statements.notes
    readouts = index.search(f"{QUERY} kind:readout,fact-sheet")
    assert {h.kind for h in readouts.hits} == {"readout"}
    assert "filter: kind readout or fact sheet" in readouts.notes


def test_in_filter_is_echoed_back(index):
    result = index.search("tariffs in:readout")
    assert "filter: in “readout”" in result.notes
    assert {h.clause.doc_id for h in result.hits} == {"2025-05-13_readout-call-freedonia"}


def test_an_unknown_kind_names_the_valid_ones(index):
    with pytest.raises(QueryError) as info:
        index.search("tariffs kind:memo")
    message = str(info.value)
    assert "'memo' is not a kind of document" in message
    assert "joint-statement" in message and "readout" in message and "fact-sheet" in message


def _positions(index: ClauseIndex, text: str) -> int:
    return next(i for i, c in enumerate(index.clauses) if c.text == text)


def test_nearby_finds_statement_clauses_within_14_days_only():
    near = ClauseIndex.from_documents(_corpus(date(2025, 5, 26)), semantic=False)
    view = echo_view(near, None)
    echo = _positions(near, ECHO)
    assert _positions(near, AGREED) in view["nearby"](echo)
    assert view["kind"](echo) == "readout"
    far = ClauseIndex.from_documents(_corpus(date(2025, 5, 27)), semantic=False)
    assert list(echo_view(far, None)["nearby"](_positions(far, ECHO))) == []
    # A mask (a filter) keeps statements out.
    mask = [c.doc_id.endswith("freedonia") for c in near.clauses]
    import numpy as np

    assert list(echo_view(near, np.array(mask))["nearby"](echo)) == []


# The pure function over hand-made result lists: clause -> (kind, text).
CLAUSES = {
    1: ("readout", ECHO),
    2: ("joint-statement", AGREED),
    3: ("fact-sheet", "Freedonia will plant one million apple trees in the valleys by 2030."),
    4: ("fact-sheet", AGREED.replace("The two sides", "Both countries")),
    5: ("readout", "The leaders discussed trade and tariffs."),
    6: ("joint-statement", "The two sides discussed trade and tariffs at length."),
    # every word of 7 is in 8, but 8 says far more: no restatement
    7: ("fact-sheet", "That is not who we are as a nation."),
    8: (
        "declaration",
        "We reaffirm that this is not a time for war and that who we are as a nation of "
        "nations is defined by our shared commitment to peace, security and prosperity.",
    ),
}


def _fold(groups, nearby=None):
    return fold_echoes(
        groups, kind=lambda i: CLAUSES[i][0], text=lambda i: CLAUSES[i][1], nearby=nearby
    )


@pytest.mark.parametrize(
    ("groups", "nearby", "expected"),
    [
        # the echo first, the statement third: the statement takes first place
        ([(1, 90.0, []), (3, 80.0, []), (2, 70.0, [])], None, [(2, 90.0, [1]), (3, 80.0, [])]),
        # the statement first already: the echo is attached, its place freed
        ([(2, 88.0, []), (3, 80.0, []), (1, 70.0, [])], None, [(2, 88.0, [1]), (3, 80.0, [])]),
        # a statement clause folded into the echo as near-identical: it leads
        ([(1, 90.0, [2])], None, [(2, 90.0, [1])]),
        # two echoes (readout and fact sheet) of one statement
        (
            [(1, 90.0, []), (4, 85.0, []), (2, 70.0, [])],
            None,
            [(2, 90.0, [1, 4])],
        ),
        # not in the list: found among statements dated near it
        ([(1, 90.0, []), (3, 80.0, [])], lambda i: [6, 2], [(2, 90.0, [1]), (3, 80.0, [])]),
        # nothing near says the same: unchanged
        ([(1, 90.0, []), (3, 80.0, [])], lambda i: [6], [(1, 90.0, []), (3, 80.0, [])]),
        # too short to call an echo (a subset of many clauses)
        ([(5, 90.0, []), (6, 80.0, [])], None, [(5, 90.0, []), (6, 80.0, [])]),
        # a short clause whose words all occur in a long one is no echo of it
        ([(7, 90.0, []), (8, 80.0, [])], None, [(7, 90.0, []), (8, 80.0, [])]),
        # a fact sheet that says something else stays where it is
        ([(3, 90.0, []), (2, 80.0, [])], None, [(3, 90.0, []), (2, 80.0, [])]),
        # a second echo of a statement found near the first: attached to it too
        (
            [(1, 90.0, []), (4, 85.0, [])],
            lambda i: [2],
            [(2, 90.0, [1, 4])],
        ),
        ([], None, []),
    ],
)
def test_fold_echoes(groups, nearby, expected):
    before = [(i, s, list(x)) for i, s, x in groups]
    assert _fold(groups, nearby) == expected
    assert groups == before  # the input is not changed


def test_restates():
    assert restates(AGREED, AGREED.replace("The two sides", "Both countries"))
    assert restates(ECHO, AGREED)
    assert not restates(CLAUSES[7][1], CLAUSES[8][1])  # a subset, far shorter
    assert not restates("The leaders discussed trade.", "The leaders discussed trade.")
    assert not restates(AGREED, CLAUSES[3][1])
