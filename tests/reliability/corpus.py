"""Awkward upload files, each with an independent statement of what a correct ingest gives.

Every case writes its own bytes (seeded, so runs are repeatable) and says what must come
out: a table (SQL column names, values, row count, sometimes the table name and extra SQL
checks) or a refusal whose message mentions what was wrong. Some files have two acceptable
outcomes (kept as text or converted; read or refused with a clear reason) and list both.

The checks shared by the reliability tests live here too: a refusal message a user can act
on, and no half-made dataset (temporary file, file without a row, row without a file).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import math
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import ColumnMetadata, Dataset

# --- what a case expects ------------------------------------------------------------------


@dataclass(frozen=True)
class OneOf:
    """A cell that may rightly come out in more than one form (text kept, or converted)."""

    options: tuple[Any, ...]


def one_of(*options: Any) -> OneOf:
    return OneOf(options)


@dataclass(frozen=True)
class Accepted:
    columns: tuple[str, ...]  # SQL names, in file order
    rows: tuple[tuple[Any, ...], ...] | None  # every row in file order; None: see row_count
    row_count: int | None = None  # needed only when rows is None
    original_names: tuple[str, ...] | None = None  # header text kept in the metadata
    table: str | None = None  # the chat-facing table name, when the case is about it
    checks: tuple[tuple[str, tuple[tuple[Any, ...], ...]], ...] = ()  # SQL over {t}, rows
    null_counts: dict[str, int] = field(default_factory=dict)  # from the column metadata

    @property
    def expected_rows(self) -> int:
        return len(self.rows) if self.rows is not None else int(self.row_count or 0)


@dataclass(frozen=True)
class Refused:
    mentions: tuple[str, ...]  # regular expressions; the message must match each (any case)


@dataclass(frozen=True)
class Case:
    id: str
    filename: str
    write: Callable[[Path], None]
    expect: tuple[Accepted | Refused, ...]

    def accepted(self) -> Accepted | None:
        return next((e for e in self.expect if isinstance(e, Accepted)), None)

    def refused(self) -> Refused | None:
        return next((e for e in self.expect if isinstance(e, Refused)), None)


# --- comparing cells -----------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """DuckDB's Python values in the plain forms the expectations are written in."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, OneOf):
        return any(matches(actual, option) for option in expected.options)
    actual = canonical(actual)
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return type(actual) is type(expected) and actual == expected


def mismatches(
    actual: Sequence[Sequence[Any]], expected: Sequence[Sequence[Any]]
) -> list[tuple[int, Any, Any]]:
    """(row index, actual row, expected row) for each row that differs, or a length note."""
    if len(actual) != len(expected):
        return [(-1, f"{len(actual)} rows", f"{len(expected)} rows")]
    return [
        (i, tuple(a), tuple(e))
        for i, (a, e) in enumerate(zip(actual, expected, strict=True))
        if len(a) != len(e) or not all(matches(x, y) for x, y in zip(a, e, strict=True))
    ]


# --- the shared checks ---------------------------------------------------------------------

ACTION_WORDS = re.compile(
    r"\b(upload|save|remove|fix|try|split|use|check|unzip|export|convert|delete|add|"
    r"choose|skip|re-?save|ask)\b",
    re.IGNORECASE,
)
ENGINE_DUMP = re.compile(
    r"Traceback|File \"|duckdb\.|_duckdb|(Invalid Input|Conversion|IO|Binder|Parser|Catalog|"
    r"Internal|Out of Memory) Error|LINE \d+:|psycopg|sqlalchemy|Errno",
    re.IGNORECASE,
)
MAX_MESSAGE = 600


def message_problems(message: str, *private_paths: Path) -> list[str]:
    """Why a refusal message would not help a user; empty when it is fine."""
    problems = []
    if not message.strip():
        problems.append("empty message")
    if len(message) > MAX_MESSAGE:
        problems.append(f"{len(message)} characters long")
    if found := ENGINE_DUMP.search(message):
        problems.append(f"engine or traceback text: {found.group(0)!r}")
    for path in private_paths:
        for form in {str(path), str(path.resolve())}:
            if form in message:
                problems.append(f"shows the private path {form}")
    if not ACTION_WORDS.search(message):
        problems.append("does not say what to do")
    return problems


