"""The database: commitment status history, the reminder ledger and a small key/value table.

SQLAlchemy 2.x Core. SQLite by default (a file under ``./var/``, WAL mode, busy timeout),
PostgreSQL when the URL says so (``postgresql+psycopg://…``).

The reminder ledger is the source of truth for "has this reminder been posted?". Posting
goes through :meth:`Store.claim`, an atomic compare-and-set (``INSERT … ON CONFLICT DO
NOTHING`` or a conditional ``UPDATE`` checked by its row count), so any number of threads,
processes or machines sharing one database post each reminder at most once per claim.

All instants are timezone-aware UTC on the way in and on the way out, whatever the backend
stores (SQLite keeps naive UTC text, PostgreSQL ``timestamptz``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from bot.commitments import STATUSES

__all__ = [
    "DEFAULT_TEAM",
    "FINAL_STATES",
    "REMINDER_KINDS",
    "REMINDER_STATES",
    "DatabaseUnavailable",
    "ReminderRow",
    "StatusChange",
    "Store",
    "database_problem",
    "private_dir",
    "private_file",
    "safe_url",
]

log = logging.getLogger(__name__)

#: Kinds of ledger rows: a reminder before/at the due date, the day-after reminder, and a
#: row recording a summary message (see :func:`bot.reminders.run_due`).
REMINDER_KINDS = ("lead", "overdue", "summary")
#: Ledger states. ``claimed`` = someone holds the right to post until ``lease_expires``.
REMINDER_STATES = ("claimed", "sent", "failed", "skipped", "summarized")
#: States that are never left again: the reminder is done with.
FINAL_STATES = frozenset({"sent", "skipped", "summarized"})

_SQLITE_BUSY_TIMEOUT_MS = 10_000

#: The workspace key of single-workspace mode (a bot token, the CLI, the console), and of
#: every row made before workspace state carried a team id. Never a Slack team id (those
#: are upper case), so a workspace installed later cannot read these rows.
DEFAULT_TEAM = "default"


class DatabaseUnavailable(SQLAlchemyError):
    """The database failed to open moments ago; callers are not made to wait on it again."""


#: After the database failed to open, how long before the next attempt (seconds).
_RETRY_AFTER_SECONDS = 10.0


def database_problem(exc: BaseException, url: str) -> str | None:
    """One line saying why the database at ``url`` could not be used, or None when
    ``exc`` is not a database error. The password never appears."""
    from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

    if isinstance(exc, NoSuchModuleError | ModuleNotFoundError):
        return f"DATABASE_URL: no driver installed for {safe_url(url)}"
    if not isinstance(exc, SQLAlchemyError):
        return None
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    first = re.sub(r"(password=)\S+", r"\1***", first)[:200]
    if "timeout" in first.lower() or "timed out" in first.lower():
        return f"DATABASE_URL: cannot open {safe_url(url)}: it did not answer in time ({first})"
    return f"DATABASE_URL: cannot open {safe_url(url)} ({first})"


def safe_url(url: str) -> str:
    """The database URL with any password masked, fit for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Not a URL SQLAlchemy understands: mask anything between "://user:" and "@".
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
        value = value.astimezone(UTC)
        # SQLite stores text without an offset: keep naive UTC so text order = time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: Advisory lock id that serialises table creation on PostgreSQL.
_DDL_LOCK = 0x62726966

metadata = MetaData()

