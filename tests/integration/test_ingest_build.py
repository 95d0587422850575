"""Building a dataset file from real uploads on a real DuckDB: formats, encodings, bad input.

Every case checks what is left in the output folder: the one dataset file on success, and
nothing at all on refusal.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import os
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from core.build import BuiltDataset, IngestProgress, build_dataset_file
from core.errors import IngestError
from core.loaders import RaggedRowsError


class Built:
    def __init__(self, result: BuiltDataset, path: Path) -> None:
        self.result = result
        self.path = path

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.result.columns]

    def column(self, name: str):
        return next(c for c in self.result.columns if c.name == name)

    def rows(self, sql: str = "SELECT * FROM data") -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def build(tmp_path, out):
    def _build(data: bytes | str, name: str = "upload.csv", **options) -> Built:
        source = tmp_path / name
        source.write_bytes(data.encode() if isinstance(data, str) else data)
        dest = out / "ds.duckdb"
        try:
            result = build_dataset_file(source, dest, original_filename=name, **options)
        except BaseException:
            assert os.listdir(out) == [], "a refused upload leaves nothing behind"
            raise
        assert os.listdir(out) == ["ds.duckdb"]
        assert result.size_bytes == dest.stat().st_size
        return Built(result, dest)

    return _build


def _ragged(bad_lines: dict[int, int], width: int = 4, rows: int = 40) -> str:
    """A CSV whose line N (1 = header) has bad_lines[N] fields."""
    lines = [",".join(f"h{i}" for i in range(width))]
    for line in range(2, rows + 2):
        lines.append(",".join(str(line * 10 + i) for i in range(bad_lines.get(line, width))))
    return "\n".join(lines) + "\n"


# --- delimiters, quoting, line ends -------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_common_delimiters_are_sniffed(build, delimiter):
    text = delimiter.join(["id", "city", "amount"]) + "\n"
    text += "".join(delimiter.join([str(i), f"town {i}", f"{i}.5"]) + "\n" for i in range(30))
    built = build(text)
    assert built.names == ["id", "city", "amount"]
    assert built.rows("SELECT * FROM data WHERE id = 3") == [(3, "town 3", 3.5)]


def test_delimiter_inside_header_names_does_not_mislead_the_sniffer(build):
    built = build("id\tprice;eur\tqty;n\n1\t5\t6\n2\t7\t8\n3\t7\t8\n")
    assert built.names == ["id", "price_eur", "qty_n"]
    assert built.rows() == [(1, 5, 6), (2, 7, 8), (3, 7, 8)]


@pytest.mark.parametrize("compress", [False, True])
def test_line_break_inside_a_quoted_header_cell_of_a_windows_file(build, compress):
    data = b'id,"Revenue\n(EUR)",region\r\n1,10,North\r\n2,20,South\r\n'
    built = build(gzip.compress(data) if compress else data)
    assert [c.original_name for c in built.result.columns] == ["id", "Revenue\n(EUR)", "region"]
    assert built.rows() == [(1, 10, "North"), (2, 20, "South")]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_ends_unix_windows_and_old_mac_all_work(build, newline):
    built = build(newline.join(["a,b", "1,x", "2,y", "3,z"]) + newline)
    assert built.rows() == [(1, "x"), (2, "y"), (3, "z")]


def test_quotes_escaped_with_backslash_are_read(build):
    built = build('id,text\n1,"he said \\"hi\\""\n2,"plain"\n3,"a, b"\n')
    assert built.rows("SELECT text FROM data ORDER BY id") == [
        ('he said "hi"',),
        ("plain",),
        ("a, b",),
    ]


def test_quoted_fields_with_doubled_quotes_commas_and_newlines_are_read(build):
    built = build('id,text\n1,"say ""yes"", then\nleave"\n2,x\n')
    assert built.rows("SELECT text FROM data WHERE id = 1") == [('say "yes", then\nleave',)]


# --- encodings ------------------------------------------------------------------------------

WORDS = "name,city\nJosé,Zürich\nRené,Köln\nØyvind,Tromsø\n"


@pytest.mark.parametrize(
    "data",
    [
        WORDS.encode("utf-8"),
        codecs.BOM_UTF8 + WORDS.encode("utf-8"),
        WORDS.encode("utf-16"),
        codecs.BOM_UTF16_BE + WORDS.encode("utf-16-be"),
        WORDS.encode("cp1252"),
        WORDS.encode("latin-1"),
        gzip.compress(WORDS.encode("cp1252")),
    ],
    ids=["utf8", "utf8-bom", "utf16-le", "utf16-be", "cp1252", "latin1", "gzip-cp1252"],
)
def test_text_in_any_common_encoding_arrives_as_utf8(build, data):
    built = build(data)
    assert built.names == ["name", "city"]
    assert built.rows() == [("José", "Zürich"), ("René", "Köln"), ("Øyvind", "Tromsø")]


def test_legacy_bytes_after_a_plain_ascii_start_are_converted(build):
    ascii_part = "id,name\n" + "".join(f"{i},plain\n" for i in range(120_000))
    built = build(ascii_part.encode() + "120000,Müller €\n".encode("cp1252"))
    assert built.rows("SELECT name FROM data WHERE id = 120000") == [("Müller €",)]
    assert any("Windows-1252" in note for note in built.result.notes)


def test_invalid_utf8_late_in_a_utf8_file_is_refused_with_its_line(build):
    start = "id,name\n1,Zoë\n" + "".join(f"{i},plain\n" for i in range(2, 150_000))
    data = start.encode() + b"150000,caf\xe9\n"
    with pytest.raises(IngestError, match=r"Line 150,001 has bytes that are not valid UTF-8"):
        build(data)


# --- refused input: nothing left behind ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty"),
        (b"\n\n  \n", "blank.csv", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(5000), "photo.csv", "PNG image"),
        (os.urandom(20_000), "random.csv", "binary data"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "report.csv", "PDF document"),
        (gzip.compress(b"a,b\n" + b"1,2\n" * 10)[:20], "cut.csv.gz", "gzip file is damaged"),
    ],
)
def test_unusable_files_are_refused_and_nothing_is_left(build, data, name, message):
    with pytest.raises(IngestError, match=message):
        build(data, name)


def test_gzip_cut_off_after_the_sampled_part_is_refused_cleanly(build):
    text = "id,text\n" + "".join(f"{i},row number {i} {i * 7919 % 10007}\n" for i in range(600_000))
    data = gzip.compress(text.encode(), compresslevel=1)
    with pytest.raises(IngestError, match="gzip file is damaged or incomplete"):
        build(data[: int(len(data) * 0.8)], "big.csv.gz")


def test_whole_gzip_csv_is_read(build):
    built = build(gzip.compress(b"a,b\n" + b"".join(b"%d,x\n" % i for i in range(1000))))
    assert built.result.row_count == 1000


def test_header_only_file_is_an_empty_table_with_a_note(build):
    built = build("name,age,city\n")
    assert built.result.row_count == 0
    assert built.names == ["name", "age", "city"]
    assert any("no data rows" in note for note in built.result.notes)


def test_ragged_rows_are_refused_naming_the_first_bad_lines(build):
    with pytest.raises(RaggedRowsError) as refused:
        build(_ragged({14: 5, 27: 5, 31: 5}))
    assert refused.value.message.startswith("Lines 14, 27 and 31 have 5 fields instead of 4.")
    assert "skip the bad rows" in refused.value.message


def test_many_ragged_rows_report_the_first_three_and_the_total(build):
    with pytest.raises(RaggedRowsError, match=r"Lines 3, 5 and 7 have 3 fields instead of 4 \(6"):
        build(_ragged({3: 3, 5: 3, 7: 3, 9: 3, 11: 3, 13: 3}))


def test_short_and_long_rows_mixed_are_refused_without_a_single_count(build):
    with pytest.raises(RaggedRowsError, match="Lines 5 and 8 have a different number of fields"):
        build(_ragged({5: 3, 8: 6}))


def test_ragged_rows_are_skipped_on_request_and_counted(build):
    built = build(_ragged({14: 5, 27: 5, 31: 3}), bad_rows="skip")
    assert built.result.row_count == 37
    assert built.result.skipped_rows == 3
    assert any("Skipped 3 rows" in note for note in built.result.notes)
    assert built.rows("SELECT count(*) FROM data WHERE h0 IN (140, 270, 310)") == [(0,)]


def test_skipping_bad_rows_that_leaves_no_row_is_refused(build):
    with pytest.raises(IngestError, match="None of the 3 rows matched the header"):
        build("a,b,c\n1,2\n3,4\n5,6\n", bad_rows="skip")


# --- headers and odd content ------------------------------------------------------------------


def test_duplicate_blank_and_long_headers_get_valid_names_keeping_the_originals(build):
    long = "A very long header " * 10
    built = build(f"id,id,,Revenue ($),{long},select\n1,2,3,4,5,6\n")
    assert built.names[:4] == ["id", "id_2", "column_3", "revenue"]
    assert len(built.names[4]) <= 63 and built.names[5] == "select_"
    assert [c.original_name for c in built.result.columns] == [
        "id",
        "id",
        "",
        "Revenue ($)",
        long.strip(),
        "select",
    ]


def test_file_without_header_gets_numbered_columns(build):
    built = build("1,2\n3,4\n5,6\n")
    assert built.names == ["column_1", "column_2"]
    assert built.result.row_count == 3


def test_one_megabyte_cells_are_kept_whole(build):
    cell = "x" * 1_000_000
    built = build(f'id,blob,other\n1,"{cell}",a\n2,"{cell}y",b\n3,short,c\n')
    assert built.rows("SELECT id, length(blob) FROM data ORDER BY id") == [
        (1, 1_000_000),
        (2, 1_000_001),
        (3, 5),
    ]
    assert len(built.column("blob").max) <= 200


def test_five_thousand_columns_are_loaded_and_profiled(build):
    width = 5000
    header = ",".join(f"metric {i}" for i in range(width))
    rows = "".join(",".join(str(r * i) for i in range(width)) + "\n" for r in range(20))
    built = build(header + "\n" + rows)
    assert len(built.result.columns) == width
    assert built.column("metric_4999").max == 19 * 4999


def test_numbers_with_thousands_separators_and_currency_are_read_as_numbers(build):
    built = build(
        "item,price,qty,share\n"
        'a,"$1,234.50","1,000",12.5%\n'
        "b,$3.00,17,7%\n"
        'c,-€20,"2,500,000",100%\n'
        "d,,,\n"
    )
    assert [c.data_type for c in built.result.columns] == ["VARCHAR", "DOUBLE", "DOUBLE", "DOUBLE"]
    assert built.rows("SELECT price, qty, share FROM data") == [
        (1234.5, 1000.0, 12.5),
        (3.0, 17.0, 7.0),
        (-20.0, 2_500_000.0, 100.0),
        (None, None, None),
    ]
    assert any("Read as numbers" in n and "share (a percentage)" in n for n in built.result.notes)


@pytest.mark.parametrize(
    "values",
    [
        ["1,2", "3,4", "5,6"],  # decimal commas: ambiguous with thousands, kept as text
        ["A-1,000", "B-2,000", "C-3,000"],
        ["1000", "2000", "3000x"],
    ],
)
def test_text_that_only_resembles_numbers_stays_text(build, values):
    built = build("v\n" + "".join(f'"{v}"\n' for v in values))
    assert built.column("v").data_type == "VARCHAR"
    assert [row[0] for row in built.rows()] == values


def test_dates_in_several_formats_are_read_as_dates(build):
    built = build(
        "iso,us,eu,named,ts\n"
        '2024-01-15,01/15/2024,15.01.2024,"Mar 5, 2024",2024-01-15 10:00:00\n'
        '2024-12-31,12/31/2024,31.12.2024,"Apr 15, 2024",2024-12-31 23:59:59\n'
        '2024-02-29,2/9/2024,9.2.2024,"May 1, 2024",2024-02-29 00:00:01\n'
    )
    types = [c.data_type for c in built.result.columns]
    assert types == ["DATE", "DATE", "DATE", "DATE", "TIMESTAMP"]
    assert built.rows("SELECT us, eu, named FROM data")[2] == (
        dt.date(2024, 2, 9),
        dt.date(2024, 2, 9),
        dt.date(2024, 5, 1),
    )
    assert (built.column("eu").min, built.column("eu").max) == ("2024-01-15", "2024-12-31")


def test_dates_ambiguous_in_every_row_stay_text(build):
    built = build("iso,day\n2024-01-01,01/02/2024\n2024-01-02,03/04/2024\n2024-01-03,05/06/2024\n")
    assert built.rows("SELECT day FROM data") == [("01/02/2024",), ("03/04/2024",), ("05/06/2024",)]


def test_conversion_broken_by_a_late_value_falls_back_to_text_keeping_every_value(build):
    rows = "".join(f'{i},"${i:,}.00",{(i % 28) + 1}.03.2024\n' for i in range(1000, 9000))
    built = build("id,price,day\n" + rows + "9000,call us,soon\n")
    assert built.column("price").data_type == "VARCHAR"
    assert built.column("day").data_type == "VARCHAR"
    assert built.rows("SELECT price, day FROM data WHERE id IN (1000, 9000) ORDER BY id") == [
        ("$1,000.00", "21.03.2024"),
        ("call us", "soon"),
    ]
    assert built.result.row_count == 8001


def test_all_null_column_is_profiled_as_all_null(build):
    built = build("a,b\n1,\n2,\n3,\n")
    empty = built.column("b")
    assert (empty.null_count, empty.distinct_count, empty.min, empty.max) == (3, 0, None, None)


def test_value_that_breaks_the_sniffed_type_late_keeps_the_column_as_text(build):
    text = "id,score\n" + "".join(f"{i},{i}\n" for i in range(60_000)) + "60000,N/A\n"
    built = build(text)
    assert built.column("score").data_type == "VARCHAR"
    assert built.result.row_count == 60_001
    assert any("'N/A' on line 60,002" in note for note in built.result.notes)


# --- other formats --------------------------------------------------------------------------


def _workbook(tmp_path) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Orders"
    sheet.append(["Order ID", "Order Date", "Amount", "Paid", "Shipped", None])
    sheet.append([1, dt.datetime(2024, 3, 1), 10.5, True, dt.datetime(2024, 3, 2, 9, 15)])
    sheet.append([None, None, None, None, None])
    sheet.append([2, dt.datetime(2024, 3, 2), 20, False, dt.datetime(2024, 3, 4)])
    book.create_sheet("Notes").append(["ignored"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path.read_bytes()


def test_excel_first_sheet_is_loaded_with_its_types(build, tmp_path):
    built = build(_workbook(tmp_path), "orders.xlsx")
    assert built.names == ["order_id", "order_date", "amount", "paid", "shipped"]
    types = [c.data_type for c in built.result.columns]
    assert types == ["BIGINT", "DATE", "DOUBLE", "BOOLEAN", "TIMESTAMP"]
    assert built.rows("SELECT order_id, order_date, amount, paid FROM data") == [
        (1, dt.date(2024, 3, 1), 10.5, True),
        (2, dt.date(2024, 3, 2), 20.0, False),
    ]
    assert built.column("shipped").max == "2024-03-04 00:00:00"
    assert any("first sheet ('Orders')" in note for note in built.result.notes)


def test_parquet_and_json_lines_are_loaded(build, tmp_path):
    parquet = tmp_path / "p.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT range AS \"Row Id\", 'v' || range AS val FROM range(5)) TO '{parquet}'"
    )
    built = build(parquet.read_bytes(), "p.parquet")
    assert built.names == ["row_id", "val"] and built.result.row_count == 5
    assert built.column("row_id").original_name == "Row Id"
    built = build(b'{"a": 1, "b": "x"}\n{"a": 2, "b": null}\n', "e.jsonl")
    assert built.rows() == [(1, "x"), (2, None)]


# --- progress ---------------------------------------------------------------------------------


def test_progress_goes_through_the_stages_in_order_and_ends_with_the_row_count(build):
    seen: list[IngestProgress] = []
    build("a,b\n" + "".join(f"{i},{i}\n" for i in range(1000)), on_progress=seen.append)
    stages = [p.stage for p in seen]
    assert stages[0] == "reading" and stages[-1] == "done"
    order = ["reading", "writing", "profiling", "done"]
    assert [order.index(s) for s in stages] == sorted(order.index(s) for s in stages)
    fractions = [p.fraction for p in seen if p.fraction is not None]
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] == 1.0
    assert seen[-1].rows == 1000


def test_a_failing_progress_sink_stops_the_build_and_leaves_nothing(build):
    def cancel(update: IngestProgress) -> None:
        if update.stage == "writing":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build("a,b\n1,2\n", on_progress=cancel)


def test_excel_spooled_under_a_temporary_name_is_still_read(build, tmp_path):
    assert build(_workbook(tmp_path), "upload-x1y2.part").result.row_count == 2


def test_truncated_excel_is_refused_as_damaged(build, tmp_path):
    data = _workbook(tmp_path)
    with pytest.raises(IngestError, match="damaged or incomplete"):
        build(data[: len(data) * 2 // 3], "orders.xlsx")


def test_line_longer_than_the_usual_limit_is_read_on_a_second_pass(build):
    cell = "z" * 3_000_000
    built = build(f'id,blob\n1,"{cell}"\n2,short\n')
    assert built.rows("SELECT id, length(blob) FROM data") == [(1, 3_000_000), (2, 5)]


def test_long_line_in_a_gzip_file_is_read_within_the_memory_limit(build):
    data = gzip.compress(f'id,blob\n1,"{"q" * 3_000_000}"\n2,short\n'.encode())
    built = build(data, "long.csv.gz", memory_limit="256MB")
    assert built.rows("SELECT id, length(blob) FROM data") == [(1, 3_000_000), (2, 5)]
