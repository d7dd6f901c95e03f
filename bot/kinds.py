"""What kind of document a statement is: joint statement, communiqué, readout …

A kind is read from a statement's front matter and title:

* an explicit ``kind:`` in the front matter wins when it names a kind (or an alias
  of one: ``joint``, ``communiqué``, ``factsheet`` …). ``kind: statement`` is what
  ``briefbot ingest`` writes when nobody said, so it counts as unspecified;
* otherwise the title: the form it names first ("The Jeddah Communique: A Joint
  Statement …" is a communiqué; "Fact Sheet: … Launch Declaration …" a fact sheet),
  a statement issued by several governments is a joint statement, transcripts are
  remarks, and press-office notices (nominations, travel, disaster declarations
  approved) are press releases;
* anything else is ``other``.

The rules are general knowledge of the genre's titles, tuned on the ``tune`` rows of
``tests/data/kinds.tsv`` (the ``held`` rows are only measured).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

__all__ = [
    "ALIASES",
    "ECHO_KINDS",
    "KINDS",
    "STATEMENT_KINDS",
    "KindError",
    "classify",
    "document_kind",
    "is_kind",
    "kind_label",
    "parse_kind",
]

#: Every kind, most specific first.
KINDS: tuple[str, ...] = (
    "joint-statement",
    "communique",
    "declaration",
    "readout",
    "fact-sheet",
    "remarks",
    "press-release",
    "other",
)

#: Kinds whose clauses are what the parties agreed (the statement itself).
STATEMENT_KINDS = frozenset({"joint-statement", "communique", "declaration"})
#: Kinds that often restate a statement (an echo of it).
ECHO_KINDS = frozenset({"readout", "fact-sheet"})

_LABELS = {
    "joint-statement": "joint statement",
    "communique": "communiqué",
    "declaration": "declaration",
    "readout": "readout",
    "fact-sheet": "fact sheet",
    "remarks": "remarks",
    "press-release": "press release",
    "other": "other",
}

#: Friendly names for kinds (as typed in ``kind:`` or written in front matter).
ALIASES: dict[str, str] = {
    "joint": "joint-statement",
    "jointstatement": "joint-statement",
    "joint-statements": "joint-statement",
    "statement-joint": "joint-statement",
    "communiqué": "communique",
    "communiques": "communique",
    "joint-communique": "communique",
    "declarations": "declaration",
    "joint-declaration": "declaration",
    "readouts": "readout",
    "read-out": "readout",
    "factsheet": "fact-sheet",
    "fact-sheets": "fact-sheet",
    "facts": "fact-sheet",
    "remark": "remarks",
    "speech": "remarks",
    "transcript": "remarks",
    "press": "press-release",
    "pressrelease": "press-release",
    "release": "press-release",
}


class KindError(ValueError):
    """A kind that is not one of :data:`KINDS` (nor an alias); the message lists them."""


def _key(value: str) -> str:
    text = unicodedata.normalize("NFC", value.strip().lower())
    return re.sub(r"[\s_]+", "-", text).strip("-")


def _known(value: str) -> str | None:
    key = _key(value)
    if key in _LABELS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    folded = key.replace("é", "e")
    return folded if folded in _LABELS else ALIASES.get(folded)


def is_kind(value: str) -> bool:
    """True when ``value`` names a kind (or an alias of one)."""
    return _known(value) is not None


def parse_kind(value: str) -> str:
    """The kind ``value`` names (``'joint'`` -> ``'joint-statement'``).

    Raises :class:`KindError` naming the valid kinds when it names none."""
    kind = _known(value)
    if kind is None:
        raise KindError(
            f"{value.strip()!r} is not a kind of document; use one of: "
            + ", ".join(KINDS)
            + " (or joint, communiqué, factsheet)"
        )
    return kind


def kind_label(kind: str) -> str:
    """The kind as people read it in a citation: 'joint statement', 'fact sheet'."""
    return _LABELS.get(kind, kind.replace("-", " "))


def _flat(title: str) -> str:
    """The title in one spelling: lower case, plain spaces and apostrophes, no accents."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2060", "")
    return " ".join(text.lower().split())


