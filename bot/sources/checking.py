"""Sources in the database, and the check that stores what is new.

A check (:func:`check_source`) polls the source (:func:`bot.sources.polling.poll`), and
for each item it has never seen: claims it by inserting its ``source_items`` row (the
unique (source, key) makes the claim exclusive across processes and restarts), applies
``--match`` to the title and summary, reads the linked page through the sandbox
(:func:`bot.fetch.read_source`), applies ``--kinds``, and stores it with
:meth:`bot.library.Library.add` (a near-duplicate of a held statement is recorded as
``duplicate`` of it, not added). Each item's outcome stays in its row.

A statement's date: the feed's date; else the page's own published date; else the
day it was fetched. The last two are recorded as guesses (``date_from``).

Each added statement is announced once: the process that sets its row's
``announced_at`` (``UPDATE … WHERE announced_at IS NULL``) posts it.

The first check of a source is its backfill: what the source lists already is not
news. The process whose ``UPDATE sources SET backfill = NULL WHERE backfill IS NOT
NULL`` succeeds inserts, in that same transaction, a row for every item listed then:
the ``backfill`` newest that pass ``--match`` are read and stored as ``backfilled``
(never announced); the others are recorded as ``skipped`` (never fetched) or
``filtered``. Every later check finds those rows, so only items that appear after the
first check are added and announced.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.fetch import is_url, read_source, redact_url
from bot.ingest import IngestError
from bot.kinds import KindError, parse_kind
from bot.library import Draft, DuplicateStatement, Library, LibraryError, preview_source
from bot.sources.items import Item, Listing
from bot.sources.listing import SelectorError, check_selector
from bot.sources.polling import (
    DEFAULT_INTERVAL,
    MIN_INTERVAL,
    PollError,
    next_check,
    poll,
)
from bot.store import DEFAULT_TEAM, Store, source_items_table, sources_table

__all__ = [
    "DEFAULT_BACKFILL",
    "MAX_BACKFILL",
    "MAX_ITEMS_PER_CHECK",
    "Announcement",
    "CheckReport",
    "ItemOutcome",
    "Source",
    "SourceError",
    "add_source",
    "announce_pending",
    "check_backfill",
    "check_due",
    "check_source",
    "get_source",
    "list_sources",
    "remove_source",
]

log = logging.getLogger(__name__)

#: New items read per check (the rest wait for the next check), oldest first.
MAX_ITEMS_PER_CHECK = 20
#: Items a new source already lists that its first check stores (newest first),
#: without announcing them; ``--backfill`` changes it, up to :data:`MAX_BACKFILL`.
DEFAULT_BACKFILL = 20
MAX_BACKFILL = 50
#: An item claimed this long ago and never finished (its process stopped) is taken over.
CLAIM_LEASE = timedelta(minutes=10)
#: Reads of an item whose page failed for now (429, 5xx, no answer) before it is
#: recorded as failed.
MAX_ITEM_ATTEMPTS = 3
_TRANSIENT = re.compile(
    r"answered HTTP (429|5\d\d)|no answer within|too many are being read at once|"
    r"took longer than|cannot be fetched"
)
#: A failed announcement waits this long before it is tried again.
ANNOUNCE_RETRY = timedelta(minutes=5)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class SourceError(ValueError):
    """Bad input for a source (a one-line reason)."""


@dataclass(frozen=True)
class Source:
    id: int
    team_id: str
    name: str
    url: str
    kind: str
    selector: str
    match: str
    kinds: tuple[str, ...]
    interval: timedelta
    allow_private: bool
    etag: str
    last_modified: str
    next_check_at: datetime
    last_checked_at: datetime | None
    failures: int
    last_error: str
    #: Items to store at the first check, unannounced; None once it is done.
    backfill: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": redact_url(self.url),
            "team_id": self.team_id,
            "kind": self.kind,
            "selector": self.selector,
            "match": self.match,
            "kinds": list(self.kinds),
            "interval_seconds": int(self.interval.total_seconds()),
            "next_check_at": self.next_check_at.isoformat(),
            "last_checked_at": self.last_checked_at.isoformat() if self.last_checked_at else None,
            "failures": self.failures,
            "last_error": self.last_error or None,
            "backfill_pending": self.backfill,
        }


def _source(r: Any) -> Source:
    return Source(
        id=r.id,
        team_id=r.team_id,
        name=r.name,
        url=r.url,
        kind=r.kind or "",
        selector=r.selector or "",
        match=r.match or "",
        kinds=tuple(k for k in (r.kinds or "").split(",") if k),
        interval=timedelta(seconds=r.interval_seconds),
        allow_private=bool(r.allow_private),
        etag=r.etag or "",
        last_modified=r.last_modified or "",
        next_check_at=r.next_check_at,
        last_checked_at=r.last_checked_at,
        failures=r.failures or 0,
        last_error=r.last_error or "",
        backfill=r.backfill,
    )


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one item: ``added``, ``backfilled`` (listed at the source's first
    check: stored, not announced), ``skipped`` (listed then, past ``--backfill``: never
    fetched), ``duplicate``, ``filtered``, ``failed`` (or, in a dry run, ``would add``
    and ``would backfill``)."""

    url: str
    title: str
    outcome: str
    doc_id: str | None = None
    detail: str = ""
    date_from: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "url": redact_url(self.url),
            "title": self.title,
            "outcome": self.outcome,
            "doc_id": self.doc_id,
            "detail": self.detail or None,
            "date_from": self.date_from or None,
        }

    def line(self) -> str:
        what = self.title or redact_url(self.url)
        if self.outcome == "added":
            return f"added {self.doc_id}: {what}"
        if self.outcome == "backfilled":
            return f"added (backfill, not announced) {self.doc_id}: {what}"
        if self.outcome == "would backfill":
            return f"would add (backfill, not announced): {what} ({self.detail})"
        if self.outcome == "skipped":
            return f"skipped (backfill): {what} ({self.detail})"
        if self.outcome == "duplicate":
            return f"duplicate of {self.doc_id}: {what}"
        if self.outcome == "would add":
            return f"would add: {what} ({self.detail})"
        if self.outcome == "filtered":
            return f"filtered out: {what} ({self.detail})"
        return f"failed: {what}: {self.detail}"


