"""Queries of imports and their staged rows. Never commits."""

from __future__ import annotations

import json

from sqlalchemy import String, delete, func, select, update
from sqlalchemy.orm import aliased

from crm_web.accounts.models import User
from crm_web.audit.models import AuditLog
from crm_web.companies.models import Company
from crm_web.contacts.models import Contact
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


def set_outcomes(import_id: int, outcomes: list[dict]) -> None:
    """Each {row_number, outcome, column_name, message}, one statement for the batch."""
    if outcomes:
        db.session.execute(
            update(ImportRow), [{"import_id": import_id, **outcome} for outcome in outcomes]
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


def _created_by_import(import_id: int, since, until):
    """The create entries the import's actor (via `import:<id>`) wrote: the link from an
    import to its records. The window on the timestamp index keeps it to the import's run."""
    return select(AuditLog.entity_type, AuditLog.entity_id, AuditLog.seq).where(
        AuditLog.timestamp.between(since, until),
        AuditLog.via == f"import:{import_id}",
        AuditLog.action == "create",
        AuditLog.entity_type.in_(("contact", "company")),
    )


def records_created(import_id: int, since, until) -> list[tuple]:
    """(entity_type, entity_id, changed_since) of every record import `import_id` created;
    changed_since is the latest later entry by anyone else (an edit, an archive), or None."""
    created = _created_by_import(import_id, since, until).subquery()
    later = aliased(AuditLog)
    latest = (
        select(later.seq)
        .where(
            later.entity_type == created.c.entity_type,
            later.entity_id == created.c.entity_id,
            later.seq > created.c.seq,
            later.via.is_distinct_from(f"import:{import_id}"),
        )
        .order_by(later.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(created.c.entity_type, created.c.entity_id, latest).order_by(created.c.seq)
    return list(db.session.execute(query))


def changes_named(seqs: list[int]) -> list[tuple]:
    """(entry, record name, changed by) of the audit entries `seqs`, for the undo page."""
    name = func.coalesce(
        func.nullif(func.concat_ws(" ", Contact.first_name, Contact.last_name), ""), Company.name
    )
    query = (
        select(AuditLog, name, User.name)
        .outerjoin(
            Contact, (AuditLog.entity_type == "contact") & (Contact.id == AuditLog.entity_id)
        )
        .outerjoin(
            Company, (AuditLog.entity_type == "company") & (Company.id == AuditLog.entity_id)
        )
        .outerjoin(User, func.cast(User.id, String) == AuditLog.user_id)
        .where(AuditLog.seq.in_(seqs))
        .order_by(AuditLog.seq)
    )
    return list(db.session.execute(query))
