"""Query understanding: what a question or request is asking for.

People in Slack type questions ("what did China and Russia say about Syria?",
"is there anything on ransomware", "where will the next G20 summit be?"), not
keywords. :func:`read_query` turns such text into:

* the **content** words to match (question and request scaffolding dropped:
  "what did … say about", "is there anything on", "when will", "show me" …);
* **parties**: country / organisation names (and their usual short forms and
  adjectives: "US", "Chinese") that are parties of some indexed document — a soft
  boost for that document's clauses, not a hard filter;
* **order** words: "next", "latest"/"recent", "first"/"earliest" — use dates;
* **asks**: "when" or "where" questions prefer clauses that name a time or place;
* **speakers**: in "what did the Quad say about …", who spoke: their words are
  looked for in the whole statement, not only in the clause that answers.

Nothing here is about particular clauses: the alias table is general knowledge of
country names, and the scaffolding list is ordinary English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from bot.reading.clean import normalise
from bot.search.gazetteer import (
    FORMER_NAMES,
    NAMED_AFTER,
    capital_names,
    capital_words,
    capitals_of,
)
from bot.search.words import STOP_WORDS

__all__ = ["Reading", "read_query"]

# Words that frame a question or a request, dropped from the content of a query
# that reads as a question or request (never from a plain keyword query).
SCAFFOLD = frozenset(
    """
    what whats which who whom whose when where why how did does do is are was were will would
    could can should has have had there anything something any everything say says said saying
    tell told show find give get me us we our i you they them their about regarding concerning
    on of the a an please statement statements quote quotes clause clauses mention mentions
    mentioned mentioning know want looking look need see said stance position view views think
    thought agree agreed word words wording line lines discussed discuss talk talked talking
    anybody anyone somebody someone happen happened happens be been being
    """.split()
)

# Words that make a query a question or a request when they open it.
_OPENERS = frozenset(
    """
    what whats which who when where why how did does do is are was were will would could can
    should has have had any anything show find give tell quote list
    """.split()
)

# "the first half of 2013", "the next five years": an order word before these is
# part of a time expression, not a request to sort by date.
_ORDINAL_NOUNS = frozenset(
    "half quarter phase stage round time year years month months decade step two three four"
    " five six seven eight nine ten few several".split()
)

ORDER_WORDS = {
    "next": "next",
    "upcoming": "next",
    "latest": "latest",
    "recent": "latest",
    "newest": "latest",
    "last": "latest",
    "first": "first",
    "earliest": "first",
    "oldest": "first",
}

# Common adjectives and short names of countries (general knowledge). Upper-case
# abbreviations are read from the text as typed ("US" is not "us").
ALIASES: dict[str, tuple[str, ...]] = {
    "united states": ("america", "american", "americans"),
    "china": ("chinese",),
    "russia": ("russian", "russians"),
    "united kingdom": ("britain", "british"),
    "france": ("french",),
    "india": ("indian",),
    "japan": ("japanese",),
    "australia": ("australian",),
    "canada": ("canadian",),
    "mexico": ("mexican",),
    "philippines": ("philippine", "filipino"),
    "indonesia": ("indonesian",),
    "iraq": ("iraqi",),
    "republic of korea": ("korea", "korean"),
}
ABBREVIATIONS = {
    "US": "United States",
    "USA": "United States",
    "UK": "United Kingdom",
    "EU": "European Union",
    "PRC": "China",
    "ROK": "Republic of Korea",
}
_LONGEST_FIRST = sorted(ABBREVIATIONS, key=len, reverse=True)
_ABBREVIATION = re.compile(
    r"(?<![\w.])(" + "|".join(r"\.?".join(a) + r"\.?" for a in _LONGEST_FIRST) + r")(?!\w)"
)


# Words diplomatic texts use interchangeably for the same kind of thing (general
# vocabulary of the genre, not tied to any statement).
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("summit", "meeting", "conference", "gathering", "session"),
    ("talks", "negotiation", "negotiations", "discussions", "dialogue", "consultations"),
    ("deal", "agreement", "accord", "pact", "treaty"),
    ("host", "hosts", "hosting", "hosted"),
)


def alias_words() -> dict[str, tuple[str, ...]]:
    """Word -> words naming the same thing: country names and adjectives ("china" <->
    "chinese"), :data:`SYNONYMS` and former place names ("bombay" <-> "mumbai"), both
    ways."""
    out: dict[str, set[str]] = {}
    groups = [[n, *f] if " " not in n else list(f) for n, f in ALIASES.items()]
    renamed = [[old, new] for old, new in FORMER_NAMES.items() if " " not in new]
    for words in [*groups, *SYNONYMS, *renamed]:
        for w in words:
            out.setdefault(w, set()).update(x for x in words if x != w and " " not in x)
    return {k: tuple(sorted(v)) for k, v in out.items() if v}


#: How much a clause naming the country counts for a capital the corpus never uses.
CAPITAL_WEIGHT = 0.85


def place_words() -> dict[str, tuple[tuple[str, float], ...]]:
    """Place word -> (word, weight) to read it as when the corpus never uses it: a former
    or current name of the same place at full weight ("bombay" <-> "mumbai"), and a
    capital's country (and its adjective) at :data:`CAPITAL_WEIGHT` ("kyiv" ->
    "ukraine"; not for countries whose name is several words: "seoul" is not "korea")."""
    out: dict[str, dict[str, float]] = {}
    for old, new in FORMER_NAMES.items():
        if " " not in new:
            out.setdefault(old, {})[new] = 1.0
            out.setdefault(new, {})[old] = 1.0
    for country, capitals in capital_names().items():
        for capital in capitals:
            if " " in capital or " " in country:
                continue
            for w in (country, *ALIASES.get(country, ())[:1]):
                out.setdefault(capital, {}).setdefault(w, CAPITAL_WEIGHT)
    return {k: tuple(v.items()) for k, v in out.items()}


def expand_abbreviations(text: str) -> str:
    """'US' / 'U.S.' / 'UK' (as typed, upper case) -> the country's name."""
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).replace(".", "")], text)


