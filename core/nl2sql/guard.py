"""The first wall: accept exactly one read-only query over this chat's own tables.

The guard works on sqlglot's parsed tree (DuckDB dialect), never on the text, and it is an
allow-list: every node, function and table in the tree must be known to be harmless, so
syntax nobody thought of is refused rather than let through. The SQL that runs is the tree
re-rendered by sqlglot, checked a second time, so DuckDB never sees text the guard did not
read itself. The sandbox in ``core.warehouse`` holds even when this wall is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from core.errors import UnsafeQueryError
from core.nl2sql.value_size import check_value_size

DIALECT = "duckdb"
MAX_SQL_CHARS = 50_000
ONLY_OWN_TABLES = "questions can only read this chat's tables"
READ_ONLY_REFUSAL = "Only one read-only query (SELECT) can run; this SQL contains"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# First words of statements sqlglot may not parse, for a refusal that names them.
_STATEMENT_KEYWORDS = _words(
    """EXPORT IMPORT COPY ATTACH DETACH INSTALL FORCE LOAD SET RESET PRAGMA CALL CREATE DROP
    ALTER INSERT UPDATE DELETE MERGE UPSERT REPLACE TRUNCATE USE CHECKPOINT VACUUM BEGIN
    COMMIT ROLLBACK ABORT GRANT REVOKE DESCRIBE SHOW SUMMARIZE PIVOT UNPIVOT PREPARE EXECUTE
    DEALLOCATE EXPLAIN ANALYZE COMMENT"""
)


# Syntax a read-only query is made of. Anything else (statements, INTO, locks, parameters,
# time travel, DESCRIBE/SHOW/SUMMARIZE in a subquery...) is refused.
_QUERY_NODES: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values, exp.Subquery,
        exp.With, exp.CTE, exp.From, exp.Join, exp.Lateral, exp.Where, exp.Group, exp.Having,
        exp.Qualify, exp.Order, exp.Ordered, exp.Limit, exp.Offset, exp.Fetch,
        exp.LimitOptions, exp.Distinct, exp.Cube, exp.Rollup, exp.GroupingSets, exp.Window,
        exp.WindowSpec, exp.Filter, exp.WithinGroup, exp.IgnoreNulls, exp.RespectNulls,
        exp.Pivot, exp.PivotAlias, exp.UnpivotColumns, exp.TableSample, exp.Table,
        exp.TableAlias, exp.Alias, exp.Column, exp.Identifier, exp.Star, exp.Dot,
        exp.Bracket, exp.Slice, exp.Lambda, exp.Kwarg, exp.PropertyEQ, exp.Tuple, exp.Paren,
        exp.Literal, exp.Null, exp.Boolean, exp.Var, exp.HexString, exp.BitString,
        exp.ByteString, exp.RawString, exp.DataType, exp.DataTypeParam, exp.Interval,
        exp.IntervalSpan, exp.AtTimeZone, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv,
        exp.Mod, exp.DPipe, exp.Neg, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT,
        exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Is, exp.In, exp.Between, exp.Like,
        exp.ILike, exp.SimilarTo, exp.Glob, exp.Escape, exp.Any, exp.All, exp.BitwiseAnd,
        exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseNot, exp.BitwiseLeftShift,
        exp.BitwiseRightShift, exp.Comprehension, exp.JSONPath, exp.JSONPathRoot,
        exp.JSONPathKey, exp.JSONPathSubscript, exp.JSONPathWildcard, exp.JSONPathSlice,
        exp.JSONPathUnion, exp.JSONPathRecursive, exp.JSONPathSelector,
    }
)  # fmt: skip

# Statements that change or reach outside the database, named in refusals.
_STATEMENT_WORDS: dict[type[exp.Expr], str] = {
    exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE",
    exp.Drop: "DROP", exp.Alter: "ALTER", exp.Copy: "COPY", exp.Export: "EXPORT",
    exp.Attach: "ATTACH", exp.Detach: "DETACH", exp.Install: "INSTALL", exp.Pragma: "PRAGMA",
    exp.Set: "SET", exp.Use: "USE", exp.Describe: "DESCRIBE", exp.Show: "SHOW",
    exp.Summarize: "SUMMARIZE", exp.Transaction: "BEGIN", exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK", exp.TruncateTable: "TRUNCATE", exp.Comment: "COMMENT",
    exp.Into: "SELECT INTO", exp.LoadData: "LOAD", exp.Analyze: "ANALYZE",
    exp.Grant: "GRANT", exp.Revoke: "REVOKE", exp.Cache: "CACHE", exp.Refresh: "REFRESH",
}  # fmt: skip

# sqlglot's function classes are allowed family by family: these modules hold pure
# computations (numbers, text, dates, lists, JSON values, aggregates and window functions).
_PURE_FUNCTION_MODULES = ("aggregate", "math", "string", "temporal", "array", "json")
# ...except what produces rows or touches the outside world.
_IMPURE_IN_PURE_MODULES = frozenset(
    {"JSONTable", "OpenJSON", "ToFile", "Secret", "Generator", "Stack", "Inline"}
)
_FUNCTION_CLASSES: frozenset[type[exp.Func]] = frozenset(
    cls
    for cls in exp.ALL_FUNCTIONS
    if cls.__module__.rsplit(".", 1)[-1] in _PURE_FUNCTION_MODULES
    and cls.__name__ not in _IMPURE_IN_PURE_MODULES
    and (cls is exp.Unnest or not issubclass(cls, exp.UDTF))
) | {
    exp.And, exp.Or, exp.Xor, exp.Pow, exp.RegexpLike, exp.ApproxDistinct, exp.Typeof,
    exp.Case, exp.If, exp.Cast, exp.TryCast, exp.Coalesce, exp.Nullif, exp.Greatest,
    exp.Least, exp.Collate, exp.Columns, exp.Exists, exp.Rand, exp.Uuid,
    exp.Explode,  # DuckDB's UNNEST in a select list
}  # fmt: skip

# DuckDB functions sqlglot has no class for (they parse as exp.Anonymous).
_ANONYMOUS_FUNCTIONS = _words(
    """
    even gamma gcd lcm round_even roundbankers signbit isfinite fmod nextafter lgamma
    bit_count bar prefix suffix printf hamming jaccard jaro_similarity damerau_levenshtein
    strlen hash strip_accents ord url_decode url_encode format_bytes formatreadablesize
    formatreadabledecimalsize to_base bin unbin regexp_split_to_array regexp_escape
    nfc_normalize left_grapheme right_grapheme length_grapheme substring_grapheme age century
    date_part datepart date_sub datesub decade epoch_us epoch_ns era isoyear julian
    microsecond millennium millisecond nanosecond try_strptime timezone timezone_hour
    timezone_minute to_centuries to_decades to_hours to_microseconds to_millennia
    to_milliseconds to_minutes to_months to_quarters to_seconds to_weeks to_years weekday
    yearweek now get_current_timestamp transaction_timestamp days_in_month ago array_aggr
    array_aggregate array_apply array_extract array_has_any array_indexof array_reduce
    array_select array_transform array_unique array_value array_where array_zip
    array_pop_back array_pop_front cardinality list_aggr list_aggregate list_apply list_cat
    list_element list_extract list_has_all list_indexof list_intersect list_pack
    list_position list_reduce list_resize list_select list_slice list_unique list_where
    list_zip list_sum list_avg list_count list_median list_mode list_first list_last
    list_string_agg list_reverse list_any_value list_product list_stddev_samp list_var_samp
    element_at map_concat map_contains map_entries map_extract map_extract_value map_values
    struct_insert struct_keys struct_values row json_array_length json_contains json_exists
    json_quote json_structure json_transform json_valid json_value to_json json_group_array
    json_group_object array_to_json row_to_json enum_code enum_first enum_last enum_range
    equi_width_bins arbitrary arg_max_null arg_min_null count_star entropy favg fsum
    histogram kahan_sum kurtosis_pop mad mean product reservoir_quantile sem sumkahan
    geomean geometric_mean weighted_avg wavg fill rank_dense
    """
)

# Function families that read files, other databases or the engine's own state: refused
# with a message saying why.
_OUTSIDE_PREFIXES = (
    "read_", "parquet_", "sqlite_", "postgres_", "mysql_", "iceberg_", "delta_", "duckdb_",
    "pragma_", "json_execute", "python_", "arrow_", "pandas_",
)  # fmt: skip
_OUTSIDE_NAMES = _words(
    """glob query query_table getenv current_setting getvariable sniff_csv which_secret
    checkpoint force_checkpoint summary delta_scan"""
)

# Table functions a question may put in FROM: number series and list unnesting, both
# bounded by the sandbox's time and memory limits.
_TABLE_FUNCTIONS: tuple[type[exp.Func], ...] = (exp.GenerateSeries, exp.Unnest)

_PATH_LIKE = re.compile(r"[/\\:.~]")
_TOKEN_REPR = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: .*?>")


@dataclass(frozen=True)
class GuardedQuery:
    """A query that passed the guard.

    ``sql`` carries a LIMIT of at most ``row_limit + 1`` rows so the caller can tell that
    the result was cut; ``unlimited_sql`` is the same checked query without that cap (a
    user's own LIMIT is kept), for counting the true total when ``sql`` hit the cap.
    """

    sql: str
    tables: frozenset[str]
    unlimited_sql: str


def guard_sql(sql: str, allowed_tables: Collection[str], row_limit: int) -> GuardedQuery:
    """Check ``sql`` against this chat's tables; raise UnsafeQueryError naming what is refused."""
    if row_limit < 1:
        raise ValueError("row_limit must be at least 1")
    allowed = {name.casefold(): name for name in allowed_tables}
    tree = _parse_one(sql)
    tables = _check_query(tree, allowed)
    for node in tree.walk():
        node.comments = None
    unlimited_sql = tree.sql(dialect=DIALECT)
    limited_sql = _with_row_cap(tree, row_limit + 1).sql(dialect=DIALECT)
    # What runs is sqlglot's rendering: read it back and check it again.
    _check_query(_parse_one(limited_sql, max_chars=None), allowed)
    return GuardedQuery(sql=limited_sql, tables=frozenset(tables), unlimited_sql=unlimited_sql)


def _parse_one(sql: str, max_chars: int | None = MAX_SQL_CHARS) -> exp.Expr:
    if not sql or not sql.strip():
        raise UnsafeQueryError("There is no SQL to run.")
    if max_chars is not None and len(sql) > max_chars:
        raise UnsafeQueryError(
            f"The SQL is too long to check ({len(sql):,} characters; the limit is {max_chars:,})."
        )
    try:
        parsed = sqlglot.parse(sql, read=DIALECT)
        # A comment after the last semicolon parses as an empty statement.
        statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    except ParseError as error:
        word = _first_word(sql)
        if word in _STATEMENT_KEYWORDS:
            raise UnsafeQueryError(f"{READ_ONLY_REFUSAL} {word}.") from None
        raise UnsafeQueryError(f"The SQL could not be read: {_parse_reason(error)}") from None
    except SqlglotError as error:
        reason = str(error).splitlines()[0] if str(error) else "unexpected text"
        raise UnsafeQueryError(f"The SQL could not be read: {reason}") from None
    except RecursionError:
        raise UnsafeQueryError("The SQL is nested too deeply to check.") from None
    if not statements:
        raise UnsafeQueryError("There is no SQL to run.")
    if len(statements) > 1:
        words = ", ".join(_statement_word(s) for s in statements)
        raise UnsafeQueryError(
            f"Only one query can run at a time; this SQL holds {len(statements)} "
            f"statements ({words})."
        )
    return statements[0]


def _first_word(sql: str) -> str | None:
    try:
        tokens = sqlglot.tokenize(sql, read=DIALECT)
    except SqlglotError:
        return None
    return tokens[0].text.upper() if tokens else None


def _parse_reason(error: ParseError) -> str:
    if error.errors:
        first = error.errors[0]
        reason = str(first.get("description") or "unexpected text").rstrip(".")
        reason = _TOKEN_REPR.sub(r"'\1'", reason)
        return f"{reason} (line {first.get('line')}, column {first.get('col')})."
    return str(error).splitlines()[0]


def _check_query(tree: exp.Expr, allowed: dict[str, str]) -> set[str]:
    """Refuse the first thing that is not allow-listed; return the chat tables read."""
    root = tree
    while isinstance(root, exp.Subquery | exp.Paren):
        root = root.this
    if not isinstance(root, exp.Select | exp.SetOperation | exp.Values):
        raise _not_read_only(tree)
    tables: set[str] = set()
    for node in tree.walk():
        if isinstance(node, exp.Func):
            _check_function(node, allowed)
        elif type(node) not in _QUERY_NODES:
            raise _refuse_node(node)
        elif isinstance(node, exp.Table):
            table = _check_table(node, allowed)
            if table:
                tables.add(table)
        elif isinstance(node, exp.CTE) and _PATH_LIKE.search(node.alias_or_name):
            raise _refuse_file(node.alias_or_name)
    return tables


def _statement_word(node: exp.Expr) -> str:
    if isinstance(node, exp.Create):
        return f"CREATE {node.args.get('kind') or ''}".strip()
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    for cls, word in _STATEMENT_WORDS.items():
        if isinstance(node, cls):
            return word
    if isinstance(node, exp.Select | exp.SetOperation | exp.Values | exp.Subquery):
        return "SELECT"
    words = _snippet(node).split()
    return words[0].upper() if words else node.key.upper()


def _not_read_only(node: exp.Expr) -> UnsafeQueryError:
    return UnsafeQueryError(f"{READ_ONLY_REFUSAL} {_statement_word(node)}.")


def _refuse_node(node: exp.Expr) -> UnsafeQueryError:
    if isinstance(node, (exp.DDL, exp.DML, exp.Command, *_STATEMENT_WORDS)):
        return _not_read_only(node)
    if isinstance(node, exp.Placeholder | exp.Parameter | exp.SessionParameter):
        return UnsafeQueryError(
            "Query parameters and variables are not allowed: write the values into the SQL."
        )
    return UnsafeQueryError(
        f"This SQL uses {node.key.upper()} ({_snippet(node)}), which questions cannot use."
    )


def _snippet(node: exp.Expr) -> str:
    try:
        text = node.sql(dialect=DIALECT)
    except SqlglotError:
        text = node.key
    return text if len(text) <= 60 else text[:57] + "..."


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        return str(node.name).lower()
    return node.sql_name().lower()


def _reaches_outside(name: str) -> bool:
    return name.startswith(_OUTSIDE_PREFIXES) or name in _OUTSIDE_NAMES


def _check_function(node: exp.Func, allowed: dict[str, str]) -> None:
    name = _function_name(node)
    if _reaches_outside(name):
        raise UnsafeQueryError(f"The function {name} is not allowed: {ONLY_OWN_TABLES}.")
    in_from = isinstance(node.parent, exp.Table) and node.parent.this is node
    if in_from and not isinstance(node, _TABLE_FUNCTIONS):
        raise UnsafeQueryError(
            f"The table function {name} is not allowed: {ONLY_OWN_TABLES}. "
            f"Tables you can use: {_table_list(allowed)}."
        )
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        # DuckDB's method syntax (`region.upper()`) parses as Anonymous even for known names.
        known = exp.FUNCTION_BY_NAME.get(name.upper())
        if name not in _ANONYMOUS_FUNCTIONS and known not in _FUNCTION_CLASSES:
            raise UnsafeQueryError(f"The function {name} is not available in questions.")
    elif type(node) not in _FUNCTION_CLASSES:
        raise UnsafeQueryError(f"The function {name} is not available in questions.")
    if not in_from:
        check_value_size(node, name)


def _check_table(node: exp.Table, allowed: dict[str, str]) -> str | None:
    """Return the chat table ``node`` reads, None for a CTE or a table function."""
    if isinstance(node.this, exp.Func):
        return None
    if not isinstance(node.this, exp.Identifier) or node.args.get("db") or node.args.get("catalog"):
        raise UnsafeQueryError(
            f"The table `{_snippet(node)}` cannot be named with a schema or database: "
            f"use the plain table name. Tables you can use: {_table_list(allowed)}."
        )
    name = node.name
    if _PATH_LIKE.search(name):
        raise _refuse_file(name)
    if name.casefold() in _visible_ctes(node):
        return None
    if name.casefold() not in allowed:
        raise UnsafeQueryError(
            f"The table `{name}` is not in this chat. Tables you can use: {_table_list(allowed)}."
        )
    return allowed[name.casefold()]


def _visible_ctes(node: exp.Expr) -> set[str]:
    """CTE names in scope at ``node``, as DuckDB binds them.

    A CTE sees only the CTEs before it in its WITH (all of them, itself included, under
    WITH RECURSIVE); a name out of scope would reach DuckDB's file scans instead.
    """
    names: set[str] = set()
    for child, parent in _ancestors(node):
        if isinstance(parent, exp.With):
            ctes = parent.expressions
            position = next((i for i, cte in enumerate(ctes) if cte is child), 0)
            visible = ctes if parent.args.get("recursive") else ctes[:position]
            names.update(cte.alias_or_name.casefold() for cte in visible)
        elif isinstance(parent, exp.Query) and parent.args.get("with_") is not child:
            names.update(c.alias_or_name.casefold() for c in parent.ctes)
    return names


def _ancestors(node: exp.Expr) -> Iterator[tuple[exp.Expr, exp.Expr]]:
    child, parent = node, node.parent
    while parent is not None:
        yield child, parent
        child, parent = parent, parent.parent


def _refuse_file(name: str) -> UnsafeQueryError:
    return UnsafeQueryError(f"Reading files or URLs is not allowed (`{name}`): {ONLY_OWN_TABLES}.")


def _table_list(allowed: dict[str, str]) -> str:
    return ", ".join(sorted(allowed.values())) if allowed else "none yet (add a CSV file)"


def _with_row_cap(tree: exp.Expr, cap: int) -> exp.Expr:
    """At most ``cap`` rows: lower the query's own LIMIT, or wrap the query in one."""
    query = tree.copy()
    while isinstance(query, exp.Subquery) and not any(
        v for k, v in query.args.items() if k != "this"
    ):
        query = query.this
    if isinstance(query, exp.Select | exp.SetOperation):
        limit = query.args.get("limit")
        if limit is None:
            return _set_limit(query, cap)
        current = _literal_int(limit)
        if current is not None:
            return _set_limit(query, min(current, cap))
    wrapped = exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("guarded")))
    return exp.select("*").from_(wrapped).limit(cap)


def _literal_int(limit: exp.Expr) -> int | None:
    if not isinstance(limit, exp.Limit) or limit.args.get("limit_options"):
        return None
    value = limit.expression
    if isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
        return int(value.this)
    return None


def _set_limit(query: exp.Expr, rows: int) -> exp.Expr:
    query.set("limit", exp.Limit(expression=exp.Literal.number(rows)))
    return query
