"""The container files describe a deployable app: compose services, health checks, volumes.

Where Docker Compose is installed, ``docker compose config`` (which needs no engine) is the
judge; the YAML checks need PyYAML; the Dockerfile and health-check checks need neither.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
HEALTH_PATH = "/_stcore/health"


def _compose_command() -> list[str] | None:
    """``docker compose`` (the v2 plugin) or a standalone v2 ``docker-compose``, if one runs."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        try:
            done = subprocess.run(
                [*command, "version"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and "v1." not in done.stdout:
            return command
    return None


@pytest.fixture(scope="module")
def compose_config() -> dict:
    """The model as Docker Compose itself resolves it (variables filled in, defaults applied)."""
    command = _compose_command()
    if command is None:
        pytest.skip("Docker Compose v2 is not installed here (`docker compose version` failed)")
    done = subprocess.run(
        [*command, "-f", str(COMPOSE), "--project-directory", str(ROOT), "config"]
        + ["--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def compose_yaml() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed in this environment")
    return yaml.safe_load(COMPOSE.read_text())


def _instructions() -> list[tuple[str, str]]:
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined."""
    logical, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def _args(keyword: str) -> list[str]:
    return [args for key, args in _instructions() if key == keyword]


def _exec_form(args: str) -> list[str]:
    """JSON exec form (``["python", "-c", ...]``) or shell form, as an argv list."""
    return json.loads(args) if args.lstrip().startswith("[") else shlex.split(args)


def _healthcheck_argv() -> list[str]:
    (healthcheck,) = _args("HEALTHCHECK")
    _, command = healthcheck.split(" CMD ", 1)
    return _exec_form(command)


def _named_volumes(service: dict) -> set[str]:
    mounts = service.get("volumes", [])
    sources = [m.split(":", 1)[0] if isinstance(m, str) else m.get("source") for m in mounts]
    return {s for s in sources if s and not s.startswith((".", "/", "~"))}


def _targets(service: dict) -> set[str]:
    mounts = service.get("volumes", [])
    return {m.split(":")[1] if isinstance(m, str) else m.get("target") for m in mounts}


def _test_text(healthcheck: dict) -> str:
    test = healthcheck["test"]
    return " ".join(test) if isinstance(test, list) else test


def _check_compose_model(model: dict) -> None:
    """What both the raw YAML and the resolved model must say."""
    services = model["services"]
    assert set(services) == {"db", "app"}
    db, app = services["db"], services["app"]

    assert db["image"].startswith("postgres:17")
    assert "/var/lib/postgresql/data" in _targets(db)
    assert "pg_isready" in _test_text(db["healthcheck"])

    assert "/data" in _targets(app)
    assert HEALTH_PATH in _test_text(app["healthcheck"])
    assert "curl" not in _test_text(app["healthcheck"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    environment = app["environment"]
    assert environment["DATA_DIR"] == "/data"
    assert environment["DATABASE_URL"].startswith("postgresql://")
    assert "@db:5432/" in environment["DATABASE_URL"]

    used = _named_volumes(db) | _named_volumes(app)
    assert len(used) == 2, "the database and the datasets each get their own named volume"
    assert used <= set(model.get("volumes") or {})


def test_compose_file_declares_db_and_app_with_health_checks_and_named_volumes(compose_yaml):
    _check_compose_model(compose_yaml)
    app = compose_yaml["services"]["app"]
    assert app["build"] == "."
    assert app["ports"] == ["8501:8501"]
    assert app["env_file"] == [{"path": ".env", "required": False}]


def test_docker_compose_accepts_the_compose_file(compose_config):
    _check_compose_model(compose_config)
    app = compose_config["services"]["app"]
    assert app["build"]["context"] == str(ROOT)
    assert [(p["published"], p["target"]) for p in app["ports"]] == [("8501", 8501)]


def test_dockerfile_builds_on_python_311_slim_and_installs_the_pinned_requirements():
    assert _args("FROM")[0].strip() == "python:3.11-slim"
    assert any("pip install -r requirements.txt" in run for run in _args("RUN"))


def test_dockerfile_runs_as_a_non_root_user():
    users = _args("USER")
    assert users, "the image must switch away from root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_exposes_streamlit_and_keeps_data_in_a_volume():
    assert "8501" in " ".join(_args("EXPOSE")).split()
    assert any("/data" in volume for volume in _args("VOLUME"))
    assert any("DATA_DIR=/data" in env for env in _args("ENV"))


def test_dockerfile_starts_streamlit_on_all_interfaces():
    (cmd,) = _args("CMD")
    argv = _exec_form(cmd)
    assert argv[:3] == ["streamlit", "run", "app.py"]
    assert "--server.address=0.0.0.0" in argv
    assert "--server.port=8501" in argv


def test_dockerfile_health_check_uses_python_not_curl():
    argv = _healthcheck_argv()
    assert argv[0] == "python"
    assert f"http://localhost:8501{HEALTH_PATH}" in argv[-1]


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == HEALTH_PATH else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _run_health_check(argv: list[str], port: int) -> int:
    script = argv[-1].replace("localhost:8501", f"127.0.0.1:{port}")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    return done.returncode


def test_health_check_passes_when_streamlit_answers(health_server):
    assert _run_health_check(_healthcheck_argv(), health_server) == 0


def test_health_check_fails_when_nothing_listens():
    with ThreadingHTTPServer(("127.0.0.1", 0), _Health) as closed:
        port = closed.server_address[1]
    assert _run_health_check(_healthcheck_argv(), port) != 0


def test_compose_health_check_matches_the_dockerfile(compose_yaml, health_server):
    test = compose_yaml["services"]["app"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert _run_health_check(test, health_server) == 0
    assert test[-1] == _healthcheck_argv()[-1]


def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as Docker reads it: ``*`` stays inside one folder, ``**``
    spans folders, and a pattern naming a folder covers everything under it."""
    parts = re.split(r"(\*\*/?|\*|\?)", pattern.strip("/"))
    wildcards = {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    body = "".join(wildcards.get(part, re.escape(part)) for part in parts)
    return re.compile(f"{body}(/.*)?")


def _ignored(path: str, lines: list[str]) -> bool:
    """Last matching pattern wins; ``!`` re-includes."""
    ignored = False
    for line in (line.strip() for line in lines):
        if line and not line.startswith("#") and _pattern(line.lstrip("!")).fullmatch(path):
            ignored = not line.startswith("!")
    return ignored


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        (".git/HEAD", True),
        (".env", True),
        ("data/datasets/abc.duckdb", True),
        ("data/pg/postmaster.pid", True),
        ("core/__pycache__", True),
        (".venv/bin/python", True),
        (".pytest_cache/v/cache", True),
        ("test-artifacts/trace.zip", True),
        ("core/__pycache__/db.cpython-311.pyc", True),
        ("app.py", False),
        ("requirements.txt", False),
        ("core/charts.py", False),
        ("views/chat.py", False),
        ("sample_data/sales.csv", False),
        (".streamlit/config.toml", False),
        (".env.example", False),
    ],
)
def test_dockerignore_keeps_data_secrets_and_artefacts_out_of_the_image(path, ignored):
    assert _ignored(path, DOCKERIGNORE.read_text().splitlines()) is ignored