def half_made(session: Session, settings: Settings) -> list[str]:
    """Everything an interrupted or refused ingest must not leave behind, as readable lines.

    Every file under DATA_DIR must be ``datasets/<id>.duckdb`` named by a row; every row's
    file must exist and hold table ``data`` with as many columns as it has metadata rows
    and ``row_count`` rows.
    """
    problems: list[str] = []
    data_dir = settings.data_dir
    rows = session.execute(select(Dataset.id, Dataset.storage_path, Dataset.row_count)).all()
    named: dict[Path, tuple[Any, int]] = {}
    for dataset_id, storage_path, row_count in rows:
        path = Path(storage_path)
        path = path if path.is_absolute() else data_dir / path
        named[path.resolve()] = (dataset_id, row_count)
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        if path.resolve() not in named:
            problems.append(f"stray file {path.relative_to(data_dir)}")
    for path, (dataset_id, row_count) in named.items():
        if not path.is_file():
            problems.append(f"dataset {dataset_id} has no file")
            continue
        metadata = session.scalar(
            select(ColumnMetadata.id).where(ColumnMetadata.dataset_id == dataset_id).limit(1)
        )
        count = len(
            session.execute(
                select(ColumnMetadata.id).where(ColumnMetadata.dataset_id == dataset_id)
            ).all()
        )
        with duckdb.connect(str(path), read_only=True) as con:
            width = len(con.execute("DESCRIBE data").fetchall())
            stored = con.execute("SELECT count(*) FROM data").fetchone()[0]
        if metadata is None or count != width:
            problems.append(f"dataset {dataset_id}: {count} metadata rows for {width} columns")
        if stored != row_count:
            problems.append(f"dataset {dataset_id}: row_count {row_count}, file has {stored}")
    return problems


# --- writing files -------------------------------------------------------------------------


