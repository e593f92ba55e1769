"""Duplicate detection and merging (issue 14): /duplicates lists likely pairs found in the
background, best first; "Not a duplicate" is remembered; a merge keeps everything on one
contact and archives the other pointing to it."""

import sqlalchemy as sa

from crm_web.activities.services import notes_for, tasks_for
from crm_web.contacts import duplicate_pairs as dp
from crm_web.contacts.services import get_contact, update_contact
from crm_web.core.db import db
from crm_web.deals.services import get_deal
from tests.support import (
    ADMIN,
    make_company,
    make_contact,
    make_duplicate_twins,
    make_user,
    sign_in,
)


def _pairs_among(*contacts):
    ids = {c.id for c in contacts}
    return [
        (p["a"].id, p["b"].id, p["reasons"])
        for p in dp.open_pairs(ADMIN, limit=10_000)
        if p["a"].id in ids and p["b"].id in ids
    ]


def _key(one, other):
    return tuple(sorted((one.id, other.id)))


def test_the_scan_finds_shared_emails_phones_and_similar_names_best_first(session):
    globex = make_company(name="Globex Duplicates")
    ada = make_contact(emails=["ada@dup.example"], phones=["+14155550123"])
    twin = make_contact(first_name="Ada", last_name="King", emails=["ADA@dup.example"])
    phone = make_contact(first_name="Al", last_name="Other", phones=["+14155550123"])
    jon = make_contact(first_name="Jonathan", last_name="Smith", company_id=globex.id)
    john = make_contact(first_name="Jonathon", last_name="Smith", company_id=globex.id)
    elsewhere = make_contact(first_name="Jonathan", last_name="Smith")
    stranger = make_contact(first_name="Zed", last_name="Nobody", emails=["zed@dup.example"])
    dp.scan_all()
    found = _pairs_among(ada, twin, phone, jon, john, elsewhere, stranger)
    assert [(a, b) for a, b, _ in found] == [_key(ada, twin), _key(ada, phone), _key(jon, john)]
    assert [reasons for *_, reasons in found] == [["email"], ["phone"], ["name"]]


def test_a_change_is_rechecked_and_a_dismissal_is_remembered(session):
    ada = make_contact(emails=["ada@recheck.example"])
    bob = make_contact(first_name="Bob", last_name="Jones", emails=["bob@recheck.example"])
    dp.recheck_queued()
    assert _pairs_among(ada, bob) == []
    # The edit queues Bob (a trigger, same transaction); the job finds the pair.
    update_contact(bob.id, {"emails": ["bob@recheck.example", "ada@recheck.example"]}, ADMIN)
    queued = db.session.scalar(
        sa.text("SELECT count(*) FROM duplicate_rechecks WHERE contact_id = :id"), {"id": bob.id}
    )
    assert queued == 1
    dp.recheck_queued()
    assert _pairs_among(ada, bob) == [(*_key(ada, bob), ["email"])]
    dp.dismiss_pair(bob.id, ada.id, ADMIN)
    dp.scan_all()
    dp.recheck([ada.id, bob.id])
    assert _pairs_among(ada, bob) == []


def test_the_duplicates_page_lists_a_pair_and_not_a_duplicate_removes_it(client, no_csrf):
    sign_in(client, "rep")
    ada = make_contact(emails=["ada@page.example"])
    twin = make_contact(first_name="Ada", last_name="Byron", emails=["ada@page.example"])
    dp.recheck([twin.id])
    html = client.get("/duplicates/").get_data(as_text=True)
    assert f'href="/contacts/{ada.id}">Ada Lovelace</a>' in html
    assert f'href="/contacts/{twin.id}">Ada Byron</a>' in html and "Same email" in html
    a, b = _key(ada, twin)
    gone = client.post("/duplicates/dismiss", data={"a": a, "b": b}, headers={"HX-Request": "1"})
    assert gone.status_code == 200 and gone.get_data(as_text=True) == ""
    assert "Ada Byron" not in client.get("/duplicates/").get_data(as_text=True)


