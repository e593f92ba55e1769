"""Undoing a duplicates merge (issue 14): from the survivor's or a merged contact's timeline,
one transaction gives both contacts back as they were (fields, emails, phones, custom values,
deals, tasks and notes), audited; refused when undone already or when something it would
overwrite changed since; the same rights as merging."""

from __future__ import annotations

import pytest

from crm_web.activities.services import notes_for, tasks_for, update_task
from crm_web.audit.models import AuditLog
from crm_web.contacts.services import get_contact, update_contact
from crm_web.core.db import db
from crm_web.core.errors import NotFoundError, PermissionDenied
from crm_web.deals.services import get_deal, get_deals_by_contact
from crm_web.records import merge, merge_undo
from crm_web.records.merge_undo import UndoRefused
from tests.custom_fields.support import define
from tests.support import (
    ADMIN,
    make_company,
    make_contact,
    make_deal,
    make_note,
    make_task,
    make_user,
    sign_in,
)


def _state(contact_id) -> dict:
    """What a user sees of a contact: its fields, and where its deals, tasks and notes are."""
    contact = get_contact(contact_id)
    return {
        "fields": {
            name: getattr(contact, name)
            for name in (*merge.MERGE_FIELDS, "emails", "phones", "custom_fields")
        },
        "archived": contact.archived_at is not None,
        "merged_into": contact.merged_into_id,
        "deals": sorted(d.title for d in get_deals_by_contact(contact_id)),
        "tasks": sorted(t.description for t in tasks_for("contact", contact_id)),
        "notes": sorted(n.content for n in notes_for("contact", contact_id)),
    }


def _pair(by=ADMIN):
    define("contact", "Tier", "text")
    acme = make_company(name="Undo Engines")
    own = make_company(name="Ada's Own Co")
    ada = make_contact(by, company_id=own.id, emails=["ada@undo.example"], phones=["+14155550170"])
    twin = make_contact(
        by,
        first_name="Augusta",
        last_name="King",
        job_title="Countess",
        company_id=acme.id,
        emails=["ADA@undo.example", "countess@undo.example"],
        phones=["+14155550171"],
        custom_fields={"tier": "gold"},
    )
    make_deal(by, title="Ada's own deal", company_id=own.id, contact_id=ada.id)
    make_deal(by, title="Difference engine", company_id=acme.id, contact_id=twin.id)
    make_task("contact", twin.id, by, description="Send the notes on the engine")
    make_task("contact", ada.id, by, description="Ada's own task")
    make_note("contact", twin.id, by, content="Translated Menabrea")
    return ada, twin


def _merge(ada, twin, actor=ADMIN):
    choices = {"job_title": twin.id, "company_id": twin.id}
    versions = {str(c.id): c.version for c in (ada, twin)}
    merge.merge_contacts(ada.id, [twin.id], choices, versions, actor)
    entry = (
        db.session.query(AuditLog)
        .filter(AuditLog.entity_id == twin.id)
        .order_by(AuditLog.seq.desc())[0]
    )
    return entry.via.removeprefix(merge.MERGE_VIA)


def test_undo_gives_both_contacts_back_exactly_as_they_were(session):
    ada, twin = _pair()
    before = (_state(ada.id), _state(twin.id))
    merge_id = _merge(ada, twin)
    merged = _state(ada.id)
    assert merged["deals"] == ["Ada's own deal", "Difference engine"]
    assert "countess@undo.example" in merged["fields"]["emails"]
    assert merged["fields"]["custom_fields"] == {"tier": "gold"}

    merge_undo.undo_merge(merge_id, ADMIN)

    assert (_state(ada.id), _state(twin.id)) == before
    # The undo is audited under its own tag, naming who did it.
    undo_rows = db.session.query(AuditLog).filter(AuditLog.via == f"undo:merge:{merge_id}").all()
    assert {row.entity_type for row in undo_rows} == {"contact", "deal", "task", "note"}
    assert {row.user_id for row in undo_rows} == {ADMIN.id}


def test_a_repeated_undo_is_refused_and_changes_nothing(session):
    ada, twin = _pair()
    merge_id = _merge(ada, twin)
    merge_undo.undo_merge(merge_id, ADMIN)
    after_undo = (_state(ada.id), _state(twin.id))
    with pytest.raises(UndoRefused) as refused:
        merge_undo.undo_merge(merge_id, ADMIN)
    assert refused.value.undone["when"] is not None
    assert (_state(ada.id), _state(twin.id)) == after_undo


def test_a_forged_merge_id_is_not_found(client, session, no_csrf):
    with pytest.raises(NotFoundError):
        merge_undo.undo_merge("6f1c0d3e-0000-4000-8000-000000000000", ADMIN)
    sign_in(client, "manager")
    for forged in ("6f1c0d3e-0000-4000-8000-000000000000", "not-a-merge"):
        assert client.post(f"/duplicates/merges/{forged}/undo").status_code == 404


