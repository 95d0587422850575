"""Accuracy of an ask engine on a question set with gold answers (WikiTableQuestions sample).

    python bench/accuracy.py                      # through the CLI when core/__main__.py has `ask`
    python bench/accuracy.py --in-process         # engine + plain DuckDB, no CLI
    python bench/accuracy.py --in-process --show wrong --limit 100

Each question ends as one of: correct, wrong (answered, but not the gold answer), refused (the
engine declined) or error (the SQL or the CLI failed). For an offline engine the wrong rate
matters most: a refusal tells the user to rephrase, a wrong answer misleads them.
Scoring follows the dataset's evaluator: predicted and gold values are compared as sets after
normalisation (strip, lower-case, numbers as numbers, so "12,467" equals 12467).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from core.catalog import ColumnInfo, TableInfo, column_kind  # noqa: E402

DEFAULT_SET = ROOT.parent / "shared" / "eval" / "wtq-train"
TOP_VALUES_MAX_DISTINCT = 50


@dataclass
class Outcome:
    qid: str
    question: str
    gold: list[str]
    status: str  # correct | wrong | refused | error
    sql: str | None = None
    got: list[list[Any]] = field(default_factory=list)
    note: str = ""


# --- scoring -----------------------------------------------------------------------------


_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212]")
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u00b4": "'", "`": "'", "\u201c": '"', "\u201d": '"'}
)


def _norm(value: Any) -> str:
    """As the dataset's evaluator: fold accents, dashes and quotes, lower-case, strip."""
    text = unicodedata.normalize("NFKD", _DASHES.sub("-", str(value)).translate(_QUOTES))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().strip()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .\"'")


def _number(text: str) -> float | None:
    cleaned = text.replace(",", "").rstrip("%").strip()
    try:
        return float(cleaned)
    except ValueError:
        return None


_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%B %d %Y", "%d %b %Y", "%b %d, %Y")


def _date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _same(a: Any, b: str) -> bool:
    """Numbers as numbers and dates as dates ('26 December 1987' is 1987-12-26)."""
    if isinstance(a, datetime):
        a = a.date() if a.time() == datetime.min.time() else a
    if isinstance(a, date) and not isinstance(a, datetime):
        return a == _date(b.strip())
    if isinstance(a, str) and (day := _date(a.strip()[:10])) and _date(b.strip()):
        return day == _date(b.strip())  # the CLI's JSON carries dates as ISO text
    left, right = _norm(a), _norm(b)
    x, y = _number(left), _number(right)
    if x is not None and y is not None:
        return abs(x - y) <= 1e-6 * max(1.0, abs(y))
    return left == right


def _sets_match(predicted: list[Any], gold: list[str]) -> bool:
    unique: list[Any] = []
    for value in predicted:
        if not any(_same(value, _norm(u)) for u in unique):
            unique.append(value)
    if len(unique) != len(gold):
        return False
    return all(any(_same(p, g) for p in unique) for g in gold)


def matches(columns: list[str], rows: list[list[Any]], gold: list[str]) -> bool:
    """Gold equals one result column (as a set), or one cell of a one-row result."""
    if not rows:
        return False
    for index in range(len(columns)):
        if _sets_match([row[index] for row in rows], gold):
            return True
    return len(rows) == 1 and len(gold) == 1 and any(_same(cell, gold[0]) for cell in rows[0])


def in_sentence(answer: str, gold: list[str]) -> bool:
    if len(gold) != 1 or not answer:
        return False
    words = re.findall(r"[\w.,%:/-]+", answer)
    target = _norm(gold[0])
    if " " in target:
        return target in _norm(answer)
    return any(_same(w.rstrip(".,"), target) for w in words)


# --- in-process: DuckDB + profile + engine ------------------------------------------------


def sql_name(header: str, taken: set[str], index: int) -> str:
    name = re.sub(r"[^0-9a-z]+", "_", _norm(header)).strip("_") or f"column_{index + 1}"
    if name[0].isdigit():
        name = "c_" + name
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def load_csv(path: Path, db_path: Path) -> tuple[duckdb.DuckDBPyConnection, TableInfo]:
    con = duckdb.connect(str(db_path))
    source = str(path).replace("'", "''")
    for options in ("thousands=','", "", "all_varchar=true"):
        extra = f", {options}" if options else ""
        try:
            con.execute(f"CREATE OR REPLACE TABLE raw AS SELECT * FROM read_csv('{source}'{extra})")
            break
        except duckdb.Error:
            continue
    headers = [row[0] for row in con.execute("DESCRIBE raw").fetchall()]
    taken: set[str] = set()
    names = [sql_name(h, taken, i) for i, h in enumerate(headers)]
    select = ", ".join(f'"{h}" AS "{n}"' for h, n in zip(headers, names, strict=True))
    con.execute(f"CREATE TABLE data AS SELECT {select} FROM raw; DROP TABLE raw")
    return con, profile(con, "data", dict(zip(names, headers, strict=True)), path.name)


