"""Properties 27-30: every create, update and delete leaves an audit row naming who did it."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_web.audit.services import history_of_entity, history_of_user
from crm_web.core.actor import Actor
from tests import strategies as s
from tests.properties.helpers import delete_entity, make_entity, update_entity
from tests.support import ADMIN, isolated_session, make_task

actors = st.builds(
    lambda role, suffix: Actor(id=f"user-{suffix}", role=role, name="Someone"),
    st.sampled_from(["admin", "manager", "rep"]),
    st.uuids().map(lambda u: u.hex[:12]),
)
KINDS = ("contact", "company", "deal", "task", "note")


def _make(kind: str, by: Actor):
    from tests.support import make_note

    if kind == "task":
        return make_task("company", make_entity("company").id, by)
    if kind == "note":
        return make_note("company", make_entity("company").id, by)
    return make_entity(kind, by)


# Feature: core-data-models, Property 27: Audit log creation tracking
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(KINDS), actors)
def test_creating_any_record_writes_a_create_row_naming_the_user(app_ctx, kind, actor):
    with isolated_session():
        record = _make(kind, actor)
        rows = history_of_entity(kind, record.id)
        assert [(r.action, r.user_id, r.entity_type, r.entity_id) for r in rows] == [
            ("create", actor.id, kind, record.id)
        ]
        assert rows[0].timestamp >= record.created_at
        assert isinstance(rows[0].id, uuid.UUID)
        # The snapshot holds the record's own fields, not the bookkeeping ones.
        assert "created_at" not in rows[0].changes and "version" not in rows[0].changes
        name_field = {"contact": "first_name", "company": "name", "deal": "title"}
        name_field.update(task="description", note="content")
        assert rows[0].changes[name_field[kind]] == getattr(record, name_field[kind])


_updates = {
    "contact": st.fixed_dictionaries({"first_name": s.names, "last_name": s.names}),
    "company": st.fixed_dictionaries({"name": s.names}),
    "deal": st.fixed_dictionaries({"title": s.names, "stage": s.stages, "value": s.money}),
}


# Feature: core-data-models, Property 28: Audit log update tracking
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(s.ENTITY_TYPES), actors, st.data())
def test_updating_a_record_writes_an_update_row_with_only_the_changed_fields(
    app_ctx, entity_type, actor, data
):
    change = data.draw(_updates[entity_type])
    with isolated_session():
        record = make_entity(entity_type)
        before = {
            name: getattr(record, name)
            for name in (*change, "probability")
            if hasattr(record, name)
        }
        update_entity(entity_type, record.id, change, actor)
        after = {name: getattr(record, name) for name in before}
        expected = {
            name: [_json(before[name]), _json(after[name])]
            for name in before
            if before[name] != after[name]
        }
        rows = history_of_entity(entity_type, record.id)
        if not expected:
            assert [r.action for r in rows] == ["create"]
            return
        assert [r.action for r in rows] == ["create", "update"]
        assert rows[1].user_id == actor.id
        assert rows[1].changes == expected
        assert rows[1].timestamp >= rows[0].timestamp


def _json(value):
    from decimal import Decimal

    return str(value) if isinstance(value, Decimal) else value


# Feature: core-data-models, Property 29: Audit log deletion tracking
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(KINDS), st.uuids().map(lambda u: f"admin-{u.hex[:10]}"))
def test_deleting_a_record_writes_a_delete_row_naming_the_user(app_ctx, kind, admin_id):
    from crm_web.activities.services import delete_note, delete_task

    admin = Actor(id=admin_id, role="admin")
    with isolated_session():
        record = _make(kind, ADMIN)
        record_id = record.id
        if kind == "task":
            delete_task(record_id, admin)
        elif kind == "note":
            delete_note(record_id, admin)
        else:
            delete_entity(kind, record_id, admin)
        rows = history_of_entity(kind, record_id)
        assert [(r.action, r.user_id) for r in rows] == [("create", ADMIN.id), ("delete", admin_id)]
        assert rows[1].entity_type == kind and rows[1].entity_id == record_id
        assert rows[1].timestamp >= rows[0].timestamp
        # The delete row keeps what was deleted: every field the create row recorded.
        assert {k: rows[1].changes.get(k) for k in rows[0].changes} == rows[0].changes


_operations = st.lists(
    st.tuples(st.sampled_from(["rename", "archive", "restore", "note"]), st.integers(0, 2)),
    max_size=8,
)


# Feature: core-data-models, Property 30: Audit log query completeness
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(s.ENTITY_TYPES), _operations, st.lists(actors, min_size=3, max_size=3))
def test_history_lists_every_change_to_a_record_and_by_a_user_in_order(
    app_ctx, entity_type, operations, people
):
    from crm_web.activities.services import create_note
    from crm_web.companies.services import archive_company, restore_company
    from crm_web.contacts.services import archive_contact, restore_contact
    from crm_web.deals.services import archive_deal, restore_deal

    people = [Actor(id=p.id, role="manager") for p in people]
    archive = {"contact": archive_contact, "company": archive_company, "deal": archive_deal}
    restore = {"contact": restore_contact, "company": restore_company, "deal": restore_deal}
    field = {"contact": "last_name", "company": "name", "deal": "title"}[entity_type]
    with isolated_session():
        extra = {"company_id": make_entity("company").id} if entity_type == "deal" else {}
        record = make_entity(entity_type, people[0], **extra)
        on_record = [("create", people[0].id)]
        by_user = {
            p.id: [(entity_type, record.id, "create")] if p is people[0] else [] for p in people
        }
        for number, (operation, who) in enumerate(operations):
            person = people[who]
            if operation == "rename":
                update_entity(entity_type, record.id, {field: f"Name {number}"}, person)
            elif operation == "archive":
                archive[entity_type](record.id, person)
            elif operation == "restore":
                restore[entity_type](record.id, person)
            else:
                note = create_note(
                    {"content": "x", "entity_type": entity_type, "entity_id": record.id}, person
                )
                by_user[person.id].append(("note", note.id, "create"))
                continue
            if record.version > len(on_record):
                on_record.append(("update", person.id))
                by_user[person.id].append((entity_type, record.id, "update"))

        rows = history_of_entity(entity_type, record.id)
        assert [(r.action, r.user_id) for r in rows] == on_record
        assert [r.timestamp for r in rows] == sorted(r.timestamp for r in rows)
        for person in people:
            mine = history_of_user(person.id)
            assert [(r.entity_type, r.entity_id, r.action) for r in mine] == by_user[person.id]
            assert [r.timestamp for r in mine] == sorted(r.timestamp for r in mine)