def csv_text(rows: Sequence[Sequence[Any]], delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return out.getvalue()


def raw(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def text(content: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return raw(content.encode(encoding))


def png_bytes() -> bytes:
    """A real 2x2 PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\xff\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def orders_rows(count: int, seed: int = 7) -> list[list[Any]]:
    rng = random.Random(seed)
    regions = ["North", "South", "East", "West"]
    return [
        [i, regions[rng.randrange(4)], rng.randrange(1, 50), round(rng.uniform(1, 500), 2)]
        for i in range(1, count + 1)
    ]


ORDERS_HEADER = ["order_id", "region", "quantity", "amount"]


def orders_csv(count: int) -> bytes:
    return csv_text([ORDERS_HEADER, *orders_rows(count)]).encode()


def orders_expected(count: int) -> Accepted:
    return Accepted(tuple(ORDERS_HEADER), tuple(tuple(r) for r in orders_rows(count)))


def write_gzip(data: bytes, keep_fraction: float = 1.0) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        packed = gzip.compress(data, mtime=0)
        path.write_bytes(packed[: int(len(packed) * keep_fraction)])

    return write


def write_xlsx(rows: Sequence[Sequence[Any]], keep_fraction: float = 1.0) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(list(row))
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
        path.write_bytes(data[: int(len(data) * keep_fraction)])

    return write


PARQUET_COLUMNS = {
    "id": [1, 2, 3],
    "city": ["Zürich", "Lyon", None],
    "price": [9.5, 12.25, 3.0],
    "day": [date(2024, 1, 31), date(2024, 2, 29), date(2023, 12, 1)],
}
PARQUET_EXPECTED = Accepted(
    ("id", "city", "price", "day"),
    (
        (1, "Zürich", 9.5, "2024-01-31"),
        (2, "Lyon", 12.25, "2024-02-29"),
        (3, None, 3.0, "2023-12-01"),
    ),
)


def write_parquet(keep_fraction: float = 1.0) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        buffer = io.BytesIO()
        pq.write_table(pa.table(PARQUET_COLUMNS), buffer)
        data = buffer.getvalue()
        path.write_bytes(data[: int(len(data) * keep_fraction)])

    return write


def write_zip(members: dict[str, bytes]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)

    return write


# --- the corpus ----------------------------------------------------------------------------

CITIES = "city,amount\nZürich,1\nKraków,2\nSão Paulo,3\n"
CITIES_EXPECTED = Accepted(("city", "amount"), (("Zürich", 1), ("Kraków", 2), ("São Paulo", 3)))
SMALL = Accepted(("id", "name"), ((1, "a"), (2, "b"), (3, "c")))
RAGGED_LINES = (5, 12)  # file lines (the header is line 1) with the wrong number of fields


def ragged_csv() -> bytes:
    lines = ["id,name,score"]
    for line in range(2, 22):
        if line == RAGGED_LINES[0]:
            lines.append(f"{line},extra,{line},oops")
        elif line == RAGGED_LINES[1]:
            lines.append(f"{line},short")
        else:
            lines.append(f"{line},n{line},{line * 10}")
    return ("\n".join(lines) + "\n").encode()


RAGGED_KEPT = tuple(
    (line, f"n{line}", line * 10) for line in range(2, 22) if line not in RAGGED_LINES
)

WIDE_COLUMNS = 5000


def wide_csv() -> bytes:
    header = [f"c{j:04d}" for j in range(1, WIDE_COLUMNS + 1)]
    rows = [[r * 10_000 + j for j in range(1, WIDE_COLUMNS + 1)] for r in range(1, 4)]
    return csv_text([header, *rows]).encode()


def big_cell_csv() -> bytes:
    rng = random.Random(3)
    cell = "".join(rng.choice("abcdefghij klmnop") for _ in range(1_000_000))
    return csv_text([["id", "blob"], [1, cell], [2, "short"]]).encode()


DATES_CSV = (
    "iso,us,eu,spelled,stamp,mixed\n"
    "2024-01-31,01/31/2024,31.01.2024,31 Jan 2024,2024-01-31 13:45:00,2024-01-31\n"
    "2024-02-29,02/29/2024,29.02.2024,29 Feb 2024,2024-02-29 08:00:00,01/31/2024\n"
    "2023-12-01,12/01/2023,01.12.2023,1 Dec 2023,2023-12-01 23:59:59,yesterday\n"
)


def _date_cell(iso: str, original: str) -> OneOf:
    return one_of(iso, original)


DATES_EXPECTED = Accepted(
    ("iso", "us", "eu", "spelled", "stamp", "mixed"),
    tuple(
        (
            _date_cell(iso, iso),
            _date_cell(iso, us),
            _date_cell(iso, eu),
            _date_cell(iso, spelled),
            one_of(stamp, stamp.replace(" ", "T")),
            mixed,
        )
        for iso, us, eu, spelled, stamp, mixed in (
            (
                "2024-01-31",
                "01/31/2024",
                "31.01.2024",
                "31 Jan 2024",
                "2024-01-31 13:45:00",
                "2024-01-31",
            ),
            (
                "2024-02-29",
                "02/29/2024",
                "29.02.2024",
                "29 Feb 2024",
                "2024-02-29 08:00:00",
                "01/31/2024",
            ),
            (
                "2023-12-01",
                "12/01/2023",
                "01.12.2023",
                "1 Dec 2023",
                "2023-12-01 23:59:59",
                "yesterday",
            ),
        )
    ),
)

MONEY_CSV = 'item,price,total\nA,"$1,234.50","1,234"\nB,$99.99,"12,000"\nC,€5,7\n'
MONEY_EXPECTED = Accepted(
    ("item", "price", "total"),
    (
        ("A", one_of("$1,234.50", 1234.5), one_of("1,234", 1234)),
        ("B", one_of("$99.99", 99.99), one_of("12,000", 12000)),
        ("C", one_of("€5", 5), one_of("7", 7)),
    ),
)

XLSX_ROWS = [
    ["Order ID", "Region", "Amount", "Day"],
    [1, "North", 12.5, date(2024, 1, 31)],
    [2, "Süd", 7, date(2024, 2, 29)],
    [3, None, 0.25, date(2023, 12, 1)],
]
XLSX_EXPECTED = Accepted(
    ("order_id", "region", "amount", "day"),
    tuple(
        (
            one_of(row[0], str(row[0])),
            row[1],
            one_of(row[2], str(row[2])),
            one_of(row[3].isoformat(), f"{row[3].isoformat()} 00:00:00"),
        )
        for row in XLSX_ROWS[1:]
    ),
)

JSON_RECORDS = [
    {"id": 1, "name": "Ann", "score": 3.5},
    {"id": 2, "name": "Bob", "score": None},
    {"id": 3, "name": "Zoë", "score": 4.0},
]
JSON_EXPECTED = Accepted(
    ("id", "name", "score"), ((1, "Ann", 3.5), (2, "Bob", None), (3, "Zoë", 4.0))
)

EXCEL_EUROPE = "Produit;Prix unitaire;Quantité\r\nCafé;1,50;3\r\nCrème;2,25;1\r\n"


def _rng_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def corpus() -> list[Case]:
    """The awkward files; ids are stable test ids."""
    return [
        Case("empty", "empty.csv", raw(b""), (Refused((r"empty",)),)),
        Case("only_blank_lines", "blank.csv", raw(b"\n\r\n   \n\t\n"), (Refused((r"empty",)),)),
        Case(
            "header_only",
            "header.csv",
            text("id,name,amount\n"),
            (Accepted(("id", "name", "amount"), ()),),
        ),
        Case(
            "header_only_without_newline",
            "header.csv",
            text("id,name,amount"),
            (Accepted(("id", "name", "amount"), ()),),
        ),
        Case(
            "random_binary",
            "data.csv",
            raw(_rng_bytes(8192, seed=1)),
            (Refused((r"binary|not text",)),),
        ),
        Case("png_renamed_csv", "photo.csv", raw(png_bytes()), (Refused((r"png|image",)),)),
        Case(
            "pdf_renamed_csv",
            "report.csv",
            raw(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
            (Refused((r"pdf",)),),
        ),
        Case(
            "utf16_le_with_bom",
            "cities.csv",
            raw(codecs.BOM_UTF16_LE + CITIES.encode("utf-16-le")),
            (CITIES_EXPECTED,),
        ),
        Case(
            "utf16_be_with_bom",
            "cities.csv",
            raw(codecs.BOM_UTF16_BE + CITIES.encode("utf-16-be")),
            (CITIES_EXPECTED,),
        ),
        Case(
            "utf16_le_without_bom",
            "cities.csv",
            raw(CITIES.encode("utf-16-le")),
            (CITIES_EXPECTED,),
        ),
        Case(
            "windows_1252",
            "menu.csv",
            text("product,note\nCafé,prix 3 €\nCrème brûlée,“maison”\n", "cp1252"),
            (Accepted(("product", "note"), (("Café", "prix 3 €"), ("Crème brûlée", "“maison”"))),),
        ),
        Case(
            "latin_1_with_accented_headers",
            "staedte.csv",
            text("Größe,Stadt\n1,München\n2,Köln\n", "latin-1"),
            (
                Accepted(
                    ("grosse", "stadt"),
                    ((1, "München"), (2, "Köln")),
                    original_names=("Größe", "Stadt"),
                ),
            ),
        ),
        Case(
            "utf8_with_bom",
            "bom.csv",
            raw(codecs.BOM_UTF8 + b"id,name\n1,a\n2,b\n3,c\n"),
            (Accepted(SMALL.columns, SMALL.rows, original_names=("id", "name")),),
        ),
        Case(
            "semicolon_delimiter",
            "scores.csv",
            text("id;name;score\n1;Ann;3.5\n2;Bob;4\n"),
            (Accepted(("id", "name", "score"), ((1, "Ann", 3.5), (2, "Bob", 4.0))),),
        ),
        Case(
            "pipe_delimiter",
            "scores.psv",
            text("id|name|score\n1|Ann|3.5\n2|Bob, Jr.|4\n"),
            (Accepted(("id", "name", "score"), ((1, "Ann", 3.5), (2, "Bob, Jr.", 4.0))),),
        ),
        Case(
            "tab_delimiter",
            "scores.tsv",
            text("id\tname\tscore\n1\tAnn\t3.5\n2\tBob; Jr.\t4\n"),
            (Accepted(("id", "name", "score"), ((1, "Ann", 3.5), (2, "Bob; Jr.", 4.0))),),
        ),
        Case(
            "tab_delimiter_with_semicolons_in_headers",
            "units.tsv",
            text("id\tprice;eur\tqty;n\n1\t5\t6\n2\t7\t8\n3\t7\t8\n"),
            (
                Accepted(
                    ("id", "price_eur", "qty_n"),
                    ((1, 5, 6), (2, 7, 8), (3, 7, 8)),
                    original_names=("id", "price;eur", "qty;n"),
                ),
            ),
        ),
        Case(
            "excel_crlf_with_a_line_break_in_a_header_cell",
            "excel.csv",
            raw(b'id,"Revenue\n(EUR)",region\r\n1,10,North\r\n2,20,South\r\n'),
            (
                Accepted(
                    ("id", "revenue_eur", "region"),
                    ((1, 10, "North"), (2, 20, "South")),
                    original_names=("id", "Revenue\n(EUR)", "region"),
                ),
            ),
        ),
        Case(
            "gzipped_excel_crlf_with_a_line_break_in_a_header_cell",
            "excel.csv.gz",
            write_gzip(b'id,"Revenue\n(EUR)",region\r\n1,10,North\r\n2,20,South\r\n'),
            (
                Accepted(
                    ("id", "revenue_eur", "region"),
                    ((1, 10, "North"), (2, 20, "South")),
                    original_names=("id", "Revenue\n(EUR)", "region"),
                    table="excel",
                ),
            ),
        ),
        Case("cr_only_line_ends", "mac.csv", text("id,name\r1,a\r2,b\r3,c\r"), (SMALL,)),
        Case("crlf_line_ends", "windows.csv", text("id,name\r\n1,a\r\n2,b\r\n3,c\r\n"), (SMALL,)),
        Case(
            "ragged_rows",
            "ragged.csv",
            raw(ragged_csv()),
            (Refused(tuple(rf"\b{line}\b" for line in RAGGED_LINES)),),
        ),
        Case(
            "quotes_escaped_with_backslash",
            "quotes.csv",
            text('id,quote\n1,"He said \\"hi\\""\n2,"plain"\n3,"a, b"\n'),
            (Accepted(("id", "quote"), ((1, 'He said "hi"'), (2, "plain"), (3, "a, b"))),),
        ),
        Case(
            "quotes_doubled",
            "quotes.csv",
            text('id,quote\n1,"He said ""hi"""\n2,plain\n'),
            (Accepted(("id", "quote"), ((1, 'He said "hi"'), (2, "plain"))),),
        ),
        Case(
            "newlines_and_delimiters_inside_quotes",
            "notes.csv",
            text('id,note\n1,"line one\nline two, still one"\n2,"x;y|z"\n'),
            (Accepted(("id", "note"), ((1, "line one\nline two, still one"), (2, "x;y|z"))),),
        ),
        Case(
            "duplicate_headers",
            "dupes.csv",
            text("name,name,Name,amount\na,b,c,1\n"),
            (
                Accepted(
                    ("name", "name_2", "name_3", "amount"),
                    (("a", "b", "c", 1),),
                    original_names=("name", "name", "Name", "amount"),
                ),
            ),
        ),
        Case(
            "blank_headers",
            "blanks.csv",
            text("id,,score,\n1,x,2,y\n2,z,3,w\n"),
            (
                Accepted(
                    ("id", "column_2", "score", "column_4"), ((1, "x", 2, "y"), (2, "z", 3, "w"))
                ),
            ),
        ),
        Case(
            "very_long_headers",
            "long.csv",
            text("x" * 300 + "," + "x" * 300 + "y\n1,2\n"),
            (
                Accepted(
                    ("x" * 63, "x" * 61 + "_2"),
                    ((1, 2),),
                    original_names=("x" * 300, "x" * 300 + "y"),
                ),
            ),
        ),
        Case(
            "sql_keyword_headers",
            "select.csv",
            text("select,from,order,group,where\n1,2,3,4,5\n6,7,8,9,10\n"),
            (
                Accepted(
                    ("select_", "from_", "order_", "group_", "where_"),
                    ((1, 2, 3, 4, 5), (6, 7, 8, 9, 10)),
                    table="select_",
                    checks=(
                        (
                            "SELECT sum(order_) AS s, max(group_) AS m FROM {t} WHERE from_ > 2",
                            ((8, 9),),
                        ),
                    ),
                ),
            ),
        ),
        Case(
            "emoji_and_accented_headers",
            "Ventes été 2024.csv",
            text("💰 Revenue,🌍,Région,Größe ✨\n10,x,Nord,3\n"),
            (
                Accepted(
                    ("revenue", "column_2", "region", "grosse"),
                    ((10, "x", "Nord", 3),),
                    original_names=("💰 Revenue", "🌍", "Région", "Größe ✨"),
                    table="ventes_ete_2024",
                ),
            ),
        ),
        Case(
            "header_with_sql_injection",
            "2024 report.csv",
            text('"a""; DROP TABLE users; --",b\n1,2\n'),
            (
                Accepted(
                    ("a_drop_table_users", "b"),
                    ((1, 2),),
                    original_names=('a"; DROP TABLE users; --', "b"),
                    table="table_2024_report",
                ),
            ),
        ),
        Case(
            "one_megabyte_cell",
            "blob.csv",
            raw(big_cell_csv()),
            (
                Accepted(
                    ("id", "blob"),
                    None,
                    row_count=2,
                    checks=(
                        ("SELECT id, length(blob) FROM {t} ORDER BY id", ((1, 1_000_000), (2, 5))),
                    ),
                ),
            ),
        ),
        Case(
            "five_thousand_columns",
            "wide.csv",
            raw(wide_csv()),
            (
                Accepted(
                    tuple(f"c{j:04d}" for j in range(1, WIDE_COLUMNS + 1)),
                    tuple(
                        tuple(r * 10_000 + j for j in range(1, WIDE_COLUMNS + 1))
                        for r in range(1, 4)
                    ),
                    checks=(("SELECT sum(c5000), min(c0001) FROM {t}", ((75_000, 10_001),)),),
                ),
            ),
        ),
        Case(
            "mixed_types_in_a_column",
            "mixed.csv",
            text("id,value\n1,10\n2,ten\n3,10.5\n4,\n"),
            (Accepted(("id", "value"), ((1, "10"), (2, "ten"), (3, "10.5"), (4, None))),),
        ),
        Case(
            "leading_zeros_kept",
            "zips.csv",
            text("zip,city\n00123,A\n01234,B\n"),
            (Accepted(("zip", "city"), (("00123", "A"), ("01234", "B"))),),
        ),
        Case("thousands_separators_and_currency", "prices.csv", text(MONEY_CSV), (MONEY_EXPECTED,)),
        Case(
            "european_excel_export",
            "export.csv",
            text(EXCEL_EUROPE, "cp1252"),
            (
                Accepted(
                    ("produit", "prix_unitaire", "quantite"),
                    (("Café", one_of("1,50", 1.5), 3), ("Crème", one_of("2,25", 2.25), 1)),
                ),
            ),
        ),
        Case("dates_in_several_formats", "dates.csv", text(DATES_CSV), (DATES_EXPECTED,)),
        Case(
            "all_null_column",
            "nulls.csv",
            text("id,empty,note\n1,,a\n2,,b\n3,,c\n"),
            (
                Accepted(
                    ("id", "empty", "note"),
                    ((1, None, "a"), (2, None, "b"), (3, None, "c")),
                    null_counts={"empty": 3, "id": 0},
                ),
            ),
        ),
        Case(
            "truncated_gzip",
            "orders.csv.gz",
            write_gzip(orders_csv(5000), keep_fraction=0.5),
            (Refused((r"gzip|compress", r"damaged|incomplete|cut")),),
        ),
        Case(
            "gzip_of_nothing",
            "nothing.csv.gz",
            write_gzip(b""),
            (Refused((r"empty",)),),
        ),
        Case(
            "valid_gzip_csv",
            "orders.csv.gz",
            write_gzip(orders_csv(500)),
            (replace(orders_expected(500), table="orders"),),
        ),
        Case("xlsx_workbook", "report.xlsx", write_xlsx(XLSX_ROWS), (XLSX_EXPECTED,)),
        Case(
            "xlsx_named_csv",
            "report.csv",
            write_xlsx(XLSX_ROWS),
            (replace(XLSX_EXPECTED, table="report"),),
        ),
        Case(
            "truncated_xlsx",
            "report.xlsx",
            write_xlsx(XLSX_ROWS, keep_fraction=0.6),
            (Refused((r"damaged|incomplete",)),),
        ),
        Case("parquet_file", "prices.parquet", write_parquet(), (PARQUET_EXPECTED,)),
        Case(
            "parquet_named_csv",
            "export.csv",
            write_parquet(),
            (replace(PARQUET_EXPECTED, table="export"),),
        ),
        Case(
            "truncated_parquet",
            "prices.parquet",
            write_parquet(keep_fraction=0.7),
            (Refused((r"parquet", r"incomplete|damaged")),),
        ),
        Case(
            "json_lines",
            "people.jsonl",
            text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in JSON_RECORDS)),
            (JSON_EXPECTED,),
        ),
        Case(
            "json_array",
            "people.json",
            text(json.dumps(JSON_RECORDS, ensure_ascii=False, indent=1)),
            (JSON_EXPECTED,),
        ),
        Case(
            "zip_archive_with_a_csv",
            "orders.zip",
            write_zip({"orders.csv": orders_csv(10)}),
            (Refused((r"zip",)),),
        ),
        Case("trailing_blank_lines", "trail.csv", text("id,name\n1,a\n2,b\n3,c\n\n\n\n"), (SMALL,)),
        Case("no_trailing_newline", "last.csv", text("id,name\n1,a\n2,b\n3,c"), (SMALL,)),
        Case(
            "single_text_column",
            "names.csv",
            text("name\nAnn\nBob\nCid\n"),
            (Accepted(("name",), (("Ann",), ("Bob",), ("Cid",))),),
        ),
        Case(
            "single_number_column",
            "amounts.csv",
            text("amount\n1\n2\n3\n"),
            (Accepted(("amount",), ((1,), (2,), (3,))),),
        ),
        Case(
            "single_row",
            "one.csv",
            text("id,name,amount\n1,Ann,9.5\n"),
            (Accepted(("id", "name", "amount"), ((1, "Ann", 9.5),)),),
        ),
        Case(
            "header_of_only_delimiters",
            "nohead.csv",
            text(",,,\n1,2,3,4\n5,6,7,8\n"),
            (
                Accepted(
                    ("column_1", "column_2", "column_3", "column_4"),
                    ((1, 2, 3, 4), (5, 6, 7, 8)),
                ),
                Refused((r"header|column name",)),
            ),
        ),
        Case(
            "nul_bytes_inside_text",
            "nul.csv",
            raw(b"id,name\n1,ab\x00cd\n2,ef\n"),
            (
                Accepted(("id", "name"), ((1, one_of("ab\x00cd", "abcd")), (2, "ef"))),
                Refused((r"binary|NUL|null byte",)),
            ),
        ),
        Case(
            "invalid_utf8_in_a_utf8_file",
            "broken.csv",
            raw("id,name\n1,Zoë\n2,Ann\xa0\n".encode() + b"3,b\xff\xfe\n4,Jos\xc3\xa9\n"),
            (Refused((r"utf-?8", r"\b4\b")),),
        ),
        Case(
            "whitespace_around_values",
            "spaced.csv",
            text("id, name , score\n1, Ann ,3\n2,Bob, 4\n"),
            (
                Accepted(
                    ("id", "name", "score"),
                    ((1, one_of(" Ann ", "Ann"), one_of(3, "3")), (2, "Bob", one_of(4, " 4"))),
                ),
            ),
        ),
    ]
