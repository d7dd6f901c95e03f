"""Clauses and strings stored column-wise: compact in memory, saved and mapped as arrays.

A million :class:`~bot.reading.clauses.Clause` objects take about 700 MiB of Python objects;
the same clauses as columns (one UTF-8 buffer and an offsets array per string
field, a small table of documents, integer arrays) take about a third of that, and
are what :mod:`bot.search.persist` writes and memory-maps. A :class:`Clause` is made
when one is asked for.

:meth:`ClauseColumns.of` fills the columns from any iterable of clauses (the
segmenter's generator, say) without holding the clause objects; the index reads
its texts and documents straight from the columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar, overload

import numpy as np

from bot.reading.clauses import Clause

T = TypeVar("T")

__all__ = [
    "STRING_FIELDS",
    "ChainedClauses",
    "ChainedStrings",
    "ClauseColumns",
    "StringColumn",
    "StringsBuilder",
]

#: The clause fields stored as string columns.
STRING_FIELDS = ("clause_id", "text", "paragraph", "lead_in", "section")

DocRow = tuple[str, str, "date | None"]


@dataclass(frozen=True)
class DocMeta:
    """What the index keeps of a document: id, normalised title, date, the words of its
    title and parties that count for all its clauses, and its parties."""

    doc_id: str
    title: str  # normalised
    when: date | None
    words: frozenset[str]
    parties: frozenset[str] = frozenset()
    kind: str = "other"  # bot.kinds: as the document gives it, else read from its title


class StringsBuilder:
    """Appends strings into a :class:`StringColumn`, encoding a batch at a time."""

    _BATCH = 8192

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._parts: list[bytes] = []
        self._lengths: list[np.ndarray] = []

    def append(self, s: str) -> None:
        self._pending.append(s)
        if len(self._pending) >= self._BATCH:
            self._flush()

    def extend(self, strings: Iterable[str]) -> None:
        for s in strings:
            self.append(s)

    def _flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        joined = "".join(pending)
        data = joined.encode()
        if len(data) == len(joined):  # ASCII: a character is a byte
            lengths = np.fromiter(map(len, pending), dtype=np.int64, count=len(pending))
        else:
            lengths = np.fromiter(
                (len(s.encode()) for s in pending), dtype=np.int64, count=len(pending)
            )
        self._parts.append(data)
        self._lengths.append(lengths)
        self._pending = []

    def build(self) -> StringColumn:
        """The column (the builder is empty afterwards)."""
        self._flush()
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        buf = np.empty(int(offsets[-1]), dtype=np.uint8)
        at = 0
        parts, self._parts, self._lengths = self._parts, [], []
        parts.reverse()
        while parts:  # each part is dropped once copied
            part = parts.pop()
            buf[at : at + len(part)] = np.frombuffer(part, dtype=np.uint8)
            at += len(part)
        return StringColumn(buf, offsets)


class StringColumn(Sequence[str]):
    """Strings stored as one UTF-8 buffer and offsets (both may be memory-mapped)."""

    def __init__(self, buf: np.ndarray, offsets: np.ndarray) -> None:
        self.buf = buf
        self.offsets = offsets
        # One string at a time (a search shows a few): plain views, because slicing a
        # np.memmap costs a Python-level subclass round trip per access.
        self._bytes = memoryview(np.ascontiguousarray(buf).view(np.ndarray)).cast("B")
        self._starts = offsets.view(np.ndarray)

    def __reduce__(self) -> tuple[type[StringColumn], tuple[np.ndarray, np.ndarray]]:
        return (StringColumn, (self.buf, self.offsets))  # the views are made again

    @classmethod
    def of(cls, strings: Iterable[str]) -> StringColumn:
        out = StringsBuilder()
        out.extend(strings)
        return out.build()

    @classmethod
    def concat(cls, columns: Sequence[StringColumn]) -> StringColumn:
        """The columns' strings one after another."""
        if not columns:
            return cls(np.zeros(0, np.uint8), np.zeros(1, np.int64))
        buf = np.concatenate([np.asarray(c.buf, dtype=np.uint8) for c in columns])
        offsets = np.zeros(sum(len(c) for c in columns) + 1, dtype=np.int64)
        at, base = 1, 0
        for c in columns:
            offsets[at : at + len(c)] = np.asarray(c.offsets[1:]) - int(c.offsets[0]) + base
            at += len(c)
            base += int(c.offsets[-1]) - int(c.offsets[0])
        return cls(buf, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            lo, hi, step = i.indices(len(self))
            if step == 1:
                return list(self.iter_range(lo, hi))
            return [self[k] for k in range(lo, hi, step)]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        starts = self._starts
        return str(self._bytes[starts[i] : starts[i + 1]], "utf-8")

    def __iter__(self) -> Iterator[str]:
        return self.iter_range(0, len(self))

    def window(self, lo: int, hi: int) -> StringColumn:
        """Strings ``lo .. hi - 1`` as a column (views of these arrays, no copy)."""
        lo, hi, _ = slice(lo, hi).indices(len(self))
        hi = max(lo, hi)
        base = int(self.offsets[lo])
        return StringColumn(
            self.buf[base : int(self.offsets[hi])], self.offsets[lo : hi + 1] - base
        )

    def iter_range(self, lo: int, hi: int) -> Iterator[str]:
        """The strings ``lo .. hi - 1``, decoded a block at a time."""
        step = 1 << 14
        for a in range(lo, hi, step):
            b = min(hi, a + step)
            base = int(self.offsets[a])
            chunk = self.buf[base : int(self.offsets[b])].tobytes()
            cuts = (self.offsets[a : b + 1] - base).tolist()
            if chunk.isascii():  # one decode, then slicing
                text = chunk.decode("ascii")
                for k in range(b - a):
                    yield text[cuts[k] : cuts[k + 1]]
            else:
                for k in range(b - a):
                    yield chunk[cuts[k] : cuts[k + 1]].decode()


class ClauseColumns(Sequence[Clause]):
    """The clauses, stored column-wise; a :class:`Clause` is made on access.

    ``docs`` holds each distinct ``(doc_id, doc_title, doc_date)`` once and
    ``clause_doc`` each clause's row in it."""

    def __init__(
        self,
        strings: dict[str, StringColumn],
        clause_doc: np.ndarray,
        block: np.ndarray,
        sentence: np.ndarray,
        bullet: np.ndarray,
        docs: list[DocRow],
    ) -> None:
        self._s = strings
        self._doc = clause_doc
        self._block, self._sentence, self._bullet = block, sentence, bullet
        self._docs = docs

    @classmethod
    def of(cls, clauses: Iterable[Clause]) -> ClauseColumns:
        """The columns of ``clauses`` (any iterable: a generator is read once, and no
        clause object is kept)."""
        builders = {name: StringsBuilder() for name in STRING_FIELDS}
        adders = [(builders[name].append, name) for name in STRING_FIELDS]
        row_of: dict[DocRow, int] = {}
        docs: list[DocRow] = []
        doc_ids: list[int] = []
        blocks: list[int] = []
        sentences: list[int] = []
        bullets: list[bool] = []
        for c in clauses:
            key = (c.doc_id, c.doc_title, c.doc_date)
            row = row_of.get(key)
            if row is None:
                row = row_of[key] = len(docs)
                docs.append(key)
            doc_ids.append(row)
            blocks.append(c.block)
            sentences.append(c.sentence)
            bullets.append(c.is_bullet)
            for add, name in adders:
                add(getattr(c, name))
        return cls(
            {name: b.build() for name, b in builders.items()},
            np.asarray(doc_ids, dtype=np.int32),
            np.asarray(blocks, dtype=np.int64),
            np.asarray(sentences, dtype=np.int64),
            np.asarray(bullets, dtype=bool),
            docs,
        )

    @property
    def ids(self) -> StringColumn:
        """The clause ids, in order."""
        return self._s["clause_id"]

    def column(self, name: str) -> StringColumn:
        """One string field of every clause (a name of :data:`STRING_FIELDS`)."""
        return self._s[name]

    @property
    def doc_rows(self) -> list[DocRow]:
        """The distinct ``(doc_id, doc_title, doc_date)`` rows."""
        return self._docs

    @property
    def clause_doc(self) -> np.ndarray:
        """Each clause's row in :attr:`doc_rows`."""
        return self._doc

    @property
    def blocks(self) -> np.ndarray:
        return self._block

    @property
    def sentences(self) -> np.ndarray:
        return self._sentence

    @property
    def bullets(self) -> np.ndarray:
        return self._bullet

    def __len__(self) -> int:
        return len(self._doc)

    @overload
    def __getitem__(self, i: int) -> Clause: ...
    @overload
    def __getitem__(self, i: slice) -> list[Clause]: ...
    def __getitem__(self, i: int | slice) -> Clause | list[Clause]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        doc_id, title, when = self._docs[int(self._doc[i])]
        s = self._s
        return Clause(
            clause_id=s["clause_id"][i],
            doc_id=doc_id,
            doc_title=title,
            doc_date=when,
            text=s["text"][i],
            paragraph=s["paragraph"][i],
            block=int(self._block[i]),
            sentence=int(self._sentence[i]),
            lead_in=s["lead_in"][i],
            is_bullet=bool(self._bullet[i]),
            section=s["section"][i],
        )

    def __iter__(self) -> Iterator[Clause]:
        cols = [iter(self._s[name]) for name in STRING_FIELDS]
        docs = self._docs
        rows = self._doc.tolist()
        blocks, sentences, bullets = (
            self._block.tolist(),
            self._sentence.tolist(),
            self._bullet.tolist(),
        )
        for k, (cid, text, para, lead, section) in enumerate(zip(*cols, strict=True)):
            doc_id, title, when = docs[rows[k]]
            yield Clause(
                clause_id=cid,
                doc_id=doc_id,
                doc_title=title,
                doc_date=when,
                text=text,
                paragraph=para,
                block=blocks[k],
                sentence=sentences[k],
                lead_in=lead,
                is_bullet=bullets[k],
                section=section,
            )


class _Chained(Sequence[T]):
    """Two sequences read as one, the second after the first (neither copied)."""

    def __init__(self, first: Sequence[T], second: Sequence[T]) -> None:
        self.first, self.second = first, second
        self._n = len(first)

    def __len__(self) -> int:
        return self._n + len(self.second)

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.first[i] if i < self._n else self.second[i - self._n]

    def __iter__(self) -> Iterator[T]:
        yield from self.first
        yield from self.second


class ChainedStrings(_Chained[str]):
    """Two string sequences read as one, the second after the first (neither copied)."""


class ChainedClauses(_Chained[Clause]):
    """A base's clauses and a segment's after them, read as one sequence (clauses are
    made on access, as :class:`ClauseColumns` makes them)."""

    @property
    def ids(self) -> ChainedStrings:
        """The clause ids, in order."""
        return ChainedStrings(_ids_of(self.first), _ids_of(self.second))

    def column(self, name: str) -> ChainedStrings:
        """One string field of every clause (a name of :data:`STRING_FIELDS`)."""
        return ChainedStrings(_column_of(self.first, name), _column_of(self.second, name))


def _ids_of(clauses: Sequence[Clause]) -> Sequence[str]:
    ids = getattr(clauses, "ids", None)
    return ids if ids is not None else [c.clause_id for c in clauses]


def _column_of(clauses: Sequence[Clause], name: str) -> Sequence[str]:
    column = getattr(clauses, "column", None)
    return column(name) if column is not None else [getattr(c, name) for c in clauses]
