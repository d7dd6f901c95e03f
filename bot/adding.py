"""Adding statements from a chat surface (Slack's "Add a statement" modal): the core side.

No Slack here. :mod:`handlers.adding` turns the modal's values into a :class:`Form`, the
pasted text, URL or downloaded file into a :class:`bot.fetch.RawSource`, and calls:

- who may add, replace or remove is one rule, :meth:`bot.services.Services.is_editor`
  (per workspace; the command line is not affected).
- :func:`read_input` and :func:`draft_of`: the text or URL, then a :class:`bot.library.Draft`
  with the form's values applied (what is left empty is inferred).
- :func:`stash` / :func:`unstash`: the raw text kept in the database between the preview
  and the save. A modal's ``private_metadata`` holds 3,000 characters, less than a page
  or a PDF, and the save may reach another process than the preview did (several HTTP
  workers on PostgreSQL), so only a random token travels in the modal; the text waits
  in ``pending_statements`` for :data:`PENDING_TTL`, for the user who previewed it.
- :func:`duplicate_of`: the id that already has the same statement (the same text, or the
  same words in another layout), before anything is saved.

Every refusal is a :class:`FormProblem` naming the form field it belongs to, with a
one-line message for the user.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select

from bot.fetch import RawSource, is_url, read_source
from bot.ingest import IngestError
from bot.library import Draft, Library, preview_source
from bot.store import Store, pending_statements_table

__all__ = [
    "DATE",
    "PARTIES",
    "PENDING_TTL",
    "SHORT_TITLE",
    "SOURCE",
    "TITLE",
    "Form",
    "FormProblem",
    "draft_of",
    "duplicate_of",
    "read_input",
    "stash",
    "unstash",
]

#: Form fields (also the modal's block ids).
SOURCE, TITLE, SHORT_TITLE, DATE, PARTIES = "source", "title", "short_title", "date", "parties"

#: How long a previewed text waits for its save.
PENDING_TTL = timedelta(hours=1)
#: Slack's limit for a multi-line plain_text_input: longer statements come as a URL or file.
MAX_PASTE = 3000
_LIMITS = {TITLE: 300, SHORT_TITLE: 120, PARTIES: 1000}
MAX_PARTIES = 30


class FormProblem(ValueError):
    """Input that cannot be used; ``field`` is the form field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Form:
    """The metadata an editor typed; None = infer it."""

    title: str | None = None
    short_title: str | None = None
    date: date | None = None
    parties: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, values: Mapping[str, str | None]) -> Form:
        """Validated fields from the modal's text values; raises :class:`FormProblem`."""

        def text(name: str) -> str | None:
            value = " ".join((values.get(name) or "").split())
            if len(value) > _LIMITS[name]:
                raise FormProblem(name, f"at most {_LIMITS[name]} characters, please")
            return value or None

        when = None
        raw_date = (values.get(DATE) or "").strip()
        if raw_date:
            try:
                when = date.fromisoformat(raw_date)
            except ValueError:
                raise FormProblem(
                    DATE, f"{raw_date[:40]!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-03"
                ) from None
            if not 1900 <= when.year <= 2200:
                raise FormProblem(DATE, f"{raw_date} is out of range (1900–2200)")
        parties = None
        raw_parties = text(PARTIES)
        if raw_parties:
            names = [p.strip() for p in raw_parties.split(",") if p.strip()]
            if len(names) > MAX_PARTIES:
                raise FormProblem(PARTIES, f"at most {MAX_PARTIES} parties, separated by commas")
            parties = tuple(names)
        return cls(text(TITLE), text(SHORT_TITLE), when, parties)


def read_input(text: str | None, *, allow_private: bool = False) -> RawSource:
    """The pasted text, or the page or PDF at a pasted URL (public addresses only unless
    ``allow_private``); raises :class:`FormProblem` on the source field."""
    value = (text or "").strip()
    if not value:
        raise FormProblem(SOURCE, "Paste the statement's text, or its web address (URL).")
    if is_url(value) and len(value.split()) == 1:
        try:
            return read_source(value, allow_private=allow_private)
        except IngestError as exc:
            raise FormProblem(SOURCE, f"Could not read that address: {exc}") from None
    if len(value) > MAX_PASTE:
        raise FormProblem(
            SOURCE, f"Longer than {MAX_PASTE:,} characters: paste its URL or send the file instead"
        )
    return RawSource(value, "statement")


def draft_of(raw: RawSource, form: Form, *, field: str = SOURCE) -> Draft:
    """The cleaned statement with the form's metadata; raises :class:`FormProblem` (on
    ``field``) when no statement is left after cleaning."""
    try:
        return preview_source(
            raw,
            title=form.title,
            short_title=form.short_title,
            date=form.date,
            parties=list(form.parties) if form.parties is not None else None,
        )
    except IngestError as exc:
        raise FormProblem(field, str(exc)) from None


def duplicate_of(library: Library, draft: Draft) -> str | None:
    """The id of the bundled or stored statement ``draft`` repeats, if any: the same
    cleaned text, or the same words in another layout or with other boilerplate (a
    page saved as a file, then added from its URL); see :meth:`Library.duplicate_of`."""
    same = library.duplicate_of(draft)
    return same.existing_id if same is not None else None


def stash(store: Store, raw: RawSource, *, user: str) -> str:
    """Keep ``raw`` for ``user`` until the save (or :data:`PENDING_TTL`); returns its token.
    Expired rows are deleted on the way."""
    token = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    t = pending_statements_table
    with store.engine.begin() as conn:
        conn.execute(delete(t).where(t.c.created_at < now - PENDING_TTL))
        conn.execute(
            insert(t).values(
                token=token,
                user_id=user[:64],
                name=raw.name[:300],
                url=raw.url,
                text=raw.text,
                created_at=now,
            )
        )
    return token


def unstash(store: Store, token: str, *, user: str, field: str = TITLE) -> RawSource:
    """The text kept under ``token`` for ``user``; :class:`FormProblem` when it expired
    (or belongs to someone else)."""
    t = pending_statements_table
    with store.engine.connect() as conn:
        row: Any = conn.execute(select(t).where(t.c.token == token)).first()
    fresh = row is not None and row.created_at >= datetime.now(UTC) - PENDING_TTL
    if not fresh or row.user_id != user:
        raise FormProblem(field, "This preview has expired; close it and add the statement again.")
    return RawSource(row.text, row.name, url=row.url)


def forget(store: Store, token: str) -> None:
    """Drop a kept text once it was saved."""
    t = pending_statements_table
    with store.engine.begin() as conn:
        conn.execute(delete(t).where(t.c.token == token))