def test_undo_is_refused_saying_what_changed_since(session):
    ada, twin = _pair()
    merge_id = _merge(ada, twin)
    update_contact(ada.id, {"job_title": "Analyst"}, ADMIN)
    task = tasks_for("contact", ada.id)[0]
    update_task(task.id, {"entity_type": "contact", "entity_id": str(make_contact().id)}, ADMIN)
    merged = _state(ada.id)
    with pytest.raises(UndoRefused) as refused:
        merge_undo.undo_merge(merge_id, ADMIN)
    changed = {(c["type"], c["what"]) for c in refused.value.changed}
    assert ("contact", "job_title") in changed and ("task", "moved") in changed
    assert _state(ada.id) == merged and get_contact(twin.id).archived_at is not None


def test_a_viewer_or_a_rep_without_rights_on_every_contact_gets_403(client, session, no_csrf):
    owner = make_user("rep").as_actor()
    ada, twin = _pair(owner)
    merge_id = _merge(ada, twin, owner)
    for actor in (make_user("viewer").as_actor(), make_user("rep").as_actor()):
        with pytest.raises(PermissionDenied):
            merge_undo.undo_merge(merge_id, actor)
    sign_in(client, "rep")
    refused = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert refused.status_code == 403
    assert get_contact(twin.id).archived_at is not None
    # The owner may, as they could merge them.
    merge_undo.undo_merge(merge_id, owner)
    assert get_contact(twin.id).archived_at is None


def test_a_failure_midway_leaves_the_merge_in_place(session, monkeypatch):
    ada, twin = _pair()
    merge_id = _merge(ada, twin)
    merged = (_state(ada.id), _state(twin.id))

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    # Contacts and deals are back by the time the tasks and notes move: then it fails.
    monkeypatch.setattr(merge_undo, "set_activity_records", broken)
    with pytest.raises(RuntimeError):
        merge_undo.undo_merge(merge_id, ADMIN)
    db.session.expire_all()
    assert (_state(ada.id), _state(twin.id)) == merged
    deal = next(d for d in get_deals_by_contact(ada.id) if d.title == "Difference engine")
    assert get_deal(deal.id).contact_id == ada.id
    undo_rows = db.session.query(AuditLog).filter(AuditLog.via == f"undo:merge:{merge_id}")
    assert undo_rows.count() == 0


def _timeline(client, contact_id) -> str:
    return client.get(f"/contacts/{contact_id}/history").get_data(as_text=True)


def test_the_merges_timeline_entries_name_the_contacts_and_offer_undo_to_who_may(
    client, session, no_csrf
):
    ada, twin = _pair()
    merge_id = _merge(ada, twin)
    undo_url = f"/duplicates/merges/{merge_id}/undo"
    sign_in(client, "manager")
    kept = _timeline(client, ada.id)
    assert f'merged <a href="/contacts/{twin.id}">Augusta King</a> into this contact' in kept
    assert undo_url in kept and "Undo this merge" in kept
    # The merge's own field changes name the companies, linked, instead of their ids.
    assert '<a href="/companies/' in kept and "Undo Engines</a>" in kept
    assert str(twin.company_id) not in kept.replace(f"/companies/{twin.company_id}", "")
    # A moved task says where it came from.
    assert (
        f'from the contact <a href="/contacts/{twin.id}">Augusta King</a>' in kept
        and "Send the notes on the engine" in kept
    )
    gone = _timeline(client, twin.id)
    assert f'merged this contact into <a href="/contacts/{ada.id}">Ada Lovelace</a>' in gone
    assert undo_url in gone
    # A viewer sees the merge on both, with no button.
    sign_in(client, "viewer")
    for page in (_timeline(client, ada.id), _timeline(client, twin.id)):
        assert "Augusta King</a> into this contact" in page or "this contact into <a" in page
        assert "Undo this merge" not in page


def test_undo_from_the_timeline_then_again_is_refused_with_409_saying_so(client, session, no_csrf):
    ada, twin = _pair()
    merge_id = _merge(ada, twin)
    sign_in(client, "manager")
    done = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/contacts/{ada.id}")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Undid the merge: Augusta King and Ada Lovelace are back as they were." in page
    kept = _timeline(client, ada.id)
    assert "Undone" in kept and "Undo this merge" not in kept
    assert "undid the merge of" in kept
    again = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert again.status_code == 409
    assert "It was undone already" in again.get_data(as_text=True)


def test_undo_after_a_change_is_refused_with_409_naming_it(client, session, no_csrf):
    ada, twin = _pair()
    merge_id = _merge(ada, twin)
    update_contact(ada.id, {"job_title": "Analyst"}, ADMIN)
    sign_in(client, "manager")
    refused = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert f'<a href="/contacts/{ada.id}">Ada Lovelace</a>’s job title is now “Analyst”' in html
    assert get_contact(twin.id).archived_at is not None


def test_an_undo_posted_without_the_csrf_token_is_refused_and_changes_nothing(client, session):
    ada, twin = _pair()
    merge_id = _merge(ada, twin)
    sign_in(client, "manager")
    forged = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert forged.status_code == 403
    assert get_contact(twin.id).archived_at is not None
