"""Queries of imports and their staged rows. Never commits."""

from __future__ import annotations

import json

from sqlalchemy import delete, func, select, text

from crm_web.core.db import db
from crm_web.imports.models import Import, ImportRow


def get_import(import_id, *, for_update: bool = False) -> Import | None:
    query = select(Import).where(Import.id == import_id)
    if for_update:
        query = query.with_for_update()
    return db.session.scalars(query).first()


def list_imports(user_id=None, limit: int = 50) -> list[Import]:
    """Newest first; only `user_id`'s when given."""
    query = select(Import).order_by(Import.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(Import.user_id == user_id)
    return list(db.session.scalars(query))


def copy_rows(import_id: int, rows) -> int:
    """COPY (number, cells) pairs into the staging table; returns how many."""
    connection = db.session.connection().connection.driver_connection
    count = 0
    with connection.cursor() as cursor:
        copy_sql = "COPY import_rows (import_id, row_number, cells) FROM STDIN"
        with cursor.copy(copy_sql) as copy:
            for number, cells in rows:
                copy.write_row((import_id, number, json.dumps(cells)))
                count += 1
    return count


def first_rows(import_id: int, limit: int) -> list[ImportRow]:
    query = (
        select(ImportRow)
        .where(ImportRow.import_id == import_id)
        .order_by(ImportRow.row_number)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def rows_after(import_id: int, after: int, size: int) -> list[ImportRow]:
    query = (
        select(ImportRow)
        .where(ImportRow.import_id == import_id, ImportRow.row_number > after)
        .order_by(ImportRow.row_number)
        .limit(size)
    )
    return list(db.session.scalars(query))


_SET_OUTCOMES = text(
    """
    UPDATE import_rows AS r
       SET outcome = o.outcome, column_name = o.column_name, message = o.message
      FROM unnest(CAST(:numbers AS integer[]), CAST(:outcomes AS text[]),
                  CAST(:columns AS text[]), CAST(:messages AS text[]))
           AS o(row_number, outcome, column_name, message)
     WHERE r.import_id = :import_id AND r.row_number = o.row_number
    """
)


def set_outcomes(import_id: int, outcomes: list[dict]) -> None:
    """Each {row_number, outcome, column_name, message}: one statement (one round trip, one
    plan) for the whole batch."""
    if outcomes:
        db.session.execute(
            _SET_OUTCOMES,
            {
                "import_id": import_id,
                "numbers": [o["row_number"] for o in outcomes],
                "outcomes": [o["outcome"] for o in outcomes],
                "columns": [o["column_name"] for o in outcomes],
                "messages": [o["message"] for o in outcomes],
            },
        )


def refused_rows(import_id: int, limit: int | None = None) -> list[ImportRow]:
    query = (
        select(ImportRow)
        .where(ImportRow.import_id == import_id, ImportRow.outcome == "refused")
        .order_by(ImportRow.row_number)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def stream_refused_rows(import_id: int):
    """Refused rows a few hundred at a time (a server-side cursor), for errors.csv."""
    query = (
        select(ImportRow)
        .where(ImportRow.import_id == import_id, ImportRow.outcome == "refused")
        .order_by(ImportRow.row_number)
        .execution_options(yield_per=500)
    )
    return db.session.scalars(query)


def drop_done_rows(import_id: int) -> None:
    """Once the import finished, only refused rows stay staged (the report reads them)."""
    db.session.execute(
        delete(ImportRow).where(
            ImportRow.import_id == import_id, func.coalesce(ImportRow.outcome, "") != "refused"
        )
    )
