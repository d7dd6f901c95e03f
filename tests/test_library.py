"""The statement library (bot/library.py) and the served snapshot (bot/live.py) on SQLite."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from bot.config import Settings
from bot.ingest import IngestError
from bot.library import (
    BundledStatement,
    DuplicateStatement,
    Library,
    LibraryError,
    UnknownStatement,
    preview,
)
from bot.live import CorpusWatcher
from bot.reading.documents import load_corpus
from bot.services import build_services
from bot.store import Store

CABLES = (
    "Joint Statement on Undersea Cables\n\n"
    "Lisbon, 3 March 2026\n\n"
    "1. Portugal and Norway share an interest in secure undersea cables that carry the "
    "world's data.\n\n"
    "2. The two sides will complete a joint survey of undersea cable routes in the North "
    "Atlantic by the end of 2027.\n\n"
    "3. They call on industry to report cable faults within 24 hours.\n"
)

CABLES_FIXED = CABLES.replace("by the end of 2027", "by the end of 2028")


@pytest.fixture
def settings(tmp_path, corpus_dir):
    return Settings.from_env(
        {
            "BRIEFBOT_CORPUS": str(corpus_dir),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'lib.db'}",
        }
    )


@pytest.fixture
def corpus_dir():
    from paths import CORPUS

    return CORPUS


@pytest.fixture
def library(settings):
    store = Store(settings.database_url)
    yield Library(store, load_corpus(settings.corpus_dir))
    store.close()


def test_preview_infers_metadata_counts_clauses_and_dated_items_without_saving(library):
    draft = preview(CABLES)
    assert draft.title == "Joint Statement on Undersea Cables"
    assert draft.date == date(2026, 3, 3)
    assert draft.clauses == 3
    assert [(d.expression, d.due) for d in draft.dated_items] == [
        ("by the end of 2027", date(2027, 12, 31))
    ]
    assert draft.doc_id.startswith("2026-03-03_")
    assert "undersea cable routes in the North Atlantic" in draft.body  # verbatim
    assert library.list_statements() == [] and library.corpus_version() == 0


def test_preview_takes_given_metadata_over_inference():
    draft = preview(
        CABLES, title="Cables", short_title="Cables", date=date(2026, 3, 4), parties=["Norway"]
    )
    assert (draft.title, draft.short_title, draft.date, draft.parties) == (
        "Cables",
        "Cables",
        date(2026, 3, 4),
        ("Norway",),
    )
    assert not {"title", "date", "parties"} & set(draft.inferred)


def test_empty_text_is_refused_with_a_reason():
    with pytest.raises(IngestError, match="empty"):
        preview("   \n")


def test_add_stores_verbatim_text_metadata_and_who(library):
    draft = preview(CABLES, parties=["Portugal", "Norway"])
    stored = library.add(draft, added_by="U0EDITOR")
    assert stored.doc_id == draft.doc_id and stored.version == 1 and stored.live
    assert stored.body == draft.body and stored.checksum == draft.checksum
    assert stored.parties == ("Portugal", "Norway") and stored.added_by == "U0EDITOR"
    assert library.corpus_version() == 1
    assert [s.doc_id for s in library.list_statements()] == [stored.doc_id]


def test_same_text_twice_is_refused_with_the_existing_id(library):
    first = library.add(preview(CABLES), added_by="a")
    with pytest.raises(DuplicateStatement) as exc:
        library.add(preview(CABLES, title="Another title"), added_by="b")
    assert exc.value.existing_id == first.doc_id
    assert library.corpus_version() == 1


def test_a_bundled_text_is_a_duplicate_too(library):
    bundled = library.bundled.documents[0]
    with pytest.raises(DuplicateStatement) as exc:
        library.add(preview(bundled.body, title=bundled.title), added_by="a")
    assert exc.value.existing_id == bundled.doc_id and exc.value.bundled


def test_ids_never_collide_with_bundled_or_earlier_ids(library):
    bundled_id = library.bundled.documents[0].doc_id
    date_part, _ = bundled_id.split("_", 1)
    taken_title = bundled_id.split("_", 1)[1].replace("-", " ")
    text = f"{taken_title}\n\nBeijing, 1 January 2030\n\nThe two sides will meet in 2031.\n"
    draft = preview(text, short_title=taken_title, date=date.fromisoformat(date_part))
    assert draft.doc_id == bundled_id  # what the name would be
    first = library.add(draft, added_by="a")
    assert first.doc_id == f"{bundled_id}-2"
    library.remove(first.doc_id, by="a")
    second = library.add(draft, added_by="a")  # removed ids are not reused either
    assert second.doc_id == f"{bundled_id}-3"


def test_replace_keeps_the_id_and_the_old_version(library):
    old = library.add(preview(CABLES), added_by="a")
    new = library.replace(old.doc_id, preview(CABLES_FIXED), added_by="b")
    assert (new.doc_id, new.version, new.added_by) == (old.doc_id, 2, "b")
    history = library.history(old.doc_id)
    assert [(h.version, h.live, h.superseded_by) for h in history] == [
        (1, False, new.row_id),
        (2, True, None),
    ]
    assert library.get(old.doc_id).body == new.body
    assert library.corpus_version() == 2
    with pytest.raises(LibraryError, match="nothing changed"):
        library.replace(old.doc_id, preview(CABLES_FIXED), added_by="b")
    # Same text, corrected metadata: a new version too.
    third = library.replace(old.doc_id, preview(CABLES_FIXED, parties=["Norway"]), added_by="c")
    assert (third.version, third.parties, third.body) == (3, ("Norway",), new.body)
    # Another statement's text cannot be taken over by a replacement.
    other = library.add(preview(CABLES.replace("Lisbon", "Porto")), added_by="a")
    with pytest.raises(DuplicateStatement) as exc:
        library.replace(other.doc_id, preview(CABLES_FIXED), added_by="b")
    assert exc.value.existing_id == old.doc_id


def test_remove_keeps_history_and_refuses_unknown_and_bundled(library):
    stored = library.add(preview(CABLES), added_by="a")
    gone = library.remove(stored.doc_id, by="U0EDITOR")
    assert gone.removed_at is not None and gone.removed_by == "U0EDITOR" and not gone.live
    assert library.list_statements() == []
    assert len(library.list_statements(include_history=True)) == 1
    with pytest.raises(UnknownStatement):
        library.remove(stored.doc_id, by="a")
    with pytest.raises(BundledStatement):
        library.remove(library.bundled.documents[0].doc_id, by="a")
    # Removed text may be added again (a new id: ids are never reused).
    again = library.add(preview(CABLES), added_by="a")
    assert again.doc_id == f"{stored.doc_id}-2"


def test_export_writes_corpus_files_that_load_as_the_same_documents(library, tmp_path):
    stored = library.add(preview(CABLES, parties=["Portugal", "Norway"]), added_by="a")
    (path,) = library.export(tmp_path / "out")
    loaded = load_corpus(tmp_path / "out")
    assert loaded.warnings == []
    (doc,) = loaded.documents
    assert path.name == f"{stored.doc_id}.md"
    expected = stored.document()
    for name in ("doc_id", "title", "short_title", "date", "body", "source", "parties", "kind"):
        assert getattr(doc, name) == getattr(expected, name), name
    from bot.reading.clauses import segment

    assert [c.clause_id for c in segment(doc)] == [c.clause_id for c in segment(stored.document())]


def test_services_serve_bundled_plus_stored_and_follow_changes(settings):
    services = build_services(settings)
    before = len(services.corpus.documents)
    assert services.snapshot.version == 0
    library = services.library
    stored = library.add(preview(CABLES), added_by="a")
    assert services.refresh() is True
    assert services.refresh() is False  # same version: nothing rebuilt
    assert len(services.corpus.documents) == before + 1
    hit = services.index.search("survey of undersea cable routes", limit=1).hits[0]
    assert hit.clause.doc_id == stored.doc_id
    assert [c.due for c in services.commitments if c.doc_id == stored.doc_id] == [
        date(2027, 12, 31)
    ]
    rows = {r["doc_id"]: r["origin"] for r in services.document_rows()}
    assert rows[stored.doc_id] == "added"
    assert set(rows.values()) == {"added", "bundled"}

    library.replace(stored.doc_id, preview(CABLES_FIXED), added_by="b")
    services.refresh()
    assert [c.due for c in services.commitments if c.doc_id == stored.doc_id] == [
        date(2028, 12, 31)
    ]
    library.remove(stored.doc_id, by="b")
    services.refresh()
    assert len(services.corpus.documents) == before
    assert [c for c in services.commitments if c.doc_id == stored.doc_id] == []
    assert services.fresh_commitments() is services.commitments


TREATY = CABLES.replace("Undersea Cables", "Fisheries").replace("cable", "fish")


def test_a_snapshot_reads_only_the_statements_it_has_not_read(library):
    first = library.add(preview(CABLES), added_by="a")
    _, rows = library.snapshot()
    known = {s.row_id: s for s in rows}
    second = library.add(preview(TREATY), added_by="a")
    _, again = library.snapshot(known)
    assert [s.doc_id for s in again] == [first.doc_id, second.doc_id]
    assert again[0] is known[first.row_id]  # not read again
    assert again[1].body == second.body
    # A new version is a new row; a removed statement leaves the live set.
    library.replace(first.doc_id, preview(CABLES_FIXED), added_by="b")
    known = {s.row_id: s for s in again}
    _, after = library.snapshot(known)
    assert [(s.doc_id, s.version) for s in after] == [(second.doc_id, 1), (first.doc_id, 2)]
    assert after[0] is known[second.row_id] and "2028" in after[1].body
    library.remove(second.doc_id, by="b")
    _, last = library.snapshot({s.row_id: s for s in after})
    assert [s.doc_id for s in last] == [first.doc_id]
    assert library.snapshot()[1] == last  # the same as reading everything


def test_a_refresh_reuses_the_documents_of_unchanged_statements(settings):
    services = build_services(settings)
    library = services.library
    first = library.add(preview(CABLES), added_by="a")
    services.refresh()
    doc = services.corpus.get(first.doc_id)
    library.add(preview(TREATY), added_by="a")
    services.refresh()
    assert services.corpus.get(first.doc_id) is doc
    assert len([d for d in services.corpus.documents if d.path.startswith("db:")]) == 2


def test_a_query_never_waits_for_a_rebuild(settings, monkeypatch):
    services = build_services(settings)
    old = services.snapshot
    started, release = threading.Event(), threading.Event()
    import bot.services as services_module

    real_build = services_module.build_snapshot

    def slow_build(*args, **kwargs):
        started.set()
        release.wait(10)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(services_module, "build_snapshot", slow_build)
    services.library.add(preview(CABLES), added_by="a")
    rebuild = threading.Thread(target=services.refresh)
    rebuild.start()
    assert started.wait(5)
    t0 = time.perf_counter()
    result = services.index.search("navigation Heixiazi", limit=1)
    waited = time.perf_counter() - t0
    assert result.hits and waited < 2.0
    assert services.snapshot is old  # still the old one while building
    release.set()
    rebuild.join(10)
    assert services.snapshot is not old and services.snapshot.version == 1


def test_two_quick_refreshes_encode_new_clauses_once(settings, monkeypatch):
    """The vectors of new clauses are encoded after the swap, one refresh at a time; a
    refresh overtaken by a newer one leaves the encoding to it."""
    import bot.services as services_module

    services = build_services(settings)
    encoded: list[object] = []

    def fake_attach(index, _settings, *, encode=True):
        if not encode:
            return 3  # "3 clauses have no vector yet"
        encoded.append(index)
        return 0

    monkeypatch.setattr(services_module, "attach_sentences", fake_attach)
    services._encode_lock.acquire()  # the first refresh's encoding must wait
    first = threading.Thread(target=services.refresh)
    try:
        services.library.add(preview(CABLES), added_by="a")
        first.start()
        deadline = time.monotonic() + 10
        while services.snapshot.version != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        services.library.add(preview(CABLES.replace("Portugal", "Spain")), added_by="a")
        second = threading.Thread(target=services.refresh)
        second.start()
        while services.snapshot.version != 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert services.snapshot.version == 2
    finally:
        services._encode_lock.release()
    first.join(10)
    second.join(10)
    assert encoded == [services.snapshot.index]  # once, for the newest snapshot


def test_watcher_thread_picks_up_a_change_from_another_connection(settings):
    services = build_services(settings)
    watcher = CorpusWatcher(services, interval=0.1).start()
    try:
        other = Library(Store(settings.database_url), services.bundled)
        stored = other.add(preview(CABLES), added_by="elsewhere")
        deadline = time.monotonic() + 10
        while stored.doc_id not in services.snapshot.added_ids:
            assert time.monotonic() < deadline, "the watcher never swapped"
            time.sleep(0.05)
    finally:
        watcher.stop()


def test_watcher_survives_a_broken_database(settings, caplog):
    services = build_services(settings)

    class Broken:
        def corpus_version(self):
            from sqlalchemy.exc import OperationalError

            raise OperationalError("select", {}, Exception("gone"))

    services.__class__ = type("S", (services.__class__,), {"library": property(lambda s: Broken())})
    watcher = CorpusWatcher(services, interval=60)
    assert watcher.check() is False and watcher.check() is False
    assert sum("corpus version check failed" in r.message for r in caplog.records) == 1
    assert services.index.search("navigation Heixiazi").hits


def test_snapshot_dated_items_equal_a_full_extraction_and_reuse_unchanged_ones(settings):
    from bot.commitments import extract_all
    from bot.live import build_snapshot
    from bot.services import CURATED_FILE

    bundled = load_corpus(settings.corpus_dir)
    curated = settings.corpus_dir / CURATED_FILE
    first = build_snapshot(bundled, curated=curated)
    expected = extract_all(bundled.documents, first.index.clauses, curated, [])
    assert list(first.commitments) == expected
    added = preview(CABLES).document
    second = build_snapshot(bundled, [added], curated=curated, previous=first)
    for doc in bundled.documents:
        assert second.extracted[doc] is first.extracted[doc]  # reused, not re-extracted
    assert list(second.commitments) == extract_all(
        [*bundled.documents, added], second.index.clauses, curated, []
    )


def test_a_server_whose_database_is_down_at_start_catches_up_later(settings, monkeypatch):
    from sqlalchemy.exc import OperationalError

    Library(Store(settings.database_url)).add(preview(CABLES), added_by="before")

    def down(self):
        raise OperationalError("select", {}, Exception("connection refused"))

    monkeypatch.setattr(Library, "snapshot", down)
    services = build_services(settings, lazy_store=True)
    assert services.snapshot.version is None and not services.snapshot.added_ids
    monkeypatch.undo()
    assert services.refresh() is True
    assert services.snapshot.version == 1 and len(services.snapshot.added_ids) == 1


def test_removal_stops_reminders_but_keeps_status_history(settings):
    from datetime import UTC, datetime

    from bot.reminders import plan

    services = build_services(settings)
    stored = services.library.add(preview(CABLES), added_by="a")
    services.refresh()
    (item,) = [c for c in services.fresh_commitments() if c.doc_id == stored.doc_id]
    services.record_status(item.id, "in_progress", actor="U0ANALYST")
    when = datetime(2027, 12, 31, 9, 0, tzinfo=UTC)  # its due date, at reminder time

    def keys() -> set[str]:
        p = plan(
            services.fresh_commitments(),  # what the scheduler tick does
            services.statuses(),
            now=when,
            settings=settings,
            store=services.store,
        )
        return {r.commitment.id for r in [*p.post, *p.summarize, *p.skip]}

    assert item.id in keys()
    services.library.remove(stored.doc_id, by="U0EDITOR")
    assert item.id not in keys()
    assert [h.status for h in services.store.history(item.id)] == ["in_progress"]