def metadata_words(title: str, parties: Iterable[str], when: date | None = None) -> frozenset[str]:
    """Normalised words of a document's title and parties (with their aliases) and year."""
    words = set(normalise(title).split())
    if when is not None:
        words.add(str(when.year))
    for party in parties:
        key = normalise(party)
        words.update(key.split())
        words.update(ALIASES.get(key, ()))
        words.update(capital_words(key))
    return frozenset(words)


@dataclass(frozen=True)
class Reading:
    """What a query was read as."""

    text: str  # the query text (filters removed)
    content: str  # normalised words to match
    is_question: bool = False
    parties: tuple[str, ...] = ()  # document parties named in the query, as in the metadata
    party_words: frozenset[str] = field(default_factory=frozenset)  # their normalised words
    # the content less the party names and the small words that joined them ("war drills
    # between the armies of Moscow and Beijing" -> "war drills between the armies")
    topic: str = ""
    order: str | None = None  # "next", "latest" or "first"
    asks: str | None = None  # "when" or "where"
    # content words naming who spoke ("what did Biden and Prabowo say about Gaza?" ->
    # biden, prabowo): held by a clause when its statement holds them
    speakers: frozenset[str] = field(default_factory=frozenset)
    typed: Mapping[str, str] = field(default_factory=dict)  # normalised word -> as typed

    def describe(self, corrections: Mapping[str, str] | None = None) -> str:
        """One line: 'Syria · parties China, Russia · next' (empty when nothing was read)."""
        words = self.topic.split()
        if corrections:
            words = [corrections.get(w, w) for w in words]
        words = [self.typed.get(w, w) for w in words]
        parts = [" ".join(words)] if words else []
        if self.parties:
            parts.append("parties " + ", ".join(self.parties))
        if self.order:
            parts.append(
                {
                    "next": "next (forward-looking)",
                    "latest": "latest first",
                    "first": "earliest first",
                }[self.order]
            )
        if self.asks:
            parts.append(f"asks {self.asks}")
        return " · ".join(parts)


_NAMED_AFTER = "|".join(sorted(NAMED_AFTER))
# A country's name or adjective before these names a place: "South China Sea".
_PLACE_NOUNS = "sea|ocean|peninsula|strait|gulf"