@dataclass
class CheckReport:
    source: str
    not_modified: bool = False
    error: str = ""
    items: list[ItemOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    waiting: int = 0  # new items left for the next check

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "not_modified": self.not_modified,
            "error": self.error or None,
            "items": [i.to_json() for i in self.items],
            "problems": self.problems,
            "waiting": self.waiting,
        }


@dataclass(frozen=True)
class Announcement:
    """A statement a source added, for its workspace's channel."""

    team_id: str
    source: str
    doc_id: str
    title: str
    clauses: int
    dated_items: int
    #: The earliest due date from today on, with its phrase as written (None if none).
    next_due: date | None
    next_due_expression: str
    date_guessed: bool


#: Posts one announcement; raises to say it failed (it is tried again at the next check).
Announcer = Callable[[Announcement], None]


# ----------------------------------------------------------------- sources themselves


def parse_kinds(text: str | None) -> tuple[str, ...]:
    """``joint-statement,communique`` -> the kinds; SourceError for an unknown one."""
    kinds = []
    for part in (text or "").split(","):
        if part.strip():
            try:
                kinds.append(parse_kind(part))
            except KindError as exc:
                raise SourceError(str(exc)) from None
    return tuple(dict.fromkeys(kinds))


def _name_from(url: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or "source"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", host.removeprefix("www.")).strip("-.")
    return name[:100] or "source"


def add_source(
    store: Store,
    url: str,
    *,
    name: str | None = None,
    match: str = "",
    kinds: str = "",
    selector: str = "",
    interval: timedelta = DEFAULT_INTERVAL,
    team_id: str = DEFAULT_TEAM,
    added_by: str = "cli",
    allow_private: bool = False,
    backfill: int = DEFAULT_BACKFILL,
    now: datetime | None = None,
) -> Source:
    """Follow ``url`` (first check due at once; it stores the ``backfill`` newest items
    listed then without announcing them). Raises :class:`SourceError`."""
    url = (url or "").strip()
    if not is_url(url) or len(url.split()) != 1:
        raise SourceError(f"{url[:100]!r} is not a web address (http:// or https://)")
    if not allow_private:
        from urllib.parse import urlsplit

        from bot.fetch import public_address

        host = urlsplit(url).hostname or ""
        if re.fullmatch(r"[0-9.]+|\[?[0-9a-fA-F:]+\]?", host) and not public_address(host):
            raise SourceError(f"{redact_url(url)} is not a public address")
    chosen = (name or "").strip() or _name_from(url)
    if not _NAME.match(chosen):
        raise SourceError(
            f"{chosen[:100]!r} is not a usable name: letters, digits, '.', '_' and '-' "
            "(at most 100), starting with a letter or digit"
        )
    if interval < MIN_INTERVAL:
        raise SourceError(f"the interval must be at least {int(MIN_INTERVAL.total_seconds())} s")
    check_backfill(backfill)
    kind_list = parse_kinds(kinds)
    if selector:
        try:
            check_selector(selector)
        except SelectorError as exc:
            raise SourceError(str(exc)) from None
    now = now or datetime.now(UTC)
    t = sources_table
    try:
        with store.engine.begin() as conn:
            conn.execute(
                insert(t).values(
                    team_id=team_id,
                    name=chosen,
                    url=url,
                    kind="",
                    selector=selector,
                    match=" ".join(match.split()),
                    kinds=",".join(kind_list),
                    interval_seconds=int(interval.total_seconds()),
                    allow_private=1 if allow_private else 0,
                    next_check_at=now,
                    failures=0,
                    added_by=added_by[:200],
                    added_at=now,
                    backfill=backfill,
                )
            )
    except IntegrityError:
        raise SourceError(
            f"a source named {chosen!r} exists already; pick another --name"
        ) from None
    found = get_source(store, chosen, team_id=team_id)
    assert found is not None
    return found


def check_backfill(backfill: object) -> int:
    """``backfill`` if it is a whole number from 0 to :data:`MAX_BACKFILL`, else
    SourceError."""
    if (
        isinstance(backfill, bool)
        or not isinstance(backfill, int)
        or not (0 <= backfill <= MAX_BACKFILL)
    ):
        raise SourceError(
            f"the backfill must be a whole number from 0 to {MAX_BACKFILL} "
            f"(existing items to store at the first check), not {str(backfill)[:20]!r}"
        )
    return backfill


def get_source(store: Store, name: str, *, team_id: str = DEFAULT_TEAM) -> Source | None:
    t = sources_table
    with store.engine.connect() as conn:
        r = conn.execute(select(t).where(t.c.team_id == team_id, t.c.name == name)).first()
    return _source(r) if r is not None else None


def list_sources(store: Store, *, team_id: str | None = DEFAULT_TEAM) -> list[Source]:
    """The sources of ``team_id`` (every workspace's with None), by name."""
    t = sources_table
    query = select(t).order_by(t.c.team_id, t.c.name)
    if team_id is not None:
        query = query.where(t.c.team_id == team_id)
    with store.engine.connect() as conn:
        return [_source(r) for r in conn.execute(query)]


def remove_source(store: Store, name: str, *, team_id: str = DEFAULT_TEAM) -> Source:
    """Stop following ``name`` (the statements it added stay). Raises SourceError."""
    found = get_source(store, name, team_id=team_id)
    if found is None:
        raise SourceError(f"no source named {name!r}; 'briefbot sources list' shows them")
    with store.engine.begin() as conn:
        conn.execute(delete(source_items_table).where(source_items_table.c.source_id == found.id))
        conn.execute(delete(sources_table).where(sources_table.c.id == found.id))
    return found


# ------------------------------------------------------------------------- checking


def _matches(source: Source, item: Item) -> bool:
    words = source.match.lower().split()
    haystack = f"{item.title} {item.summary}".lower()
    return all(w in haystack for w in words)


def _seen_keys(store: Store, source: Source, now: datetime) -> set[str]:
    """Keys of the items done or being read (a claim older than :data:`CLAIM_LEASE`
    that never finished does not count: its process stopped; nor does a ``retry``)."""
    t = source_items_table
    stale = (t.c.outcome == "claimed") & (t.c.claimed_at < now - CLAIM_LEASE)
    stale = stale | (t.c.outcome == "retry")
    with store.engine.connect() as conn:
        return set(
            conn.execute(select(t.c.item_key).where(t.c.source_id == source.id, ~stale)).scalars()
        )


def _item_key(item: Item) -> str:
    """The item's key as its row holds it (the column's length)."""
    return item.key[:500]


def _item_row(
    source: Source, item: Item, outcome: str, detail: str, now: datetime
) -> dict[str, Any]:
    """The values of an item's new row: claimed (being read) or done with ``outcome``."""
    return {
        "source_id": source.id,
        "item_key": _item_key(item),
        "url": item.url,
        "title": item.title[:500],
        "outcome": outcome,
        "detail": detail or None,
        "claimed_at": now,
        "done_at": None if outcome == "claimed" else now,
    }


def _claim_item(
    store: Store, source: Source, item: Item, outcome: str, detail: str = ""
) -> tuple[int, int, bool] | None:
    """Insert the item's row: (its id, the how-manieth read this is, whether it is a
    backfill item), or None when another process has it already."""
    now = datetime.now(UTC)
    try:
        with store.engine.begin() as conn:
            result = conn.execute(
                insert(source_items_table).values(**_item_row(source, item, outcome, detail, now))
            )
    except IntegrityError:
        return _take_over(store, source, item, outcome, detail, now)
    return int(result.inserted_primary_key[0]), 1, False


def _take_over(
    store: Store, source: Source, item: Item, outcome: str, detail: str, now: datetime
) -> tuple[int, int, bool] | None:
    """Take over an item to read again: a claim older than :data:`CLAIM_LEASE` that
    never finished, or a ``retry`` (one process wins the conditional update); None when
    the item is someone else's or done with."""
    t = source_items_table
    mine = (t.c.source_id == source.id) & (t.c.item_key == _item_key(item))
    again = ((t.c.outcome == "claimed") & (t.c.claimed_at < now - CLAIM_LEASE)) | (
        t.c.outcome == "retry"
    )
    with store.engine.begin() as conn:
        row = conn.execute(select(t.c.id, t.c.attempts, t.c.backfill).where(mine, again)).first()
        if row is None:
            return None
        taken = conn.execute(
            update(t)
            .where(t.c.id == row.id, again)
            .values(
                outcome=outcome,
                detail=detail or None,
                claimed_at=now,
                done_at=None if outcome == "claimed" else now,
                attempts=t.c.attempts + 1,
            )
        ).rowcount
    if taken != 1:
        return None
    return int(row.id), int(row.attempts) + 1, bool(row.backfill)


def _finish_item(store: Store, row_id: int, outcome: ItemOutcome) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(source_items_table)
            .where(source_items_table.c.id == row_id)
            .values(
                outcome=outcome.outcome,
                doc_id=outcome.doc_id,
                detail=outcome.detail or None,
                date_from=outcome.date_from or None,
                done_at=datetime.now(UTC),
            )
        )


