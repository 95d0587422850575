"""Property-based uploads: generated CSV-ish files never crash the ingest or leave debris.

Two families of files:

- well-formed tables (random headers, delimiters, quoting, line ends, encodings, gzip,
  values with quotes, delimiters and newlines inside): each must load with exactly the rows
  and columns written, the ``id`` column in order and every text value intact;
- damaged files (those tables truncated, with random bytes spliced in, rows made ragged, or
  plain random bytes): each must load with a row count that matches what DuckDB reads back,
  or be refused with a message a user can act on.

Either way nothing half-made stays behind, and a normal upload afterwards still works. The
runs are derandomized and bounded, and a failure is reported as found (not shrunk), to keep
the suite quick; raise ``MAX_EXAMPLES``, drop ``derandomize`` or add ``Phase.shrink``
locally to search further or get a smaller example.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from core.chats import create_chat
from core.config import Settings
from core.datasets import chat_tables, delete_dataset
from core.errors import IngestError
from core.ingest import ingest_file
from core.warehouse import QueryLimits, TableSource, run_query
from tests.reliability.corpus import (
    half_made,
    matches,
    message_problems,
    mismatches,
    one_of,
    orders_csv,
    orders_expected,
)

MAX_EXAMPLES = 60
LIMITS = QueryLimits(timeout_s=60, memory_limit="512MB", threads=2, row_limit=10_000)
FUZZ = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: it can take minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DELIMITERS = [",", ";", "|", "\t"]
QUOTING = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]
LINE_ENDS = ["\n", "\r\n"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp1252"]
# Characters a cell may hold: delimiters, quotes, a newline, accents, the euro sign (all in
# Windows-1252); emoji only where the encoding is Unicode.
CP1252_CHARS = "abcXYZ019 ,;|\t\"'\n_-.éüñ€"
UNICODE_CHARS = CP1252_CHARS + "漢字💰ß"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Any]]  # Python values; None is an empty cell
    kinds: list[str]  # per column: id, int, float, text, date
    delimiter: str
    quoting: int
    line_end: str
    encoding: str
    gzipped: bool
    trailing_newline: bool

    def text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(
            out, delimiter=self.delimiter, quoting=self.quoting, lineterminator=self.line_end
        )
        writer.writerow(self.header)
        for row in self.rows:
            writer.writerow(["" if v is None else v for v in row])
        body = out.getvalue()
        return body if self.trailing_newline else body[: -len(self.line_end)]

    def data(self) -> bytes:
        text = self.text()
        if self.encoding == "utf-16-be-bom":
            raw = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
        else:
            raw = text.encode(self.encoding)
        return gzip.compress(raw, mtime=0) if self.gzipped else raw

    def expected_cell(self, kind: str, value: Any) -> Any:
        """The value as written, or the same text kept as text (a column widened to text)."""
        if value is None:
            return one_of(None, "")
        if kind in ("int", "float"):
            return one_of(value, repr(value))
        return value


def _cell(kind: str, chars: str) -> st.SearchStrategy[Any]:
    value: st.SearchStrategy[Any]
    if kind == "int":
        value = st.integers(-1_000_000, 1_000_000)
    elif kind == "float":
        value = st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3))
    elif kind == "date":
        value = st.dates().map(lambda d: d.isoformat())
    else:  # text that no reader could take for a number, date or boolean
        value = st.text(chars, max_size=12).map(lambda s: "v_" + s.strip())
    return st.one_of(st.none(), value) if kind != "date" else value


@st.composite
def tables(draw: st.DrawFn) -> Table:
    encoding = draw(st.sampled_from(ENCODINGS))
    chars = CP1252_CHARS if encoding == "cp1252" else UNICODE_CHARS
    width = draw(st.integers(1, 5))
    kinds = ["id"] + draw(
        st.lists(st.sampled_from(["int", "float", "text", "date"]), min_size=width, max_size=width)
    )
    names = draw(
        st.lists(st.text(chars, max_size=15), min_size=width, max_size=width).map(
            lambda found: ["h_" + n.strip() for n in found]
        )
    )
    count = draw(st.integers(2, 25))
    rows = [
        [number, *(draw(_cell(kind, chars)) for kind in kinds[1:])]
        for number in range(1, count + 1)
    ]
    return Table(
        header=["id", *names],
        rows=rows,
        kinds=kinds,
        delimiter=draw(st.sampled_from(DELIMITERS)),
        quoting=draw(st.sampled_from(QUOTING)),
        line_end=draw(st.sampled_from(LINE_ENDS)),
        encoding=encoding,
        gzipped=draw(st.booleans()),
        trailing_newline=draw(st.booleans()),
    )


@st.composite
def damaged_files(draw: st.DrawFn) -> bytes:
    """A table's bytes with one or more kinds of damage, or bytes from nowhere."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=3000))
    table = draw(tables())
    data = bytearray(table.text().encode("utf-8") if draw(st.booleans()) else table.data())
    for _ in range(draw(st.integers(1, 3))):
        damage = draw(st.sampled_from(["truncate", "splice", "ragged", "flip"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if damage == "truncate":
            del data[position:]
        elif damage == "splice":
            data[position:position] = draw(st.binary(min_size=1, max_size=40))
        elif damage == "ragged":
            line_end = data.find(b"\n", position)
            cut = line_end if line_end >= 0 else len(data)
            data[cut:cut] = table.delimiter.encode() * draw(st.integers(1, 3))
        elif data:
            data[position] = draw(st.integers(0, 255))
    return bytes(data)


class Uploads:
    """One chat that receives every generated file; each example leaves it as it found it."""

    def __init__(self, db: Session, settings: Settings, user_id: uuid.UUID, folder: Path):
        self.db, self.settings, self.user_id = db, settings, user_id
        self.chat_id = create_chat(db, user_id).id
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.loaded = 0
        self.refused = 0

    def send(self, data: bytes, filename: str, bad_rows: str = "refuse"):
        source = self.folder / "upload.bin"
        source.write_bytes(data)
        try:
            return ingest_file(
                self.db,
                self.settings,
                self.user_id,
                self.chat_id,
                source,
                filename,
                bad_rows=bad_rows,
            )
        except IngestError as error:
            self.refused += 1
            assert message_problems(error.message, self.settings.data_dir, self.folder) == []
            return None
        finally:
            assert half_made(self.db, self.settings) == []

    def table(self, summary) -> TableSource:
        found = chat_tables(self.db, self.user_id, self.chat_id)
        [info] = [t for t in found if t.name == summary.table_name]
        return TableSource(info.name, info.path)

    def forget(self, summary) -> None:
        self.loaded += 1
        delete_dataset(self.db, self.settings, self.user_id, summary.id)
        assert half_made(self.db, self.settings) == []


def count_and_width(table: TableSource) -> tuple[int, int]:
    result = run_query([table], f'SELECT * FROM "{table.name}"', LIMITS)
    return result.total_count, len(result.columns)


def test_well_formed_tables_load_exactly_as_written(db, settings, user_id, tmp_path):
    uploads = Uploads(db, settings, user_id, tmp_path / "in")

    @FUZZ
    @given(table=tables())
    def check(table: Table) -> None:
        name = "fuzz.csv.gz" if table.gzipped else "fuzz.csv"
        summary = uploads.send(table.data(), name)
        assert summary is not None, f"refused a well-formed file: {table.text()!r}"
        source = uploads.table(summary)
        assert summary.row_count == len(table.rows)
        assert summary.column_count == len(table.header)
        result = run_query([source], f'SELECT * FROM "{source.name}"', LIMITS)
        assert result.total_count == len(table.rows)
        expected = [
            tuple(
                table.expected_cell(kind, value)
                for kind, value in zip(table.kinds, row, strict=True)
            )
            for row in table.rows
        ]
        assert mismatches(result.rows, expected) == []
        uploads.forget(summary)

    check()
    assert uploads.loaded > MAX_EXAMPLES // 2  # the examples really ran


def test_damaged_files_load_consistently_or_are_refused_clearly(db, settings, user_id, tmp_path):
    uploads = Uploads(db, settings, user_id, tmp_path / "in")

    @FUZZ
    @given(data=damaged_files(), bad_rows=st.sampled_from(["refuse", "skip"]))
    def check(data: bytes, bad_rows: str) -> None:
        summary = uploads.send(data, "damaged.csv", bad_rows)
        if summary is None:
            return
        rows, width = count_and_width(uploads.table(summary))
        assert (summary.row_count, summary.column_count) == (rows, width)
        uploads.forget(summary)

    check()
    assert uploads.refused > 0 and uploads.loaded > 0  # the generator reaches both outcomes

    # The app still works: a normal upload afterwards loads and answers.
    summary = uploads.send(orders_csv(200), "orders.csv")
    assert summary is not None
    source = uploads.table(summary)
    result = run_query([source], f'SELECT * FROM "{source.name}"', LIMITS)
    assert mismatches(result.rows, orders_expected(200).rows) == []
    total = run_query([source], f'SELECT sum(quantity) FROM "{source.name}"', LIMITS)
    assert matches(total.rows[0][0], sum(row[2] for row in orders_expected(200).rows))
