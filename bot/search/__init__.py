"""Clause search: ask the way people ask, get verbatim clauses back.

The public surface is small; one module per idea behind it:

* :mod:`bot.search.filters` — query checks, ``in:`` / ``after:`` / ``before:`` and
  the one (inclusive) date-range parser;
* :mod:`bot.search.understand` — questions and requests read for their content,
  parties and date words;
* :mod:`bot.search.lexical` — spell-fixed BM25 candidates and rapidfuzz rerank;
* :mod:`bot.search.semantic` — wordllama static embeddings (offline);
* :mod:`bot.search.ranker` — one calibrated score from those signals (fitted by
  ``bench/fit_ranker.py``; :mod:`bot.search.fusion` keeps the hand-set blend it
  replaced, as one of its features);
* :mod:`bot.search.index` — :class:`ClauseIndex`, which runs them;
* :mod:`bot.search.timeline` — a topic's best clause per statement, with diffs.

Building and keeping the index:

* :mod:`bot.search.columns` — clauses and strings held column-wise (compact, and
  the form saved to disk);
* :mod:`bot.search.flags` — per clause: looks ahead, names a date, names a place;
* :mod:`bot.search.helper` — a second process that takes independent build steps
  for a large corpus;
* :mod:`bot.search.persist` — the built index on disk, memory-mapped on start;
* :mod:`bot.search.encoder` and :mod:`bot.search.sentences` — the sentence encoder
  and its cached clause vectors.
"""

from bot.search.filters import (
    MAX_QUERY_CHARS,
    DateRange,
    ParsedQuery,
    QueryError,
    check_query,
    date_range,
    parse_period,
    parse_query,
)
from bot.search.index import DEFAULT_MIN_SCORE, ClauseIndex, Hit, SearchResult
from bot.search.timeline import Timeline, TimelineEntry, build_timeline, word_diff
from bot.search.understand import Reading, read_query
from bot.search.words import STOP_WORDS, stem

__all__ = [
    "DEFAULT_MIN_SCORE",
    "MAX_QUERY_CHARS",
    "STOP_WORDS",
    "ClauseIndex",
    "DateRange",
    "Hit",
    "ParsedQuery",
    "QueryError",
    "Reading",
    "SearchResult",
    "Timeline",
    "TimelineEntry",
    "build_timeline",
    "check_query",
    "date_range",
    "parse_period",
    "parse_query",
    "read_query",
    "stem",
    "word_diff",
]
