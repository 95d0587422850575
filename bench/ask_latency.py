"""Ask latency: question -> AskResult through the whole pipeline, against raw DuckDB.

    python bench/ask_latency.py                          # 1 M and 10 M rows, 15 runs each
    python bench/ask_latency.py --sizes 1000000 --repeat 30

For each size it builds a dataset file with ``core.build.build_dataset_file`` from the sales
CSV of ``bench/ingest.py`` (same generator, same bytes; both are kept in ``bench/out/`` and
reused), then for each question, interleaved so that a busy moment hits every variant:

  pipeline   core.ask.answer_question(tables, question, [], RulesEngine(), settings): draft,
             guard, the query (handed to a query worker process, which opens a fresh locked
             in-memory DuckDB with the file ATTACHed READ_ONLY; the count pass when the
             result passes the row cap), sentence, chart
  raw        the SQL the pipeline produced, on a read-only connection to the same file
             that has already run it once: the query alone, DuckDB's caches warm
  raw_open   the same SQL on a fresh read-only connection: open the file, run, close
             (what a one-off DuckDB query costs, and the fair comparison for a pipeline
             that opens a fresh sandbox per question)

A fresh RulesEngine per question is what the app does (one engine per ask). After the timed
runs, a profile pass times each stage of the pipeline alone, to show where the time goes.
Wall times depend on what else runs on the machine; the pipeline's CPU time (all threads of
this process and of its query workers) is reported beside them. To measure the
committed code rather than a working tree being edited, run it from ``git archive HEAD``
(see docs/benchmarks.md). Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import psutil

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import generate  # noqa: E402  (bench/ingest.py: the shared CSV generator)

from core import charts  # noqa: E402
from core.ask import answer_question  # noqa: E402
from core.build import build_dataset_file  # noqa: E402
from core.catalog import TableInfo  # noqa: E402
from core.config import Settings  # noqa: E402
from core.nl2sql.guard import guard_sql  # noqa: E402
from core.nl2sql.phrases import answer_sentence  # noqa: E402
from core.nl2sql.rules import RulesEngine  # noqa: E402
from core.warehouse import TableSource, limits_from_settings, open_sandbox, run_query  # noqa: E402

TABLE = "sales"
QUESTIONS = (
    "total revenue",
    "revenue by region",
    "top 5 products by revenue",
    "revenue per month",
    "how many orders in 2024",
    "average quantity by channel",
    "revenue by category for the North region",
    "total revenue by customer id",  # 50,000 groups: past the row cap, so the count pass runs
)
Timer = Callable[[], object]


def dataset(rows: int, rebuild: bool) -> TableInfo:
    """The dataset file and its profile, built once per size and reused."""
    dest = OUT / f"ask_{rows}.duckdb"
    profile = OUT / f"ask_{rows}.profile.pickle"
    if rebuild or not (dest.is_file() and profile.is_file()):
        source = generate(rows)
        dest.unlink(missing_ok=True)
        started = time.perf_counter()
        built = build_dataset_file(source, dest, original_filename=f"{TABLE}.csv")
        print(f"built {dest.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        profile.write_bytes(pickle.dumps((built.row_count, built.columns)))
    row_count, columns = pickle.loads(profile.read_bytes())
    return TableInfo(TABLE, row_count, columns, f"{TABLE}.csv", dest)


def ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def timed(fn: Timer) -> float:
    started = time.perf_counter()
    fn()
    return ms(started)


def raw_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """The file opened read-only, with the pipeline's table name as a temporary view.

    No other connection to the file may be open: DuckDB would hand back its cached database
    instance, and opening it would cost nothing.
    """
    con = duckdb.connect(str(path), read_only=True)
    con.execute(f'CREATE TEMP VIEW "{TABLE}" AS SELECT * FROM data')
    return con


def raw_open(path: Path, sql: str) -> None:
    con = raw_connection(path)
    try:
        con.execute(sql).fetchall()
    finally:
        con.close()


def raw_warm(path: Path, sql: str) -> float:
    """The query alone, on a connection that has already run it once."""
    con = raw_connection(path)
    try:
        con.execute(sql).fetchall()
        return timed(lambda: con.execute(sql).fetchall())
    finally:
        con.close()


def cpu_seconds() -> float:
    """This process's CPU time and its live children's (the query workers)."""
    total = time.process_time()
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def pipeline(table: TableInfo, question: str, settings: Settings) -> dict:
    started_cpu = cpu_seconds()
    started = time.perf_counter()
    answer = answer_question([table], question, [], RulesEngine(), settings)
    wall = ms(started)
    result = answer.result
    if not result.success:
        raise SystemExit(f"the pipeline did not answer {question!r}: {result.answer}")
    return {
        "wall": wall,
        "cpu": (cpu_seconds() - started_cpu) * 1000,
        "sql": result.sql_query,
        "rows": result.result_count,
        **{k: v for k, v in answer.payload["timings"].items() if k != "total_ms"},
    }


def measure_question(table: TableInfo, question: str, settings: Settings, repeat: int) -> dict:
    """Two warm-up rounds, then ``repeat`` interleaved rounds of pipeline, raw, raw_open."""
    runs: dict[str, list[float]] = {"pipeline": [], "raw": [], "raw_open": [], "cpu": []}
    stages: dict[str, list[float]] = {}
    first = pipeline(table, question, settings)
    sql = first["sql"]
    for round_number in range(repeat + 2):
        done = pipeline(table, question, settings)
        raw_open_ms = timed(lambda: raw_open(table.path, sql))
        raw_ms = raw_warm(table.path, sql)
        if round_number < 2:
            continue
        runs["pipeline"].append(done["wall"])
        runs["cpu"].append(done["cpu"])
        runs["raw"].append(raw_ms)
        runs["raw_open"].append(raw_open_ms)
        for key in ("draft_ms", "run_ms", "query_ms"):
            stages.setdefault(key, []).append(done[key])
    return {"sql": sql, "result_rows": first["rows"], "runs": runs, "stages": stages}


def profile_question(table: TableInfo, question: str, settings: Settings, repeat: int) -> dict:
    """Each stage of the pipeline alone, median of ``repeat`` runs, in milliseconds."""
    limits = limits_from_settings(settings)
    sources = [TableSource(table.name, table.path)]
    draft = RulesEngine().draft(question, [table], [])
    guarded = guard_sql(draft.sql or "", [table.name], settings.query_row_limit)
    result = run_query(sources, guarded.sql, limits, count_sql=guarded.unlimited_sql)

    def fetch_only() -> None:
        con = open_sandbox(sources, limits)
        try:
            started = time.perf_counter()
            con.execute(guarded.sql).fetchmany(limits.row_limit + 1)
            fetch_only.ms.append(ms(started))
        finally:
            con.close()

    fetch_only.ms = []  # type: ignore[attr-defined]
    stage_fns: dict[str, Timer] = {
        "draft (new RulesEngine)": lambda: RulesEngine().draft(question, [table], []),
        "guard": lambda: guard_sql(draft.sql or "", [table.name], settings.query_row_limit),
        "duckdb.connect(':memory:') + close": lambda: duckdb.connect(":memory:").close(),
        "duckdb.connect(file, read_only) + close": lambda: duckdb.connect(
            str(table.path), read_only=True
        ).close(),
        "open_sandbox + close": lambda: open_sandbox(sources, limits).close(),
        "run_query (sandbox, fetch, count)": lambda: run_query(
            sources, guarded.sql, limits, count_sql=guarded.unlimited_sql
        ),
        **in_process_stage(sources, guarded, limits),
        "sentence + chart": lambda: (
            answer_sentence(draft.understanding, result.columns, result.rows, result.total_count),
            charts.choose_chart(result.columns, result.types, result.rows),
        ),
    }
    profile = {name: median_of(fn, repeat) for name, fn in stage_fns.items()}
    for _ in range(repeat):
        fetch_only()
    profile["fetch in an open sandbox"] = round(statistics.median(fetch_only.ms), 2)
    profile["count pass runs"] = result.truncated
    return profile


def in_process_stage(sources, guarded, limits) -> dict[str, Timer]:
    """run_query without its worker process, where the warehouse has one: the difference
    is what handing the query to the worker and the rows back costs."""
    from core import warehouse

    in_process = getattr(warehouse, "run_query_in_process", None)
    if in_process is None:
        return {}
    return {
        "run_query_in_process (no worker)": lambda: in_process(
            sources, guarded.sql, limits, count_sql=guarded.unlimited_sql
        )
    }


def median_of(fn: Timer, repeat: int) -> float:
    fn()
    return round(statistics.median(timed(fn) for _ in range(repeat)), 2)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


def summarise_question(measured: dict) -> dict:
    runs = measured["runs"]
    p50 = {name: percentile(values, 0.5) for name, values in runs.items()}
    return {
        "result_rows": measured["result_rows"],
        "pipeline_p50_ms": p50["pipeline"],
        "pipeline_p95_ms": percentile(runs["pipeline"], 0.95),
        "pipeline_cpu_p50_ms": p50["cpu"],
        "raw_p50_ms": p50["raw"],
        "raw_p95_ms": percentile(runs["raw"], 0.95),
        "raw_open_p50_ms": p50["raw_open"],
        "pipeline_vs_raw": round(p50["pipeline"] / max(p50["raw"], 0.01), 2),
        "pipeline_vs_raw_open": round(p50["pipeline"] / max(p50["raw_open"], 0.01), 2),
        "stages_p50_ms": {k: percentile(v, 0.5) for k, v in measured["stages"].items()},
        "sql": measured["sql"],
    }


def run_size(rows: int, args: argparse.Namespace, settings: Settings) -> dict:
    table = dataset(rows, args.rebuild)
    questions: dict[str, dict] = {}
    all_runs: dict[str, list[float]] = {"pipeline": [], "raw": [], "raw_open": []}
    for question in QUESTIONS:
        measured = measure_question(table, question, settings, args.repeat)
        for name in all_runs:
            all_runs[name].extend(measured["runs"][name])
        questions[question] = summarise_question(measured)
        if not args.skip_profile:
            questions[question]["profile_ms"] = profile_question(
                table, question, settings, args.repeat
            )
        print(json.dumps({question: questions[question]}), file=sys.stderr, flush=True)
    overall = {name: percentile(values, 0.5) for name, values in all_runs.items()}
    return {
        "rows": table.row_count,
        "file_mb": round(table.path.stat().st_size / 1e6, 1),
        "overall_p50_ms": overall,
        "overall_pipeline_p95_ms": percentile(all_runs["pipeline"], 0.95),
        "questions": questions,
    }


def code_version() -> dict[str, object]:
    """The commit measured, and any uncommitted change to core/ it ran with."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "core_changes": git("status", "--porcelain", "core"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the dataset files")
    parser.add_argument("--skip-profile", action="store_true")
    parser.add_argument("--json", type=Path, default=OUT / "ask_latency.json")
    args = parser.parse_args()
    settings = Settings(data_dir=OUT)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "duckdb": duckdb.__version__,
        **code_version(),
        "repeat": args.repeat,
        "query_threads": settings.query_threads,
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "sizes": {},
    }
    for rows in args.sizes:
        report["sizes"][rows] = run_size(rows, args, settings)
        headline = {k: v for k, v in report["sizes"][rows].items() if k != "questions"}
        print(json.dumps({rows: headline}), flush=True)
    report["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"full report: {args.json}")


if __name__ == "__main__":
    main()
