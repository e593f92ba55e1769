"""Issue 17 point 1: a rep may not take a colleague's record (owner to themselves, then archive).
Reps change the owner only of records they own; managers and admins reassign any."""

import re

import pytest

from crm_web.companies.services import get_company, update_company, update_company_field
from crm_web.contacts.services import (
    bulk_action,
    get_contact,
    update_contact,
    update_contact_field,
)
from crm_web.core.errors import PermissionDenied
from crm_web.deals.services import get_deal, update_deal, update_deal_field
from tests.support import make_company, make_contact, make_deal, make_user, sign_in


def _people():
    rep, colleague, manager = make_user("rep"), make_user("rep"), make_user("manager")
    return rep.as_actor(), colleague.as_actor(), manager.as_actor()


def _records(owner):
    company = make_company(owner_id=owner.id)
    contact = make_contact(owner_id=owner.id)
    deal = make_deal(owner_id=owner.id, company_id=company.id)
    return {"contacts": contact, "companies": company, "deals": deal}


FIELD_EDITS = {
    "contacts": (update_contact_field, get_contact),
    "companies": (update_company_field, get_company),
}


@pytest.mark.parametrize("area", ["contacts", "companies", "deals"])
def test_a_rep_cannot_take_a_colleagues_record_and_nothing_changes(session, area):
    rep, colleague, _ = _people()
    record = _records(colleague)[area]
    version = record.version
    with pytest.raises(PermissionDenied):
        if area == "deals":
            update_deal_field(record.id, "owner_id", rep.id, rep, version)
        else:
            FIELD_EDITS[area][0](record.id, "owner_id", rep.id, version, rep)
    full_update = {"contacts": update_contact, "companies": update_company, "deals": update_deal}
    with pytest.raises(PermissionDenied):
        full_update[area](record.id, {"owner_id": rep.id}, rep, expected_version=version)
    get = {"contacts": get_contact, "companies": get_company, "deals": get_deal}[area]
    again = get(record.id)
    assert str(again.owner_id) == colleague.id and again.version == version


@pytest.mark.parametrize("area", ["contacts", "companies", "deals"])
def test_a_rep_gives_away_their_own_record_and_a_manager_reassigns_any(session, area):
    rep, colleague, manager = _people()
    record = _records(rep)[area]
    full_update = {"contacts": update_contact, "companies": update_company, "deals": update_deal}
    changed = full_update[area](record.id, {"owner_id": colleague.id}, rep, record.version)
    assert str(changed.owner_id) == colleague.id
    back = full_update[area](record.id, {"owner_id": rep.id}, manager, changed.version)
    assert str(back.owner_id) == rep.id


def test_bulk_assign_refuses_the_whole_batch_when_one_contact_is_a_colleagues(session):
    rep, colleague, _ = _people()
    mine, theirs = make_contact(owner_id=rep.id), make_contact(owner_id=colleague.id)
    with pytest.raises(PermissionDenied):
        bulk_action("assign", [str(mine.id), str(theirs.id)], rep.id, rep)
    assert str(get_contact(mine.id).owner_id) == rep.id
    assert str(get_contact(theirs.id).owner_id) == colleague.id


@pytest.mark.parametrize(
    ("area", "url"),
    [
        ("contacts", "/contacts/{id}/fields/owner_id"),
        ("companies", "/companies/{id}/fields/owner_id"),
        ("deals", "/deals/{id}/fields/owner_id"),
    ],
)
def test_the_two_step_takeover_is_refused_with_403_over_http(client, no_csrf, area, url):
    colleague = make_user("rep").as_actor()
    rep = sign_in(client, "rep")
    record = _records(colleague)[area]
    path = url.format(id=record.id)
    response = client.patch(path, data={"value": str(rep.id), "version": record.version})
    assert response.status_code == 403
    archive = client.post(f"/{area}/{record.id}/archive", data={"version": record.version})
    get = {"contacts": get_contact, "companies": get_company, "deals": get_deal}[area]
    again = get(record.id)
    assert str(again.owner_id) == colleague.id
    assert again.archived_at is None and again.version == record.version
    assert archive.status_code in (303, 403)


@pytest.mark.parametrize("area", ["contacts", "companies", "deals"])
def test_a_rep_is_not_offered_the_owner_editor_of_a_colleagues_record(client, area):
    """The editor is not shown where its save would be refused (403), even at its URL; the
    rep's own record's owner editor opens."""
    colleague = make_user("rep").as_actor()
    rep = sign_in(client, "rep")
    theirs, mine = _records(colleague)[area], _records(rep.as_actor())[area]
    assert client.get(f"/{area}/{theirs.id}/fields/owner_id/edit").status_code == 403
    editor = client.get(f"/{area}/{mine.id}/fields/owner_id/edit")
    assert editor.status_code == 200 and 'name="value"' in editor.text


@pytest.mark.parametrize("area", ["contacts", "companies"])
def test_a_record_pages_details_offer_the_owner_editor_only_where_the_user_may_reassign(
    client, area
):
    """The Details card draws every field's display in one call (contact_details,
    company_details): a rep's own record's owner opens its editor, a colleague's does not,
    while the colleague's other fields still edit in place; a viewer edits nothing."""
    colleague = make_user("rep").as_actor()
    rep = sign_in(client, "rep")
    theirs, mine = _records(colleague)[area], _records(rep.as_actor())[area]
    noun, name_field = (
        area.rstrip("s").replace("companie", "company"),
        {
            "contacts": "first_name",
            "companies": "name",
        }[area],
    )

    def editable(record, field):
        page = client.get(f"/{area}/{record.id}").text
        display = re.search(
            rf'<span class="ie-display[^"]*" id="{noun}-{record.id}-{field}"[^>]*>', page
        )
        return "hx-get=" in display.group(0)

    assert editable(mine, "owner_id") and editable(mine, name_field)
    assert not editable(theirs, "owner_id") and editable(theirs, name_field)
    sign_in(client, "viewer")
    assert not editable(mine, "owner_id") and not editable(mine, name_field)
