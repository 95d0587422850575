"""Link the words of a question to a table: columns, cell values, numbers, dates, keywords.

Every token ends up in exactly one mention; tokens nothing claims become ``unknown`` mentions,
which is how the engine knows it has not understood the whole question.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from core.catalog import ColumnInfo, TableInfo
from core.nl2sql.vocabulary import (
    ABBREVIATIONS,
    GENERIC,
    GLUE_VERBS,
    KEYWORDS,
    LIGHT_VERBS,
    MONTHS,
    STOP_WORDS,
    UNITS,
    Token,
    root,
    stem,
    synonyms,
    tokenize,
    word_set,
    words_of,
)

MentionKind = Literal[
    "keyword", "column", "value", "table", "number", "date", "stop", "unknown", "verb"
]
Phrase = tuple[str, ...]

_MAX_PHRASE = 8
_FOOTNOTE = re.compile(r"\[[^\]]*\]|\([^)]*\)|[*†‡§¹²³]+")


@dataclass(frozen=True)
class DateSpan:
    """A calendar period named in a question: [start, end)."""

    start: date
    end: date
    label: str
    grain: Literal["day", "month", "year", "month_of_year"]


@dataclass(frozen=True)
class Mention:
    kind: MentionKind
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    text: str
    key: str = ""  # keyword id for keyword mentions
    columns: tuple[ColumnInfo, ...] = ()  # candidates, best first
    choices: tuple[tuple[ColumnInfo, Any], ...] = ()  # (column, cell value) for values
    number: float | None = None
    span: DateSpan | None = None
    strength: int = 3  # 3 exact, 2 synonym, 1 one word of a longer column name


@dataclass(frozen=True)
class _Entry:
    kind: Literal["column", "value", "table"]
    strength: int
    column: ColumnInfo | None = None
    value: Any = None


@dataclass
class Lexicon:
    """Phrases (tuples of stems) that name this table, its columns and its cell values."""

    table: TableInfo
    entries: dict[Phrase, list[_Entry]] = field(default_factory=lambda: defaultdict(list))
    roots: dict[str, list[ColumnInfo]] = field(default_factory=lambda: defaultdict(list))
    table_roots: set[str] = field(default_factory=set)
    bags: list[tuple[frozenset[str], ColumnInfo]] = field(default_factory=list)

    def add(self, phrase: Phrase, entry: _Entry) -> None:
        if phrase and all(entry != e for e in self.entries[phrase]):
            self.entries[phrase].append(entry)


def _phrase(text: str) -> Phrase:
    return tuple(stem(w) for w in words_of(text))


def _variants(text: str) -> set[Phrase]:
    """A header or cell with and without footnote marks and parenthesised notes."""
    found = {_phrase(text), _phrase(_FOOTNOTE.sub(" ", text)), _phrase(text.replace("_", " "))}
    return {p for p in found if p}


def column_phrases(column: ColumnInfo) -> dict[Phrase, int]:
    exact = _variants(column.name) | _variants(column.original_name)
    exact |= {
        p[:i] + ABBREVIATIONS[w] + p[i + 1 :]
        for p in exact
        for i, w in enumerate(p)
        if w in ABBREVIATIONS
    }
    phrases = dict.fromkeys(exact, 3)
    for phrase in exact:
        for i, word in enumerate(phrase):
            for other in synonyms(word) - {word}:
                phrases.setdefault(phrase[:i] + (other,) + phrase[i + 1 :], 2)
        significant = [w for w in phrase if w not in GENERIC and w not in STOP_WORDS]
        if len(phrase) > 1:
            for word in significant:
                for alias in synonyms(word):
                    phrases.setdefault((alias,), 1)
    return phrases


def build_lexicon(table: TableInfo) -> Lexicon:
    lexicon = Lexicon(table)
    for phrase in _variants(table.name) | _variants(table.original_filename.rsplit(".", 1)[0]):
        lexicon.add(phrase, _Entry("table", 3))
        if len(phrase) == 1:
            lexicon.table_roots.add(root(phrase[0]))
    for column in table.columns:
        phrases = column_phrases(column)
        bag = frozenset(w for p, s in phrases.items() if s == 3 for w in p)
        lexicon.bags.append((bag, column))
        for phrase, strength in phrases.items():
            lexicon.add(phrase, _Entry("column", strength, column))
            for word in phrase:
                if (
                    word not in GENERIC
                    and word not in STOP_WORDS
                    and column not in lexicon.roots[root(word)]
                ):
                    lexicon.roots[root(word)].append(column)
        if column.kind != "text":
            continue
        for value in profiled_values(column):
            for phrase in _variants(str(value)):
                if not all(w in STOP_WORDS for w in phrase):
                    lexicon.add(phrase, _Entry("value", 3, column, value))
    return lexicon


def profiled_values(column: ColumnInfo) -> list[Any]:
    seen = dict.fromkeys(v for v, _ in column.top_values)
    seen.update(dict.fromkeys(column.sample_values))
    return [v for v in seen if v is not None and str(v).strip()]


def link(question: str, table: TableInfo, lexicon: Lexicon | None = None) -> list[Mention]:
    lexicon = lexicon or build_lexicon(table)
    tokens = tokenize(question)
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        mention = _best_at(tokens, i, lexicon)
        mentions.append(mention)
        i = mention.end
    return [_unit_after_column(m, mentions[k - 1] if k else None) for k, m in enumerate(mentions)]


def _unit_after_column(m: Mention, prev: Mention | None) -> Mention:
    """'gold medals', 'height in ft': a unit word after a numeric column restates it."""
    numeric = (
        prev is not None and prev.kind == "column" and any(c.kind == "number" for c in prev.columns)
    )
    if m.kind == "unknown" and numeric and m.text in UNITS:
        return Mention("stop", m.start, m.end, m.text)
    return m


def _best_at(tokens: list[Token], i: int, lexicon: Lexicon) -> Mention:
    token = tokens[i]
    if token.kind == "quoted":
        return _quoted(token, i, lexicon)
    if token.kind == "date":
        return _iso_date(token, i)
    dated = _named_date(tokens, i)
    if dated:
        return dated
    for length in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
        window = tokens[i : i + length]
        if any(t.kind in ("quoted", "date") for t in window):
            continue
        found = _match(window, i, lexicon)
        if found:
            return found
    if token.kind == "number":
        return Mention("number", i, i + 1, token.text, number=token.number)
    after_number = i > 0 and tokens[i - 1].kind == "number"
    known = token.text in STOP_WORDS or (after_number and token.text in UNITS)
    if known or token.text in GLUE_VERBS:
        return Mention("stop", i, i + 1, token.text)
    if token.text in LIGHT_VERBS:
        return Mention("keyword", i, i + 1, token.text, key="light")
    if token.kind == "word" and root(token.text) in lexicon.table_roots:
        return Mention("stop", i, i + 1, token.text)  # 'products ordered' in table orders
    rooted = lexicon.roots.get(root(token.text), []) if token.kind == "word" else []
    columns = _unambiguous(rooted)
    if columns:  # 'produced' -> producer: names a column, never picks one alone
        return Mention("verb", i, i + 1, token.text, columns=tuple(columns), strength=0)
    kind: MentionKind = "unknown"
    return Mention(kind, i, i + 1, token.text)


def _match(window: list[Token], i: int, lexicon: Lexicon) -> Mention | None:
    """Claims for one span, best first: column, keyword, value, table, partial column."""
    words = tuple(t.text for t in window)
    phrase = tuple(stem(w) for w in words)
    entries = lexicon.entries.get(phrase, []) or _words_of_one_column(phrase, lexicon)
    text = " ".join(t.raw for t in window)
    end = i + len(window)
    columns = sorted((e for e in entries if e.kind == "column"), key=lambda e: -e.strength)
    strong = [e for e in columns if e.strength >= 2]
    keyword = KEYWORDS.get(words)
    values = [e for e in entries if e.kind == "value"]
    if strong and not (keyword and len(window) == 1 and words[0] in _STRUCTURAL):
        best = strong[0].strength
        cols = tuple(e.column for e in strong if e.strength == best)
        return Mention("column", i, end, text, columns=cols, strength=best)
    if keyword:
        return Mention("keyword", i, end, text, key=keyword)
    if values and (len(window) > 1 or window[0].kind != "number"):
        choices = tuple((e.column, e.value) for e in values)
        return Mention("value", i, end, text, choices=choices)
    if any(e.kind == "table" for e in entries):
        return Mention("table", i, end, text)
    partial = _unambiguous([e.column for e in columns])
    if partial:
        return Mention("column", i, end, text, columns=partial, strength=1)
    return None


def _words_of_one_column(phrase: Phrase, lexicon: Lexicon) -> list[_Entry]:
    """'2012 gdp' for the header 'GDP (USD bln) 2012': words of exactly one column's name."""
    if len(phrase) < 2 or phrase[0] in STOP_WORDS or phrase[-1] in STOP_WORDS:
        return []
    if all(w in GENERIC or w in STOP_WORDS for w in phrase):
        return []
    hits = [column for bag, column in lexicon.bags if set(phrase) <= bag]
    return [_Entry("column", 2, hits[0])] if len(hits) == 1 else []