def _draft(source: Source, item: Item, today: date) -> tuple[Draft, str]:
    """The item's statement and where its date came from. Raises IngestError."""
    raw = read_source(item.url, allow_private=source.allow_private)
    if item.published is not None:
        return preview_source(raw, date=item.published), "feed"
    draft = preview_source(raw)
    if draft.date is not None:
        return draft, "page"
    return preview_source(raw, date=today), "fetched"


def _read_item(
    library: Library, source: Source, item: Item, *, dry_run: bool, today: date
) -> tuple[ItemOutcome, Draft | None]:
    title = item.title
    try:
        draft, date_from = _draft(source, item, today)
    except IngestError as exc:
        return ItemOutcome(item.url, title, "failed", detail=str(exc)[:500]), None
    title = draft.title or title
    if source.kinds and draft.document.kind not in source.kinds:
        detail = f"a {draft.document.kind}, not one of {', '.join(source.kinds)}"
        return ItemOutcome(item.url, title, "filtered", detail=detail), None
    if dry_run:
        same = library.duplicate_of(draft)
        if same is not None:
            return ItemOutcome(item.url, title, "duplicate", same.existing_id), None
        detail = f"{draft.clauses} clauses, {len(draft.dated_items)} dated items"
        return ItemOutcome(item.url, title, "would add", detail=detail, date_from=date_from), draft
    try:
        stored = library.add(draft, added_by=f"source:{source.name}", team_id=source.team_id)
    except DuplicateStatement as exc:
        return ItemOutcome(item.url, title, "duplicate", exc.existing_id, date_from=date_from), None
    except LibraryError as exc:
        return ItemOutcome(item.url, title, "failed", detail=str(exc)[:500]), None
    return ItemOutcome(item.url, title, "added", stored.doc_id, date_from=date_from), draft


