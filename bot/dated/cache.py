"""Dated items kept on disk, so each statement version is read for dates once.

Extracting dated items costs about a millisecond a clause: on an archive of thousands
of statements it was most of every process start and every CLI command. The items of
each document are kept by the document's content (id, metadata and text) under a key
that also names the code that read them (:func:`code_version`: a hash of the modules
that segment and read dates), in one JSON file per code version beside the search
index (``BRIEFBOT_INDEX_CACHE``, a dot file the index's pruning passes by). A process
start reads that file and extracts only
documents it has never seen; an upgrade that changes extraction starts a new file.

Writes are atomic (a temporary file, then a rename), so processes sharing the
directory never read half a file; two writers at once each leave a complete file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from bot.commitments import Commitment
from bot.reading.documents import Document

__all__ = ["DatedCache", "code_version", "document_key"]

log = logging.getLogger(__name__)

#: Bump when the file's layout changes (the source hash catches code changes).
CACHE_FORMAT = 1
_SOURCES = ("timeexpr.py", "commitments.py", "reading/*.py")
_FIELDS = {f.name: str(f.type) for f in dataclasses.fields(Commitment)}


@cache
def code_version() -> str:
    """A hash of the modules that make dated items (read once per process)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"dated format {CACHE_FORMAT}\0".encode())
    for pattern in _SOURCES:
        for path in sorted(root.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def document_key(doc: Document) -> str:
    """A key over everything of ``doc`` that dated items depend on."""
    fields = [
        doc.doc_id,
        doc.title,
        doc.short_title,
        doc.date.isoformat() if doc.date else "",
        "|".join(doc.parties),
        doc.kind,
        hashlib.sha256(doc.body.encode()).hexdigest(),
    ]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def _row(item: Commitment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(item, name)
        out[name] = value.isoformat() if isinstance(value, date) else (
            list(value) if isinstance(value, tuple) else value
        )
    return out


def _item(row: Mapping[str, Any]) -> Commitment:
    values: dict[str, Any] = {}
    for name, kind in _FIELDS.items():
        value = row[name]
        if value is not None and kind.startswith("date"):
            value = date.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return Commitment(**values)


class DatedCache:
    """Dated items by document, on disk under ``directory`` (None: nothing kept)."""

    def __init__(self, directory: Path | None) -> None:
        self.path = (
            directory / f".dated-{code_version()[:16]}.json" if directory is not None else None
        )
        self._rows: dict[str, list[dict[str, Any]]] | None = None
        self._dirty = False

    def _load(self) -> dict[str, list[dict[str, Any]]]:
        if self._rows is None:
            self._rows = {}
            if self.path is not None and self.path.is_file():
                try:
                    loaded = json.loads(self.path.read_text("utf-8"))
                    if isinstance(loaded, dict):
                        self._rows = loaded
                except (OSError, ValueError) as exc:
                    log.warning("dated-item cache %s unreadable (%s); rebuilding", self.path, exc)
        return self._rows

    def get(self, doc: Document) -> tuple[Commitment, ...] | None:
        """The document's dated items as read before, or None when never read."""
        rows = self._load().get(document_key(doc))
        if rows is None:
            return None
        try:
            return tuple(_item(r) for r in rows)
        except (KeyError, TypeError, ValueError):
            return None  # a damaged entry is read again

    def put(self, doc: Document, items: Iterable[Commitment]) -> None:
        """Keep ``doc``'s dated items (written out by :meth:`save`)."""
        self._load()[document_key(doc)] = [_row(c) for c in items]
        self._dirty = True

    def save(self) -> None:
        """Write what changed (entries of other corpora sharing the directory stay)."""
        if self.path is None or not self._dirty:
            return
        rows = self._load()
        tmp = ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".dated-tmp-", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                # dumps, not dump: one C-encoded string, not Python's chunked encoder
                # (0.12 s against 0.32 s for the archive's 3,461 statements)
                fh.write(json.dumps(rows, separators=(",", ":")))
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError as exc:  # a read-only cache directory: items are read again next time
            log.warning("dated-item cache %s not written (%s)", self.path, exc)
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)
            return
        for old in self.path.parent.glob(".dated-*.json"):
            if old != self.path:  # another code version's items: never read again
                old.unlink(missing_ok=True)
