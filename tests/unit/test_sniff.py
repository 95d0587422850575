"""What an upload is, from its bytes alone, and streaming legacy text into UTF-8."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile

import duckdb
import pytest
from openpyxl import Workbook

from core.errors import IngestError
from core.sniff import Detected, convert_to_utf8, detect

TEXT = "name,city,amount\nJosé,Zürich,12.5\nRené,Köln,7\n"


def _file(tmp_path, data: bytes, name: str = "upload.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _xlsx_bytes() -> bytes:
    book = Workbook()
    book.active.append(["a", "b"])
    book.active.append([1, 2])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _parquet_bytes(tmp_path) -> bytes:
    path = tmp_path / "x.parquet"
    duckdb.connect().execute(f"COPY (SELECT 1 AS a) TO '{path}' (FORMAT parquet)")
    return path.read_bytes()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-16"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "windows-1252"),
        ("price\n5 €\n“quoted”\n".encode("cp1252"), "windows-1252"),
        (TEXT.encode("latin-1"), "windows-1252"),
        (b"a,b\n1,2\n", "utf-8"),
    ],
)
def test_text_encoding_is_detected_from_the_bytes(tmp_path, data, encoding):
    found = detect(_file(tmp_path, data))
    assert (found.kind, found.encoding) == ("csv", encoding)


def test_pure_ascii_sample_is_flagged_so_later_bytes_can_still_be_checked(tmp_path):
    assert detect(_file(tmp_path, b"a,b\n1,2\n")).ascii_only
    assert not detect(_file(tmp_path, TEXT.encode())).ascii_only


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("data.csv", lambda tmp: b"a;b\n1;2\n", "csv"),
        ("data.xlsx", lambda tmp: _xlsx_bytes(), "xlsx"),
        ("renamed.csv", lambda tmp: _xlsx_bytes(), "xlsx"),
        ("data.parquet", _parquet_bytes, "parquet"),
        ("data.txt", _parquet_bytes, "parquet"),
        ("events.jsonl", lambda tmp: b'{"a": 1}\n{"a": 2}\n', "json"),
        ("events.csv", lambda tmp: b'  {"a": 1}\n', "json"),
        ("array.json", lambda tmp: b'[{"a": 1}, {"a": 2}]', "json"),
        ("looks.json", lambda tmp: b"a,b\n1,2\n", "csv"),
    ],
)
def test_kind_comes_from_content_not_from_the_name(tmp_path, name, make, kind):
    assert detect(_file(tmp_path, make(tmp_path), name)).kind == kind


def test_gzip_csv_is_accepted_with_its_compression(tmp_path):
    found = detect(_file(tmp_path, gzip.compress(TEXT.encode("cp1252")), "x.csv.gz"))
    assert found == Detected("csv", "gzip", "windows-1252", ascii_only=False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n\r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(200), "JPEG image"),
        (b"%PDF-1.7\n" + bytes(200), "PDF document"),
        (b"\x7fELF\x02\x01\x01" + bytes(200), "program"),
        (b"GIF89a" + bytes(50), "GIF image"),
        (b"SQLite format 3\x00" + bytes(100), "SQLite database"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old-style Excel"),
        (bytes(range(256)) * 40, "binary data"),
        (b"a,b\n1,\x00\x00\x002\n", "binary data"),
        (gzip.compress(b"")[:0] + b"\x1f\x8b\x08\x00" + bytes(30), "gzip"),
    ],
)
def test_unreadable_content_is_refused_with_what_it_is(tmp_path, data, message):
    with pytest.raises(IngestError, match=message):
        detect(_file(tmp_path, data))


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"sales.csv": b"a,b\n1,2\n"}, "zip archive. Unzip it"),
        ({"word/document.xml": b"<w/>"}, "Word document"),
        ({"content.xml": b"<x/>", "mimetype": b"ods"}, "OpenDocument"),
    ],
)
def test_zip_that_is_not_a_workbook_is_refused(tmp_path, members, message):
    with pytest.raises(IngestError, match=message):
        detect(_file(tmp_path, _zip_bytes(members)))


def test_truncated_parquet_is_refused(tmp_path):
    data = _parquet_bytes(tmp_path)
    with pytest.raises(IngestError, match="Parquet file is incomplete"):
        detect(_file(tmp_path, data[: len(data) // 2]))


def test_utf8_file_with_a_stray_legacy_byte_is_refused_with_its_line(tmp_path):
    data = "name\nJosé\nZoë\nAnaïs\n".encode() + "René\n".encode("cp1252")
    with pytest.raises(IngestError, match=r"Line 5 has bytes that are not valid UTF-8"):
        detect(_file(tmp_path, data))


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [("windows-1252", "cp1252"), ("utf-16-le", "utf-16"), ("utf-16-be", "utf-16-be")],
)
def test_legacy_text_is_streamed_into_utf8(tmp_path, encoding, codec):
    text = "name,note\n" + "".join(f"{i},Ünïcödé “{i}” €\n" for i in range(50_000))
    source = _file(tmp_path, text.encode(codec))
    dest = tmp_path / "out.csv"
    seen = []
    convert_to_utf8(source, dest, Detected("csv", "none", encoding, False), seen.append)
    assert dest.read_text(encoding="utf-8") == text
    assert len(seen) > 1 and seen[-1] == source.stat().st_size


def test_windows_1252_undefined_bytes_are_kept_as_latin1(tmp_path):
    source = _file(tmp_path, b"a\nx\x81y\n")
    dest = tmp_path / "out.csv"
    convert_to_utf8(source, dest, Detected("csv", "none", "windows-1252", False))
    assert dest.read_text(encoding="utf-8") == "a\nx\x81y\n"


def test_gzip_legacy_text_is_decompressed_while_converting(tmp_path):
    source = _file(tmp_path, gzip.compress(TEXT.encode("cp1252")))
    dest = tmp_path / "out.csv"
    convert_to_utf8(source, dest, Detected("csv", "gzip", "windows-1252", False))
    assert dest.read_text(encoding="utf-8") == TEXT


def test_truncated_gzip_is_refused_while_converting(tmp_path):
    data = gzip.compress(("x,y\n" + "é,1\n" * 100_000).encode("cp1252"))
    source = _file(tmp_path, data[: len(data) // 2])
    with pytest.raises(IngestError, match="gzip file is damaged or incomplete"):
        convert_to_utf8(source, tmp_path / "o", Detected("csv", "gzip", "windows-1252", False))


def test_broken_utf16_is_refused_as_damaged(tmp_path):
    source = _file(tmp_path, "a\nb\n".encode("utf-16-le") + b"\x00\xd8\x41\x00")
    with pytest.raises(IngestError, match="not valid in that encoding"):
        convert_to_utf8(source, tmp_path / "o", Detected("csv", "none", "utf-16-le", False))
