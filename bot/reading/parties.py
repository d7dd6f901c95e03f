"""Who signed a statement, and a short title for citations, guessed from its text.

Used by ``briefbot ingest`` to propose defaults the user can correct
(``--parties``, ``--short-title``). Plain rules and a gazetteer of states and
groupings; nothing here is ever written into the statement's text.
"""

from __future__ import annotations

import re

__all__ = ["infer_parties", "propose_short_title", "slugify"]

# Sovereign states (UN members and observers) by their usual English short name.
_ONE_WORD_STATES = (
    "Afghanistan Albania Algeria Andorra Angola Argentina Armenia Australia Austria Azerbaijan "
    "Bahamas Bahrain Bangladesh Barbados Belarus Belgium Belize Benin Bhutan Bolivia Botswana "
    "Brazil Brunei Bulgaria Burundi Cambodia Cameroon Canada Chad Chile China Colombia Comoros "
    "Croatia Cuba Cyprus Denmark Djibouti Dominica Ecuador Egypt Eritrea Estonia Eswatini "
    "Ethiopia Fiji Finland France Gabon Gambia Georgia Germany Ghana Greece Grenada Guatemala "
    "Guinea Guyana Haiti Honduras Hungary Iceland India Indonesia Iran Iraq Ireland Israel Italy "
    "Jamaica Japan Jordan Kazakhstan Kenya Kiribati Kuwait Kyrgyzstan Laos Latvia Lebanon "
    "Lesotho Liberia Libya Liechtenstein Lithuania Luxembourg Madagascar Malawi Malaysia "
    "Maldives Mali Malta Mauritania Mauritius Mexico Micronesia Moldova Monaco Mongolia "
    "Montenegro Morocco Mozambique Myanmar Namibia Nauru Nepal Netherlands Nicaragua Niger "
    "Nigeria Norway Oman Pakistan Palau Palestine Panama Paraguay Peru Philippines Poland "
    "Portugal Qatar Romania Russia Rwanda Samoa Senegal Serbia Seychelles Singapore Slovakia "
    "Slovenia Somalia Spain Sudan Suriname Sweden Switzerland Syria Tajikistan Tanzania "
    "Thailand Togo Tonga Tunisia Turkey Turkmenistan Tuvalu Uganda Ukraine Uruguay Uzbekistan "
    "Vanuatu Venezuela Vietnam Yemen Zambia Zimbabwe"
)
_STATES = [
    *_ONE_WORD_STATES.split(),
    "Antigua and Barbuda",
    "Bosnia and Herzegovina",
    "Burkina Faso",
    "Cabo Verde",
    "Central African Republic",
    "Costa Rica",
    "Czech Republic",
    "Dominican Republic",
    "East Timor",
    "El Salvador",
    "Equatorial Guinea",
    "Guinea-Bissau",
    "Ivory Coast",
    "Marshall Islands",
    "New Zealand",
    "North Macedonia",
    "Papua New Guinea",
    "Saint Lucia",
    "San Marino",
    "Saudi Arabia",
    "Sierra Leone",
    "Solomon Islands",
    "South Africa",
    "South Sudan",
    "Sri Lanka",
    "Trinidad and Tobago",
    "United Arab Emirates",
    "United Kingdom",
    "United States",
    "Vatican",
    "Korea",
]
# Other ways statements name the same state (matched case-sensitively).
_ALIASES = {
    "U.S.": "United States",
    "US": "United States",
    "USA": "United States",
    "United States of America": "United States",
    "America": "United States",
    "PRC": "China",
    "People’s Republic of China": "China",
    "People's Republic of China": "China",
    "Russian Federation": "Russia",
    "U.K.": "United Kingdom",
    "UK": "United Kingdom",
    "Britain": "United Kingdom",
    "Great Britain": "United Kingdom",
    "French Republic": "France",
    "ROK": "Republic of Korea",
    "Republic of Korea": "Republic of Korea",
    "South Korea": "Republic of Korea",
    "Korea": "Republic of Korea",
    "DPRK": "North Korea",
    "Türkiye": "Turkey",
    "Turkiye": "Turkey",
    "Viet Nam": "Vietnam",
    "Côte d’Ivoire": "Ivory Coast",
    "Côte d'Ivoire": "Ivory Coast",
    "UAE": "United Arab Emirates",
    "EU": "European Union",
    "E.U.": "European Union",
    "European Union": "European Union",
}
# Groupings that sign as one ("G20") or stand for known members ("Quad").
_GROUPS = {
    "Quad": ("Australia", "India", "Japan", "United States"),
    "G20": ("G20",),
    "G7": ("G7",),
    "BRICS": ("BRICS",),
    "ASEAN": ("ASEAN",),
}
_SHORT_NAMES = {
    "United States": "U.S.",
    "United Kingdom": "UK",
    "Republic of Korea": "ROK",
    "European Union": "EU",
    "United Arab Emirates": "UAE",
}

