"""Word-level helpers shared by the search modules: stop words, plural fold, English words.

The English word list decides which typed words are *real words* and so are never
"corrected" into another word of the corpus (``truce`` must not become ``true``).
It comes from the English frequency dictionary that ships inside the
``pyspellchecker`` wheel (nothing is downloaded at run time); only words seen often
enough count, so rare dictionary entries that look like typos ("goverment") do not.
"""

from __future__ import annotations

import gzip
import json
import logging
from functools import cache
from importlib import resources

__all__ = ["STOP_WORDS", "deletes", "english_words", "is_english", "stem"]

log = logging.getLogger(__name__)

STOP_WORDS = frozenset(
    """
    a an and are as at be been being both but by can could did do does for from had has have
    he her his how i if in into is it its may might more most must no not of on or our shall
    should so such than that the their them then there these they this those to too up was
    we were what when where which while who whom why will with would you your also any all
    each other over under about after before between
    """.split()
)

#: A word must be at least this frequent in the dictionary to count as English.
MIN_FREQUENCY = 200
#: Rarer dictionary words ("caliphate", "issuance", "Herat") are English enough not
#: to be read as a two-letter slip for another word, but not a one-letter slip.
RARE_FREQUENCY = 50


def stem(word: str) -> str:
    """A deliberately crude plural fold ("doses" -> "dose", "countries" -> "country")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def deletes(word: str) -> set[str]:
    """Every string made by deleting one character of ``word`` (SymSpell's index keys)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@cache
def _word_lists() -> tuple[frozenset[str], frozenset[str]]:
    """The common English words, and the rarer ones (read from the list in one pass)."""
    try:
        data = resources.files("spellchecker").joinpath("resources/en.json.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        log.warning("pyspellchecker's English word list is missing; typo correction is blind")
        return frozenset(), frozenset()
    counts: dict[str, int] = json.loads(gzip.decompress(data))
    common = frozenset(w for w, n in counts.items() if n >= MIN_FREQUENCY and w.isalpha())
    rarer = frozenset(
        w for w, n in counts.items() if RARE_FREQUENCY <= n < MIN_FREQUENCY and w.isalpha()
    )
    return common, rarer


def english_words() -> frozenset[str]:
    """Common English words (lower case); empty if the word list is not installed.
    Loads the rarer ones too (:func:`is_english` with ``rare=True``)."""
    return _word_lists()[0]


def is_english(word: str, *, rare: bool = False) -> bool:
    """True when ``word`` (normalised, lower case) is a common English word or its plural
    (or a plural-folded one: ``lunche`` from "lunches"); ``rare=True`` also accepts the
    rarer dictionary words (:data:`RARE_FREQUENCY`)."""
    common, rarer = _word_lists()
    forms = (word, stem(word), word + "s")
    return any(f in common for f in forms) or (rare and any(f in rarer for f in forms))
