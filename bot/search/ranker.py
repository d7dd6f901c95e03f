"""The ranker: one calibrated score per candidate, fitted on labelled queries.

Every candidate clause of a query gets a few features the search already computes
(:data:`FEATURES`: how much of the query's words and distinctive words it holds,
the fuzzy phrase and keyword ratios, the two meaning signals, party and date-word
agreement, its length), and a logistic model turns them into the probability that
the clause answers the query. The score shown is that probability × 100, the
ranking is by it, and "no good match" is a probability under
:data:`MIN_PROBABILITY` — one estimate for all three.

Two models share the features: ``words`` leaves the sentence encoder out (used
when it is not installed or switched off, and to decide whether it is needed),
``sentences`` adds it. Their weights are fitted by ``python bench/fit_ranker.py``
on the labelled tables under ``tests/data/`` (a fit part only; the held-out part is
never fitted on) and kept in ``ranker.json`` beside this module, with the standard
scaling of each feature, so the model can be read: a ranking weight is the change in
score for one standard deviation of its feature.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CALIBRATION",
    "FEATURES",
    "MIN_PROBABILITY",
    "SENTENCE_FEATURES",
    "TERMS",
    "Model",
    "load_models",
    "matrix",
    "words_first",
]

WEIGHTS = Path(__file__).with_name("ranker.json")

#: Per candidate, in the order the ranking part of the models reads them.
FEATURES = (
    "coverage",  # IDF-weighted share of the query's content words the clause holds
    "coverage_gap",  # coverage less the best candidate's (≤ 0)
    "coverage_gap_best",  # coverage_gap × the best candidate's coverage
    "distinct",  # share of the query's distinctive words (numbers, rare terms) it holds
    # (1 when the query has none)
    "distinct_gap",  # distinct less the best candidate's (≤ 0)
    "phrase",  # rapidfuzz partial_ratio of the query phrase (0–1)
    "verbatim",  # the clause holds the query's words as typed (partial_ratio 100), × the
    # query's length up to 5 words / 5
    "keywords",  # rapidfuzz token_set_ratio of the query's content words (0–1)
    "bm25_share",  # BM25 over the best candidate's BM25
    "cosine",  # wordllama static-vector cosine (0 without it)
    "cosine_gap",  # cosine less the best candidate's (≤ 0)
    "party",  # share of the parties named in the query that the document has
    "title",  # share of the query's content words in the document's title, parties, year
    "fits_when",  # a "when" question, and the clause names a time or looks ahead
    "fits_where",  # a "where" question, and the clause names a place
    "fits_order",  # "next", and the clause looks ahead
    "recency",  # "next" / "latest": its document's recency among the candidates' (0–1);
    # "first": the reverse; 0 without such a word
    "length",  # log of the clause's word count
    "fused",  # the previous hand-set blend of these (fusion.py), 0–1
)
#: Features whose weight the fit keeps at 0 or above: a clause never ranks lower for
#: holding more of the words asked for.
WORDS_ASKED = (
    "coverage",
    "coverage_gap",
    "coverage_gap_best",
    "distinct",
    "distinct_gap",
    "phrase",
    "verbatim",
    "keywords",
    "bm25_share",
)
#: Added for the ``sentences`` model.
SENTENCE_FEATURES = (
    "sentence",  # sentence-encoder cosine
    "sentence_gap",  # that less the best candidate's (≤ 0)
    "sentence_weak",  # sentence × (1 − the best candidate's coverage)
    "sentence_gap_weak",  # sentence_gap × (1 − the best candidate's coverage)
    "lift",  # how far the sentence signal (cosine 0.2 → 0, 0.5 → 1) exceeds the words'
    # (0.55 coverage + 0.30 phrase + 0.15 keywords), or 0
    "fused_sentence",  # the previous blend with the sentence signal (its maximum)
)
#: What the calibration reads, all about the query as a whole: the best candidate's
#: ranking score, and how well the words and the meaning were found at all.
CALIBRATION = (
    "top_score",  # the best candidate's ranking score
    "cover_best",  # the best coverage among the candidates
    "phrase_best",  # the best phrase ratio among them
    "sentence_best",  # the best sentence cosine among them (0 for the words model)
    "sentence_lead",  # how far it is ahead of the second best
    "question",  # the query is a question
    "corrected",  # a word of the query was corrected, or is unknown and no English word
    "corpus_size",  # log10 of the number of clauses searched: the more there are, the
    # more come close by chance
)

#: The corpus sizes (log10 of clauses) the calibration is fitted between (the bundled
#: corpus, about 500 clauses, and the archive, about 84,000): a smaller or larger
#: corpus is calibrated as the nearest of them.
CORPUS_SIZES = (2.7, 5.0)
#: The calibration's terms: each of :data:`CALIBRATION`, and each times the corpus
#: size less 3 (1,000 clauses) and its square, so that how much the words and the
#: meaning say may depend on how many clauses compete (fitted on three corpus sizes).
TERMS = (
    CALIBRATION
    + tuple(f"{n} x size" for n in CALIBRATION if n != "corpus_size")
    + tuple(f"{n} x size2" for n in CALIBRATION)
)


def calibration_terms(score: np.ndarray, features: dict[str, np.ndarray]) -> np.ndarray:
    """Rows of :data:`TERMS` for candidates with these ranking scores."""
    n = len(score)
    cols = [score]
    for name in CALIBRATION[1:]:
        col = features.get(name)
        cols.append(np.full(n, float(col[0]) if col is not None and len(col) else 0.0))
    size = cols[CALIBRATION.index("corpus_size")] - 3.0
    base = list(cols)
    cols += [c * size for c, name in zip(base, CALIBRATION, strict=True) if name != "corpus_size"]
    cols += [c * size * size for c in base]
    return np.column_stack(cols) if n else np.zeros((0, len(TERMS)))


#: Below this probability the answer is "no good match" (the best clause is offered as
#: a suggestion). Low on purpose: a paraphrase that shares no word with its clause is
#: right about a third of the time and is shown with a low score that says so. At this
#: level, off-topic queries on the bundled corpus plus the 2024 samples find a "good
#: match" as often as under the hand-set blend before (7 of 64), and far less often
#: with the archive loaded (``python bench/fit_ranker.py`` prints both at five levels).
MIN_PROBABILITY = 0.1
#: From this probability of the best candidate on words, the sentence encoder is not
#: consulted (it costs 10–40 ms a query)...
SURE_PROBABILITY = 0.9
#: ...and from this one, no clause is looked for by word vectors alone (a scan of every
#: clause's vector: 1–3 ms at 100,000 clauses).
WEAK_PROBABILITY = 0.5


def _feature_json(names: Sequence[str], *columns: np.ndarray) -> dict[str, dict[str, float]]:
    keys = ("weight", "mean", "scale")
    return {
        n: {k: round(float(c[i]), 6) for k, c in zip(keys, columns, strict=True)}
        for i, n in enumerate(names)
    }


@dataclass(frozen=True)
class Model:
    """A linear ranking score over standardised features, and a logistic calibration
    of the best score (with a few facts about the query) into a probability."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    #: bias and one weight per :data:`TERMS` name
    calibration: dict[str, float]

    def score(self, x: np.ndarray) -> np.ndarray:
        """The ranking score of each row of ``x`` (columns in :attr:`names` order)."""
        z = (x - self.mean) / self.scale
        return np.einsum("ij,j->i", z, self.weights)

    def probability(self, features: dict[str, np.ndarray], n: int) -> np.ndarray:
        """The probability that each of ``n`` candidates answers the query: the
        calibration applied to each candidate's own score (so near-ties score alike,
        and a good clause of another statement stays good)."""
        if n == 0:
            return np.zeros(0)
        score = self.score(matrix(features, self.names, n))
        c = self.calibration
        weights = np.array([c[t] for t in TERMS])
        logit = c["bias"] + np.einsum("ij,j->i", calibration_terms(score, features), weights)
        return 1.0 / (1.0 + np.exp(-logit))

    def to_json(self) -> dict[str, object]:
        """The weights as they are stored (features by name)."""
        return {
            "rank": _feature_json(self.names, self.weights, self.mean, self.scale),
            "calibration": {k: round(float(v), 6) for k, v in self.calibration.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        """A model from :meth:`to_json`'s shape."""
        rank = data["rank"]
        names = tuple(rank)
        return cls(
            names,
            np.array([rank[n]["mean"] for n in names], dtype=np.float64),
            np.array([rank[n]["scale"] for n in names], dtype=np.float64),
            np.array([rank[n]["weight"] for n in names], dtype=np.float64),
            {k: float(v) for k, v in data["calibration"].items()},
        )


def words_first(p: np.ndarray, distinct: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """``p`` with each candidate's estimate capped at that of every good match (at
    least :data:`MIN_PROBABILITY`) that has more of the query's distinctive words and
    at least as much of all its words: a clause that only resembles the query in
    meaning never outranks a good match holding the numbers, names and rare terms
    asked for."""
    if len(p) < 2:
        return p
    dominates = (
        (p[:, None] >= MIN_PROBABILITY)
        & (distinct[:, None] > distinct[None, :] + 1e-6)
        & (coverage[:, None] >= coverage[None, :] - 1e-6)
    )  # [j, i]: j dominates i
    cap = np.where(dominates, p[:, None], np.inf).min(axis=0)
    return np.minimum(p, cap)


@cache
def load_models(path: Path = WEIGHTS) -> dict[str, Model]:
    """The fitted models by name (``words``, ``sentences``)."""
    data = json.loads(path.read_text("utf-8"))
    return {name: Model.from_json(m) for name, m in data["models"].items()}


def matrix(features: dict[str, np.ndarray], names: tuple[str, ...], n: int) -> np.ndarray:
    """The candidates' features as rows, columns in ``names`` order (a missing one is 0)."""
    x = np.zeros((n, len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        col = features.get(name)
        if col is not None:
            x[:, j] = col
    return x
