"""Shared pieces of the property tests: building a record of any kind, reading its columns."""

from __future__ import annotations

from sqlalchemy import inspect

from crm_web.core.db import db
from tests.support import ADMIN, make_company, make_contact, make_deal, make_note, make_task


def columns(record) -> dict:
    """Every column value of a record, as loaded from the database now."""
    state = inspect(record)
    db.session.refresh(record)
    return {attr.key: getattr(record, attr.key) for attr in state.mapper.column_attrs}


def make_entity(entity_type: str, by=ADMIN, **fields):
    """A contact, company or deal with default data, plus `fields`."""
    if entity_type == "contact":
        return make_contact(by, **fields)
    if entity_type == "company":
        return make_company(by, **fields)
    return make_deal(by, **fields)


def make_attachment(kind: str, entity_type: str, entity_id, by=ADMIN, **fields):
    """A task or a note (`kind`) with default data, plus `fields`, on one record."""
    make = make_task if kind == "task" else make_note
    return make(entity_type, entity_id, by, **fields)


def attach(entity_type: str, entity_id, tasks: int = 0, notes: int = 0) -> None:
    """`tasks` tasks and `notes` notes with default data on one record."""
    for kind, count in (("task", tasks), ("note", notes)):
        for _ in range(count):
            make_attachment(kind, entity_type, entity_id)


def get_entity(entity_type: str, entity_id):
    from crm_web.companies.repository import get_company
    from crm_web.contacts.repository import get_contact
    from crm_web.deals.repository import get_deal

    return {"contact": get_contact, "company": get_company, "deal": get_deal}[entity_type](
        entity_id
    )


def update_entity(entity_type: str, entity_id, data: dict, by=ADMIN):
    from crm_web.companies.services import update_company
    from crm_web.contacts.services import update_contact
    from crm_web.deals.services import update_deal

    update = {"contact": update_contact, "company": update_company, "deal": update_deal}
    return update[entity_type](entity_id, data, by)


def delete_entity(entity_type: str, entity_id, by=ADMIN):
    from crm_web.records.operations import delete_company, delete_contact, delete_deal

    delete = {"contact": delete_contact, "company": delete_company, "deal": delete_deal}
    return delete[entity_type](entity_id, by)