def profile(con, table: str, originals: dict[str, str], filename: str) -> TableInfo:
    row_count = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    columns = [
        _profile_column(con, table, name, data_type, originals.get(name, name))
        for name, data_type, *_ in con.execute(f'DESCRIBE "{table}"').fetchall()
    ]
    return TableInfo(table, row_count, tuple(columns), filename)


def _profile_column(con, table: str, name: str, data_type: str, original: str) -> ColumnInfo:
    q, t = f'"{name}"', f'"{table}"'
    nulls, distinct = con.execute(
        f"SELECT count(*) - count({q}), count(DISTINCT {q}) FROM {t}"
    ).fetchone()
    kind = column_kind(data_type)
    low = high = mean = None
    if kind in ("number", "date"):
        low, high = con.execute(f"SELECT min({q}), max({q}) FROM {t}").fetchone()
        if kind == "date":
            low, high = (str(low) if low else None), (str(high) if high else None)
        else:
            mean = con.execute(f"SELECT avg({q}) FROM {t}").fetchone()[0]
    top: tuple = ()
    if kind == "text" and distinct <= TOP_VALUES_MAX_DISTINCT:
        top = tuple(
            con.execute(
                f"SELECT {q}, count(*) AS n FROM {t} WHERE {q} IS NOT NULL "
                f"GROUP BY 1 ORDER BY n DESC, 1"
            ).fetchall()
        )
    samples = tuple(
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT {q} FROM {t} WHERE {q} IS NOT NULL LIMIT 5"
        ).fetchall()
    )
    return ColumnInfo(name, original, data_type, nulls, distinct, low, high, mean, samples, top)


def load_with_ingest(path: Path, db_path: Path) -> tuple[duckdb.DuckDBPyConnection, TableInfo]:
    """The app's own ingest and profile (what the CLI and uploads use), without the CLI."""
    from core.build import build_dataset_file

    built = build_dataset_file(path, db_path, original_filename=path.name)
    con = duckdb.connect(str(db_path), read_only=True)
    return con, TableInfo("data", built.row_count, built.columns, path.name, db_path)


