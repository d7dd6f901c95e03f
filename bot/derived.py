"""What is derived from a statement, kept on disk by content and code version.

Reading a corpus file (cleaning, front matter, id) and cutting a statement into
clauses cost milliseconds a statement: on an archive of thousands, seconds at every
process start and every CLI command. A :class:`DerivedStore` keeps each result as
one small JSON file named by a hash of its input, in a directory named by a hash of
the code that derived it (:func:`code_version`), beside the search index
(``BRIEFBOT_INDEX_CACHE``, a dot directory the index's pruning passes by). An
unchanged input is read back; a changed one (a new key) or an upgrade (a new
directory) is derived again.

Every file is written to a temporary name and renamed into place, so a reader never
sees half of one, and processes sharing the directory need no lock: two writers of
one key write the same content. A file that cannot be read back is derived again.
This module knows nothing of what it stores (no imports from the rest of ``bot``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["DerivedStore", "code_version", "content_key"]

log = logging.getLogger(__name__)

#: Bump when the layout of the stored files changes.
STORE_FORMAT = 1


@cache
def code_version(sources: tuple[str, ...]) -> str:
    """A hash of the ``bot`` modules matching ``sources`` (glob patterns relative to
    the package) and of this module: read once per process."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"derived format {STORE_FORMAT}\0".encode())
    for pattern in (*sources, "derived.py"):
        for path in sorted(root.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def content_key(*parts: str) -> str:
    """A key over ``parts`` (SHA-256 of them, separated so they cannot run together)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0\x1f")
    return digest.hexdigest()


class DerivedStore:
    """JSON values of one ``kind`` by key, under ``directory`` (None: nothing kept).

    ``version`` names the code that derives them; values kept by another version are
    never read, and are deleted when this one first writes."""

    def __init__(self, directory: Path | None, kind: str, version: str) -> None:
        self.kind = kind
        self.folder = (
            directory / f".derived-{kind}-{version[:16]}" if directory is not None else None
        )
        self._writable = directory is not None
        self._pruned = False
        self.reads = 0
        self.writes = 0

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Any | None:
        """The value kept for ``key``, or None when there is none (or it is unreadable)."""
        if self.folder is None:
            return None
        try:
            text = self._path(key).read_text("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            log.debug("derived %s %s unreadable (%s)", self.kind, key[:12], exc)
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if not isinstance(value, dict) or value.get("key") != key:
            return None  # not one of ours (or a file renamed by hand)
        self.reads += 1
        return value.get("value")

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` (JSON-serialisable) for ``key``; a directory that cannot be
        written is logged once and nothing is kept."""
        if self.folder is None or not self._writable:
            return
        tmp = ""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self._pruned:
                self._pruned = True
                self._prune()
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(
                    {"key": key, "value": value}, fh, ensure_ascii=False, separators=(",", ":")
                )
            os.replace(tmp, self._path(key))
            self.writes += 1
        except OSError as exc:
            self._writable = False
            log.warning("derived %s not kept in %s (%s)", self.kind, self.folder, exc)
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def put_many(self, items: Iterable[tuple[str, Any]]) -> None:
        """:meth:`put` each ``(key, value)``."""
        for key, value in items:
            self.put(key, value)

    def _prune(self) -> None:
        """Delete what other code versions derived (never read again by this one)."""
        assert self.folder is not None
        for old in self.folder.parent.glob(f".derived-{self.kind}-*"):
            if old == self.folder or not old.is_dir():
                continue
            trash = old.with_name(f".trash-derived-{old.name}-{os.getpid()}")
            try:
                os.rename(old, trash)  # out of the way first: nobody reads half of it
            except OSError:
                continue
            shutil.rmtree(trash, ignore_errors=True)
