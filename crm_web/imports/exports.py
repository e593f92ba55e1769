"""CSV exports of the contact, company, deal and task lists: every row the list's filters select (not one
page), every field including custom fields, streamed a chunk at a time, and safe to open in a
spreadsheet (cells that a spreadsheet would run as a formula are neutralised). Contacts, a
million of them at times, are written by PostgreSQL itself (COPY); the other lists row by row
here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from crm_web.activities.services import tasks_for_export
from crm_web.companies.services import companies_for_export
from crm_web.contacts.services import contacts_csv
from crm_web.core.actor import Actor
from crm_web.core.db import transaction
from crm_web.core.spreadsheet import neutralised
from crm_web.custom_fields.services import list_definitions
from crm_web.deals.services import deals_for_export
from crm_web.imports.models import DataExport

CHUNK_ROWS = 500


def _numbered(label: str, count: int) -> list[str]:
    return [label if n == 1 else f"{label} {n}" for n in range(1, count + 1)]


def _stamp(value) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _record_header(definitions) -> list[str]:
    """The columns a contact's, company's and deal's rows end with."""
    return ["Owner", "Created", "Updated", "Archived", *[d.label for d in definitions]]


def _record_cells(owner, record, definitions) -> list:
    """The record's owner, its times and its custom fields' values (under _record_header)."""
    values = record.custom_fields or {}
    return [
        owner,
        _stamp(record.created_at),
        _stamp(record.updated_at),
        _stamp(record.archived_at),
        *[values.get(d.name, "") for d in definitions],
    ]


def contact_csv(filters: dict, actor: Actor) -> tuple[list[str], Iterator[tuple[int, bytes]]]:
    """The header, and the selected contacts' rows as CSV chunks, written by PostgreSQL."""
    definitions = list_definitions("contact")
    (emails, phones), chunks = contacts_csv(filters, actor, [d.name for d in definitions])
    header = [
        "ID",
        "First Name",
        "Last Name",
        "Job Title",
        *_numbered("Email", emails),
        *_numbered("Phone", phones),
        "Company",
        *_record_header(definitions),
    ]
    return header, chunks


ADDRESS = (
    ("street", "Street"),
    ("city", "City"),
    ("state", "State"),
    ("postal_code", "Postal Code"),
    ("country", "Country"),
)


def company_rows(filters: dict, actor: Actor) -> Iterator[list]:
    """The header, then one row per selected company."""
    rows = companies_for_export(filters, actor)
    definitions = list_definitions("company")
    yield [
        "ID",
        "Name",
        "Website",
        "Phone",
        "Industry",
        *[label for _, label in ADDRESS],
        *_record_header(definitions),
    ]
    for company, owner in rows:
        address = company.address or {}
        yield [
            company.id,
            company.name,
            company.website,
            company.phone,
            company.industry,
            *[address.get(part, "") for part, _ in ADDRESS],
            *_record_cells(owner, company, definitions),
        ]


def deal_rows(filters: dict, actor: Actor) -> Iterator[list]:
    """The header, then one row per selected deal."""
    rows = deals_for_export(filters, actor)
    definitions = list_definitions("deal")
    yield [
        "ID",
        "Title",
        "Company",
        "Contact",
        "Value",
        "Currency",
        "Stage",
        "Probability",
        "Close Date",
        *_record_header(definitions),
    ]
    for deal, company, contact, owner in rows:
        yield [
            deal.id,
            deal.title,
            company,
            contact,
            deal.value,
            deal.currency,
            deal.stage,
            deal.probability,
            deal.close_date.isoformat() if deal.close_date else "",
            *_record_cells(owner, deal, definitions),
        ]


def task_rows(filters: dict, actor: Actor) -> Iterator[list]:
    """The header, then one row per task the task list shows."""
    rows = tasks_for_export(filters, actor)
    yield ["ID", "Task", "Status", "Priority", "Due", "Record Type", "Record", "Assignee"]
    for task, record_name, assignee in rows:
        due = _stamp(task.due_at) or (task.due_date.isoformat() if task.due_date else "")
        status = "done" if task.status == "closed" else task.status
        yield [
            task.id,
            task.description,
            status,
            task.priority,
            due,
            task.entity_type or "",
            record_name,
            assignee or task.assigned_to,
        ]


ROWS = {"companies": company_rows, "deals": deal_rows, "tasks": task_rows}


def export_csv(kind: str, filters: dict, actor: Actor, bom: bool = False) -> Iterator[bytes]:
    """The export as UTF-8 CSV, a chunk of rows at a time. Those who may export (the view checks
    data.export before the response starts, so a refusal is a 403, not a broken download)."""
    if kind == "contacts":
        header, chunks = contact_csv(filters, actor)
    else:
        rows = ROWS[kind](filters, actor)
        header, chunks = next(rows), _written(rows)
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    yield (("\ufeff" if bom else "") + buffer.getvalue()).encode()
    count, finished = 0, False
    try:
        for rows_in_chunk, chunk in chunks:
            count += rows_in_chunk
            yield chunk
        finished = True
    finally:
        # Ended first: a download cut short leaves PostgreSQL's COPY running on the connection
        # the export's row is written on.
        chunks.close()
        # Also when the download is cut short: the rows that went out are recorded.
        record_export(kind, filters, count, finished, actor)


def _written(rows) -> Iterator[tuple[int, bytes]]:
    """`rows` as CSV, their cells neutralised, in (rows, bytes) chunks of CHUNK_ROWS rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for row in rows:
        writer.writerow([neutralised(cell) for cell in row])
        count += 1
        if count == CHUNK_ROWS:
            yield count, _drain(buffer)
            count = 0
    yield count, _drain(buffer)


def record_export(kind: str, filters: dict, rows: int, finished: bool, actor: Actor) -> None:
    """The export's row, which the audit hook records: who exported which list, with which
    filters, how many rows."""
    chosen = {name: str(value) for name, value in filters.items() if value not in (None, "", False)}
    with transaction(actor) as session:
        session.add(
            DataExport(
                kind=kind, filters=chosen, row_count=rows, finished=finished, user_id=actor.id
            )
        )


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()