def run_in_process(items: list[dict], base: Path, loader: str) -> list[Outcome]:
    from core.nl2sql.rules import RulesEngine

    load = load_with_ingest if loader == "ingest" else load_csv
    engine = RulesEngine()
    outcomes: list[Outcome] = []
    cache: dict[str, tuple[Any, TableInfo] | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for item in items:
            context = item["context"]
            if context not in cache:
                db_path = Path(tmp) / f"{len(cache)}.duckdb"
                try:
                    cache[context] = load(base / context, db_path)
                except Exception:  # a file the ingest refuses: the question cannot be asked
                    cache[context] = None
            loaded = cache[context]
            if loaded is None:
                outcomes.append(Outcome(item["id"], item["question"], item["gold"], "error",
                                        note="the CSV could not be loaded"))  # fmt: skip
                continue
            con, table = loaded
            outcomes.append(_ask_in_process(engine, con, table, item))
        for loaded in cache.values():
            if loaded is not None:
                loaded[0].close()
    return outcomes


def _ask_in_process(engine, con, table: TableInfo, item: dict) -> Outcome:
    gold = item["gold"]
    outcome = Outcome(item["id"], item["question"], gold, "refused")
    try:
        draft = engine.draft(item["question"], [table])
    except Exception as exc:  # an engine crash is a bug worth seeing, not a refusal
        outcome.status, outcome.note = "error", f"engine: {type(exc).__name__}: {exc}"
        return outcome
    outcome.sql, outcome.note = draft.sql, draft.understanding
    if draft.sql is None:
        return outcome
    try:
        cursor = con.execute(draft.sql)
        columns = [d[0] for d in cursor.description]
        rows = [list(r) for r in cursor.fetchmany(1000)]
    except duckdb.Error as exc:
        outcome.status, outcome.note = "error", str(exc).splitlines()[0]
        return outcome
    outcome.got = rows[:5]
    sentence = engine.answer_sentence(draft, columns, [tuple(r) for r in rows], len(rows))
    outcome.status = "correct" if matches(columns, rows, gold) else "wrong"
    if outcome.status == "wrong" and in_sentence(sentence, gold):
        outcome.status, outcome.note = "correct", "matched in the answer sentence"
    return outcome


# --- through the CLI ---------------------------------------------------------------------


def cli_available() -> bool:
    """The CLI needs its `ask` command and the ingest module it loads CSVs with."""
    main = ROOT / "core" / "__main__.py"
    if not main.exists() or not (ROOT / "core" / "ingest.py").exists():
        return False
    return re.search(r"""["']ask["']""", main.read_text()) is not None


def run_cli(items: list[dict], base: Path, engine: str, timeout: float) -> list[Outcome]:
    return [_ask_cli(item, base, engine, timeout) for item in items]


def _ask_cli(item: dict, base: Path, engine: str, timeout: float) -> Outcome:
    gold = item["gold"]
    outcome = Outcome(item["id"], item["question"], gold, "error")
    command = [
        sys.executable, "-m", "core", "ask", "--csv", str(base / item["context"]),
        "--question", item["question"], "--engine", engine, "--format", "json",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        payload = json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as exc:
        outcome.note = f"cli: {type(exc).__name__}"
        return outcome
    outcome.sql = payload.get("sql_query")
    outcome.note = payload.get("error") or payload.get("answer") or ""
    rows = payload.get("rows") or []
    outcome.got = rows[:5]
    if not outcome.sql:
        outcome.status = "refused"
    elif payload.get("execution_success") is False:
        outcome.status = "error"
    elif matches(payload.get("columns") or [], rows, gold):
        outcome.status = "correct"
    elif in_sentence(payload.get("answer") or "", gold):
        outcome.status, outcome.note = "correct", "matched in the answer sentence"
    else:
        outcome.status = "wrong"
    return outcome


# --- report ------------------------------------------------------------------------------


def read_items(base: Path, limit: int | None) -> list[dict]:
    with (base / "questions.tsv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        items = [
            {
                "id": row["id"],
                "question": row["utterance"].strip('"').replace('""', '"'),
                "context": row["context"],
                "gold": [g for g in row["targetValue"].split("|")],
            }
            for row in reader
        ]
    return items[:limit] if limit else items


def report(outcomes: list[Outcome], show: str) -> None:
    counts = Counter(o.status for o in outcomes)
    total = len(outcomes) or 1
    for status in ("correct", "wrong", "refused", "error"):
        print(f"{status:>8}: {counts[status]:4d}  ({100 * counts[status] / total:5.1f}%)")
    answered = counts["correct"] + counts["wrong"]
    if answered:
        print(f"precision when answering: {100 * counts['correct'] / answered:.1f}%")
    unmapped = Counter(
        word for o in outcomes if o.status == "refused" for word in re.findall(r"'([^']+)'", o.note)
    )
    print(
        "most common unmapped words:", ", ".join(f"{w} ({n})" for w, n in unmapped.most_common(25))
    )
    for o in outcomes:
        if show in (o.status, "all"):
            print(f"\n[{o.status}] {o.qid}: {o.question}\n  gold: {o.gold}\n  note: {o.note}")
            if o.sql:
                print(f"  sql:  {o.sql}\n  got:  {o.got}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="folder with questions.tsv")
    parser.add_argument("--engine", default="rules")
    parser.add_argument("--in-process", action="store_true", help="skip the CLI")
    parser.add_argument(
        "--loader",
        choices=("ingest", "simple"),
        default="ingest",
        help="in-process: the app's ingest and profile, or plain read_csv and a small profile",
    )
    parser.add_argument("--limit", type=int)
    parser.add_argument("--show", choices=("wrong", "refused", "error", "correct", "all", "none"),
                        default="none")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    items = read_items(args.set, args.limit)
    use_cli = not args.in_process and cli_available()
    if use_cli:
        outcomes = run_cli(items, args.set, args.engine, args.timeout)
    else:
        if args.engine != "rules":
            parser.error("--in-process only runs the rules engine")
        outcomes = run_in_process(items, args.set, args.loader)
    mode = "CLI" if use_cli else f"in-process, {args.loader} loader"
    print(f"{len(items)} questions from {args.set}, engine {args.engine}, {mode}")
    report(outcomes, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