status_table = Table(
    "commitment_status",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commitment_id", String(200), nullable=False, index=True),
    Column("status", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("note", Text, nullable=True),
    Column("changed_at", UTCDateTime, nullable=False),
    #: The workspace whose status this is (:data:`DEFAULT_TEAM` in single-workspace mode).
    Column(
        "team_id", String(40), nullable=False, default=DEFAULT_TEAM, server_default=DEFAULT_TEAM
    ),
    Index("ix_commitment_status_team", "team_id", "commitment_id"),
)

reminders_table = Table(
    "reminders",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("commitment_id", String(200), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("fire_at", UTCDateTime, nullable=False),
    Column("state", String(20), nullable=False, index=True),
    Column("owner", String(200), nullable=True),
    Column("lease_expires", UTCDateTime, nullable=True),
    # For failed rows: not retried before this instant (None = at the next run).
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("channel", String(100), nullable=True),
    Column("message_ts", String(40), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

deliveries_table = Table(
    "deliveries",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("seen_at", UTCDateTime, nullable=False, index=True),
)

#: Per-workspace settings (install into many workspaces): set by a workspace admin in
#: App Home; a NULL column falls back to the environment variable.
workspace_settings_table = Table(
    "workspace_settings",
    metadata,
    Column("team_id", String(40), primary_key=True),
    Column("reminder_channel", String(100), nullable=True),
    Column("timezone", String(100), nullable=True),
    Column("reminder_kinds", String(200), nullable=True),
    Column("updated_by", String(200), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Editors a workspace admin named in App Home (besides ``BRIEFBOT_EDITORS``): who may
#: add, replace and remove that workspace's statements.
workspace_editors_table = Table(
    "workspace_editors",
    metadata,
    Column("team_id", String(40), primary_key=True),
    Column("user_id", String(40), primary_key=True),
    Column("added_by", String(200), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
)

meta_table = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

#: Statements added at run time (see bot/library.py). One row per version: a replacement
#: is a new row and the old one gets ``superseded_by``; a removal sets ``removed_at``.
#: ``live_doc_id`` / ``live_checksum`` are set only on the live row of a statement, so
#: their unique constraints refuse a second live copy even when two processes race.
statements_table = Table(
    "statements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("doc_id", String(200), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("live_doc_id", String(200), nullable=True, unique=True),
    Column("live_checksum", String(64), nullable=True, unique=True),
    Column("checksum", String(64), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("short_title", Text, nullable=False, default=""),
    Column("date", String(10), nullable=True),
    Column("parties", Text, nullable=False, default="[]"),
    Column("source", Text, nullable=False, default=""),
    Column("kind", String(40), nullable=False, default="statement"),
    Column("body", Text, nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("superseded_by", Integer, nullable=True),
    Column("removed_at", UTCDateTime, nullable=True),
    Column("removed_by", String(200), nullable=True),
    #: What cleaning removed as debris: a JSON list of {"text", "reason"}.
    Column("removed", Text, nullable=False, default="[]", server_default="[]"),
    #: The workspace that added it (:data:`DEFAULT_TEAM`: the operator's command line or
    #: the single workspace; served to every workspace).
    Column(
        "team_id", String(40), nullable=False, default=DEFAULT_TEAM, server_default=DEFAULT_TEAM
    ),
    UniqueConstraint("doc_id", "version", name="uq_statements_doc_version"),
    # The near-duplicate check of every add reads the statements dated a few days
    # around the new one: without it, a scan of the whole table (10 ms at 6,700).
    Index("ix_statements_date", "date"),
)

#: Sources a workspace follows (bot/sources): an RSS/Atom feed or a listing page, polled
#: by the clock process. ``next_check_at`` is also the claim of one poll: a scheduler
#: moves it forward with ``UPDATE … WHERE next_check_at <= now`` before fetching, so two
#: schedulers on one database never poll the same source at once.
sources_table = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(40), nullable=False, default=DEFAULT_TEAM),
    Column("name", String(100), nullable=False),
    Column("url", Text, nullable=False),
    #: ``feed`` or ``listing`` (decided at the first check; "" until then).
    Column("kind", String(20), nullable=False, default=""),
    #: A CSS selector for a listing page's statement links ("" = the page's own links).
    Column("selector", Text, nullable=False, default=""),
    #: Words an item's title or summary must all contain ("" = every item).
    Column("match", Text, nullable=False, default=""),
    #: Comma-separated statement kinds kept ("" = every kind).
    Column("kinds", Text, nullable=False, default=""),
    Column("interval_seconds", Integer, nullable=False),
    #: Loopback and private addresses allowed (added from the command line only).
    Column("allow_private", Integer, nullable=False, default=0),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("next_check_at", UTCDateTime, nullable=False),
    Column("last_checked_at", UTCDateTime, nullable=True),
    #: Failed checks in a row (0 after a good one): the backoff grows with it.
    Column("failures", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("added_by", String(200), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    #: How many of the items listed at the first check to store (without announcing
    #: them); NULL once that first check has claimed them.
    Column("backfill", Integer, nullable=True),
    UniqueConstraint("team_id", "name", name="uq_sources_team_name"),
)

#: Each item a source listed, once: the row is inserted (the claim) before the item is
#: fetched, and its unique (source, key) makes several schedulers handle it exactly
#: once. ``outcome``: ``claimed`` (being read), ``added`` (``doc_id``), ``duplicate``
#: (of ``doc_id``), ``filtered``, ``failed`` (``detail`` says why) or ``retry`` (failed
#: for now: read again at a later check).
source_items_table = Table(
    "source_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", Integer, nullable=False),
    Column("item_key", String(500), nullable=False),
    Column("url", Text, nullable=False, default=""),
    Column("title", Text, nullable=False, default=""),
    Column("outcome", String(20), nullable=False),
    Column("doc_id", String(200), nullable=True),
    Column("detail", Text, nullable=True),
    #: Where the statement's date came from: ``feed``, ``page`` or ``fetched`` (the
    #: last two are guesses).
    Column("date_from", String(20), nullable=True),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime, nullable=True),
    #: Reads of the item so far (``retry``: a 429, a 5xx or a timeout, read again at a
    #: later check, a few times at most).
    Column("attempts", Integer, nullable=False, default=1),
    #: Set once, by the process that posts the announcement (its claim).
    Column("announced_at", UTCDateTime, nullable=True),
    Column("announce_error", Text, nullable=True),
    #: After a failed post: not tried again before this instant.
    Column("announce_after", UTCDateTime, nullable=True),
    #: 1 for an item the source listed at its first check (stored, never announced).
    Column("backfill", Integer, nullable=False, default=0),
    UniqueConstraint("source_id", "item_key", name="uq_source_items_key"),
)

#: Columns added to existing tables since they were first created, as (table, column,
#: SQL type and default): ``Store`` adds any that is missing when it starts, so a
#: database made by an older briefbot keeps working. Append only; never reorder.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("statements", "removed", "TEXT NOT NULL DEFAULT '[]'"),
    ("commitment_status", "team_id", f"VARCHAR(40) NOT NULL DEFAULT '{DEFAULT_TEAM}'"),
    ("statements", "team_id", f"VARCHAR(40) NOT NULL DEFAULT '{DEFAULT_TEAM}'"),
    ("sources", "backfill", "INTEGER"),
    ("source_items", "backfill", "INTEGER NOT NULL DEFAULT 0"),
)

#: Indexes added since their tables were first made (on :data:`ADDED_COLUMNS` or not),
#: created at start-up when missing (a table made by an older briefbot has none of
#: them). Append only.
ADDED_INDEXES: tuple[str, ...] = ("ix_commitment_status_team", "ix_statements_date")

#: One row (id 1): bumped in the same transaction as every change to ``statements``, so
#: every process can tell cheaply whether its index is current.
corpus_version_table = Table(
    "corpus_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

#: Raw statement text between the preview and the save of Slack's "Add a statement"
#: modal (bot.adding): too long for a modal's private_metadata, and read back by
#: whichever process receives the save. Rows expire after an hour.
pending_statements_table = Table(
    "pending_statements",
    metadata,
    Column("token", String(64), primary_key=True, autoincrement=False),
    Column("user_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("url", Text, nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class StatusChange:
    """One row of a commitment's status history."""

    commitment_id: str
    status: str
    actor: str
    note: str | None
    changed_at: datetime


@dataclass(frozen=True)
class ReminderRow:
    """One row of the reminder ledger."""

    key: str
    commitment_id: str
    kind: str
    fire_at: datetime
    state: str
    owner: str | None
    lease_expires: datetime | None
    next_attempt_at: datetime | None
    attempts: int
    last_error: str | None
    channel: str | None
    message_ts: str | None
    updated_at: datetime


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _row(r: Any) -> ReminderRow:
    return ReminderRow(
        key=r.key,
        commitment_id=r.commitment_id,
        kind=r.kind,
        fire_at=r.fire_at,
        state=r.state,
        owner=r.owner,
        lease_expires=r.lease_expires,
        next_attempt_at=r.next_attempt_at,
        attempts=r.attempts,
        last_error=r.last_error,
        channel=r.channel,
        message_ts=r.message_ts,
        updated_at=r.updated_at,
    )


def _add_missing_columns(conn: Connection) -> None:
    """``ALTER TABLE … ADD COLUMN`` for each of :data:`ADDED_COLUMNS` the database lacks
    (SQLite and PostgreSQL both add a NOT NULL column with a constant default in place).
    Two processes racing on SQLite: the loser's "duplicate column" is retried by
    :meth:`Store._create_all`, and the retry finds the column."""
    inspector = inspect(conn)
    for table, column, ddl in ADDED_COLUMNS:
        if column in {c["name"] for c in inspector.get_columns(table)}:
            continue
        log.info("database: adding column %s.%s (made by an older briefbot)", table, column)
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))
    wanted = set(ADDED_INDEXES)
    for table in metadata.sorted_tables:
        for index in table.indexes:
            if index.name in wanted and index.name not in {
                i["name"] for i in inspector.get_indexes(table.name)
            }:
                index.create(conn, checkfirst=True)


class Store:
    """The briefbot database. ``Store(url)`` connects and creates missing tables.

    Thread-safe: every method runs in its own short transaction on a pooled connection.
    """

    def __init__(
        self, url: str, *, echo: bool = False, timeout: float = 5.0, lazy: bool = False
    ) -> None:
        """Connect and create missing tables; with ``lazy=True`` that waits for the first
        use (a server then starts, and searches, while its database is down)."""
        self.url = url
        self.timeout = timeout
        self._engine: Engine = _make_engine(url, echo=echo, timeout=timeout)
        self._deliveries = 0
        self._ready = False
        self._ready_lock = threading.Lock()
        self._down_until = 0.0
        if not lazy:
            self.create_all()

    @property
    def engine(self) -> Engine:
        """The engine, once the tables exist (created on first use when lazy)."""
        if not self._ready:
            self.create_all()
        return self._engine

    def __repr__(self) -> str:
        return f"Store({safe_url(self.url)!r})"

    def create_all(self) -> None:
        """Create missing tables (idempotent; existing tables are left as they are).

        Safe when several processes start at once on an empty database: on PostgreSQL
        an advisory lock serialises the DDL; elsewhere a lost race ("already exists")
        is retried, and the retry finds the tables.
        """
        if self._down_until > time.monotonic():
            raise DatabaseUnavailable(f"{safe_url(self.url)} failed moments ago; not retried yet")
        with self._ready_lock:
            if self._ready:
                return
            if self._down_until > time.monotonic():  # failed while we waited for the lock
                raise DatabaseUnavailable(
                    f"{safe_url(self.url)} failed moments ago; not retried yet"
                )
            try:
                self._create_all()
            except (OperationalError, OSError):
                self._down_until = time.monotonic() + _RETRY_AFTER_SECONDS
                raise
            self._ready = True

    def _create_all(self) -> None:
        if self._engine.dialect.name != "sqlite":
            # A server that does not answer fails once, within the timeout, not 4 times.
            with self._engine.connect():
                pass
        for attempt in range(4):
            try:
                with self._engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DDL_LOCK})
                    metadata.create_all(conn, checkfirst=True)
                    _add_missing_columns(conn)
                return
            except (OperationalError, ProgrammingError, IntegrityError):
                if attempt == 3:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    # -- status history -------------------------------------------------------------

    def set_status(
        self,
        commitment_id: str,
        status: str,
        *,
        actor: str,
        note: str | None = None,
        at: datetime | None = None,
        team_id: str = DEFAULT_TEAM,
    ) -> StatusChange:
        """Record a status change (history is append-only) in workspace ``team_id``.
        ``at`` defaults to now (UTC).

        Raises ValueError for an unknown status, listing the valid ones.
        """
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; valid statuses: {', '.join(STATUSES)}")
        changed_at = _aware(at, "at") if at is not None else datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(status_table).values(
                    commitment_id=commitment_id,
                    status=status,
                    actor=actor,
                    note=note,
                    changed_at=changed_at,
                    team_id=team_id,
                )
            )
        return StatusChange(commitment_id, status, actor, note, changed_at)

    def current_status(self, commitment_id: str, *, team_id: str = DEFAULT_TEAM) -> str:
        """The latest status of a commitment in workspace ``team_id``, ``"not_yet_rated"``
        if it never had one there."""
        t = status_table
        with self.engine.connect() as conn:
            status = conn.execute(
                select(t.c.status)
                .where(t.c.commitment_id == commitment_id, t.c.team_id == team_id)
                .order_by(t.c.changed_at.desc(), t.c.id.desc())
                .limit(1)
            ).scalar()
        return status or "not_yet_rated"

    def statuses(self, *, team_id: str = DEFAULT_TEAM) -> dict[str, str]:
        """Latest status in workspace ``team_id`` of every commitment that has one there
        (one query)."""
        t = status_table
        rank = (
            func.row_number()
            .over(partition_by=t.c.commitment_id, order_by=(t.c.changed_at.desc(), t.c.id.desc()))
            .label("rank")
        )
        latest = (
            select(t.c.commitment_id, t.c.status, rank).where(t.c.team_id == team_id).subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(latest.c.commitment_id, latest.c.status).where(latest.c.rank == 1)
            )
            return {r.commitment_id: r.status for r in rows}

    def history(self, commitment_id: str, *, team_id: str = DEFAULT_TEAM) -> list[StatusChange]:
        """Every status change (with its note) of a commitment in workspace ``team_id``,
        oldest first."""
        t = status_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t)
                .where(t.c.commitment_id == commitment_id, t.c.team_id == team_id)
                .order_by(t.c.changed_at, t.c.id)
            )
            return [
                StatusChange(r.commitment_id, r.status, r.actor, r.note, r.changed_at) for r in rows
            ]

    # -- reminder ledger --------------------------------------------------------------

    def claim(
        self,
        key: str,
        *,
        commitment_id: str,
        kind: str,
        fire_at: datetime,
        owner: str,
        now: datetime,
        lease: timedelta = timedelta(minutes=5),
    ) -> bool:
        """Atomically take the right to post reminder ``key``; True for exactly one caller.

        A new key is inserted as ``claimed``. An existing row is taken over only by a
        conditional UPDATE when it is ``failed`` (and its retry time has come) or
        ``claimed`` with an expired lease (the holder crashed). Never when it is ``sent``,
        ``skipped`` or ``summarized``. Safe across processes: the database decides.
        """
        if kind not in REMINDER_KINDS:
            raise ValueError(f"unknown reminder kind {kind!r}; valid: {', '.join(REMINDER_KINDS)}")
        now = _aware(now, "now")
        fire_at = _aware(fire_at, "fire_at")
        t = reminders_table
        values = {
            "state": "claimed",
            "owner": owner,
            "lease_expires": now + lease,
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            inserted = self._insert_if_absent(
                conn,
                {
                    "key": key,
                    "commitment_id": commitment_id,
                    "kind": kind,
                    "fire_at": fire_at,
                    "attempts": 0,
                    **values,
                },
            )
        if inserted:
            return True
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t)
                .where(
                    t.c.key == key,
                    or_(
                        and_(
                            t.c.state == "failed",
                            or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now),
                        ),
                        and_(t.c.state == "claimed", t.c.lease_expires < now),
                    ),
                )
                .values(**values)
            )
            return result.rowcount == 1

    def mark_sent(
        self, key: str, *, owner: str, channel: str, message_ts: str, now: datetime
    ) -> None:
        """Record that the reminder's message is in Slack (``channel``, ``message_ts``)."""
        t = reminders_table
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.key == key)
                .values(
                    state="sent",
                    owner=owner,
                    channel=channel,
                    message_ts=message_ts,
                    lease_expires=None,
                    next_attempt_at=None,
                    updated_at=_aware(now, "now"),
                )
            )

    def mark_failed(
        self,
        key: str,
        *,
        owner: str,
        error: str,
        now: datetime,
        retry_at: datetime | None = None,
    ) -> bool:
        """Record a failed post: state ``failed``, attempts + 1, ``last_error``.

        Only the current claim holder (``owner``) can do this, so a slow process can never
        turn another's ``sent`` back into ``failed``. ``retry_at``: not claimable again
        before this instant (None = at the next run). Returns False if not the holder.
        """
        t = reminders_table
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t)
                .where(t.c.key == key, t.c.state == "claimed", t.c.owner == owner)
                .values(
                    state="failed",
                    attempts=t.c.attempts + 1,
                    last_error=error[:2000],
                    lease_expires=None,
                    next_attempt_at=_aware(retry_at, "retry_at") if retry_at else None,
                    updated_at=_aware(now, "now"),
                )
            )
            return result.rowcount == 1

    def mark(
        self,
        key: str,
        state: str,
        *,
        now: datetime,
        commitment_id: str | None = None,
        kind: str | None = None,
        fire_at: datetime | None = None,
        owner: str | None = None,
        channel: str | None = None,
        message_ts: str | None = None,
    ) -> bool:
        """Set a final state (``skipped``/``summarized``/``sent``), inserting the row if absent.

        A row already in a final state is left alone (a reminder is never "un-sent").
        Inserting a new row needs ``commitment_id``, ``kind`` and ``fire_at``.
        Returns True if a row was written.
        """
        if state not in FINAL_STATES:
            raise ValueError(f"mark() sets a final state ({', '.join(sorted(FINAL_STATES))})")
        now = _aware(now, "now")
        t = reminders_table
        values: dict[str, Any] = {
            "state": state,
            "lease_expires": None,
            "next_attempt_at": None,
            "updated_at": now,
        }
        extra = {"owner": owner, "channel": channel, "message_ts": message_ts}
        values.update({k: v for k, v in extra.items() if v is not None})
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t).where(t.c.key == key, t.c.state.not_in(FINAL_STATES)).values(**values)
            )
            if result.rowcount == 1:
                return True
            if commitment_id is None or kind is None or fire_at is None:
                if conn.execute(select(t.c.key).where(t.c.key == key)).first() is None:
                    raise ValueError(
                        f"reminder {key!r} is not in the ledger; "
                        "pass commitment_id, kind and fire_at to insert it"
                    )
                return False
            return self._insert_if_absent(
                conn,
                {
                    "key": key,
                    "commitment_id": commitment_id,
                    "kind": kind,
                    "fire_at": _aware(fire_at, "fire_at"),
                    "attempts": 0,
                    "owner": owner,
                    "channel": channel,
                    "message_ts": message_ts,
                    **values,
                },
            )

    def reminder(self, key: str) -> ReminderRow | None:
        """The ledger row for ``key``, or None."""
        t = reminders_table
        with self.engine.connect() as conn:
            r = conn.execute(select(t).where(t.c.key == key)).first()
        return _row(r) if r is not None else None

    def reminders(self, state: str | None = None) -> list[ReminderRow]:
        """Ledger rows (all, or in one ``state``), ordered by fire time then key."""
        t = reminders_table
        query = select(t).order_by(t.c.fire_at, t.c.key)
        if state is not None:
            query = query.where(t.c.state == state)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query)]

    # -- key/value --------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(meta_table.c.value).where(meta_table.c.key == key)).scalar()

    def set_meta(self, key: str, value: str, *, only_if_greater: bool = False) -> bool:
        """Store ``value`` under ``key`` (upsert). Returns True if the value was written.

        ``only_if_greater``: write only if the stored value is absent or compares lower as
        text (used to move the watermark forward only; fixed-width ISO instants in UTC sort
        as text). The comparison happens in the database, so racing processes cannot move
        it backwards.
        """
        t = meta_table
        upd = update(t).where(t.c.key == key).values(value=value)
        if only_if_greater:
            upd = upd.where(t.c.value < value)
        with self.engine.begin() as conn:
            if conn.execute(upd).rowcount == 1:
                return True
            if self._insert_if_absent(conn, {"key": key, "value": value}, table=t):
                return True
            # The row exists (or was just inserted by a racing writer): update it once more.
            return conn.execute(upd).rowcount == 1

    # -- per-workspace settings -------------------------------------------------------

    def workspace_settings(self, team_id: str) -> dict[str, Any] | None:
        """The stored settings of one workspace (``reminder_channel``, ``timezone``,
        ``reminder_kinds``, ``updated_by``, ``updated_at``), or None."""
        t = workspace_settings_table
        with self.engine.connect() as conn:
            r = conn.execute(select(t).where(t.c.team_id == team_id)).first()
        return dict(r._mapping) if r is not None else None

    def set_workspace_settings(
        self,
        team_id: str,
        *,
        reminder_channel: str | None,
        timezone: str | None,
        reminder_kinds: str | None,
        actor: str,
        now: datetime | None = None,
    ) -> None:
        """Store (replace) one workspace's settings; None means "use the environment"."""
        t = workspace_settings_table
        values = {
            "reminder_channel": reminder_channel,
            "timezone": timezone,
            "reminder_kinds": reminder_kinds,
            "updated_by": actor,
            "updated_at": _aware(now or datetime.now(UTC), "now"),
        }
        with self.engine.begin() as conn:
            if conn.execute(update(t).where(t.c.team_id == team_id).values(**values)).rowcount:
                return
            if not self._insert_if_absent(conn, {"team_id": team_id, **values}, table=t):
                conn.execute(update(t).where(t.c.team_id == team_id).values(**values))

    def delete_workspace_settings(self, team_id: str) -> bool:
        """Forget one workspace's settings and editors (it uninstalled briefbot); True if
        it had any."""
        t, e = workspace_settings_table, workspace_editors_table
        with self.engine.begin() as conn:
            editors = conn.execute(delete(e).where(e.c.team_id == team_id)).rowcount
            return conn.execute(delete(t).where(t.c.team_id == team_id)).rowcount + editors > 0

    # -- per-workspace editors --------------------------------------------------------

    def editors(self, team_id: str) -> list[str]:
        """The user ids a workspace admin named as editors of ``team_id``, sorted."""
        t = workspace_editors_table
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.user_id).where(t.c.team_id == team_id))
            return sorted(r.user_id for r in rows)

    def is_stored_editor(self, team_id: str, user_id: str) -> bool:
        """True when a workspace admin named ``user_id`` an editor of ``team_id``."""
        t = workspace_editors_table
        with self.engine.connect() as conn:
            found = conn.execute(
                select(t.c.user_id).where(t.c.team_id == team_id, t.c.user_id == user_id)
            ).first()
        return found is not None

    def set_editors(
        self, team_id: str, user_ids: Iterable[str], *, actor: str, now: datetime | None = None
    ) -> list[str]:
        """Replace the editors of ``team_id`` (one transaction); returns them sorted."""
        t = workspace_editors_table
        users = sorted(set(user_ids))
        at = _aware(now or datetime.now(UTC), "now")
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.team_id == team_id))
            if users:
                conn.execute(
                    insert(t),
                    [
                        {"team_id": team_id, "user_id": u, "added_by": actor, "added_at": at}
                        for u in users
                    ],
                )
        return users

    # -- helpers ----------------------------------------------------------------------

    def first_delivery(
        self, key: str, *, now: datetime | None = None, keep: timedelta = timedelta(days=1)
    ) -> bool:
        """True for exactly one caller per ``key`` (a Slack ``event_id``), across processes.

        Rows older than ``keep`` are pruned now and then; Slack retries within minutes.
        """
        now = _aware(now or datetime.now(UTC), "now")
        with self.engine.begin() as conn:
            first = self._insert_if_absent(
                conn, {"key": key[:200], "seen_at": now}, table=deliveries_table
            )
            self._deliveries += 1
            if first and self._deliveries % 200 == 0:
                conn.execute(
                    delete(deliveries_table).where(deliveries_table.c.seen_at < now - keep)
                )
        return first

    def _insert_if_absent(
        self, conn: Connection, values: dict[str, Any], *, table: Table = reminders_table
    ) -> bool:
        """INSERT … ON CONFLICT DO NOTHING; True if this call inserted the row."""
        name = conn.dialect.name
        if name in ("postgresql", "sqlite"):
            if name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            else:
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            stmt = dialect_insert(table).values(**values).on_conflict_do_nothing()
            # Some drivers only report an INSERT's row count when asked to keep it.
            return conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount == 1
        # Other backends: a savepoint around a plain INSERT, a duplicate key means "taken".
        try:
            with conn.begin_nested():
                conn.execute(insert(table).values(**values))
        except IntegrityError:
            return False
        return True


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents) readable by this user only (0700),
    whatever the umask; a directory that exists is left as it is."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by another process: theirs to set
        os.chmod(folder, 0o700)
    return path


