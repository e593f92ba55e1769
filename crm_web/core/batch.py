"""Set-based creation of many audited records in one transaction (imports, API bulk): the rows,
checked by their area's rules in Python, are COPYed into a temporary staging table, then put into
the real table and audit_logs with one INSERT … SELECT each. The audit rows read exactly as the
flush hook (core/audit.py) writes them for a record made one at a time: the same actor, `via`
and `changes` (the columns the service set, plus those the database filled with a default)."""

from __future__ import annotations

import json
import uuid

from psycopg import sql
from sqlalchemy import JSON
from sqlalchemy import inspect as sa_inspect

from crm_web.core.audit import UNRECORDED, MissingActorError, to_json
from crm_web.core.db import db


def _defaults(model) -> dict:
    """{column: value} of the recorded columns the database fills when the service gave none
    ('{}': an empty array or JSON object), as the ORM reads them back after its INSERT."""
    result = {}
    for attr in sa_inspect(model).column_attrs:
        column = attr.columns[0]
        if attr.key in UNRECORDED or column.server_default is None:
            continue
        python_type = column.type.python_type
        if python_type in (list, dict):
            result[attr.key] = python_type()
    return result


def insert_records(model, records: list[dict]) -> list[uuid.UUID]:
    """Insert `records` (each the checked values a service would pass to `model(**clean)`) with
    their audit rows, inside the current transaction(actor); returns their new ids in order."""
    if not records:
        return []
    session = db.session
    session.flush()  # what the ORM holds pending goes first (a company these rows refer to)
    actor_id = session.info.get("actor_id")
    via = session.info.get("actor_via")
    if not actor_id:
        raise MissingActorError("audited records may only be written inside transaction(actor)")
    table = model.__table__
    defaults = _defaults(model)
    given = sorted({key for record in records for key in record})
    columns = sorted({*given, *defaults, "id", "created_by", "updated_by"})
    ids = [uuid.uuid4() for _ in records]
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    target = sql.Identifier(table.name)
    staging = sql.Identifier(f"batch_{table.name}")
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                # The table's columns without its constraints (the INSERT checks those).
                "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DROP AS SELECT *, "
                "0 AS batch_order, NULL::jsonb AS audit_changes FROM {} WITH NO DATA"
            ).format(staging, target)
        )
        cursor.execute(sql.SQL("TRUNCATE {}").format(staging))
        copy_sql = sql.SQL("COPY {} ({}, batch_order, audit_changes) FROM STDIN")
        with cursor.copy(copy_sql.format(staging, names)) as copy:
            for order, (record_id, record) in enumerate(zip(ids, records, strict=True)):
                row = {**defaults, **record}
                changes = {k: v for k, v in row.items() if k not in UNRECORDED}
                row.update(id=record_id, created_by=actor_id, updated_by=actor_id)
                copy.write_row(
                    [_copy_value(name in json_columns, row.get(name)) for name in columns]
                    + [order, _json(changes)]
                )
        filled = _FILLED.get(table.name, {})
        if filled:
            cursor.execute(_TRIGGERS_ASIDE, ("on",))
        insert = "INSERT INTO {} ({}) SELECT {} FROM {} AS s ORDER BY batch_order"
        cursor.execute(
            sql.SQL(insert).format(
                target,
                sql.SQL(", ").join(map(sql.Identifier, [*columns, *filled])),
                sql.SQL(", ").join(
                    [
                        *(sql.Identifier("s", name) for name in columns),
                        *map(sql.SQL, filled.values()),
                    ]
                ),
                staging,
            )
        )
        if filled:
            cursor.execute(_TRIGGERS_ASIDE, ("off",))
        audit = (
            "INSERT INTO audit_logs (entity_type, entity_id, action, user_id, changes, via) "
            "SELECT %s, id, 'create', %s, audit_changes, %s FROM {} ORDER BY batch_order"
        )
        cursor.execute(sql.SQL(audit).format(staging), (model.__audit_entity__, actor_id, via))
        cursor.execute(sql.SQL("TRUNCATE {}").format(staging))
    session.info["wrote"] = True
    return ids


# Columns a row trigger fills from other tables (migration 0006: the copies of a contact's
# company and owner names, and a company's owner's, that lists sort by). The INSERT … SELECT
# fills them itself, as the triggers would, and the triggers stand aside for that statement
# (their WHEN reads crm.batch_insert, migration 0023): two plpgsql look-ups a row were ~15 % of
# PostgreSQL's time a contact.
_OWNER_NAME = "(SELECT name FROM users WHERE id = s.owner_id)"
_FILLED = {
    "contacts": {
        "company_sort_name": "(SELECT name FROM companies WHERE id = s.company_id)",
        "owner_sort_name": _OWNER_NAME,
    },
    "companies": {"owner_sort_name": _OWNER_NAME},
}
# Local to the transaction, and undone with it (or with the savepoint) should the INSERT fail.
_TRIGGERS_ASIDE = "SELECT set_config('crm.batch_insert', %s, true)"


def _copy_value(is_json: bool, value):
    """A value as COPY takes it: JSON columns as JSON text, the rest as psycopg adapts them."""
    if value is not None and is_json:
        return _json(value)
    return value


def _json(value) -> str:
    """json.dumps(to_json(value)), the same text: json's C encoder calls to_json only for the
    values it cannot write itself (ids, dates, amounts), where walking every value of every row
    in Python first was a fifth of the app's time a row on the write path."""
    return json.dumps(value, default=to_json)
