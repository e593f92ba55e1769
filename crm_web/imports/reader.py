"""Reading an uploaded file as rows: CSV in any common encoding and delimiter, or the first
sheet of an .xlsx. Rows stream from disk; nothing holds the whole file. A file that is not a
table raises UnreadableFile with a message for the person who uploaded it."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from crm_web.core.errors import CRMError

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
# Magic numbers of files people pick by mistake: the message names what the file is.
NOT_TABLES = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) or Word file; save it as .xlsx or CSV",
}
XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(CRMError):
    """The upload is not a table this importer reads; `message` says why, in plain words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else what charset-normalizer finds among
    the encodings spreadsheets write (cp1252 for Excel's "CSV" on Windows)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # A cut multi-byte character at the sample's end is not a reason to doubt UTF-8.
        sample.decode("utf-8", errors="strict")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:
            return "utf-8"
    best = from_bytes(sample, cp_isolation=["cp1252", "latin_1", "utf_8"]).best()
    return best.encoding if best else "cp1252"


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:20]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        # One column, or too few lines to tell: the delimiter seen most on the first line.
        first = lines[0] if lines else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _csv_rows(path: Path, sample: bytes) -> Iterator[list[str]]:
    encoding = detect_encoding(sample)
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        head = handle.read(SAMPLE_BYTES)
        if "\x00" in head:
            raise UnreadableFile(
                "This file is not a spreadsheet or CSV file (it holds binary data)."
            )
        delimiter = _sniff_delimiter(head)
        handle.seek(0)  # the codec drops a BOM itself
        yield from csv.reader(handle, delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    # A file object: openpyxl judges a path by its extension, and uploads are saved without one.
    with open(path, "rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise UnreadableFile("This .xlsx file could not be opened; is it damaged?") from exc
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield ["" if value is None else _cell_text(value) for value in values]
        finally:
            book.close()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _is_blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and an iterator of (row number as a spreadsheet shows it, cells) for the data
    rows; blank lines skipped. Raises UnreadableFile for an empty file, a header alone, or a file
    that is not a table."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise UnreadableFile("The file is empty.")
    for magic, what in NOT_TABLES.items():
        if sample.startswith(magic):
            raise UnreadableFile(f"This file is {what}, not a spreadsheet. Upload CSV or .xlsx.")
    rows = _xlsx_rows(path) if sample.startswith(XLSX_MAGIC) else _csv_rows(path, sample)
    numbered = _numbered(rows)
    try:
        header = _header(numbered)
        first = next(numbered, None)
    except csv.Error as exc:
        raise UnreadableFile(f"The file could not be read as CSV: {exc}.") from exc
    if first is None:
        raise UnreadableFile("The file has a header row but no rows below it.")
    return header, _chain(first, numbered)


def _numbered(rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    # csv.reader's line_num counts physical lines; a spreadsheet counts records.
    for number, row in enumerate(rows, start=1):
        if not _is_blank(row):
            yield number, [cell.replace("\x00", "") for cell in row]


def _header(numbered) -> list[str]:
    first = next(numbered, None)
    if first is None:
        raise UnreadableFile("The file is empty.")
    header = [cell.strip() for cell in first[1]]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise UnreadableFile("The first row should name the columns, but it is empty.")
    return [name or f"Column {i}" for i, name in enumerate(header, start=1)]


def _chain(first, rest):
    yield first
    yield from rest
