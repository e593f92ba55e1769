"""Properties 9-17: deals in the pipeline, and tasks and notes attached to any record."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_web.activities import repository as activity_repo
from crm_web.activities.services import (
    create_note,
    create_task,
    get_with_attachments,
    notes_for,
    tasks_for,
    update_task,
)
from crm_web.core.db import db
from crm_web.deals import repository as deal_repo
from crm_web.deals.services import create_deal, get_deals_by_company, update_deal
from tests import strategies as s
from tests.properties.helpers import columns, make_attachment, make_entity
from tests.support import ADMIN, isolated_session, make_company, make_contact, make_deal


# Feature: core-data-models, Property 9: Deal creation persistence
@settings(max_examples=100, deadline=None)
@given(s.deal_data())
def test_created_deal_keeps_every_field_it_was_given(app_ctx, data):
    with isolated_session() as session:
        company = make_company()
        deal = create_deal({**data, "company_id": company.id}, ADMIN)
        assert isinstance(deal.id, uuid.UUID)
        deal_id, company_id = deal.id, company.id
        session.expunge_all()
        stored = deal_repo.get_deal(deal_id)
        assert stored is not None
        assert stored.title == data["title"]
        assert stored.company_id == company_id
        assert stored.contact_id is None
        assert stored.value == Decimal(str(data["value"]))
        assert stored.currency == data.get("currency", "USD").upper()
        assert stored.stage == data["stage"]
        assert stored.probability == data.get("probability", s.STAGES[data["stage"]])
        close_date = data.get("close_date")
        if isinstance(close_date, str):
            close_date = dt.date.fromisoformat(close_date)
        assert stored.close_date == close_date


# Feature: core-data-models, Property 10: Deal-Company relationship integrity
@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["ours", "other", "archived"]), max_size=6))
def test_deals_of_a_company_are_exactly_those_created_for_it(app_ctx, kinds):
    from crm_web.deals.services import archive_deal

    with isolated_session():
        company = make_company()
        other = make_company(name="Other")
        expected = set()
        for kind in kinds:
            deal = make_deal(company_id=other.id if kind == "other" else company.id)
            if kind == "ours":
                expected.add(deal.id)
            if kind == "archived":
                archive_deal(deal.id, ADMIN)
        found = get_deals_by_company(company.id)
        assert {d.id for d in found} == expected
        assert all(d.company_id == company.id for d in found)


# Feature: core-data-models, Property 11: Deal-Contact optional relationship
@settings(max_examples=100, deadline=None)
@given(s.deal_data(), st.booleans())
def test_a_deal_may_have_a_contact_or_not(app_ctx, data, with_contact):
    with isolated_session() as session:
        company = make_company()
        contact = make_contact(company_id=company.id) if with_contact else None
        contact_id = contact.id if contact else None
        deal = create_deal({**data, "company_id": company.id, "contact_id": contact_id}, ADMIN)
        deal_id = deal.id
        session.expunge_all()
        assert deal_repo.get_deal(deal_id).contact_id == contact_id


# Feature: core-data-models, Property 12: Deal stage update tracking
@settings(max_examples=100, deadline=None)
@given(s.deal_data(), s.stages, st.none() | s.probabilities)
def test_moving_a_deal_to_another_stage_is_saved_with_a_later_updated_at(
    app_ctx, data, new_stage, probability
):
    with isolated_session():
        deal = create_deal({**data, "company_id": make_company().id}, ADMIN)
        before = columns(deal)
        change = {"stage": new_stage}
        if probability is not None:
            change["probability"] = probability
        update_deal(deal.id, change, ADMIN, expected_version=deal.version)
        after = columns(deal_repo.get_deal(deal.id))
        assert after["stage"] == new_stage
        if probability is not None:
            assert after["probability"] == probability
        elif new_stage != before["stage"]:
            assert after["probability"] == s.STAGES[new_stage]
        else:
            assert after["probability"] == before["probability"]
        if after != before:
            assert after["updated_at"] > before["updated_at"]
        else:
            assert new_stage == before["stage"]


def _created_on_a_new_record(create, entity_type, data):
    """A task or note made by `create` from `data` on a new record of `entity_type`, with the
    session then emptied so what follows reads from the database: (its id, the record's id)."""
    entity = make_entity(entity_type)
    item = create({**data, "entity_type": entity_type, "entity_id": entity.id}, ADMIN)
    ids = item.id, entity.id
    db.session.expunge_all()
    return ids


# Feature: core-data-models, Property 13: Task creation with polymorphic attachment
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(s.ENTITY_TYPES), s.task_data())
def test_a_task_attached_to_any_record_is_found_by_that_record(app_ctx, entity_type, data):
    with isolated_session():
        task_id, entity_id = _created_on_a_new_record(create_task, entity_type, data)
        found = tasks_for(entity_type, entity_id)
        assert [t.id for t in found] == [task_id]
        stored = found[0]
        assert (stored.entity_type, stored.entity_id) == (entity_type, entity_id)
        assert stored.description == data["description"]
        assert stored.status == data.get("status", "open")
        assert stored.assigned_to == data.get("assigned_to")
        due = data.get("due_date")
        assert stored.due_date == (dt.date.fromisoformat(due) if isinstance(due, str) else due)


