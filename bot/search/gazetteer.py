"""Places people name instead of a country: capitals, and names a place no longer uses.

Journalists and analysts write "Moscow and Beijing" for Russia and China, "Seoul"
for the Republic of Korea, "Kyiv" for Ukraine; older sources and older readers say
"Bombay", "Burma", "Kiev". Statements name the country, and today's name. These
tables let a query say it either way:

* :data:`CAPITALS` — a capital, read as its country: a soft boost for documents
  that country is a party to (see :mod:`bot.search.understand`), and, when the
  corpus never names the capital, a clause naming the country counts a little less
  than the capital itself would.
* :data:`FORMER_NAMES` — an earlier English name and today's, each matching the
  other as if it were the same word ("Bombay" finds "Mumbai" and back).

General knowledge, keyed by normalised text (:func:`bot.reading.clean.normalise`) and
not tied to any statement. Capitals that are also the name of an agreement or a
process people search for by name ("Paris Agreement", "Doha Round", "Minsk
agreements", "Oslo Accords", "Washington Post") stay words: a capital never replaces
what was typed, it only adds its country. Capitals that are as often a person's or
another place's name (Sofia, Santiago, Kingston, Georgetown) and contested capitals
are left out on purpose: the gazetteer takes no side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

__all__ = [
    "CAPITALS",
    "FORMER_NAMES",
    "NAMED_AFTER",
    "OTHER_NAMES",
    "capital_names",
    "capital_words",
    "capitals_of",
    "same_name_variants",
]

# Country keys are normalised party names, as in bot.reading.parties and understand.ALIASES.
CAPITALS: Mapping[str, str] = {
    "kabul": "afghanistan",
    "tirana": "albania",
    "algiers": "algeria",
    "luanda": "angola",
    "buenos aires": "argentina",
    "yerevan": "armenia",
    "canberra": "australia",
    "vienna": "austria",
    "baku": "azerbaijan",
    "nassau": "bahamas",
    "manama": "bahrain",
    "dhaka": "bangladesh",
    "bridgetown": "barbados",
    "minsk": "belarus",
    "belmopan": "belize",
    "thimphu": "bhutan",
    "gaborone": "botswana",
    "brasilia": "brazil",
    "bandar seri begawan": "brunei",
    "gitega": "burundi",
    "phnom penh": "cambodia",
    "yaounde": "cameroon",
    "ottawa": "canada",
    "beijing": "china",
    "bogota": "colombia",
    "zagreb": "croatia",
    "havana": "cuba",
    "copenhagen": "denmark",
    "quito": "ecuador",
    "cairo": "egypt",
    "asmara": "eritrea",
    "tallinn": "estonia",
    "addis ababa": "ethiopia",
    "suva": "fiji",
    "helsinki": "finland",
    "paris": "france",
    "libreville": "gabon",
    "banjul": "gambia",
    "tbilisi": "georgia",
    "berlin": "germany",
    "accra": "ghana",
    "athens": "greece",
    "conakry": "guinea",
    "port au prince": "haiti",
    "tegucigalpa": "honduras",
    "budapest": "hungary",
    "reykjavik": "iceland",
    "new delhi": "india",
    "delhi": "india",
    "jakarta": "indonesia",
    "tehran": "iran",
    "baghdad": "iraq",
    "dublin": "ireland",
    "rome": "italy",
    "tokyo": "japan",
    "amman": "jordan",
    "astana": "kazakhstan",
    "nairobi": "kenya",
    "bishkek": "kyrgyzstan",
    "vientiane": "laos",
    "riga": "latvia",
    "beirut": "lebanon",
    "maseru": "lesotho",
    "monrovia": "liberia",
    "tripoli": "libya",
    "vilnius": "lithuania",
    "antananarivo": "madagascar",
    "lilongwe": "malawi",
    "kuala lumpur": "malaysia",
    "bamako": "mali",
    "valletta": "malta",
    "nouakchott": "mauritania",
    "port louis": "mauritius",
    "mexico city": "mexico",
    "chisinau": "moldova",
    "ulaanbaatar": "mongolia",
    "podgorica": "montenegro",
    "rabat": "morocco",
    "maputo": "mozambique",
    "naypyidaw": "myanmar",
    "windhoek": "namibia",
    "kathmandu": "nepal",
    "amsterdam": "netherlands",
    "wellington": "new zealand",
    "managua": "nicaragua",
    "niamey": "niger",
    "abuja": "nigeria",
    "pyongyang": "north korea",
    "skopje": "north macedonia",
    "oslo": "norway",
    "muscat": "oman",
    "islamabad": "pakistan",
    "port moresby": "papua new guinea",
    "asuncion": "paraguay",
    "lima": "peru",
    "manila": "philippines",
    "warsaw": "poland",
    "lisbon": "portugal",
    "doha": "qatar",
    "seoul": "republic of korea",
    "bucharest": "romania",
    "moscow": "russia",
    "kigali": "rwanda",
    "riyadh": "saudi arabia",
    "dakar": "senegal",
    "belgrade": "serbia",
    "freetown": "sierra leone",
    "bratislava": "slovakia",
    "ljubljana": "slovenia",
    "honiara": "solomon islands",
    "mogadishu": "somalia",
    "pretoria": "south africa",
    "juba": "south sudan",
    "madrid": "spain",
    "colombo": "sri lanka",
    "khartoum": "sudan",
    "paramaribo": "suriname",
    "stockholm": "sweden",
    "bern": "switzerland",
    "damascus": "syria",
    "taipei": "taiwan",
    "dushanbe": "tajikistan",
    "dodoma": "tanzania",
    "bangkok": "thailand",
    "dili": "east timor",
    "lome": "togo",
    "nuku alofa": "tonga",
    "tunis": "tunisia",
    "ankara": "turkey",
    "ashgabat": "turkmenistan",
    "kampala": "uganda",
    "kyiv": "ukraine",
    "abu dhabi": "united arab emirates",
    "london": "united kingdom",
    "washington": "united states",
    "montevideo": "uruguay",
    "tashkent": "uzbekistan",
    "port vila": "vanuatu",
    "caracas": "venezuela",
    "hanoi": "vietnam",
    "sanaa": "yemen",
    "lusaka": "zambia",
    "harare": "zimbabwe",
}

# An earlier English name -> the one in use now (single words: matched word for word).
FORMER_NAMES: Mapping[str, str] = {
    "bombay": "mumbai",
    "calcutta": "kolkata",
    "madras": "chennai",
    "peking": "beijing",
    "canton": "guangzhou",
    "kiev": "kyiv",
    "rangoon": "yangon",
    "burma": "myanmar",
    "ceylon": "sri lanka",
    "siam": "thailand",
    "persia": "iran",
    "swaziland": "eswatini",
    "saigon": "ho chi minh city",
    "dacca": "dhaka",
    "kampuchea": "cambodia",
}

# Names statements use for the same state or body, as normalised text: one statement
# says "North Korea", the next "the DPRK". A query naming it the first way also
# searches the second. Mostly one way, long name -> short: a short name read as its
# long form would be matched word by word ("eu" -> "european" + "union" finds the
# European Investment Bank), and "korea" alone cannot tell North from South.
OTHER_NAMES: Mapping[str, str] = {
    "north korea": "dprk",
    "democratic people republic of korea": "dprk",
    "dprk": "north korea",
    "republic of korea": "rok",
    "south korea": "rok",
    "united nations": "un",
    "european union": "eu",
    "united kingdom": "uk",
    "united arab emirates": "uae",
}

# A capital before one of these nouns names a text or a process ("Paris Agreement",
# "Doha Round", "Oslo Accords", "Rome Statute"), not its country.
NAMED_AFTER = frozenset(
    """
    agreement agreements accord accords declaration declarations protocol convention
    conventions round process format club pact statute charter principles consensus
    framework group final plan programme program action rules treaty document documents
    initiative commitments code mandate roadmap formula communique guidelines memorandum
    agenda platform naval peace ii iii post university
    """.split()
)

# Words of a multi-word capital that say nothing on their own ("new" in New Delhi).
_GENERIC = frozenset(
    "new city port san saint st la el de of the bandar seri".split()
    + "au prince abu louis vila nuku alofa".split()  # Port-au-Prince, Abu Dhabi, ...
)


@cache
def capital_names() -> Mapping[str, tuple[str, ...]]:
    """Country (normalised) -> the names of its capital, former names too ("kiev")."""
    out: dict[str, list[str]] = {}
    old_names = [(old, new) for old, new in FORMER_NAMES.items() if new in CAPITALS]
    for capital, country in [*CAPITALS.items(), *old_names]:
        out.setdefault(CAPITALS.get(country, country), []).append(capital)
    return {k: tuple(v) for k, v in out.items()}


def capitals_of(country: str) -> tuple[str, ...]:
    """The capital's names (normalised, former names too: "kiev") of a country given by
    its normalised name."""
    return capital_names().get(country, ())


def capital_words(country: str) -> frozenset[str]:
    """Words that name ``country`` through its capital ("delhi" for India; "new" is left
    out), for matching a document's metadata."""
    return frozenset(
        w for capital in capitals_of(country) for w in capital.split() if w not in _GENERIC
    )


def same_name_variants(words: Sequence[str], limit: int = 2) -> list[list[str]]:
    """``words`` with a name in :data:`OTHER_NAMES` swapped for its other form
    (["north", "korea", "missiles"] -> [["dprk", "missiles"]]); at most ``limit``.

    A question's content has lost its small words, so "republic korea" is found too;
    "republic of korea" inside "democratic people republic of korea" is not."""
    out: list[list[str]] = []
    forms = [(name.split(), other) for name, other in OTHER_NAMES.items()]
    forms += [([w for w in name if w not in ("of", "the")], other) for name, other in forms]
    i = 0
    while i < len(words) and len(out) < limit:
        for name, other in forms:
            n = len(name)
            if list(words[i : i + n]) == name and not (i and words[i - 1] == "people"):
                out.append([*words[:i], *other.split(), *words[i + n :]])
                i += n - 1
                break
        i += 1
    return out