def check_source(
    library: Library,
    source: Source,
    *,
    dry_run: bool = False,
    announce: Announcer | None = None,
    now: datetime | None = None,
    deadline: float | None = None,
) -> CheckReport:
    """Check ``source`` once (see the module docstring). A dry run fetches and reads
    what is new but stores nothing (not even the source's check time)."""
    store = library.store
    now = now or datetime.now(UTC)
    report = CheckReport(source.name)
    try:
        listing: Listing = poll(
            source.url,
            etag="" if dry_run else source.etag,
            last_modified="" if dry_run else source.last_modified,
            selector=source.selector,
            allow_private=source.allow_private,
            deadline=deadline,
        )
    except PollError as exc:
        report.error = str(exc)
        if not dry_run:
            _after_check(store, source, now, error=str(exc), retry_after=exc.retry_after)
        return report
    report.not_modified = listing.not_modified
    report.problems = list(listing.problems)
    retries = 0  # items to read again at the next check
    done_now: set[str] = set()  # read by this check's backfill (a retry waits)
    if source.backfill is not None and not listing.not_modified:
        if dry_run:
            plan = _backfill_plan(source, listing.items)
        else:
            plan = _claim_backfill(store, source, listing.items)
        if plan is not None:
            retries += _run_backfill(library, source, plan, report, dry_run=dry_run, now=now)
            done_now = {item.key for item, _ in plan.keep}
    seen = _seen_keys(store, source, datetime.now(UTC)) | done_now
    others = 0  # items another process is reading
    new = [i for i in reversed(listing.items) if i.key not in seen]  # oldest first
    if dry_run and source.backfill is not None:
        new = []  # the first check's items are all the backfill's
    report.waiting = max(0, len(new) - MAX_ITEMS_PER_CHECK)
    for item in new[:MAX_ITEMS_PER_CHECK]:
        if not _matches(source, item):
            detail = _filtered_detail(source)
            if dry_run or _claim_item(store, source, item, "filtered", detail) is not None:
                report.items.append(ItemOutcome(item.url, item.title, "filtered", detail=detail))
            continue
        row_id, attempt, backfill = None, 1, False
        if not dry_run:
            claim = _claim_item(store, source, item, "claimed")
            if claim is None:
                others += 1
                continue  # another scheduler has it
            row_id, attempt, backfill = claim
        outcome, stored_as, draft = _read_and_record(
            library, source, item, row_id, attempt, dry_run=dry_run, now=now, backfill=backfill
        )
        retries += stored_as.outcome == "retry"
        report.items.append(outcome)
        if row_id is not None and outcome.outcome == "added" and draft is not None and announce:
            _announce_row(store, row_id, _announcement(source, outcome, draft, now), announce)
    if not dry_run:
        # The validators are kept only once every new item is done with: otherwise the
        # next check would get a 304 and never see the items left (past the cap, or
        # claimed by a process that may yet stop).
        complete = report.waiting == 0 and others == 0 and retries == 0
        _after_check(store, source, now, listing=listing, keep_validators=complete)
    return report