# Feature: core-data-models, Property 14: Note creation with polymorphic attachment
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(s.ENTITY_TYPES), s.note_data)
def test_a_note_attached_to_any_record_is_found_by_that_record(app_ctx, entity_type, data):
    with isolated_session():
        note_id, entity_id = _created_on_a_new_record(create_note, entity_type, data)
        found = notes_for(entity_type, entity_id)
        assert [(n.id, n.content) for n in found] == [(note_id, data["content"])]


_attachments = st.lists(
    st.tuples(st.sampled_from(["task", "note"]), st.sampled_from(["target", "other"])),
    max_size=8,
)


def _attach(entity_type, target, other, plan):
    """Create the planned tasks/notes; returns the ids expected on the target."""
    tasks, notes = set(), set()
    for kind, where in plan:
        record = target if where == "target" else other
        item = make_attachment(kind, entity_type, record.id)
        if where == "target":
            (tasks if kind == "task" else notes).add(item.id)
    return tasks, notes


# Feature: core-data-models, Property 15: Polymorphic relationship integrity
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(s.ENTITY_TYPES), _attachments)
def test_all_tasks_and_notes_of_a_record_and_no_others_are_found_by_it(app_ctx, entity_type, plan):
    with isolated_session():
        target, other = make_entity(entity_type), make_entity(entity_type)
        tasks, notes = _attach(entity_type, target, other, plan)
        assert {t.id for t in tasks_for(entity_type, target.id)} == tasks
        assert {n.id for n in notes_for(entity_type, target.id)} == notes
        # The same id under another entity type finds nothing.
        for elsewhere in set(s.ENTITY_TYPES) - {entity_type}:
            assert tasks_for(elsewhere, target.id) == []
            assert notes_for(elsewhere, target.id) == []


# Feature: core-data-models, Property 16: Entity retrieval includes attachments
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(s.ENTITY_TYPES), _attachments)
def test_reading_a_record_with_attachments_includes_all_its_tasks_and_notes(
    app_ctx, entity_type, plan
):
    with isolated_session() as session:
        target, other = make_entity(entity_type), make_entity(entity_type)
        tasks, notes = _attach(entity_type, target, other, plan)
        target_id = target.id
        session.expunge_all()
        result = get_with_attachments(entity_type, target_id)
        assert result.record.id == target_id
        assert {t.id for t in result.tasks} == tasks
        assert {n.id for n in result.notes} == notes
        assert len(result.tasks) == len(tasks) and len(result.notes) == len(notes)


# Feature: core-data-models, Property 17: Task status update tracking
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(s.ENTITY_TYPES), s.task_data(), st.sampled_from(["open", "closed"]))
def test_changing_a_task_status_is_saved_with_a_later_updated_at(
    app_ctx, entity_type, data, new_status
):
    with isolated_session():
        entity = make_entity(entity_type)
        task = create_task({**data, "entity_type": entity_type, "entity_id": entity.id}, ADMIN)
        before = columns(task)
        update_task(task.id, {"status": new_status}, ADMIN, expected_version=task.version)
        after = columns(activity_repo.get_task(task.id))
        assert after["status"] == new_status
        if new_status == before["status"]:
            assert after == before
        else:
            assert after["updated_at"] > before["updated_at"]
            unchanged = set(before) - {"status", "updated_at", "updated_by", "version"}
            assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
