"""Pull the one SQL query (and a line of understanding) out of a model's free-form reply.

Models wrap SQL in many ways: fenced with or without a language, bare, inline after
"Query:", between prose, after a ``<think>`` block, with trailing semicolons. Extraction only
finds the text; whether it is safe to run is the guard's decision alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.errors import LLMError

NO_SQL_MESSAGE = "The model did not return a SQL query. Try rephrasing the question."
DEFAULT_UNDERSTANDING = "Model-written SQL"
MAX_UNDERSTANDING_CHARS = 200

_SQL_LANGUAGES = {"", "sql", "duckdb", "postgresql", "postgres", "psql", "sqlite", "ansi"}
_THINK = re.compile(r"<think(?:ing)?>.*?(?:</think(?:ing)?>|\Z)", re.S | re.I)
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_SQL_TAG = re.compile(r"<sql>(.*?)</sql>", re.S | re.I)
_START = re.compile(
    r"(?:^|(?<=\n)|(?<=:)|(?<=`))[ \t>*-]*(?:(?:sql|query)\s*:\s*)?(?=(?:select|with|from)\b)",
    re.I,
)
_WITH_CTE = re.compile(
    r"with\s+(?:recursive\s+)?(?:\"[^\"]+\"|\w+)\s*(?:\([^)]*\))?\s+as\s*\(", re.I
)
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z][a-z])")
_PROSE_LINE = re.compile(r"[ \t]*([A-Z][a-z]*)(?:[ \t]+[a-z][\w'’,]*){2,}")
_SQL_WORDS = frozenset(
    {"select", "from", "where", "group", "order", "having", "limit", "offset", "and", "or"}
    | {"not", "join", "left", "right", "inner", "outer", "full", "cross", "on", "using"}
    | {"union", "except", "intersect", "with", "as", "case", "when", "then", "else", "end"}
    | {"qualify", "window", "values", "by", "asc", "desc"}
)


@dataclass(frozen=True)
class Extracted:
    sql: str
    understanding: str


def extract(reply: str) -> Extracted:
    """The first SQL query in ``reply`` and the first useful prose sentence around it."""
    text = _THINK.sub("", reply or "")
    sql = _from_fences(text) or _from_tags(text) or _from_prose(text)
    if not sql:
        raise LLMError(NO_SQL_MESSAGE)
    return Extracted(sql=sql, understanding=understanding_of(text, sql))


def extract_sql(reply: str) -> str:
    return extract(reply).sql


def _clean(sql: str) -> str:
    sql = sql.strip()
    if re.match(r"sql\s*\n", sql, re.I):  # "```\nsql\nSELECT ..." leaves the language behind
        sql = sql[3:].lstrip()
    return sql.rstrip().rstrip(";").rstrip()


def _looks_like_sql(text: str) -> bool:
    body = re.sub(r"^\s*(--[^\n]*\n|/\*.*?\*/)*", "", text, flags=re.S).lstrip("( \n\t")
    return bool(re.match(r"(select|with|from)\b", body, re.I))


def _from_fences(text: str) -> str | None:
    for match in _FENCE.finditer(text):
        language, body = match.group(1).lower(), _clean(match.group(2))
        if language in _SQL_LANGUAGES and body and _looks_like_sql(body):
            return body
    return None


def _from_tags(text: str) -> str | None:
    for match in _SQL_TAG.finditer(text):
        body = _clean(match.group(1))
        if body and _looks_like_sql(body):
            return body
    return None


def _from_prose(text: str) -> str | None:
    """Bare SQL, or SQL between sentences: the first candidate that parses as a query.

    Unfenced text is only taken when it parses, so a sentence starting "Select the..." is
    not mistaken for SQL.
    """
    candidates = [_clean(_cut_statement(text[m.end() :])) for m in _START.finditer(text)]
    candidates = [c for c in candidates if c and _plausible(c)]
    return next(filter(None, map(_longest_parsing_prefix, candidates)), None)


def _longest_parsing_prefix(candidate: str) -> str | None:
    """The candidate, or the longest run of its leading lines that parses as one query."""
    lines = candidate.splitlines()
    for end in range(len(lines), max(0, len(lines) - 30), -1):
        prefix = _clean("\n".join(lines[:end]))
        if prefix and _parses_as_query(prefix):
            return prefix
    return None


def _plausible(candidate: str) -> bool:
    if candidate[:4].lower() == "with":
        return bool(_WITH_CTE.match(candidate))
    return True


def _parses_as_query(candidate: str) -> bool:
    try:
        parsed = sqlglot.parse(candidate, read="duckdb")
    except SqlglotError:
        return False
    return len(parsed) == 1 and isinstance(parsed[0], exp.Query)


def _cut_statement(text: str) -> str:
    """The SQL up to its end: a semicolon, a blank line, a backtick or a new prose sentence."""
    quote: str | None = None
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif _statement_ends_at(text, index):
            return text[:index]
    return text


def _statement_ends_at(text: str, index: int) -> bool:
    char = text[index]
    if char in ";`" or text.startswith(("\n\n", "\r\n\r\n"), index):
        return True
    if char == "\n":
        return _is_prose_line(text[index + 1 :])
    return char == "." and bool(_SENTENCE_END.match(text, index)) and _ends_sentence(text, index)


def _is_prose_line(rest: str) -> bool:
    """``That's the total per region.`` after the query, as opposed to ``WHERE x = 1``."""
    match = _PROSE_LINE.match(rest)
    return bool(match) and match.group(1).lower() not in _SQL_WORDS


def _ends_sentence(text: str, index: int) -> bool:
    """``FROM t. This returns...``: a period after a word, then a capitalised word."""
    before = text[max(0, index - 1) : index]
    return before.isalnum() or before in "\")'"


def understanding_of(text: str, sql: str) -> str:
    """The first prose sentence that says something, else a neutral label."""
    prose = _FENCE.sub("\n", text.replace(sql, "\n") if sql else text)
    prose = _SQL_TAG.sub("\n", prose)
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", prose):
        sentence = sentence.strip(" \t*#>-`")
        if _is_informative(sentence):
            return _shorten(sentence)
    return DEFAULT_UNDERSTANDING


def _is_informative(sentence: str) -> bool:
    if len(sentence) < 8 or sentence.endswith(":") or _looks_like_sql(sentence):
        return False
    filler = r"(sure|certainly|of course|okay|ok|here('s| is| are)|below is|the following)\b"
    return not re.match(filler, sentence, re.I)


def _shorten(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    if len(sentence) <= MAX_UNDERSTANDING_CHARS:
        return sentence
    return sentence[: MAX_UNDERSTANDING_CHARS - 1].rstrip() + "…"