def _read_and_record(
    library: Library,
    source: Source,
    item: Item,
    row_id: int | None,
    attempt: int,
    *,
    dry_run: bool,
    now: datetime,
    backfill: bool,
) -> tuple[ItemOutcome, ItemOutcome, Draft | None]:
    """Read one claimed item and finish its row: (the outcome to report, the one stored,
    the draft when added). A backfill item that is added is ``backfilled``."""
    outcome, draft = _read_item(library, source, item, dry_run=dry_run, today=now.date())
    if backfill and outcome.outcome in ("added", "would add"):
        label = "backfilled" if outcome.outcome == "added" else "would backfill"
        outcome = replace(outcome, outcome=label)
    stored_as = outcome
    if (
        outcome.outcome == "failed"
        and _TRANSIENT.search(outcome.detail)
        and attempt < MAX_ITEM_ATTEMPTS
    ):
        outcome = replace(outcome, detail=f"{outcome.detail} (read again at the next check)")
        stored_as = replace(outcome, outcome="retry")
    if row_id is not None:
        _finish_item(store=library.store, row_id=row_id, outcome=stored_as)
    return outcome, stored_as, draft


@dataclass
class _Backfill:
    """The first check's items: ``keep`` are read and stored unannounced (with their row
    ids once claimed), ``skip`` recorded as seen and never fetched, ``filtered`` left
    out by ``--match``."""

    keep: list[tuple[Item, int | None]]
    skip: list[Item]
    filtered: list[Item]