def private_file(path: Path) -> None:
    """Make sure the SQLite file ``path`` (and its ``-wal`` / ``-shm`` companions, which
    SQLite creates with the file's mode) is 0600, whatever the umask: created so when
    missing (its folder 0700), tightened when an older briefbot left it readable."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.fchmod(fd, 0o600)
        os.close(fd)
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            mode = name.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(name, mode & 0o700)
                log.info("database file %s was readable by others: now %o", name, mode & 0o700)
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning("database file %s is readable by others and not ours to change", name)


def _make_engine(url: str, *, echo: bool, timeout: float) -> Engine:
    """An engine whose every wait is bounded by ``timeout`` seconds: connecting, waiting
    for a pooled connection and (PostgreSQL) each statement; stale connections are
    replaced (pre-ping)."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        memory = database in ("", ":memory:") or "mode=memory" in database
        if memory:
            # One shared connection, otherwise every connection would see its own database.
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif not database.startswith("file:"):
            private_file(Path(database).expanduser())
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            try:
                # The busy timeout first: switching to WAL takes a lock another opener
                # may hold for a moment.
                cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
                if not memory:
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
            finally:
                cursor.close()

        return engine
    kwargs.update(
        pool_pre_ping=True,
        pool_timeout=timeout,
        connect_args={"connect_timeout": max(1, int(timeout))},
    )
    engine = create_engine(url, **kwargs)
    statement_ms = int(timeout * 1000)

    @event.listens_for(engine, "connect")
    def _postgres_timeouts(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"SET statement_timeout = {statement_ms}")
            cursor.execute(f"SET lock_timeout = {statement_ms}")
        finally:
            cursor.close()
        dbapi_conn.commit()

    log.debug("database engine for %s", safe_url(url))
    return engine
