"""Properties 1-8: contacts and companies, their relationship, updates and deletion."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_web.activities.services import notes_for, tasks_for
from crm_web.companies import repository as company_repo
from crm_web.companies.services import create_company, update_company
from crm_web.contacts import repository as contact_repo
from crm_web.contacts.services import (
    create_contact,
    get_contacts_by_company,
    update_contact,
)
from crm_web.deals import repository as deal_repo
from crm_web.records.operations import delete_company, delete_contact
from tests import strategies as s
from tests.properties.helpers import attach, columns, make_attachment
from tests.support import ADMIN, isolated_session, make_company, make_contact, make_deal

BOOKKEEPING = {"updated_at", "updated_by", "version"}


def _assert_only_the_field_changed(before: dict, after: dict, field: str) -> None:
    """A record's columns before and after an update of `field`: the same value again is no
    change (nothing is written); a new one moves updated_at forward and the version up by one,
    and leaves every other column as it was."""
    if after[field] == before[field]:
        assert after == before
        return
    assert after["updated_at"] > before["updated_at"]
    assert after["version"] == before["version"] + 1
    unchanged = set(before) - BOOKKEEPING - {field}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


# Feature: core-data-models, Property 1: Contact creation persistence
@settings(max_examples=100, deadline=None)
@given(s.contact_data())
def test_created_contact_keeps_every_field_it_was_given(app_ctx, generated):
    data, expected_emails, expected_phones = generated
    with isolated_session() as session:
        contact = create_contact(data, ADMIN)
        assert isinstance(contact.id, uuid.UUID)
        session.expunge_all()
        stored = contact_repo.get_contact(contact.id)
        assert stored is not None
        assert stored.first_name == data["first_name"]
        assert stored.last_name == data["last_name"]
        assert stored.emails == expected_emails
        assert stored.phones == expected_phones
        assert stored.company_id is None
        assert stored.custom_fields == {}
        assert stored.created_by == stored.updated_by == ADMIN.id


# Feature: core-data-models, Property 2: Contact-Company relationship integrity
@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=0, max_size=6))
def test_contacts_linked_to_a_company_are_exactly_those_found_by_company(app_ctx, linked):
    with isolated_session():
        company = make_company()
        other = make_company(name="Other")
        expected = set()
        for index, belongs in enumerate(linked):
            contact = make_contact(
                first_name=f"P{index}", company_id=company.id if belongs else other.id
            )
            if belongs:
                expected.add(contact.id)
        found = get_contacts_by_company(company.id)
        assert {c.id for c in found} == expected
        assert all(c.company_id == company.id for c in found)


_contact_updates = st.one_of(
    st.fixed_dictionaries({"first_name": s.names}),
    st.fixed_dictionaries({"last_name": s.names}),
    st.fixed_dictionaries({"emails": st.lists(s.emails, min_size=1, max_size=2)}),
    st.fixed_dictionaries({"phones": st.lists(s.phone_numbers(), min_size=1, max_size=2)}).map(
        lambda d: {"phones": [typed for typed, _ in d["phones"]]}
    ),
    st.just({"company_id": "new company"}),
)


# Feature: core-data-models, Property 3: Contact update timestamp tracking
@settings(max_examples=100, deadline=None)
@given(s.contact_data(), _contact_updates)
def test_updating_a_contact_moves_updated_at_forward_and_keeps_other_fields(
    app_ctx, generated, update
):
    data, _, _ = generated
    with isolated_session():
        contact = create_contact(data, ADMIN)
        before = columns(contact)
        if "company_id" in update:
            update = {"company_id": make_company().id}
        field = next(iter(update))
        update_contact(contact.id, update, ADMIN, expected_version=contact.version)
        _assert_only_the_field_changed(before, columns(contact_repo.get_contact(contact.id)), field)


# Feature: core-data-models, Property 4: Contact deletion cleanup
@settings(max_examples=100, deadline=None)
@given(
    deals=st.integers(0, 3),
    tasks=st.integers(0, 3),
    notes=st.integers(0, 3),
    with_company=st.booleans(),
)
def test_deleting_a_contact_removes_it_and_its_attachments_and_unlinks_its_deals(
    app_ctx, deals, tasks, notes, with_company
):
    with isolated_session() as session:
        company = make_company()
        contact = make_contact(company_id=company.id if with_company else None)
        other = make_contact(first_name="Other", company_id=company.id)
        deal_ids = [
            make_deal(company_id=company.id, contact_id=contact.id if with_company else None).id
            for _ in range(deals)
        ]
        attach("contact", contact.id, tasks=tasks, notes=notes)
        kept_task_id, other_id = make_attachment("task", "contact", other.id).id, other.id
        contact_id, company_id = contact.id, company.id

        delete_contact(contact_id, ADMIN)
        session.expunge_all()

        assert contact_repo.get_contact(contact_id) is None
        assert tasks_for("contact", contact_id) == []
        assert notes_for("contact", contact_id) == []
        for deal_id in deal_ids:
            deal = deal_repo.get_deal(deal_id)
            assert deal is not None and deal.contact_id is None
        assert company_repo.get_company(company_id) is not None
        assert [t.id for t in tasks_for("contact", other_id)] == [kept_task_id]


# Feature: core-data-models, Property 5: Company creation persistence
@settings(max_examples=100, deadline=None)
@given(s.company_data)
def test_created_company_keeps_every_field_it_was_given(app_ctx, data):
    with isolated_session() as session:
        company = create_company(data, ADMIN)
        assert isinstance(company.id, uuid.UUID)
        session.expunge_all()
        stored = company_repo.get_company(company.id)
        assert stored is not None
        assert stored.name == data["name"]
        assert stored.address == (data["address"] or None)
        assert stored.custom_fields == {}


# Feature: core-data-models, Property 6: Company multi-contact relationships
@settings(max_examples=100, deadline=None)
@given(st.lists(s.names, min_size=2, max_size=8))
def test_a_company_lists_all_of_its_contacts(app_ctx, first_names):
    with isolated_session():
        company = make_company()
        created = {make_contact(first_name=n, company_id=company.id).id for n in first_names}
        make_contact(first_name="Unrelated")
        assert {c.id for c in get_contacts_by_company(company.id)} == created


_company_updates = st.one_of(
    st.fixed_dictionaries({"name": s.names}),
    st.fixed_dictionaries({"address": s.addresses}),
)


# Feature: core-data-models, Property 7: Company update timestamp tracking
@settings(max_examples=100, deadline=None)
@given(s.company_data, _company_updates)
def test_updating_a_company_moves_updated_at_forward_and_keeps_other_fields(app_ctx, data, update):
    with isolated_session():
        company = create_company(data, ADMIN)
        before = columns(company)
        field = next(iter(update))
        update_company(company.id, update, ADMIN, expected_version=company.version)
        _assert_only_the_field_changed(before, columns(company_repo.get_company(company.id)), field)


# Feature: core-data-models, Property 8: Company cascade deletion
@settings(max_examples=100, deadline=None)
@given(
    contacts=st.integers(0, 3),
    deals=st.integers(0, 3),
    deal_tasks=st.integers(0, 2),
    archived_deal=st.booleans(),
)
def test_deleting_a_company_deletes_its_deals_and_unlinks_its_contacts(
    app_ctx, contacts, deals, deal_tasks, archived_deal
):
    from crm_web.deals.services import archive_deal

    with isolated_session() as session:
        company = make_company()
        other = make_company(name="Survivor")
        contact_ids = [make_contact(company_id=company.id).id for _ in range(contacts)]
        deal_ids = []
        for _ in range(deals):
            deal = make_deal(company_id=company.id)
            deal_ids.append(deal.id)
            attach("deal", deal.id, tasks=deal_tasks, notes=1)
        if archived_deal and deal_ids:
            archive_deal(deal_ids[0], ADMIN)
        survivor_id = make_deal(company_id=other.id).id
        company_id = company.id

        delete_company(company_id, ADMIN)
        session.expunge_all()

        assert company_repo.get_company(company_id) is None
        for deal_id in deal_ids:
            assert deal_repo.get_deal(deal_id) is None
            assert tasks_for("deal", deal_id) == []
            assert notes_for("deal", deal_id) == []
        for contact_id in contact_ids:
            contact = contact_repo.get_contact(contact_id)
            assert contact is not None and contact.company_id is None
        assert deal_repo.get_deal(survivor_id) is not None