def _newest_first(items: Sequence[Item]) -> list[Item]:
    """The items newest first: by their dates when every item has one, else in the
    source's own order (feeds and listing pages put the newest first)."""
    if items and all(i.published is not None for i in items):
        return sorted(items, key=lambda i: i.published or date.min, reverse=True)
    return list(items)


def _backfill_plan(source: Source, items: Sequence[Item]) -> _Backfill:
    plan = _Backfill([], [], [])
    keys: set[str] = set()
    for item in _newest_first(items):
        if item.key in keys:
            continue
        keys.add(item.key)
        if not _matches(source, item):
            plan.filtered.append(item)
        elif len(plan.keep) < (source.backfill or 0):
            plan.keep.append((item, None))
        else:
            plan.skip.append(item)
    plan.keep.reverse()  # read oldest first, as new items are
    return plan


def _filtered_detail(source: Source) -> str:
    return f"does not mention: {source.match}"


def _skip_detail(source: Source) -> str:
    return f"listed before the source was followed; past --backfill {source.backfill or 0}"


def _claim_backfill(store: Store, source: Source, items: Sequence[Item]) -> _Backfill | None:
    """Claim the source's first check (its ``backfill`` set to NULL) and, in the same
    transaction, a row for each item listed now; None when another process did."""
    plan = _backfill_plan(source, items)
    now = datetime.now(UTC)
    s, t = sources_table, source_items_table
    with store.engine.begin() as conn:
        won = conn.execute(
            update(s).where(s.c.id == source.id, s.c.backfill.is_not(None)).values(backfill=None)
        ).rowcount
        if won != 1:
            return None
        held = set(conn.execute(select(t.c.item_key).where(t.c.source_id == source.id)).scalars())

        def row(item: Item, outcome: str, detail: str = "") -> int | None:
            values = _item_row(source, item, outcome, detail, now)
            if values["item_key"] in held:
                return None
            held.add(values["item_key"])
            result = conn.execute(insert(t).values(**values, backfill=1))
            return int(result.inserted_primary_key[0])

        keep = [(item, row(item, "claimed")) for item, _ in plan.keep]
        for item in plan.skip:
            row(item, "skipped", _skip_detail(source))
        for item in plan.filtered:
            row(item, "filtered", _filtered_detail(source))
    return _Backfill([(i, r) for i, r in keep if r is not None], plan.skip, plan.filtered)