def _unambiguous(columns: list[ColumnInfo]) -> tuple[ColumnInfo, ...]:
    """One word of several names ('enrollment' of undergraduate/graduate/total enrollment)
    picks nothing among columns of the same kind; across kinds the role decides."""
    kinds = [c.kind for c in columns]
    return tuple(c for c in columns if kinds.count(c.kind) == 1)


# Keywords that stay keywords even when a column happens to share the word.
_STRUCTURAL = word_set("by per of in and or not than between with where from for each")


def _quoted(token: Token, i: int, lexicon: Lexicon) -> Mention:
    phrase = _phrase(token.text)
    entries = lexicon.entries.get(phrase, [])
    values = tuple((e.column, e.value) for e in entries if e.kind == "value")
    if values:
        return Mention("value", i, i + 1, token.raw, choices=values)
    columns = tuple(e.column for e in entries if e.kind == "column" and e.strength == 3)
    if columns:
        return Mention("column", i, i + 1, token.raw, columns=columns)
    text_columns = tuple(c for c in lexicon.table.columns if c.kind == "text")
    literal = tuple((c, token.raw) for c in text_columns)
    return Mention("value", i, i + 1, token.raw, choices=literal, strength=1)


def _iso_date(token: Token, i: int) -> Mention:
    try:
        day = date.fromisoformat("-".join(p.zfill(2) for p in token.text.split("-")))
    except ValueError:
        return Mention("unknown", i, i + 1, token.raw)
    span = DateSpan(day, date.fromordinal(day.toordinal() + 1), day.isoformat(), "day")
    return Mention("date", i, i + 1, token.raw, span=span)


