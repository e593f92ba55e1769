"""One unit of work per service call: all of it or none, with its audit rows in the same
transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_web.activities.models import Task
from crm_web.audit.models import AuditLog
from crm_web.audit.services import history_of_entity, history_of_user
from crm_web.contacts.models import Contact
from crm_web.contacts.services import get_contact, update_contact
from crm_web.core.actor import SYSTEM, Actor
from crm_web.core.audit import MissingActorError
from crm_web.core.db import db, transaction
from crm_web.core.errors import ValidationError
from crm_web.deals.models import Deal
from crm_web.records.operations import create_deal_with_tasks, delete_contact
from tests.support import ADMIN, make_company, make_contact

REP = Actor(id="user-rep-1", role="rep", name="Rita Rep")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audit_rows() -> int:
    return _count(AuditLog)


# -- create_deal_with_tasks: all or nothing ----------------------------------------------------


def test_a_deal_with_valid_tasks_is_created_with_all_of_them(session):
    company = make_company()
    deal = create_deal_with_tasks(
        {"title": "Renewal", "value": "900", "stage": "Lead", "company_id": company.id},
        [{"description": "Call"}, {"description": "Send quote", "due_date": "2030-01-31"}],
        REP,
    )
    from crm_web.activities.services import tasks_for

    assert sorted(t.description for t in tasks_for("deal", deal.id)) == ["Call", "Send quote"]


def test_one_invalid_task_leaves_no_deal_and_no_task_and_says_which_field(session):
    company = make_company()
    deals, tasks, audits = _count(Deal), _count(Task), _audit_rows()
    with pytest.raises(ValidationError) as caught:
        create_deal_with_tasks(
            {"title": "Renewal", "value": "900", "stage": "Lead", "company_id": company.id},
            [
                {"description": "Call"},
                {"description": "Quote", "due_date": "someday"},
                {"description": "  ", "status": "done"},
            ],
            REP,
        )
    assert caught.value.fields == {
        "tasks.1.due_date": ["'someday' is not a date (YYYY-MM-DD)."],
        "tasks.2.description": ["This field is required."],
        "tasks.2.status": ["Must be one of: open, closed."],
    }
    assert caught.value.message == "A follow-up task is not valid; nothing was saved."
    assert (_count(Deal), _count(Task), _audit_rows()) == (deals, tasks, audits)


def test_an_invalid_deal_with_tasks_saves_nothing_either(session):
    company = make_company()
    deals, tasks = _count(Deal), _count(Task)
    with pytest.raises(ValidationError) as caught:
        create_deal_with_tasks(
            {"title": "", "value": "1", "stage": "Lead", "company_id": company.id},
            [{"description": "Call"}],
            REP,
        )
    assert set(caught.value.fields) == {"title"}
    assert (_count(Deal), _count(Task)) == (deals, tasks)


def test_an_inner_unit_of_work_is_undone_when_the_outer_one_fails(session):
    from crm_web.contacts.services import create_contact

    before = _count(Contact)
    with pytest.raises(RuntimeError), transaction(ADMIN):
        create_contact({"first_name": "Inner", "last_name": "Work"}, ADMIN)
        raise RuntimeError("the outer work failed")
    assert _count(Contact) == before
    # Depth bookkeeping was restored: the next unit of work commits normally.
    assert get_contact(make_contact().id) is not None


# -- the audit hook ----------------------------------------------------------------------------


def test_creating_records_a_snapshot_by_the_actor(session):
    contact = make_contact(REP, emails=["ada@example.com"], phones=["(415) 555-0100"])
    (row,) = history_of_entity("contact", contact.id)
    assert (row.action, row.user_id, row.entity_type) == ("create", REP.id, "contact")
    assert row.changes["first_name"] == "Ada" and row.changes["last_name"] == "Lovelace"
    assert row.changes["emails"] == ["ada@example.com"]
    assert row.changes["phones"] == ["+14155550100"]
    assert not {"id", "created_at", "updated_at", "version"} & set(row.changes)


def test_an_update_records_only_the_changed_fields_as_old_and_new(session):
    company = make_company()
    contact = make_contact(emails=["a@example.com"])
    update_contact(
        contact.id,
        {
            "first_name": "Ada",
            "last_name": "King",
            "emails": ["b@example.com"],
            "company_id": company.id,
        },
        REP,
    )
    rows = history_of_entity("contact", contact.id)
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].user_id == REP.id
    assert rows[1].changes == {
        "last_name": ["Lovelace", "King"],
        "emails": [["a@example.com"], ["b@example.com"]],
        "company_id": [None, str(company.id)],
    }


def test_an_update_that_changes_nothing_writes_nothing(session):
    contact = make_contact()
    update_contact(contact.id, {"first_name": "Ada"}, REP)
    assert [r.action for r in history_of_entity("contact", contact.id)] == ["create"]
    assert get_contact(contact.id).version == 1


def test_a_delete_records_what_was_deleted_and_by_whom(session):
    contact = make_contact(emails=["gone@example.com"])
    delete_contact(contact.id, Actor(id="user-boss", role="admin"))
    rows = history_of_entity("contact", contact.id)
    assert [(r.action, r.user_id) for r in rows] == [("create", ADMIN.id), ("delete", "user-boss")]
    assert rows[1].changes["emails"] == ["gone@example.com"]


def test_audit_rows_are_rolled_back_with_the_change_they_describe(session):
    before = _audit_rows()
    with pytest.raises(RuntimeError), transaction(REP) as tx:
        tx.add(Contact(first_name="A", last_name="B", created_by=REP.id, updated_by=REP.id))
        tx.flush()
        assert _audit_rows() == before + 1  # written by the flush, inside the transaction
        raise RuntimeError("abandon")
    assert _audit_rows() == before
    assert history_of_user(REP.id) == []


def test_writing_an_audited_record_without_an_actor_is_refused(session):
    session.add(Contact(first_name="A", last_name="B", created_by="x", updated_by="x"))
    with pytest.raises(MissingActorError):
        session.flush()
    session.rollback()


def test_password_hashes_never_reach_the_audit_log(session):
    from crm_web.accounts.services import create_user

    user = create_user(
        {"email": "audit@example.com", "name": "Au", "role": "rep", "password": "long enough pw"},
        SYSTEM,
    )
    (row,) = history_of_entity("user", user.id)
    assert row.changes["password_hash"] == "[redacted]"
    assert row.changes["email"] == "audit@example.com" and row.user_id == "system"


def test_deleting_a_custom_field_is_audited_on_the_definition_and_each_record(session):
    from crm_web.custom_fields.services import create_definition, delete_definition

    definition = create_definition(
        {"name": "tier", "label": "Tier", "entity_type": "contact", "field_type": "text"}, ADMIN
    )
    holder = make_contact(custom_fields={"tier": "gold"})
    bystander = make_contact()
    assert delete_definition(definition.id, ADMIN) == 1
    assert [r.action for r in history_of_entity("custom_field_definition", definition.id)] == [
        "create",
        "delete",
    ]
    last = history_of_entity("contact", holder.id)[-1]
    assert (last.action, last.changes) == ("update", {"custom_fields.tier": ["gold", None]})
    assert get_contact(holder.id).custom_fields == {}
    assert get_contact(holder.id).version == 2
    assert [r.action for r in history_of_entity("contact", bystander.id)] == ["create"]


def test_a_long_history_shows_its_latest_changes_oldest_first(session):
    contact = make_contact(REP)
    for name in ("B", "C", "D"):
        update_contact(contact.id, {"last_name": name}, REP)
    rows = history_of_entity("contact", contact.id, limit=2)
    assert [r.changes["last_name"][1] for r in rows] == ["C", "D"]
    assert [r.action for r in history_of_user(REP.id, limit=2)] == ["update", "update"]
    assert [r.action for r in history_of_user(REP.id)] == ["create", "update", "update", "update"]
