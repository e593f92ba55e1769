"""Uploaded files as rows: every common encoding and delimiter, quoted newlines, blank lines,
and a plain message (never a crash) for a file that is not a table."""

from __future__ import annotations

import pytest

from crm_web.imports.reader import UnreadableFile, read_table

TABLE = "First Name,Last Name,Email\nJosé,Núñez,jose@example.com\nZoë,Brontë,zoe@example.com\n"


def _read(tmp_path, data: bytes):
    path = tmp_path / "upload"
    path.write_bytes(data)
    header, rows = read_table(path)
    return header, list(rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"], ids=lambda e: e)
def test_accented_names_read_the_same_in_every_common_encoding(tmp_path, encoding):
    header, rows = _read(tmp_path, TABLE.encode(encoding))
    assert header == ["First Name", "Last Name", "Email"]
    assert rows == [
        (2, ["José", "Núñez", "jose@example.com"]),
        (3, ["Zoë", "Brontë", "zoe@example.com"]),
    ]


def test_a_long_cp1252_file_with_one_late_accent_is_not_taken_for_utf8(tmp_path):
    lines = ["Name;City"] + [f"Person {n};Paris" for n in range(3000)] + ["Renée;Zürich"]
    _, rows = _read(tmp_path, "\r\n".join(lines).encode("cp1252"))
    assert rows[-1][1] == ["Renée", "Zürich"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=repr)
def test_the_delimiter_is_sniffed(tmp_path, delimiter):
    text = TABLE.replace(",", delimiter)
    header, rows = _read(tmp_path, text.encode())
    assert header == ["First Name", "Last Name", "Email"]
    assert rows[1][1] == ["Zoë", "Brontë", "zoe@example.com"]


def test_quoted_newlines_and_quotes_stay_in_their_cell_and_rows_number_as_a_spreadsheet(tmp_path):
    text = 'Name;Note\n"Ann";"line one\nline two"\n\n;\n"Bob ""The Builder""";x\n'
    _, rows = _read(tmp_path, text.encode())
    # The header is row 1; a quoted newline keeps Ann on row 2; the blank rows 3 and 4 are
    # skipped but still counted, so Bob is row 5 as a spreadsheet shows him.
    assert rows == [(2, ["Ann", "line one\nline two"]), (5, ['Bob "The Builder"', "x"])]


def test_the_first_sheet_of_an_xlsx_is_read(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Given Name", "Mobile Phone"])
    sheet.append(["Ada", 4155550100])
    sheet.append([None, None])
    sheet.append(["Grace", "+44 20 7946 0958"])
    book.create_sheet("Other").append(["not", "this"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    header, rows = read_table(path)
    assert header == ["Given Name", "Mobile Phone"]
    assert list(rows) == [(2, ["Ada", "4155550100"]), (4, ["Grace", "+44 20 7946 0958"])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "This file is a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is a PNG image"),
        (b"First Name,Last Name\n", "The file has a header row but no rows below it."),
        (b"PK\x03\x04not really a workbook", "This .xlsx file could not be opened"),
        (b"abc\x00\x01\x02\x00def\x00", "holds binary data"),
    ],
    ids=["empty", "blank-lines", "pdf", "png", "header-only", "broken-xlsx", "binary"],
)
def test_a_file_that_is_not_a_table_gets_a_plain_message(tmp_path, data, message):
    with pytest.raises(UnreadableFile) as raised:
        _read(tmp_path, data)
    assert message in raised.value.message
