"""Fusion: one 0–100 score from the lexical rerank, the meaning score and date intent.

The weights are measured, not guessed: ``tests/data/questions.tsv`` (questions and
paraphrases people type) and ``bench/search_bench.py`` (typo'd phrases and
keywords at 10k–100k clauses) are run with and without each signal; see the README.

* Lexical: ``0.55 coverage + 0.30 partial_ratio + 0.15 token_set_ratio`` (as
  before the semantic signal existed).
* Meaning: cosine similarity mapped to 0–100 between :data:`COS_FLOOR` and
  :data:`COS_CEIL`. It is blended in with :data:`MEANING_WEIGHT`; a clause's
  fused score never falls below its lexical score by more than the blend, so a
  word-for-word quote is not pushed out by a vaguely similar clause.
* Gate: the full semantic scan (clauses that share no word with the query) runs
  only when the best lexical score is under :data:`SEMANTIC_GATE` and the query
  does not look misspelt (no corrected words, no unknown non-English words);
  typo'd phrases and keyword queries, which the words already find, pay nothing
  for it.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ASKS_POINTS",
    "COS_CEIL",
    "COS_FLOOR",
    "DATE_POINTS",
    "INTENT_POINTS",
    "MEANING_WEIGHT",
    "SEMANTIC_CANDIDATES",
    "SEMANTIC_GATE",
    "fuse",
    "lexical_score",
    "meaning_score",
]

SEMANTIC_CANDIDATES = 30
SENTENCE_CANDIDATES = 20
SENT_FLOOR = 0.20
SENT_CEIL = 0.50
SENT_WEIGHT = 1.0
SEMANTIC_GATE = 70.0
MEANING_WEIGHT = 0.25
COS_FLOOR = 0.0
COS_CEIL = 0.50
#: A clause's fused score is never more than this below its lexical score.
MAX_DEMOTION = 5.0
INTENT_POINTS = 8.0
#: "when" / "where" questions want a clause that names a time / a place.
ASKS_POINTS = 20.0
DATE_POINTS = 4.0


def lexical_score(coverage: np.ndarray, phrase: np.ndarray, keywords: np.ndarray) -> np.ndarray:
    """The lexical 0–100 score of candidates."""
    return (0.55 * coverage + 0.30 * phrase + 0.15 * keywords).astype(np.float32)


def meaning_score(cosine: np.ndarray) -> np.ndarray:
    """Cosine similarity mapped onto 0–100."""
    span = COS_CEIL - COS_FLOOR
    return (np.clip((cosine - COS_FLOOR) / span, 0.0, 1.0) * 100.0).astype(np.float32)


def sentence_score(cosine: np.ndarray) -> np.ndarray:
    """Sentence-encoder cosine mapped onto 0–100."""
    span = SENT_CEIL - SENT_FLOOR
    return (np.clip((cosine - SENT_FLOOR) / span, 0.0, 1.0) * 100.0).astype(np.float32)


def fuse(
    lexical: np.ndarray, cosine: np.ndarray | None, sentence: np.ndarray | None = None
) -> np.ndarray:
    """Blend lexical scores with the meaning of each candidate (or pass them through)."""
    if cosine is None:
        fused = lexical
    else:
        meaning = meaning_score(cosine)
        blended = (1 - MEANING_WEIGHT) * lexical + MEANING_WEIGHT * meaning
        fused = np.maximum(blended, lexical - MAX_DEMOTION).astype(np.float32)
    if sentence is None:
        return fused
    read = sentence_score(sentence)
    return np.maximum(fused, SENT_WEIGHT * read + (1 - SENT_WEIGHT) * fused).astype(np.float32)
