"""Cells safe to open in a spreadsheet (OWASP "CSV injection"): a cell that Excel, LibreOffice or
Google Sheets would run as a formula gets a leading quote. The one rule twice: in Python for
rows the app writes, and in SQL for rows PostgreSQL writes itself (COPY … TO STDOUT), built from
the same characters so that both give the same cell."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy import func

# Python's own `\s` (str.isspace()), spelled out so that SQL can use the same set.
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# What a formula starts with, after leading spaces or quotes; also the full-width forms some
# spreadsheets accept.
FORMULA_CHARS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
FORMULA_START = re.compile(f"^[{re.escape(SPACES)}\"']*[{re.escape(FORMULA_CHARS)}]")
# A plain number (a phone in E.164, a negative figure) runs nothing: left as it is. ASCII
# digits only: a spreadsheet reads no other digits as a number.
PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def neutralised(value) -> str:
    """The cell's text, prefixed with a quote when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    if FORMULA_START.match(text) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _pg_class(chars: str) -> str:
    """`chars` as the inside of a PostgreSQL regular expression's bracket expression."""
    return "".join(f"\\u{ord(char):04x}" for char in chars)


_LEADING = _pg_class(SPACES + "\"'")
_SQL_FORMULA_START = f"^[{_LEADING}]*[{_pg_class(FORMULA_CHARS)}]"
# Python's `$` also matches before a final newline: "-5\n" is a plain number to PLAIN_NUMBER.
_SQL_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?\n?$"
_QUOTE = sa.literal_column("''''", sa.Text)


def neutralised_sql(expression):
    """neutralised() of a text expression, in SQL. An empty cell is NULL: COPY writes NULL as
    nothing, as csv.writer writes "", but an empty string as `""`."""
    return sa.case(
        (
            expression.regexp_match(_SQL_FORMULA_START)
            & ~expression.regexp_match(_SQL_PLAIN_NUMBER),
            _QUOTE.concat(expression),
        ),
        else_=func.nullif(expression, ""),
    )


_ISO_SECONDS = sa.bindparam("iso_seconds", 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM', sa.Text)


def stamp_sql(expression):
    """A timestamp as `datetime.isoformat(timespec="seconds")` writes it (in the session's time
    zone, as the driver reads it): 2026-12-05T06:04:42+00:00; NULL stays NULL."""
    return func.to_char(expression, _ISO_SECONDS)


def json_text_sql(document, key: str):
    """`str()` of a JSON object's value at `key` as the driver reads it, in SQL: a string as
    it is, a boolean True or False, a number as PostgreSQL writes it (as Python does, except
    floats under 1e-4: 0.00001, not 1e-05); NULL when missing or null."""
    text = document.op("->>", return_type=sa.Text)(key)
    return sa.case(
        (func.jsonb_typeof(document.op("->")(key)) == "boolean", func.initcap(text)),
        else_=text,
    )
