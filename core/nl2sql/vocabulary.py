"""Words the offline rules engine knows without looking at any data.

Kept apart from the linking logic so the vocabulary can grow without touching the parser:
tokens, a light stemmer, stop words, synonym groups and the phrases that name operations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["word", "number", "date", "quoted"]


@dataclass(frozen=True)
class Token:
    text: str  # lower-cased, normalised
    raw: str  # as typed
    kind: TokenKind
    number: float | None = None


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})
_TOKEN = re.compile(
    r"""
    "(?P<dq>[^"]+)"                                  # "double quoted"
    | (?<![\w])'(?P<sq>[^']+)'(?![\w])               # 'single quoted'
    | (?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2})          # 2024-06-01
    | (?P<num>[-+]?[$€£]?\d[\d,]*(?:\.\d+)?%?(?![\w/:-]))  # 1,234.5  $20  15%
    | (?P<ordinal>\d{1,2})(?:st|nd|rd|th)\b              # 19th, 3rd
    | (?P<word>[^\W_][\w'&.:/+-]*[^\W_]|[^\W_])       # words, keep x-15, don't, 6:47
    | (?P<sym>[<>]=?|=|%)
    """,
    re.VERBOSE,
)


def normalise(text: str) -> str:
    """Fold accents and typographic quotes so 'Zürich' and 'zurich' link to each other."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def parse_number(text: str) -> float | None:
    cleaned = text.strip().lstrip("+$€£").rstrip("%").replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        return None


def tokenize(question: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(normalise(question)):
        group = match.lastgroup
        raw = match.group(group)
        if group in ("dq", "sq"):
            tokens.append(Token(raw.strip(), raw.strip(), "quoted"))
        elif group == "date":
            tokens.append(Token(raw.replace("/", "-"), raw, "date"))
        elif group == "num":
            tokens.append(Token(raw, raw, "number", parse_number(raw)))
        elif group == "ordinal":  # a word ('7th' can be a cell) that also reads as a day
            tokens.append(Token(match.group(0), match.group(0), "word", float(raw)))
        elif group == "sym":
            tokens.append(Token(raw, raw, "word"))
        else:
            word = raw.rstrip(".'")
            if word.endswith("'s"):
                word = word[:-2]
            tokens.append(Token(word, raw, "word"))
    return tokens


def words_of(text: str) -> list[str]:
    """Plain word list of a header or a cell value, for building the lexicon."""
    return [t.text for t in tokenize(text) if t.kind in ("word", "number", "date")]


_INVARIANT = {"series", "species", "news", "data", "status", "bus", "gas", "plus", "us", "is"}


def stem(word: str) -> str:
    """Plural folding only: 'categories' -> 'category', 'regions' -> 'region'."""
    if len(word) <= 3 or word in _INVARIANT or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# Groups of words that name the same thing in analysts' questions.
SYNONYM_GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(g.split())
    for g in (
        "revenue sale amount turnover income",
        "price cost",
        "quantity qty unit volume",
        "customer client buyer",
        "date day time",
        "product item",
        "category type kind class",
        "country nation",
        "region area zone territory",
        "channel source medium",
        "city town",
        "employee staff worker",
        "profit margin",
        "discount rebate",
        "year season",
        "score point",
        "population inhabitant",
        "rank position place",
        "team club side squad",
        "film movie picture",
        "game match fixture",
        "player athlete competitor",
        "winner champion",
        "song track",
        "people person",
    )
)

# Short forms in headers ('Pts', 'Att.', 'GP'), read as the words they stand for.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "pts": ("point",), "pt": ("point",), "gls": ("goal",), "apps": ("appearance",),
    "app": ("appearance",), "pos": ("position",), "att": ("attendance",),
    "pop": ("population",), "yr": ("year",), "yrs": ("year",), "amt": ("amount",),
    "avg": ("average",), "pct": ("percentage",), "dept": ("department",),
    "mgr": ("manager",), "gp": ("game",), "pld": ("played",), "rev": ("revenue",),
    "tot": ("total",), "cnt": ("count",), "ht": ("height",), "wt": ("weight",),
    "elev": ("elevation",), "dist": ("distance",), "temp": ("temperature",),
    "hrs": ("hour",), "mins": ("minute",), "secs": ("second",), "w": ("win",),
    "l": ("loss",), "d": ("draw",), "ga": ("goal", "against"), "gf": ("goal", "for"),
    "gd": ("goal", "difference"), "qty": ("quantity",), "no": ("number",),
    "nat": ("nationality",), "nationality": ("nation",), "cap": ("capacity",),
}  # fmt: skip


def synonyms(word: str) -> frozenset[str]:
    for group in SYNONYM_GROUPS:
        if word in group:
            return group
    return frozenset((word,))


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

STOP_WORDS = word_set(
    """
    a an the of is are was were be been being do does did done to for with on at in into
    from and or as that this these those there here it its their his her he she they them
    me my we our us i you your please can could would should will shall may might must
    what which who whom whose how when where why tell give show display find get got
    return list name named called have has had having also just only all any some
    data dataset table chart list listed row rows record records entry entries line lines
    value values result results information info overall whole entire ever column columns
    field fields according career
    """
)

# Phrases that name an operation. Longest phrase wins when several start at the same word.
KEYWORDS: dict[tuple[str, ...], str] = {}


def _add(key: str, *phrases: str) -> None:
    for phrase in phrases:
        KEYWORDS[tuple(phrase.split())] = key


_add("count", "how many", "number of", "count", "count of", "the number of", "total number of")
_add("count", "how many total", "how many different", "number of different", "num of")
_add("sum", "total", "sum", "sum of", "total of", "how much", "combined", "altogether")
_add("sum", "in total", "total amount of", "grand total")
_add("avg", "average", "avg", "mean", "on average", "typical", "the average")
_add("median", "median")
_add("min", "minimum", "min", "lowest", "smallest", "least", "fewest", "cheapest")
_add("min", "shortest", "earliest", "worst", "bottom", "lowest value")
_add("max", "maximum", "max", "highest", "largest", "biggest", "most", "greatest")
_add("max", "longest", "latest", "best", "top", "the most", "the highest", "peak")
_add("by", "by", "per", "for each", "for every", "each", "every", "across", "broken down by")
_add("by", "grouped by", "group by", "split by", "in each", "of each", "by each", "for all")
_add("gt", "more than", "greater than", "over", "above", "exceeding", "exceeds", "exceed")
_add("gt", "higher than", "larger than", "bigger than", "longer than", ">")
_add("gte", "at least", "no less than", "not less than", "or more", ">=", "minimum of")
_add("lt", "less than", "fewer than", "under", "below", "lower than", "smaller than", "<")
_add("lt", "shorter than", "cheaper than")
_add("lte", "at most", "no more than", "not more than", "or less", "or fewer", "<=", "up to")
_add("lte", "maximum of")
_add("eq", "equal to", "equals", "exactly", "=", "is equal to")
_add("between", "between")
_add("before", "before", "until", "prior to", "earlier than", "till")
_add("after", "after", "since", "later than")
_add("in", "in", "during", "for", "of", "from", "on", "within")
_add("not", "not", "except", "excluding", "other than", "non", "without", "never", "isn't")
_add("not", "aren't", "wasn't", "weren't", "doesn't", "didn't", "don't", "no")
_add("share", "share", "share of", "percentage", "percentage of", "percent", "percent of")
_add("share", "proportion", "proportion of", "fraction", "fraction of", "%", "pct")
_add("share", "what percentage", "what share", "what proportion", "split")
_add("trend", "trend", "over time", "trend of", "evolution", "history", "timeline")
_add("trend", "time series", "over the months", "over the years")
_add("month", "monthly", "month", "months", "month by month")
_add("year", "yearly", "year", "years", "annual", "annually", "year by year")
_add("quarter", "quarterly", "quarter", "quarters")
_add("week", "weekly", "week", "weeks")
_add("day", "daily", "day", "days")
_add("distinct", "distinct", "unique", "different", "what are the", "which are the")
_add("distinct", "all the", "all of the", "the list of", "list of", "kinds of", "types of")
_add("rows", "show me", "show", "list", "display", "give me", "find", "get", "all")
_add("rows", "rows", "records", "entries", "lines", "transactions")
_add("where", "where", "with", "whose", "having", "that have", "that has", "which have")
_add("where", "which has", "that had", "which had", "who have", "who has", "who had")
_add("first", "first", "1st", "top of the list", "at the top", "very top")
_add("last", "last", "final", "bottom of the list", "at the bottom", "very bottom")
_add("and", "and", "or", "and also", "as well as", ",", "&", "nor")
_add("than", "than")
_add("times", "times", "time")
_add("next", "next", "following", "right after", "immediately after", "the one after")
_add("next", "directly after", "just after", "after that", "next after", "listed after")
_add("previous", "previous", "preceding", "prior", "right before", "immediately before")
_add("previous", "just before", "directly before", "previous to", "listed before")
_add("max", "more", "higher", "larger", "bigger", "greater", "longer", "taller", "heavier")
_add("min", "less", "fewer", "lower", "smaller", "shorter", "lighter")
_add("difference", "difference", "difference in", "difference between", "the difference")
_add("difference", "how many more", "how much more", "how many less", "how many fewer")
_add("difference", "how much less", "gap", "gap between", "how far apart")
_add("same", "same", "the same", "same as", "the same as", "equal", "identical")
_add("alphabetical", "alphabetically", "alphabetical order", "in alphabetical order", "a-z")
_add("glue", "amount of", "the amount of", "an amount of")
_add("glue", "took place", "take place", "takes place", "taking place", "in the list")
_add("glue", "on the list", "in the table", "on the chart", "in the chart", "of the list")
_add("max", "more often", "most often", "most frequently", "more frequently", "most common")
_add("max", "the most common", "most frequent", "the most frequent", "more times", "most times")
_add("min", "least often", "less often", "least common", "least frequently", "fewest times")
_add("unsupported", "how long", "how old", "how far", "how big", "how tall", "how often")
_add("asc", "ascending", "lowest first", "smallest first")
_add("desc", "descending", "highest first", "largest first")

_IRREGULAR = {
    "won": "win", "lost": "lose", "ran": "run", "held": "hold", "made": "make", "took": "take",
    "taken": "take", "given": "give", "gave": "give", "sold": "sell", "built": "build",
    "wrote": "write", "written": "write", "drove": "drive", "driven": "drive", "began": "begin",
    "begun": "begin", "led": "lead", "paid": "pay", "spent": "spend", "chose": "choose",
    "chosen": "choose", "became": "become", "came": "come", "sang": "sing", "sung": "sing",
    "beaten": "beat", "shot": "shoot", "caught": "catch", "brought": "bring", "bought": "buy",
    "kept": "keep", "met": "meet", "sent": "send", "flew": "fly", "flown": "fly",
    "grew": "grow", "grown": "grow", "knew": "know", "known": "know", "seen": "see",
    "saw": "see", "went": "go", "gone": "go", "found": "find", "told": "tell", "sat": "sit",
    "stood": "stand", "fought": "fight", "taught": "teach", "born": "birth", "died": "death",
    "dead": "death",
}  # fmt: skip
_ROOT_SUFFIXES = ("ations", "ation", "ers", "ors", "ings", "ions", "er", "or", "ing", "ion",
                  "ed", "es", "s")  # fmt: skip


def root(word: str) -> str:
    """A crude common root for a verb and its nouns: produced/producer, won/winner/wins."""
    word = _IRREGULAR.get(word, word)
    for _ in range(2):  # 'ordered' -> 'order' -> 'ord', as 'orders' -> 'ord'
        for suffix in _ROOT_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    word = word.rstrip("e") if len(word) > 3 else word
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


# Passive verbs that only glue a filter on: 'events held in Canada', 'the ones listed'.
GLUE_VERBS = word_set(
    """held located situated based listed shown given used featured included found reported
    represented one ones both either occurred occur occurs happened happen published released
    launched appeared appears appear came come comes complete completed completes built made
    named
    performed"""
)
# Verbs that restate a number the question already names: 'points scored by X'.
LIGHT_VERBS = word_set(
    """receive received receives earn earned earns score scored scores achieve achieved collect
    collected gain gained obtain obtained record recorded register registered accumulate
    accumulated total totaled totalled tally tallied play played plays win won wins"""
)

# Units written after a number ('13,149 ft', 'over 20 km'): the number carries the meaning.
UNITS = word_set(
    """ft feet foot m meter meters metre metres km kilometer kilometers kilometres mi mile
    miles mph kph kmh kg kgs kilogram kilograms lb lbs pound pounds g gram grams t ton tons
    tonnes medal medals sec secs second seconds min mins minute minutes h hr hrs hour hours
    dollars usd eur euros people persons percent pts point points yd yds yards in inch inches
    cm mm"""
)

# Words that decide the shape but, alone, carry no column or value.
# Column-name words too generic to link a column by themselves.
GENERIC = word_set("id no nr num number code name of the a and in per total count value amount")
GRAINS = ("day", "week", "month", "quarter", "year")