def _year(token: Token | None) -> int | None:
    if token and token.kind == "number" and token.number is not None:
        year = int(token.number)
        if year == token.number and 1800 <= year <= 2200 and "," not in token.text:
            return year
    return None


def _named_date(tokens: list[Token], i: int) -> Mention | None:
    """'March 2024', 'march 3 2024', '3 March 2024' and 'in July' (a month of any year)."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    month = MONTHS.get(tokens[i].text)
    if month and (year := _year(nxt)):
        return _month_mention(tokens, i, i + 2, year, month)
    if month and nxt and nxt.number is not None and i + 2 < len(tokens):
        year = _year(tokens[i + 2])
        if year and nxt.number and 1 <= nxt.number <= 31:
            return _day_mention(tokens, i, i + 3, year, month, int(nxt.number))
    if tokens[i].number is not None and nxt and (month := MONTHS.get(nxt.text)):
        year = _year(tokens[i + 2]) if i + 2 < len(tokens) else None
        if year and tokens[i].number and 1 <= tokens[i].number <= 31:
            return _day_mention(tokens, i, i + 3, year, month, int(tokens[i].number))
    month = MONTHS.get(tokens[i].text)
    prev = tokens[i - 1].text if i else ""
    if month and tokens[i].text != "may" and prev in ("in", "during", "of"):
        label = calendar.month_name[month]
        span = DateSpan(date(2000, month, 1), date(2000, month, 1), label, "month_of_year")
        return Mention("date", i, i + 1, tokens[i].raw, span=span)
    return None


def _month_mention(tokens: list[Token], i: int, end: int, year: int, month: int) -> Mention:
    start = date(year, month, 1)
    stop = date(year + month // 12, month % 12 + 1, 1)
    label = f"{calendar.month_name[month]} {year}"
    text = " ".join(t.raw for t in tokens[i:end])
    return Mention("date", i, end, text, span=DateSpan(start, stop, label, "month"))


def _day_mention(tokens: list[Token], i: int, end: int, year: int, month: int, day: int):
    try:
        start = date(year, month, day)
    except ValueError:
        return None
    span = DateSpan(start, date.fromordinal(start.toordinal() + 1), start.isoformat(), "day")
    return Mention("date", i, end, " ".join(t.raw for t in tokens[i:end]), span=span)


def year_span(year: int) -> DateSpan:
    return DateSpan(date(year, 1, 1), date(year + 1, 1, 1), str(year), "year")