# The form a title names, where it names it (the first one named wins).
_FORMS: tuple[tuple[str, str], ...] = (
    ("fact-sheet", r"\bfact[ -]?sheet\b"),
    ("readout", r"\bread[ -]?out\b"),
    ("communique", r"\bcommuni(?:que|qué)\b"),
    # "Disaster Declaration" approvals, declarations of emergency: not a text agreed
    # between governments (those are press notices or orders, below).
    (
        "declaration",
        r"(?<!disaster )(?<!emergency )(?<!of the )(?<!on the )\bdeclaration\b"
        r"(?! of (?:a |an )?(?:national )?emergency)",
    ),
    ("joint-statement", r"\bjoint (?:[\w'-]+ ){0,2}statement\b|\bjoint message\b"),
    ("joint-statement", r"\bleaders'? (?:joint )?statement\b|\bpress statement\b"),
    ("remarks", r"^(?:[\w.'-]+ ){0,4}remarks\b|\bpress (?:briefing|gaggle|call)\b"),
    ("remarks", r"\binterview\b|\btranscript\b|^background (?:press )?call\b"),
)
_FORM_PATTERNS = tuple((kind, re.compile(rx)) for kind, rx in _FORMS)

# A statement "by"/"from"/"of" several governments or their leaders is a joint one:
# "Statement by Australia, Japan … and the United States on …".
_AUTHORS = re.compile(
    r"^(?:[\w.' -]*? )?statement (?:by|from|of) (?P<who>.+?)(?: on | regarding |:|$)"
)
_COUNTRIES_OR_LEADERS = re.compile(
    r"\b(?:leaders|governments|foreign ministers|ministers|g7|g20|quad|nato allies)\b"
)

# Press-office notices: who was nominated, who travels, what was approved or announced.
_PRESS = re.compile(
    r"^press release\b|\bnominations?\b.*\bsent to the senate\b|\bnominat(?:es|ions?)\b"
    r"|\b(?:approves|amends)\b.*\bdeclaration\b|\bannounce[sd]?\b|\bto travel\b"
    r"|\bto host\b|\bwill (?:travel|host|visit)\b|\bsi se lo perdio\b|\bin case you missed it\b"
    r"|\bbills? signed\b|\bto visit\b|\bnames\b"
)


def classify(title: str, meta: Mapping[str, object] | None = None) -> str:
    """The kind of a statement with this ``title`` and front matter ``meta``.

    An explicit ``kind`` in ``meta`` that names a kind wins (``statement`` does not:
    ingest writes it when nobody said); then the title (see the module docstring)."""
    explicit = (meta or {}).get("kind")
    if isinstance(explicit, str) and explicit.strip():
        known = _known(explicit)
        if known is not None:
            return known
    flat = _flat(title)
    if not flat:
        return "other"
    authors = _AUTHORS.match(flat)
    # In "Statement from … on the WHO Declaration on …" the declaration is the subject.
    end = authors.end("who") if authors else len(flat)
    found = [(m.start(), kind) for kind, rx in _FORM_PATTERNS if (m := rx.search(flat, 0, end))]
    if found:
        return min(found)[1]
    if m := authors:
        who = m.group("who")
        several = re.search(r",| and | & ", who) is not None
        if _COUNTRIES_OR_LEADERS.search(who) or (several and _looks_like_states(who)):
            return "joint-statement"
        return "other"
    if _PRESS.search(flat):
        return "press-release"
    return "other"


_OFFICIALS = re.compile(
    r"\b(?:press secretary|spokesperson|advisor|adviser|director|chair|administrator|"
    r"coordinator|counselor|first lady|second gentleman)\b"
)


def _looks_like_states(who: str) -> bool:
    """True when the authors read as several governments or heads of government, not
    one official (or the President and the First Lady)."""
    if _OFFICIALS.search(who):
        return False
    heads = len(re.findall(r"\b(?:president|prime minister|chancellor|king|taoiseach)\b", who))
    return heads >= 2 or not re.search(r"\b(?:president|vice president)\b", who)


def document_kind(kind: object, title: str, meta: Mapping[str, object] | None = None) -> str:
    """A document's kind from the ``kind`` it was given (front matter, database) and
    its title: the given one when it names a kind, else :func:`classify`."""
    given = {"kind": kind} if isinstance(kind, str) else {}
    return classify(title, {**(meta or {}), **given})
