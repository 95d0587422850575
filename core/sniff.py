"""What an upload really is, decided from its bytes, and turning legacy text into UTF-8.

Names lie (a PNG renamed ``.csv``, an Excel file saved as ``.txt``), so only the content
counts. Text is converted to UTF-8 as a stream, a megabyte at a time, so a large file in
Windows-1252 or UTF-16 never sits in memory whole.
"""

from __future__ import annotations

import codecs
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.errors import IngestError

FileKind = Literal["csv", "xlsx", "parquet", "json"]
Compression = Literal["none", "gzip"]
Encoding = Literal["utf-8", "utf-16-le", "utf-16-be", "windows-1252"]

SAMPLE_BYTES = 1 << 20
CHUNK_BYTES = 1 << 20
LEGACY_ERRORS = "tabletalk-latin1"

# Formats that can never be a table we read, with the words a user knows them by.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ\x90\x00", "a Windows program"),
    (b"\xca\xfe\xba\xbe", "a compiled program"),
    (b"\x00asm", "a WebAssembly program"),
    (b"BZh91AY&SY", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"OggS", "an audio file"),
    (b"ID3", "an MP3 file"),
    (b"fLaC", "an audio file"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_GZIP = b"\x1f\x8b"
_PARQUET = b"PAR1"
_TEXT_CONTROLS = set("\t\n\r\f\v\x1a\x1b")


@dataclass(frozen=True)
class Detected:
    """``ascii_only`` means the sample had no byte above 127: the rest may still have some."""

    kind: FileKind
    compression: Compression = "none"
    encoding: Encoding = "utf-8"
    ascii_only: bool = True


def _legacy_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Windows-1252 leaves five bytes undefined; read them as Latin-1 like browsers do."""
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error(LEGACY_ERRORS, _legacy_fallback)


def detect(path: Path) -> Detected:
    """The file's kind and text encoding, or IngestError saying why it cannot be a table."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if not head.strip():
        raise IngestError("The file is empty. Upload a CSV with a header row and some data.")
    if head.startswith(_PARQUET):
        return _parquet(path)
    if head.startswith(_ZIP):
        return _zip(path)
    if head.startswith(_GZIP):
        return _text(_gunzip_sample(head, path), compression="gzip")
    if head.startswith(_OLE2):
        raise IngestError(
            "This is an old-style Excel (.xls) or other Office file, or a password-protected "
            "workbook. Save it as .xlsx (without a password) or as CSV and upload that."
        )
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise IngestError(
                f"This file is {what}, not a table. Upload a CSV, Excel, "
                "Parquet or JSON lines file."
            )
    return _text(head)


def _parquet(path: Path) -> Detected:
    with path.open("rb") as handle:
        handle.seek(max(path.stat().st_size - 4, 0))
        if handle.read(4) != _PARQUET:
            raise IngestError(
                "This Parquet file is incomplete (its end is missing). Upload it again."
            )
    return Detected("parquet")


def _zip(path: Path) -> Detected:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise IngestError(
            "This file looks like a zip or Excel file but is damaged or incomplete. "
            "Upload it again."
        ) from None
    if "xl/workbook.xml" in names:
        return Detected("xlsx")
    if "content.xml" in names:
        raise IngestError("OpenDocument spreadsheets are not supported: save it as .xlsx or CSV.")
    if any(name.startswith("word/") for name in names):
        raise IngestError("This is a Word document, not a table. Upload a CSV or Excel file.")
    raise IngestError("This is a zip archive. Unzip it and upload the CSV inside.")


def _gunzip_sample(head: bytes, path: Path) -> bytes:
    """The start of the uncompressed text, to judge its kind and encoding."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        with path.open("rb") as handle:
            out = b""
            while len(out) < SAMPLE_BYTES and (chunk := handle.read(CHUNK_BYTES)):
                out += inflater.decompress(chunk, SAMPLE_BYTES - len(out))
                if inflater.eof:
                    break
    except zlib.error:
        raise damaged_gzip() from None
    if not out.strip():
        raise IngestError("The compressed file is empty. Upload a CSV with some data.")
    return out


def damaged_gzip() -> IngestError:
    return IngestError(
        "The gzip file is damaged or incomplete (it may have been cut off while copying). "
        "Upload it again, or upload the uncompressed CSV."
    )


def _text(sample: bytes, compression: Compression = "none") -> Detected:
    encoding = _encoding(sample)
    if encoding.startswith("utf-16"):
        text = sample[: len(sample) // 2 * 2].decode(encoding, errors="replace")
    else:
        text = sample.decode("utf-8" if encoding == "utf-8" else "cp1252", errors="replace")
    text = text.lstrip("\ufeff").lstrip()
    if _looks_binary(text):
        raise IngestError(
            "This file contains binary data, not text. Upload a CSV, Excel (.xlsx), "
            "Parquet or JSON lines file."
        )
    is_json = text[:1] == "{" or (text[:1] == "[" and text[1:].lstrip()[:1] in ("{", "]"))
    return Detected("json" if is_json else "csv", compression, encoding, sample.isascii())


def _encoding(sample: bytes) -> Encoding:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if sample.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    head = sample[:4096]
    if b"\x00" in head:
        even, odd, half = head[0::2].count(0), head[1::2].count(0), len(head) // 2
        if odd > 0.9 * half and even < 0.1 * half:
            return "utf-16-le"
        if even > 0.9 * half and odd < 0.1 * half:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError as error:
        if _mostly_utf8(sample[: sample.rfind(b"\n") + 1] or sample):
            raise _undecodable(sample[: error.start].count(b"\n") + 1) from None
    return "windows-1252"


def _mostly_utf8(data: bytes) -> bool:
    """More valid multi-byte UTF-8 characters than invalid bytes: damaged UTF-8, not legacy."""
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd")
    good = sum(1 for ch in replaced if ord(ch) > 127) - bad
    return good > bad


def _undecodable(line: int) -> IngestError:
    return IngestError(
        f"Line {line:,} has bytes that are not valid UTF-8, although the rest of the file is "
        "UTF-8: it mixes text encodings or is damaged. Save it as 'CSV UTF-8' and upload again."
    )


def _looks_binary(text: str) -> bool:
    window = text[:65536]
    if "\x00" in window:
        return True
    controls = sum(1 for ch in window if ord(ch) < 32 and ch not in _TEXT_CONTROLS)
    return controls > max(8, len(window) // 100)


def convert_to_utf8(
    source: Path,
    dest: Path,
    detected: Detected,
    on_bytes: Callable[[int], None] | None = None,
) -> None:
    """Stream ``source`` (maybe gzip'd) into ``dest`` as plain UTF-8, a chunk at a time."""
    import gzip

    opener = gzip.open if detected.compression == "gzip" else open
    codec = "cp1252" if detected.encoding == "windows-1252" else detected.encoding
    decoder = codecs.getincrementaldecoder(codec)(
        errors=LEGACY_ERRORS if codec == "cp1252" else "strict"
    )
    done = 0
    line = 1
    try:
        with opener(source, "rb") as raw, dest.open("w", encoding="utf-8", newline="") as out:
            first = True
            while chunk := raw.read(CHUNK_BYTES):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    line += chunk[: error.start].count(b"\n")
                    raise _undecodable_utf16(line, detected.encoding) from None
                if first:
                    text, first = text.lstrip("\ufeff"), False
                out.write(text)
                line += chunk.count(b"\n")
                done += len(chunk)
                if on_bytes is not None:
                    on_bytes(done)
            out.write(decoder.decode(b"", final=True))
    except (EOFError, zlib.error, gzip.BadGzipFile):
        raise damaged_gzip() from None
    except UnicodeDecodeError:
        raise _undecodable_utf16(line, detected.encoding) from None


def _undecodable_utf16(line: int, encoding: str) -> IngestError:
    return IngestError(
        f"The file starts as {encoding.upper()} text but around line {line:,} has bytes that "
        "are not valid in that encoding, so it is damaged or cut off. Save it again as "
        "'CSV UTF-8' and upload that."
    )
