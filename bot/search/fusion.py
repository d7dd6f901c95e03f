"""The hand-set blend that ranked clauses before the fitted ranker, kept as one of its
features (:mod:`bot.search.ranker`), and the candidate counts of the meaning signals.

The blend (:func:`blend`): ``0.55 coverage + 0.30 partial_ratio + 0.15
token_set_ratio`` for the words; the wordllama cosine (0.50 → 1) blended in at a
quarter, never pulling a clause more than 0.05 under its words; with the sentence
encoder, the larger of that and its cosine mapped from 0.20–0.50 onto 0–1; plus
points for clauses that fit "when" / "where" and "next" / "latest" / "first". The
ranker weighs it beside the signals it is made of; it no longer decides alone.

The date and question-word points also let such clauses into the candidates
(:meth:`bot.search.index.ClauseIndex.rank_candidates`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ASKS_POINTS",
    "DATE_POINTS",
    "INTENT_POINTS",
    "SEMANTIC_CANDIDATES",
    "SENTENCE_CANDIDATES",
    "blend",
    "lexical_score",
]

#: Clauses nearest in meaning that join the candidates when the words are not enough.
SEMANTIC_CANDIDATES = 30
SENTENCE_CANDIDATES = 20
INTENT_POINTS = 8.0
#: "when" / "where" questions want a clause that names a time / a place.
ASKS_POINTS = 20.0
DATE_POINTS = 4.0


def lexical_score(coverage: np.ndarray, phrase: np.ndarray, keywords: np.ndarray) -> np.ndarray:
    """The lexical 0–100 score of candidates."""
    return (0.55 * coverage + 0.30 * phrase + 0.15 * keywords).astype(np.float32)


def blend(
    lexical: np.ndarray,
    cosine: np.ndarray | None,
    sentence: np.ndarray | None,
    asks: np.ndarray,
    ahead: np.ndarray,
    recency: np.ndarray,
) -> np.ndarray:
    """The former hand-set score (0–1, plus intent points) of candidates whose lexical
    score (0–100) and meaning cosines are given."""
    fused = lexical / 100.0
    if cosine is not None:
        meaning = np.clip(cosine / 0.5, 0.0, 1.0)
        fused = np.maximum(0.75 * fused + 0.25 * meaning, fused - 0.05)
    if sentence is not None:
        fused = np.maximum(fused, np.clip((sentence - 0.2) / 0.3, 0.0, 1.0))
    points = ASKS_POINTS * asks + INTENT_POINTS * ahead + DATE_POINTS * recency
    return (fused + points / 100.0).astype(np.float32)