def _run_backfill(
    library: Library,
    source: Source,
    plan: _Backfill,
    report: CheckReport,
    *,
    dry_run: bool,
    now: datetime,
) -> int:
    """Read and store the backfill's items (none announced); report every item of the
    plan. The number to read again at the next check."""
    retries = 0
    for item in plan.filtered:
        detail = _filtered_detail(source)
        report.items.append(ItemOutcome(item.url, item.title, "filtered", detail=detail))
    for item, row_id in plan.keep:
        outcome, stored_as, _ = _read_and_record(
            library, source, item, row_id, 1, dry_run=dry_run, now=now, backfill=True
        )
        retries += stored_as.outcome == "retry"
        report.items.append(outcome)
    for item in plan.skip:
        report.items.append(
            ItemOutcome(item.url, item.title, "skipped", detail=_skip_detail(source))
        )
    return retries


def _after_check(
    store: Store,
    source: Source,
    now: datetime,
    *,
    listing: Listing | None = None,
    error: str = "",
    retry_after: float | None = None,
    keep_validators: bool = True,
) -> None:
    t = sources_table
    if listing is not None and not keep_validators:
        listing = replace(listing, etag="", last_modified="", not_modified=False)
    if listing is not None:
        values: dict[str, Any] = {
            "failures": 0,
            "last_error": None,
            "last_checked_at": now,
            "next_check_at": next_check(now, source.interval, 0),
        }
        if listing.kind:
            values["kind"] = listing.kind
        if listing.etag or not listing.not_modified:
            values["etag"] = listing.etag or None
        if listing.last_modified or not listing.not_modified:
            values["last_modified"] = listing.last_modified or None
    else:
        failures = source.failures + 1
        values = {
            "failures": failures,
            "last_error": error[:1000],
            "last_checked_at": now,
            "next_check_at": next_check(now, source.interval, failures, retry_after),
        }
    with store.engine.begin() as conn:
        conn.execute(update(t).where(t.c.id == source.id).values(**values))


def _claim_poll(store: Store, source: Source, now: datetime) -> bool:
    """Take this poll of ``source`` (moves its next check one interval on); False when
    another process took it first."""
    t = sources_table
    with store.engine.begin() as conn:
        done = conn.execute(
            update(t)
            .where(t.c.id == source.id, t.c.next_check_at <= now)
            .values(next_check_at=now + source.interval)
        ).rowcount
    return done == 1


def check_due(
    library: Library,
    *,
    announce: Announcer | None = None,
    now: datetime | None = None,
    team_ids: Sequence[str] | None = None,
) -> list[CheckReport]:
    """Check every source whose next check is due (each claimed, so two schedulers share
    the work), then post announcements that are still owed."""
    now = now or datetime.now(UTC)
    store = library.store
    t = sources_table
    query = select(t).where(t.c.next_check_at <= now).order_by(t.c.next_check_at)
    if team_ids is not None:
        query = query.where(t.c.team_id.in_(list(team_ids)))
    with store.engine.connect() as conn:
        due = [_source(r) for r in conn.execute(query)]
    reports = []
    for source in due:
        if not _claim_poll(store, source, now):
            continue
        try:
            reports.append(check_source(library, source, announce=announce, now=now))
        except Exception:  # one broken source must not stop the others
            log.exception("source %s: check failed", source.name)
    if announce is not None:
        announce_pending(library, announce, team_ids=team_ids)
    return reports