@dataclass(frozen=True)
class _PartyPattern:
    """How a query names one party: its names and adjectives, and its capital."""

    party: str
    #: Every match holds one of these words as written (the pattern's alternatives).
    literals: tuple[str, ...]
    source: str

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Compiled on the first text that holds one of :attr:`literals` (compiling the
        pattern of every party took half a second of a search command's start)."""
        return re.compile(self.source)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The pattern's matches in ``text``: none without one of its literals."""
        if not any(word in text for word in self.literals):
            return iter(())
        return self.pattern.finditer(text)


def _party_patterns(parties: Iterable[str]) -> list[_PartyPattern]:
    """A pattern per party (compiled when first needed), longest party name first."""
    out = []
    for party in sorted(set(parties), key=lambda p: (-len(p), p)):
        key = normalise(party)
        if not key:
            continue
        names = {key, *ALIASES.get(key, ())}
        alt = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
        capital_list = capitals_of(key)
        capitals = "|".join(re.escape(c) for c in capital_list)
        if capitals:
            # "Paris Agreement" names a text, not France.
            alt += f"|(?:(?:{capitals})(?! (?:{_NAMED_AFTER})(?!\\S)))"
        # "North Korea" is not the Republic of Korea, and the South China Sea, the Korean
        # Peninsula, the Indian Ocean and the Gulf of Mexico are places, not parties.
        out.append(
            _PartyPattern(
                party,
                (*sorted(names), *capital_list),
                rf"(?<!\S)(?<!north )(?<!sea of )(?<!gulf of )(?:the )?(?:{alt})(?!\S)"
                rf"(?! (?:{_PLACE_NOUNS})(?!\S))",
            )
        )
    return out


class QueryReader:
    """Reads queries against the parties of the indexed documents."""

    def __init__(self, parties: Iterable[str]) -> None:
        self._parties = tuple(parties)

    def warm(self) -> None:
        """Compile the parties' patterns now rather than on the first query."""
        for p in self._patterns:
            _ = p.pattern

    @cached_property
    def _patterns(self) -> list[_PartyPattern]:
        """The parties' patterns, made on the first query read (a process that reads
        none, such as ``briefbot docs``, never makes them)."""
        return _party_patterns(self._parties)

    def read(self, text: str) -> Reading:
        """Read ``text`` (filters already removed)."""
        expanded = expand_abbreviations(text)
        norm = normalise(expanded)
        words = norm.split()
        typed: dict[str, str] = {}
        for token in expanded.split():
            for w, part in zip(
                normalise(token).split(), [token.strip("?!.,;:\"'()")], strict=False
            ):
                typed.setdefault(w, part)
        if not words:
            return Reading(text=text, content="")
        is_question = text.rstrip().endswith("?") or words[0] in _OPENERS
        asks = words[0] if is_question and words[0] in {"when", "where"} else None
        # Parties are read from the whole text: "what did Chile say about ocean
        # protection?" names Chile, though its content is "chile ocean protection".
        starts = [m.start() for m in re.finditer(r"\S+", norm)]
        in_party = [False] * len(words)
        party_words: set[str] = set()
        found: list[tuple[int, str]] = []
        for p in self._patterns:
            party = p.party
            spans = list(p.finditer(norm))
            if not spans or any(party in p for _, p in found):
                continue
            found.append((spans[0].start(), party))
            for m in spans:
                party_words.update(m.group(0).removeprefix("the ").split())
                for i, start in enumerate(starts):
                    in_party[i] = in_party[i] or m.start() <= start < m.end()
        parties = [p for _, p in sorted(found)]
        order = None
        kept: list[int] = []  # positions of the words kept as content
        for i, w in enumerate(words):
            following = words[i + 1] if i + 1 < len(words) else ""
            if (
                order is None
                and w in ORDER_WORDS
                and (is_question or i == 0)
                and following not in _ORDINAL_NOUNS
            ):
                order = ORDER_WORDS[w]
                continue
            kept.append(i)
        if is_question:
            content = [i for i in kept if words[i] not in SCAFFOLD and words[i] not in STOP_WORDS]
            # "is there anything on it" -> nothing left: keep what was typed
            kept = content or kept
        rest = " ".join(words[i] for i in kept)
        speakers = _speakers(words, in_party) if is_question else frozenset()

        def party_at(k: int) -> bool:
            return 0 <= k < len(kept) and in_party[kept[k]]

        topic = [
            words[i]
            for k, i in enumerate(kept)
            if not party_at(k)
            and not (words[i] in STOP_WORDS and (party_at(k - 1) or party_at(k + 1)))
        ]
        return Reading(
            text=text,
            content=rest,
            is_question=is_question,
            parties=tuple(parties),
            party_words=frozenset(party_words),
            topic=" ".join(topic),
            order=order,
            asks=asks,
            speakers=speakers & set(rest.split()),
            typed=typed,
        )


# "what did <who> say about <topic>?": the auxiliary, then who, then the verb.
_SAID_AUX = frozenset({"did", "does", "do", "has", "have", "had", "will", "would"})
_SAID = frozenset(
    """
    say says said think thinks thought state states stated agree agreed agrees announce
    announced pledge pledged promise promised decide decided commit committed declare declared
    """.split()
)
_ABOUT = frozenset({"about", "on", "regarding", "concerning", "over", "to"})


def _speakers(words: list[str], in_party: list[bool]) -> frozenset[str]:
    """The words naming who spoke in "what/how did WHO say about …" (no party names:
    those are read as parties), or none when the question is not of that form."""
    if len(words) < 5 or words[0] not in {"what", "how", "whats"} or words[1] not in _SAID_AUX:
        return frozenset()
    for k in range(3, len(words) - 1):
        if words[k] in _SAID and words[k + 1] in _ABOUT:
            who = range(2, k)
            return frozenset(
                words[i]
                for i in who
                if not in_party[i] and words[i] not in STOP_WORDS and words[i] not in SCAFFOLD
            )
    return frozenset()


def read_query(text: str, parties: Iterable[str] = ()) -> Reading:
    """Read one query against these document parties (see :class:`QueryReader`)."""
    return QueryReader(parties).read(text)
