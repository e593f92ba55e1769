"""Queries of imports and their staged rows. Never commits."""

from __future__ import annotations

import json

from sqlalchemy import String, delete, func, select, text
from sqlalchemy.orm import aliased, selectinload

from crm_web.accounts.models import User
from crm_web.audit.models import AuditLog
from crm_web.companies.models import Company
from crm_web.contacts.models import Contact
from crm_web.core.db import db
from crm_web.deals.models import Deal
from crm_web.imports.models import Import, ImportRow


def get_import(import_id, *, for_update: bool = False) -> Import | None:
    query = select(Import).where(Import.id == import_id)
    if for_update:
        query = query.with_for_update()
    return db.session.scalars(query).first()


def list_imports(user_id=None, limit: int = 50) -> list[Import]:
    """Newest first; only `user_id`'s when given."""
    query = (
        select(Import).options(selectinload(Import.user)).order_by(Import.id.desc()).limit(limit)
    )
    if user_id is not None:
        query = query.where(Import.user_id == user_id)
    return list(db.session.scalars(query))


def copy_rows(import_id: int, rows) -> int:
    """COPY (number, cells) pairs into the staging table; returns how many. The COPY lasts as
    long as the file takes to read (a million rows: about half a minute), past the web's
    statement timeout, so the rest of this transaction runs without one."""
    connection = db.session.connection().connection.driver_connection
    count = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        copy_sql = "COPY import_rows (import_id, row_number, cells) FROM STDIN"
        with cursor.copy(copy_sql) as copy:
            for number, cells in rows:
                copy.write_row((import_id, number, json.dumps(cells)))
                count += 1
    return count


# A table's row count as the planner last saw it (-1: never counted).
_COUNTED_ROWS = text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)")


def count_rows_again_if_stale(kind: str, written: int) -> None:
    """ANALYZE the table an import writes when PostgreSQL counts fewer rows in it than the
    import has just written, as its manual advises after a bulk load. A table emptied and then
    vacuumed reads as empty to the planner (0 rows over its pages) however many rows it gains,
    and each of a batch's thousand duplicate look-ups then reads every row: 16 s for one batch
    at 2,000 contacts. Once is enough: the planner's estimate then grows with the table's pages.
    A table already counted at this size or more is left alone (ANALYZE of a million contacts
    took 3.9 s on the bench data)."""
    table = {"contacts": Contact, "companies": Company}[kind].__tablename__
    counted = db.session.execute(_COUNTED_ROWS, {"table": table}).scalar()
    if counted < written:
        db.session.execute(text(f"ANALYZE {table}"))  # noqa: S608 - a name from the code


def first_rows(import_id: int, limit: int) -> list[ImportRow]:
    query = (
        select(ImportRow)
        .where(ImportRow.import_id == import_id)
        .order_by(ImportRow.row_number)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def rows_after(import_id: int, after: int, size: int) -> list:
    """(row_number, cells) of the next `size` staged rows: plain rows, not ORM records, which
    the job would pay to build and the session to track though it only reads them."""
    query = (
        select(ImportRow.row_number, ImportRow.cells)
        .where(ImportRow.import_id == import_id, ImportRow.row_number > after)
        .order_by(ImportRow.row_number)
        .limit(size)
    )
    return list(db.session.execute(query))


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
    """Each {row_number, outcome, column_name, message} of a row not created: one statement
    (one round trip, one plan) for the whole batch. A created row's staged copy is left as it
    is (an UPDATE writes a new version of the row, cells and all); drop_done_rows removes it
    with the rest when the import is done, and only refused rows are read back."""
    outcomes = [o for o in outcomes if o["outcome"] != "created"]
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
    # Not synchronised with the session: by default the ORM cannot evaluate this filter in
    # Python and adds RETURNING, which brought every deleted row's key into the job's memory
    # (a million-row import's job peaked at 415 MB here, at 145 MB while importing).
    db.session.execute(
        delete(ImportRow)
        .where(ImportRow.import_id == import_id, func.coalesce(ImportRow.outcome, "") != "refused")
        .execution_options(synchronize_session=False)
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
    """(entity_type, entity_id, latest, in_use) of every record import `import_id` created:
    `latest` the seq of the newest later entry on its timeline by anyone else (an edit, an
    archive, a task or note on it), or None; `in_use` whether a deal names it, or, for a
    company, a live contact the import did not create."""
    created = _created_by_import(import_id, since, until).subquery()
    later = aliased(AuditLog)
    timeline_type = func.coalesce(later.record_type, later.entity_type)
    timeline_id = func.coalesce(later.record_id, later.entity_id)
    latest = (
        select(later.seq)
        .where(
            timeline_type == created.c.entity_type,
            timeline_id == created.c.entity_id,
            later.seq > created.c.seq,
            later.via.is_distinct_from(f"import:{import_id}"),
        )
        .order_by(later.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    own_contacts = select(created.c.entity_id).where(created.c.entity_type == "contact")
    other_contact = select(Contact.id).where(
        Contact.company_id == created.c.entity_id,
        Contact.archived_at.is_(None),
        Contact.id.not_in(own_contacts),
    )
    deal = select(Deal.id).where(
        (Deal.contact_id == created.c.entity_id) | (Deal.company_id == created.c.entity_id)
    )
    in_use = deal.exists() | ((created.c.entity_type == "company") & other_contact.exists())
    query = select(created.c.entity_type, created.c.entity_id, latest, in_use)
    return list(db.session.execute(query.order_by(created.c.seq)))


def contacts_updated(import_id: int, since, until) -> list[tuple]:
    """(entity_id, changes, latest) of each update import `import_id` made to a contact, in
    the order made: `changes` its {field: [old, new]}, `latest` the seq of the newest later
    entry on the contact's timeline by anything but this import, or None."""
    later = aliased(AuditLog)
    latest = (
        select(later.seq)
        .where(
            func.coalesce(later.record_type, later.entity_type) == "contact",
            func.coalesce(later.record_id, later.entity_id) == AuditLog.entity_id,
            later.seq > AuditLog.seq,
            later.via.is_distinct_from(f"import:{import_id}"),
        )
        .order_by(later.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(AuditLog.entity_id, AuditLog.changes, latest).where(
        AuditLog.timestamp.between(since, until),
        AuditLog.via == f"import:{import_id}",
        AuditLog.action == "update",
        AuditLog.entity_type == "contact",
    )
    return list(db.session.execute(query.order_by(AuditLog.seq)))


def names_of(records: list[tuple]) -> dict:
    """{(entity_type, id): name} of these contacts and companies."""
    ids = {
        kind: [key for entity, key in records if entity == kind] for kind in ("contact", "company")
    }
    contact_name = func.concat_ws(" ", Contact.first_name, Contact.last_name)
    found = db.session.execute(
        select(Contact.id, contact_name).where(Contact.id.in_(ids["contact"]))
    )
    names = {("contact", key): name for key, name in found}
    found = db.session.execute(
        select(Company.id, Company.name).where(Company.id.in_(ids["company"]))
    )
    names.update({("company", key): name for key, name in found})
    return names


def entries_with_user(seqs: list[int]) -> dict:
    """{seq: (entry, user name)} of these audit entries."""
    query = (
        select(AuditLog, User.name)
        .outerjoin(User, func.cast(User.id, String) == AuditLog.user_id)
        .where(AuditLog.seq.in_(seqs))
    )
    return {entry.seq: (entry, name) for entry, name in db.session.execute(query)}
