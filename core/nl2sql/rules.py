"""The offline engine: question -> SQL with no language model, deterministic and explainable.

It answers only when every word of the question was accounted for (a column, a cell value,
a number, a date, or a known function or stop word); otherwise it says which words it could
not map and offers phrasings built from the real column names. Pipeline:
vocabulary + linking (words -> mentions) -> reading, periods (filters) -> interpret with
measures, ranking, listing (the question's shape, a Plan) -> shapes (SQL, understanding)
-> phrases (the answer sentence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from core.catalog import TableInfo, Turn
from core.nl2sql.base import Draft
from core.nl2sql.interpret import Refusal, interpret
from core.nl2sql.linking import Lexicon, Mention, build_lexicon, link
from core.nl2sql.phrases import answer_sentence, suggestion_candidates
from core.nl2sql.plan import Plan
from core.nl2sql.shapes import to_sql, understanding
from core.nl2sql.vocabulary import normalise, stem

_FOLLOW_UP_LEADS = (
    "and what about",
    "what about",
    "how about",
    "and for",
    "and in",
    "same for",
    "same but",
    "the same for",
    "and",
    "now",
    "ok",
    "also",
    "then",
)
_SUGGESTIONS = 3


class RulesEngine:
    name = "rules"

    def __init__(self) -> None:
        self._lexicons: dict[int, tuple[TableInfo, Lexicon]] = {}

    def draft(
        self, question: str, tables: Sequence[TableInfo], history: Sequence[Turn] = ()
    ) -> Draft:
        tables = list(tables)
        if not tables:
            return Draft(None, "There is no table to answer from yet.", "rules")
        if not question.strip():
            return self._refusal((), tables)
        answered, refusals = None, []
        merged = self._follow_up(question, history[-1].question, tables) if history else None
        if merged:  # a follow-up reads best with the question it follows
            answered, _ = self._try(merged, tables)
        if answered is None:
            answered, refusals = self._try(question, tables)
        if answered is None:
            words = min(refusals, key=len) if refusals else ()
            return self._refusal(words, tables)
        return Draft(to_sql(answered), understanding(answered), "rules")

    def answer_sentence(
        self, draft: Draft, columns: list[str], rows: list[tuple], total_count: int
    ) -> str:
        return answer_sentence(draft.understanding, columns, rows, total_count)

    # --- internals -----------------------------------------------------------------------

    def _lexicon(self, table: TableInfo) -> Lexicon:
        cached = self._lexicons.get(id(table))
        if cached is None or cached[0] is not table:
            if len(self._lexicons) > 64:
                self._lexicons.clear()
            cached = self._lexicons[id(table)] = (table, build_lexicon(table))
        return cached[1]

    def _link(self, question: str, table: TableInfo) -> list[Mention]:
        return link(question, table, self._lexicon(table))

    def _try(
        self, question: str, tables: list[TableInfo]
    ) -> tuple[Plan | None, list[tuple[str, ...]]]:
        """Every table gets a go; the one the question names wins. Failing that, two tables
        that share a key column ('orders' and 'customers' on customer_id) are tried joined."""
        plan, refusals = self._try_each(question, tables)
        if plan is not None or len(tables) < 2:
            return plan, refusals
        for joined, join in joined_tables(tables):
            plan, _ = self._try_each(question, [joined])
            if plan is not None:
                return replace(plan, join=join), refusals
        return None, refusals

    def _try_each(
        self, question: str, tables: list[TableInfo]
    ) -> tuple[Plan | None, list[tuple[str, ...]]]:
        plans: list[tuple[int, int, Plan]] = []
        refusals: list[tuple[str, ...]] = []
        for index, table in enumerate(tables):
            mentions = _mark_other_tables(self._link(question, table), tables, table)
            result = interpret(mentions, table)
            if isinstance(result, Refusal):
                refusals.append(result.words)
                continue
            named = any(m.kind == "table" and m.key != "entity" for m in mentions)
            plans.append((0 if named else 1, index, result))
        if not plans:
            return None, refusals
        return min(plans, key=lambda p: (p[0], p[1]))[2], refusals

    def _follow_up(self, question: str, previous: str, tables: list[TableInfo]) -> str | None:
        """'and by region?' / 'what about 2023?' reuse the previous question."""
        text = normalise(question).strip().rstrip("?.! ")
        lead = next((p for p in _FOLLOW_UP_LEADS if text == p or text.startswith(p + " ")), None)
        if lead is None:
            return None
        fragment = text[len(lead) :].strip()
        if not fragment:
            return None
        table = tables[0]
        fragment_mentions = self._link(fragment, table)
        if fragment_mentions and (
            fragment_mentions[0].kind == "date" or _is_year(fragment_mentions[0])
        ):
            fragment = "in " + fragment  # 'what about 2023?'
        kept = _without_replaced(self._link(previous, table), fragment_mentions)
        return " ".join([*kept, fragment])

    def _refusal(self, words: Sequence[str], tables: list[TableInfo]) -> Draft:
        if words:
            quoted = ", ".join(f"'{w}'" for w in dict.fromkeys(words))
            text = f"I could not map {quoted} to this data."
        else:
            text = "I could not understand this question."
        return Draft(None, text, "rules", suggestions=self.suggestions(tables))

    def suggestions(self, tables: Sequence[TableInfo]) -> tuple[str, ...]:
        """Questions about the real columns that this engine is known to answer."""
        found: list[str] = []
        for table in tables:
            for candidate in suggestion_candidates(table):
                if len(found) == _SUGGESTIONS:
                    return tuple(found)
                plan, _ = self._try(candidate, [table])
                if plan is not None and candidate not in found:
                    found.append(candidate)
        return tuple(found)


def _mark_other_tables(
    mentions: list[Mention], tables: list[TableInfo], own: TableInfo
) -> list[Mention]:
    """'orders' asked of the customers table is another table, not a noun to guess at."""
    others = {stem(w) for t in tables if t.name != own.name for w in t.name.split("_")}
    return [
        replace(m, key="other_table") if m.kind == "unknown" and stem(m.text) in others else m
        for m in mentions
    ]


def joined_tables(tables: list[TableInfo]) -> list[tuple[TableInfo, tuple[str, str]]]:
    """Each table with another whose key it holds: orders + customers on customer_id.

    The joined table keeps the first table's name and rows (the many side); the other
    table's columns are added, except names the first already has.
    """
    found = []
    for many in tables:
        names = {c.name for c in many.columns}
        for one in tables:
            if one is many:
                continue
            for key in one.columns:
                unique = one.row_count > 0 and key.distinct_count >= one.row_count
                if key.name not in names or not unique or key.kind not in ("number", "text"):
                    continue
                extra = tuple(c for c in one.columns if c.name not in names)
                joined = TableInfo(
                    many.name, many.row_count, many.columns + extra, one.name, many.path
                )
                found.append((joined, (one.name, key.name)))
                break
    return found


def _without_replaced(previous: list[Mention], fragment: list[Mention]) -> list[str]:
    """The previous question's words minus what the follow-up replaces (dates, values, group)."""
    has_date = any(m.kind == "date" or _is_year(m) for m in fragment)
    value_columns = {c for m in fragment if m.kind == "value" for c, _ in m.choices}
    has_group = any(m.kind == "keyword" and m.key == "by" for m in fragment)
    drop: set[int] = set()
    for i, m in enumerate(previous):
        replaced = (
            (has_date and (m.kind == "date" or _is_year(m)))
            or (m.kind == "value" and any(c in value_columns for c, _ in m.choices))
            or (has_group and m.kind == "keyword" and m.key == "by")
        )
        if not replaced:
            continue
        drop.add(i)
        if has_group and m.kind == "keyword" and m.key == "by" and i + 1 < len(previous):
            drop.add(i + 1)
        j = i - 1
        while (
            j >= 0
            and previous[j].kind == "keyword"
            and previous[j].key
            in (
                "in",
                "before",
                "after",
                "between",
            )
        ):
            drop.add(j)
            j -= 1
    return [m.text for i, m in enumerate(previous) if i not in drop]


def _is_year(m: Mention) -> bool:
    return m.kind == "number" and m.number is not None and 1800 <= m.number <= 2200
