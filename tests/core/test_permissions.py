"""The permission table as people meet it: viewers read, editors write, reps archive their own
records, managers any, and only admins delete for good."""

from __future__ import annotations

import pytest

from crm_web.activities.services import create_note, create_task, delete_task, update_task
from crm_web.companies.services import archive_company, update_company
from crm_web.contacts.services import (
    archive_contact,
    create_contact,
    get_contact,
    restore_contact,
    update_contact,
)
from crm_web.core.actor import Actor
from crm_web.core.errors import PermissionDenied
from crm_web.core.permissions import POLICY, allowed
from crm_web.deals.services import archive_deal, create_deal, update_deal
from crm_web.records.operations import delete_company, delete_contact, delete_deal
from tests.support import ADMIN, make_company, make_contact, make_deal, make_task, make_user

VIEWER = Actor(id="user-viewer", role="viewer")
MANAGER = Actor(id="user-manager", role="manager")


def test_a_viewer_cannot_create_anything(session):
    company = make_company()
    attempts = [
        lambda: create_contact({"first_name": "A", "last_name": "B"}, VIEWER),
        lambda: create_deal(
            {"title": "T", "value": "1", "stage": "Lead", "company_id": company.id}, VIEWER
        ),
        lambda: create_task(
            {"description": "x", "entity_type": "company", "entity_id": company.id}, VIEWER
        ),
        lambda: create_note(
            {"content": "x", "entity_type": "company", "entity_id": company.id}, VIEWER
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()


def test_a_viewer_cannot_update_or_archive_and_nothing_changes(session):
    contact, company, deal = make_contact(), make_company(), make_deal()
    task = make_task("company", company.id)
    for attempt in [
        lambda: update_contact(contact.id, {"first_name": "X"}, VIEWER),
        lambda: update_company(company.id, {"name": "X"}, VIEWER),
        lambda: update_deal(deal.id, {"title": "X"}, VIEWER),
        lambda: update_task(task.id, {"status": "closed"}, VIEWER),
        lambda: delete_task(task.id, VIEWER),
        lambda: archive_contact(contact.id, VIEWER),
        lambda: archive_company(company.id, VIEWER),
        lambda: archive_deal(deal.id, VIEWER),
    ]:
        with pytest.raises(PermissionDenied):
            attempt()
    assert get_contact(contact.id).first_name == "Ada"
    assert get_contact(contact.id).archived_at is None


def test_a_rep_archives_and_restores_their_own_records_only(session):
    rep = make_user("rep").as_actor()
    other_rep = make_user("rep").as_actor()
    mine = make_contact(rep)
    theirs = make_contact(other_rep)
    nobodys = make_contact(ADMIN)
    assert str(mine.owner_id) == rep.id

    assert archive_contact(mine.id, rep).archived_at is not None
    assert restore_contact(mine.id, rep).archived_at is None
    for record in (theirs, nobodys):
        with pytest.raises(PermissionDenied) as caught:
            archive_contact(record.id, rep)
        assert caught.value.message == "Only the owner or a manager may archive this."
        assert get_contact(record.id).archived_at is None


def test_a_rep_may_edit_but_not_archive_a_deal_someone_else_owns(session):
    rep = make_user("rep").as_actor()
    deal = make_deal()
    assert update_deal(deal.id, {"title": "Edited by rep"}, rep).title == "Edited by rep"
    with pytest.raises(PermissionDenied):
        archive_deal(deal.id, rep)


def test_a_manager_archives_any_record(session):
    rep = make_user("rep").as_actor()
    contact = make_contact(rep)
    company, deal = make_company(rep), make_deal(rep)
    assert archive_contact(contact.id, MANAGER).archived_at is not None
    assert archive_company(company.id, MANAGER).archived_at is not None
    assert archive_deal(deal.id, MANAGER).archived_at is not None


@pytest.mark.parametrize("role", ["manager", "rep", "viewer"])
def test_only_an_admin_deletes_for_good(session, role):
    someone = Actor(id=f"user-{role}", role=role)
    contact, company, deal = make_contact(), make_company(), make_deal()
    for purge, record in [
        (delete_contact, contact),
        (delete_company, company),
        (delete_deal, deal),
    ]:
        with pytest.raises(PermissionDenied) as caught:
            purge(record.id, someone)
        assert caught.value.action == "records.purge"
    delete_contact(contact.id, ADMIN)


def test_only_an_admin_manages_custom_fields(session):
    from crm_web.custom_fields.services import create_definition

    data = {"name": "tier", "label": "Tier", "entity_type": "contact", "field_type": "text"}
    with pytest.raises(PermissionDenied):
        create_definition(data, MANAGER)
    assert create_definition(data, ADMIN).name == "tier"


def test_the_policy_table_reads_as_the_design_says():
    roles = ("admin", "manager", "rep", "viewer")
    table = {
        action: tuple(role for role in roles if allowed(Actor(id="x", role=role), action))
        for action in POLICY
    }
    assert table["records.read"] == roles
    assert table["records.create"] == table["records.update"] == ("admin", "manager", "rep")
    assert table["records.archive_own"] == ("admin", "manager", "rep")
    assert table["records.archive_any"] == ("admin", "manager")
    assert table["records.purge"] == ("admin",)
    assert table["custom_fields.manage"] == table["users.manage"] == ("admin",)
    assert table["audit.read"] == ("admin", "manager")


def test_an_actor_with_an_unknown_role_cannot_exist():
    with pytest.raises(ValueError, match="unknown role"):
        Actor(id="x", role="superuser")
