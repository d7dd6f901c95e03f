"""Adding a statement reads only what the duplicate check compares, not every stored
statement whole (on an archive of thousands that was most of each add), and still
refuses a near-duplicate stored a few days apart."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import bot.library
from bot.library import DuplicateStatement, Library, preview
from bot.reading.documents import Corpus
from bot.store import Store

BODY = (
    "The two governments will open a joint river commission by 1 March 2031. "
    "They agreed to exchange hydrological data every month and to meet in {place} "
    "each spring to review the flood warning network along the border rivers."
)


@pytest.fixture
def library(tmp_path):
    return Library(Store(f"sqlite:///{tmp_path / 'db.sqlite'}"), Corpus())


def add(library, place, when, *, title=None):
    draft = preview(BODY.format(place=place), title=title or f"River talks in {place}", date=when)
    return library.add(draft, added_by="test")


def test_an_add_does_not_read_every_stored_statement(library, monkeypatch):
    start = date(2026, 1, 1)
    for n in range(12):
        add(library, f"Town{n}", start + timedelta(days=30 * n))
    made = []
    real = bot.library._statement
    monkeypatch.setattr(bot.library, "_statement", lambda r: made.append(r) or real(r))
    add(library, "Elsewhere", date(2027, 6, 1))
    assert len(made) <= 2  # the stored row read back, not the twelve others


@pytest.mark.parametrize(("days", "refused"), [(0, True), (3, True), (-3, True), (40, False)])
def test_a_near_duplicate_is_still_refused_within_days(library, days, refused):
    add(library, "Geneva", date(2026, 5, 4))
    retyped = BODY.format(place="Geneva").replace("  ", " ") + "\n\nShare this page"
    when = date(2026, 5, 4) + timedelta(days)
    draft = preview(retyped, title="River talks (web copy)", date=when)
    if refused:
        with pytest.raises(DuplicateStatement):
            library.add(draft, added_by="test")
    else:
        library.add(draft, added_by="test")