_NAMES = {name: name for name in _STATES} | _ALIASES
_NAME_RE = re.compile(
    r"(?<![\w.])(?<!Northern\s)(?<!New\s)(?:the\s+)?(?:Republic\s+of\s+(?=Indonesia|Iraq|the\s+Philippines|Korea)|"
    r"Kingdom\s+of\s+(?=Saudi|Thailand|Jordan|Morocco|Spain|the\s+Netherlands))?"
    r"(?P<name>"
    + "|".join(re.escape(n) for n in sorted(_NAMES, key=len, reverse=True))
    + r")(?![\w’'])(?!\.\w)"
)
_GROUP_RE = re.compile(r"\b(?P<group>" + "|".join(_GROUPS) + r")\b")


def _found(text: str) -> list[str]:
    out: list[str] = []
    for m in _NAME_RE.finditer(text):
        name = _NAMES[m.group("name")]
        if name == "North Korea":
            continue  # named in statements about it, hardly ever a signatory
        if name not in out:
            out.append(name)
    return out


# Who attends without signing. A label ("Witnessed by:", "In the presence of", "Observers:"
# ending its line) heads a block that runs to the next signatory block ("For the ...") or
# the end; inline ("... was witnessed by the Prime Minister of Malaysia.") it runs to the
# end of its clause.
_WITNESS = re.compile(
    r"\b(?:witnessed\s+by|in\s+the\s+presence\s+of|observers?(?=\s*:))"
    r"(?P<label>\s*:|[ \t]*(?:\n|$))?",
    re.I,
)
# "..., with the United States and China as observers": the clause before the phrase.
_AS_WITNESS = re.compile(
    r"(?P<who>[^,;:\n]*?)\s+(?:attend(?:ed|ing|s)?\s+|present\s+)?as\s+(?:an?\s+)?"
    r"(?:observers?|witness(?:es)?)\b",
    re.I,
)
# What every match of _AS_WITNESS contains: a text without it is not scanned (the lazy
# ``who`` group makes that scan quadratic in the length of a clause).
_AS_WITNESS_WORDS = re.compile(
    r"\sas\s+(?:an?\s+)?(?:observers?|witness(?:es)?)\b",
    re.I,
)
_NEXT_SIGNATORY = re.compile(r"^\s*(?:For|On\s+behalf\s+of)\b", re.M)
_CLAUSE_END = re.compile(r"[,;:\n]|\.(?=\s|$)")


def _witness_text(text: str) -> str:
    """The parts of ``text`` that name those who witnessed or observed, not signed."""
    parts = []
    for m in _WITNESS.finditer(text):
        rest = text[m.end() :]
        end = (_NEXT_SIGNATORY if m.group("label") else _CLAUSE_END).search(rest)
        parts.append(rest[: end.start() if end else len(rest)])
    if not _AS_WITNESS_WORDS.search(text):
        return "\n".join(parts)
    for m in _AS_WITNESS.finditer(text):
        parts.append(re.split(r"\s(?:with|while|whereas)\s", m.group("who"))[-1])
    return "\n".join(parts)