def _merge_form(survivor, other, **choices):
    form = {
        "ids": [str(survivor.id), str(other.id)],
        "survivor": str(survivor.id),
        f"version_{survivor.id}": str(survivor.version),
        f"version_{other.id}": str(other.version),
    }
    form.update({f"choose_{field}": str(c.id) for field, c in choices.items()})
    return form


def test_a_manager_merges_two_contacts_keeping_everything_on_the_survivor(client, no_csrf):
    sign_in(client, "manager")
    ada, twin, acme, deal = make_duplicate_twins()
    page = client.get(f"/duplicates/merge?ids={ada.id}&ids={twin.id}").get_data(as_text=True)
    assert "Countess" in page and "1 deal, 1 task, 1 note" in page
    form = _merge_form(ada, twin, job_title=twin, company_id=twin)
    done = client.post("/duplicates/merge", data=form)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/contacts/{ada.id}")
    kept, gone = get_contact(ada.id), get_contact(twin.id)
    assert (kept.first_name, kept.job_title, kept.company_id) == ("Ada", "Countess", acme.id)
    assert kept.emails == ["ada@example.com", "countess@example.com"]
    assert kept.phones == ["+14155550100", "+14155550199"]
    assert get_deal(deal.id).contact_id == ada.id
    assert len(tasks_for("contact", ada.id)) == 1
    assert "Merged Augusta King into this contact" in " ".join(
        n.content for n in notes_for("contact", ada.id)
    )
    assert gone.archived_at is not None and gone.merged_into_id == ada.id
    loser_page = client.get(f"/contacts/{twin.id}").get_data(as_text=True)
    assert f'Merged into\n  <a href="/contacts/{ada.id}">Ada Lovelace</a>' in loser_page
    history = client.get(f"/contacts/{ada.id}/history").get_data(as_text=True)
    assert "countess@example.com" in history


def test_a_merge_of_a_contact_changed_since_the_page_is_refused_with_409(client, no_csrf):
    sign_in(client, "manager")
    ada = make_contact(emails=["ada@stale.example"])
    twin = make_contact(first_name="Ada", last_name="Twin", emails=["ada@stale.example"])
    form = _merge_form(ada, twin)
    update_contact(twin.id, {"job_title": "Changed meanwhile"}, ADMIN)
    refused = client.post("/duplicates/merge", data=form)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "changed since this page was shown" in html and "Changed meanwhile" in html
    assert get_contact(twin.id).archived_at is None


def test_a_rep_merges_their_own_contacts_but_not_a_colleagues(client, no_csrf):
    rep = sign_in(client, "rep")
    mine = rep.as_actor()
    colleague = make_user("rep").as_actor()
    one = make_contact(mine, emails=["one@own.example"])
    two = make_contact(mine, first_name="Ada", last_name="Two", emails=["one@own.example"])
    theirs = make_contact(colleague, first_name="Ada", last_name="Three")
    refused = client.post("/duplicates/merge", data=_merge_form(one, theirs))
    assert refused.status_code == 403 and get_contact(theirs.id).archived_at is None
    assert client.post("/duplicates/merge", data=_merge_form(one, two)).status_code == 303
    assert get_contact(two.id).merged_into_id == one.id


def test_a_recheck_run_stops_after_its_time_and_the_next_one_goes_on(session):
    # A worker told to stop waits for the job in hand: an import queues every row it made.
    dp.recheck_queued()
    for n in range(3):
        make_contact(first_name=f"Queued{n}", emails=[f"queued{n}@recheck.example"])
    assert dp.recheck_queued(seconds=0, batch=2) == 2
    assert dp.recheck_queued(seconds=0, batch=2) == 1


def test_asking_for_a_scan_twice_queues_one_and_says_so_both_times(client, session, no_csrf):
    sign_in(client, "admin")
    for _ in range(2):
        asked = client.post("/duplicates/scan")
        assert asked.status_code == 303
        assert "Looking for duplicates" in client.get(asked.location).text


def test_the_comparison_without_a_pair_sends_to_the_list_to_pick_one(client, session):
    sign_in(client, "manager")
    page = client.get("/duplicates/merge", follow_redirects=True)
    assert page.status_code == 200 and "Pick a pair below to compare them." in page.text
