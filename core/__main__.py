"""Command line: ``python -m core {migrate,users,ask,demo}``.

``ask`` runs the same pipeline as the app on CSV files, without the app database, and
prints exactly one JSON object on stdout (logs go to stderr).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from core.config import get_settings
from core.errors import TabletalkError

CLI_ROWS = 20


def _engine():
    from core.db import get_engine

    return get_engine()


def cmd_migrate(_args) -> int:
    _engine()
    print("Database is up to date.")
    return 0


def cmd_users_create(args) -> int:
    from core import auth
    from core.db import session_scope

    password = args.password or getpass.getpass("Password: ")
    if not args.password and password != getpass.getpass("Repeat password: "):
        print("The two passwords do not match.", file=sys.stderr)
        return 1
    with session_scope(_engine()) as session:
        user = auth.register(session, args.email, password)
    print(f"Created {user.email}.")
    return 0


def cmd_users_list(_args) -> int:
    from core import auth
    from core.db import session_scope

    with session_scope(_engine()) as session:
        for user in auth.list_users(session):
            print(f"{user.email}\t{user.created_at:%Y-%m-%d %H:%M}")
    return 0


def load_tables(paths: list[Path], work: Path):
    """Each CSV becomes a DuckDB dataset file and a profiled table named after its file."""
    from core.catalog import TableInfo
    from core.ingest import build_dataset_file
    from core.naming import table_name_for

    tables, taken = [], set()
    for path in paths:
        name = table_name_for(path.name, taken)
        taken.add(name)
        dest = work / f"{name}.duckdb"
        built = build_dataset_file(path, dest, original_filename=path.name)
        tables.append(TableInfo(name, built.row_count, built.columns, path.name, dest))
    return tables


def cmd_ask(args) -> int:
    from core.ask import AskResult, answer_question
    from core.nl2sql.engines import make_engine

    settings = get_settings()
    missing = [p for p in args.csv if not Path(p).is_file()]
    if missing:
        print(f"No such file: {missing[0]}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tabletalk-cli-") as work:
        try:
            tables = load_tables([Path(p) for p in args.csv], Path(work))
            engine = make_engine(settings, args.engine)
            result = answer_question(tables, args.question, [], engine, settings).result
        except TabletalkError as error:
            engine_name = args.engine if args.engine != "auto" else settings.resolved_engine()
            result = AskResult(
                False, error.message, None, None, None, False, error.message, engine=engine_name
            )
    body = asdict(replace(result, rows=result.rows[: args.rows]))
    print(json.dumps(body, default=str, ensure_ascii=False))
    return 0


def cmd_demo(args) -> int:
    from core.demo import create_demo

    print(create_demo(_engine(), get_settings(), args.email, args.password))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core", description="Tabletalk command line")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="manage accounts").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="create an account (asks for the password)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help=argparse.SUPPRESS)
    create.set_defaults(func=cmd_users_create)
    users.add_parser("list", help="list accounts").set_defaults(func=cmd_users_list)

    ask = sub.add_parser("ask", help="ask a question about CSV files")
    ask.add_argument("--csv", action="append", required=True, help="a CSV file (repeatable)")
    ask.add_argument("--question", required=True)
    ask.add_argument("--engine", choices=["auto", "rules", "llm"], default="auto")
    ask.add_argument("--format", choices=["json"], default="json")
    ask.add_argument("--rows", type=int, default=CLI_ROWS, help="rows to print (default 20)")
    ask.set_defaults(func=cmd_ask)

    demo = sub.add_parser("demo", help="create a demo user with a chat of sample data")
    demo.add_argument("--email", default="demo@tabletalk.local")
    demo.add_argument("--password", default="tabletalk-demo")
    demo.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        return args.func(args)
    except TabletalkError as error:
        print(error.message, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