def infer_parties(title: str, body: str) -> list[str]:
    """The signatories a statement names: in its title, else in its first paragraph.

    "U.S.-Canada Joint Statement ..." -> ["United States", "Canada"]; "Joint Statement
    from Quad Leaders" -> the four Quad members; [] when nothing is recognised. States
    the title or text names as witnesses or observers ("Witnessed by:", "in the presence
    of", "Observers:", "as observers") are not parties, wherever else they are named
    (the venue: "meeting in Kuala Lumpur, Malaysia").
    """
    witnesses = set(_found(_witness_text(title) + "\n" + _witness_text(body)))
    parties = [p for p in _found(title) if p not in witnesses]
    if not parties:
        for m in _GROUP_RE.finditer(title):
            parties.extend(p for p in _GROUPS[m.group("group")] if p not in parties)
    if not parties:
        first = body.strip().split("\n\n", 1)[0]
        parties = [p for p in _found(first) if p not in witnesses]
    return parties


def slugify(text: str, *, limit: int = 60) -> str:
    """Lower-case ASCII words joined by '-' (at most ``limit`` characters, whole words):
    the slug of a doc id, :func:`bot.reading.identity.id_slug`."""
    from bot.reading.identity import id_slug

    return id_slug(text, limit=limit)


_DOC_NOUN = re.compile(
    r"^(?:The\s+)?(?P<doc>(?:Joint\s+)?(?:Vision\s+|Leaders[’']?\s+)?(?:Statement|Declaration|"
    r"Communiqu[ée]|Readout|Fact\s+Sheet))\s+(?:from|of|by|between)\s+",
    re.I,
)


_BARE_DOC = re.compile(
    r"(?:The\s+)?(?:Joint\s+)?(?:Vision\s+|Leaders[’']?\s+)?(?:Statement|Declaration|Communiqu[ée])",
    re.I,
)


#: A page's label before its title ("FACT SHEET: …", "ICYMI: …"): never a title itself.
_LABEL = re.compile(
    r"^(?:fact\s*sheet|icymi|readout|what they are saying|media advisory|press release"
    r"|background press call|update|factsheet)\s*:\s+",
    re.I,
)


def propose_short_title(title: str, parties: list[str], *, limit: int = 70) -> str | None:
    """A short title for citations when ``title`` is long, else None.

    The subtitle goes ("... on the Extension of ..." / ": Commemorating ..."); a title
    naming its signatories ("Joint Statement from the Leaders of A and B") becomes
    "A–B Joint Statement" when the parties are known and few.
    """
    title = " ".join(title.split())
    if (label := _LABEL.match(title)) and len(title) > label.end() + 3:
        # "FACT SHEET: New Strategy Outlines …": the label names no statement
        rest = title[label.end() :]
        return propose_short_title(rest, parties, limit=limit) or rest
    if len(title) <= limit:
        return None
    short = re.split(
        r":\s|\s[–—-]\s|\s+on\s+|\s+(?-i:[A-Z][a-z]+ing)\s+|\s+(?:regarding|concerning)\s+"
        r"|(?<=\w{3})\s+(?=Joint\s+Statement\s+(?:from|of|by)\b)",
        title,
    )[0].strip()
    m = _DOC_NOUN.match(short + " of ") if _BARE_DOC.fullmatch(short) else _DOC_NOUN.match(short)
    if m and parties and len(parties) <= 4:
        names = [_SHORT_NAMES.get(p, p) for p in parties]
        # Keep the signatories in the order the title names them.
        short = f"{'–'.join(names)} {m.group('doc')}"
    if len(short) > limit:
        words: list[str] = []
        for word in short.split():
            if len(" ".join([*words, word])) > limit:
                break
            words.append(word)
        short = " ".join(words)
    short = re.sub(r"(?:\s+(?:for|of|to|and|the|a|an|in|on|with|by|at))+$", "", short, flags=re.I)
    return short if short and short != title else None