# --------------------------------------------------------------------- announcements


def _announcement(
    source: Source, outcome: ItemOutcome, draft: Draft, now: datetime
) -> Announcement:
    upcoming = sorted(
        (c for c in draft.dated_items if c.due is not None and c.due >= now.date()),
        key=lambda c: c.due or date.max,
    )
    first = upcoming[0] if upcoming else None
    return Announcement(
        team_id=source.team_id,
        source=source.name,
        doc_id=outcome.doc_id or draft.doc_id,
        title=draft.title,
        clauses=draft.clauses,
        dated_items=len(draft.dated_items),
        next_due=first.due if first else None,
        next_due_expression=first.expression if first else "",
        date_guessed=outcome.date_from in ("page", "fetched"),
    )


def _announce_row(store: Store, row_id: int, note: Announcement, announce: Announcer) -> bool:
    """Post ``note`` if this process claims the row's announcement; True when posted."""
    t = source_items_table
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        claimed = conn.execute(
            update(t).where(t.c.id == row_id, t.c.announced_at.is_(None)).values(announced_at=now)
        ).rowcount
    if claimed != 1:
        return False
    try:
        announce(note)
    except Exception as exc:
        log.warning("announcing %s failed (tried again at the next check): %s", note.doc_id, exc)
        with store.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == row_id)
                .values(
                    announced_at=None,
                    announce_error=str(exc)[:500],
                    announce_after=datetime.now(UTC) + ANNOUNCE_RETRY,
                )
            )
        return False
    return True


def announce_pending(
    library: Library,
    announce: Announcer,
    *,
    team_ids: Sequence[str] | None = None,
    now: datetime | None = None,
) -> int:
    """Post the announcements still owed (a statement added by ``briefbot sources
    check`` without Slack, a process that stopped between storing and posting, a post
    that failed :data:`ANNOUNCE_RETRY` ago or more); the number posted."""
    from bot.commitments import extract
    from bot.reading.clauses import segment

    store = library.store
    now = now or datetime.now(UTC)
    i, s = source_items_table, sources_table
    query = (
        select(i.c.id, i.c.doc_id, i.c.date_from, s)
        .join(s, s.c.id == i.c.source_id)
        .where(i.c.outcome == "added", i.c.announced_at.is_(None))
        .where(i.c.announce_after.is_(None) | (i.c.announce_after <= now))
        .order_by(i.c.id)
    )
    if team_ids is not None:
        query = query.where(s.c.team_id.in_(list(team_ids)))
    with store.engine.connect() as conn:
        rows = list(conn.execute(query))
    posted = 0
    today = datetime.now(UTC).date()
    for row in rows:
        stored = library.get(row.doc_id) if row.doc_id else None
        if stored is None:  # removed since: nothing to announce
            with store.engine.begin() as conn:
                conn.execute(
                    update(i)
                    .where(i.c.id == row.id, i.c.announced_at.is_(None))
                    .values(announced_at=datetime.now(UTC), announce_error="removed before")
                )
            continue
        doc = stored.document()
        clauses = segment(doc)
        dated = extract(doc, clauses)
        upcoming = sorted((c for c in dated if c.due and c.due >= today), key=lambda c: c.due)
        note = Announcement(
            team_id=row.team_id,
            source=row.name,
            doc_id=stored.doc_id,
            title=doc.title,
            clauses=len(clauses),
            dated_items=len(dated),
            next_due=upcoming[0].due if upcoming else None,
            next_due_expression=upcoming[0].expression if upcoming else "",
            date_guessed=row.date_from in ("page", "fetched"),
        )
        posted += _announce_row(store, row.id, note, announce)
    return posted
