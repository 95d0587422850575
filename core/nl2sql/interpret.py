"""Decide a question's shape from its mentions: count, aggregate, top-N, trend, share, list...

The filters are read first (reading.py); what remains must fit one shape exactly, otherwise
the question is refused with the words that did not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.catalog import TableInfo
from core.nl2sql.linking import Mention
from core.nl2sql.listing import listing_plan
from core.nl2sql.measures import (
    aggregate_plan,
    counted,
    implied_measure,
    measure_at,
    read_group,
    share_plan,
    unique,
)
from core.nl2sql.periods import read_dates
from core.nl2sql.plan import Plan
from core.nl2sql.ranking import (
    COUNTING_SUPERLATIVES,
    difference_plan,
    read_top,
    same_plan,
    superlative_plan,
    top_plan,
)
from core.nl2sql.reading import (
    Reader,
    read_comparisons,
    read_number_equalities,
    read_values,
    summary_filters,
)
from core.nl2sql.vocabulary import stem, word_set

_ENTITY_SLOT = frozenset({"count"})


@dataclass(frozen=True)
class Refusal:
    """The question could not be fully mapped: ``words`` are the parts left over."""

    words: tuple[str, ...]


def interpret(mentions: list[Mention], table: TableInfo) -> Plan | Refusal:
    mentions = _claim_entities(mentions)
    if any(m.kind == "unknown" for m in mentions):  # a guessed noun is no excuse then
        return Refusal(tuple(m.text for m in mentions if m.kind == "unknown" or _guessed(m)))
    framing = {m.text for m in mentions if m.kind == "stop"}
    r = Reader(table, [m for m in mentions if m.kind != "stop"])
    top = read_top(r)
    read_comparisons(r)
    read_dates(r)
    read_values(r)
    read_number_equalities(r)
    group, grain = read_group(r)
    plan = _decide(r, framing, top, group, grain)
    leftovers = tuple(
        m.text
        for m in r.leftovers()
        if (m.kind != "table" or m.key == "row") and not _redundant(m, plan)
    )
    if plan is None or leftovers:
        return Refusal(leftovers or tuple(m.text for m in r.ms if m.kind != "keyword"))
    if r.having is not None and plan.having is None:
        return Refusal(tuple(m.text for m in r.ms if m.kind == "table"))
    plan = plan.with_filters(tuple(r.filters))
    if _trivial(plan) or (_counts_unknown_entity(mentions, plan) and not plan.filters):
        return Refusal((plan.entity,))
    return _without_summary_rows(plan)


def _redundant(m: Mention, plan: Plan | None) -> bool:
    """'how many times, total, ...' / 'points scored by X': words that restate the plan."""
    if plan is None or m.kind != "keyword":
        return False
    if m.key == "sum":
        return plan.agg in ("count", "sum")
    numeric = plan.measure is not None or any(c.kind == "number" for c in plan.select)
    return m.key == "light" and numeric


def _counts_unknown_entity(mentions: list[Mention], plan: Plan) -> bool:
    """'how many X' where X names nothing in the data: rows, if something narrows them or
    groups them ('who directed the most cartoons'), unless X is an outcome the data may
    record in a column of its own ('the most wins')."""
    guessed = any(
        m.kind == "table" and m.key == "entity" and m.text == plan.entity for m in mentions
    )
    if plan.agg != "count" or not guessed:
        return False
    return plan.group is None or stem(plan.entity) in _OUTCOMES


_OUTCOMES = word_set("win loss lose defeat victory draw tie goal point medal vote run assist")


def _trivial(plan: Plan) -> bool:
    """Answers known before running: a count of 1 per unique label, or the value asked about.

    Either way the question meant something the engine did not understand.
    """
    if plan.shape in ("lookup", "distinct", "position") and plan.select:
        fixed = {
            f.columns[0]
            for f in plan.filters
            if f.op == "=" and len(f.columns) == 1 and len(f.values) == 1
        }
        return all(c in fixed for c in plan.select)
    if plan.agg not in ("count", "count_distinct"):
        return False
    if plan.group is not None and plan.grain is None:
        return plan.agg == "count" and unique(plan.group, plan.table)
    return plan.shape == "scalar" and any(
        f.op == "="
        and len(f.values) == 1
        and len(f.columns) == 1
        and unique(f.columns[0], plan.table)
        for f in plan.filters
    )


def _without_summary_rows(plan: Plan) -> Plan:
    """A 'Total' row in the data would count twice in sums and win every 'highest'."""
    extra = []
    for summary in summary_filters(plan.table):
        asked = any(
            f.columns == summary.columns and set(f.values) & set(summary.values)
            for f in plan.filters
        )
        if not asked:
            extra.append(summary)
    if not extra:
        return plan
    plan = plan.with_filters(plan.filters + tuple(extra))
    return plan


def _claim_entities(mentions: list[Mention]) -> list[Mention]:
    """The unknown noun right after 'how many' / 'the most' is the thing being counted."""
    out = list(mentions)
    for i, m in enumerate(out):
        if m.kind != "unknown" or i == 0 or m.key == "other_table":
            continue
        prev = out[i - 1]
        counted = prev.kind == "keyword" and (
            prev.key in _ENTITY_SLOT or prev.text in COUNTING_SUPERLATIVES
        )
        if counted:
            out[i] = replace(m, kind="table", key="entity")
        elif _names_a_row(out, i):
            out[i] = replace(m, kind="table", key="row")
    return out


def _guessed(m: Mention) -> bool:
    return m.kind == "table" and m.key in ("entity", "row")


def _names_a_row(mentions: list[Mention], i: int) -> bool:
    """'which building ...', 'the first airbase listed': the noun names the table's rows."""
    prev = mentions[i - 1]
    if prev.kind == "keyword" and prev.key in ("first", "last"):
        return True
    opening = mentions[:i]  # 'which team ...', 'tell me a game that ...', 'name one ship ...'
    return all(m.kind == "stop" or (m.kind == "keyword" and m.key == "rows") for m in opening)


def _decide(r: Reader, framing: set[str], top, group, grain) -> Plan | None:
    table = r.table
    if top is not None:
        return top_plan(table, top, group)
    special = {r.ms[i].key: i for i in reversed(r.free_indexes("keyword"))}
    if "difference" in special:
        return difference_plan(r, special["difference"])
    if "same" in special:
        return same_plan(r, special["same"], framing)
    share = special.get("share")
    if share is not None:
        return share_plan(r, share, group)
    superlative = next(
        (i for i in r.free_indexes("keyword") if r.ms[i].key in ("max", "min")), None
    )
    if superlative is not None:
        return superlative_plan(r, superlative, framing, group, grain)
    agg_at = next(
        (i for i in r.free_indexes("keyword") if r.ms[i].key in ("count", "sum", "avg", "median")),
        None,
    )
    if agg_at is not None:
        measure = counted(r, agg_at) if r.ms[agg_at].key == "count" else measure_at(r, agg_at)
        if measure is None:
            return None
        return aggregate_plan(r, measure, group, grain)
    if grain is not None or group is not None:
        return aggregate_plan(r, implied_measure(r), group, grain)
    return listing_plan(r, framing)
