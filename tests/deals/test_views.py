"""Deals list, record (click-to-edit), new-deal form and stage admin, through the test client."""

import base64
import re
from html import unescape
from urllib.parse import quote

from crm_web.activities.models import Task
from crm_web.core.db import db
from crm_web.deals.models import Deal
from crm_web.deals.services import get_deal, update_deal
from crm_web.deals.stages import list_stages
from tests.support import ADMIN, make_company, make_contact, make_deal, patch_field, sign_in

HTMX = {"HX-Request": "true"}


def _count(model):
    return db.session.query(model).count()


def test_list_filters_and_searches_with_a_fragment_for_htmx(client):
    sign_in(client, "rep")
    company = make_company()
    make_deal(company_id=company.id, title="Alpha renewal", stage="Won")
    make_deal(company_id=company.id, title="Beta upsell", stage="Lead")
    full = client.get("/deals?status=open")
    assert "Beta upsell" in full.text and "Alpha renewal" not in full.text
    assert "<html" in full.text
    fragment = client.get("/deals?q=alpha", headers=HTMX)
    assert "<html" not in fragment.text and 'id="deal_list"' in fragment.text
    assert "Alpha renewal" in fragment.text and "Beta upsell" not in fragment.text
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]


def test_new_deal_with_tasks_is_created_in_one_go(client):
    sign_in(client, "rep")
    company = make_company(name="Hooli")
    contact = make_contact(company_id=company.id)
    response = client.post(
        "/deals",
        data={
            "title": "Hooli XYZ",
            "company_id": str(company.id),
            "contact_id": str(contact.id),
            "value": "2500",
            "currency": "EUR",
            "stage": "Qualified",
            "tasks-0-description": "Send proposal",
            "tasks-0-due_date": "2027-01-05",
            "tasks-2-description": "Book demo",
        },
    )
    assert response.status_code == 303
    deal = db.session.query(Deal).one()
    assert (deal.title, deal.currency, deal.probability) == ("Hooli XYZ", "EUR", 25)
    tasks = db.session.query(Task).filter_by(entity_id=deal.id).all()
    assert sorted(t.description for t in tasks) == ["Book demo", "Send proposal"]
    page = client.get(response.headers["Location"])
    assert "Hooli XYZ" in page.text and "Send proposal" in page.text


def test_an_invalid_task_leaves_nothing_behind_and_is_reported_beside_its_field(client):
    sign_in(client, "rep")
    company = make_company()
    response = client.post(
        "/deals",
        data={
            "title": "Doomed",
            "company_id": str(company.id),
            "value": "10",
            "stage": "Lead",
            "tasks-0-description": "Fine task",
            "tasks-1-due_date": "2027-02-01",  # a due date without a description
        },
    )
    assert response.status_code == 422
    assert 'id="tasks-1-description-error"' in response.text
    assert "This field is required." in response.text
    assert 'value="Fine task"' in response.text and 'value="Doomed"' in response.text
    assert _count(Deal) == 0 and _count(Task) == 0


def test_company_is_required_and_contact_must_work_there(client):
    sign_in(client, "rep")
    company, other = make_company(name="One"), make_company(name="Two")
    stranger = make_contact(company_id=other.id, first_name="Sam")
    response = client.post("/deals", data={"title": "X", "value": "1", "stage": "Lead"})
    assert response.status_code == 422 and 'id="company_id-error"' in response.text
    response = client.post(
        "/deals",
        data={
            "title": "X",
            "value": "1",
            "stage": "Lead",
            "company_id": str(company.id),
            "contact_id": str(stranger.id),
        },
    )
    assert response.status_code == 422 and 'id="contact_id-error"' in response.text
    assert _count(Deal) == 0


def test_the_contact_picker_offers_only_the_chosen_company_s_contacts(client):
    sign_in(client, "rep")
    company, other = make_company(name="One"), make_company(name="Two")
    make_contact(company_id=company.id, first_name="Ada", last_name="Here")
    make_contact(company_id=other.id, first_name="Bob", last_name="Elsewhere")
    options = client.get(f"/deals/new/contacts?company_id={company.id}", headers=HTMX).text
    assert "Ada Here" in options and "Bob Elsewhere" not in options


def test_click_to_edit_saves_with_the_version_seen(client):
    sign_in(client, "rep")
    deal = make_deal(title="Old title")
    editor = client.get(f"/deals/{deal.id}/fields/title/edit", headers=HTMX)
    assert 'name="value"' in editor.text and 'value="Old title"' in editor.text
    saved = patch_field(client, f"/deals/{deal.id}/fields/title", "New title")
    assert saved.status_code == 200
    assert "New title" in saved.text and "ie-display" in saved.text
    assert get_deal(deal.id).title == "New title"
    # The page's History card is told to fetch itself again, and then has the change.
    assert saved.headers["HX-Trigger"] == "record-saved"
    sign_in(client, "manager")  # who may read the audit trail (audit.read)
    history = client.get(f"/deals/{deal.id}/history", headers=HTMX).text
    assert re.search(r"<strong>title</strong>\s*from <q>Old title</q> to <q>New title</q>", history)
    page = client.get(f"/deals/{deal.id}").text
    assert 'id="history"' in page and "New title" in page.split('id="history"')[1]


def test_bad_value_re_renders_the_editor_with_the_message(client):
    sign_in(client, "rep")
    deal = make_deal(value="100")
    response = patch_field(client, f"/deals/{deal.id}/fields/value", "lots")
    assert response.status_code == 422
    assert "'lots' is not an amount." in response.text.replace("&#39;", "'")
    assert 'value="lots"' in response.text
    assert get_deal(deal.id).value == 100


def test_a_stale_edit_shows_both_values_and_overwrites_nothing(client):
    sign_in(client, "rep")
    deal = make_deal(title="Original")
    update_deal(deal.id, {"title": "Theirs"}, ADMIN, expected_version=1)
    response = patch_field(client, f"/deals/{deal.id}/fields/title", "Mine")
    assert response.status_code == 409
    assert "Theirs" in response.text and "Mine" in response.text
    assert get_deal(deal.id).title == "Theirs"


def test_unknown_fields_are_not_editable(client):
    sign_in(client, "rep")
    deal = make_deal()
    response = client.patch(f"/deals/{deal.id}/fields/created_by", data={"value": "me"})
    assert response.status_code == 404


def test_stage_admin_is_for_admins_only(client):
    sign_in(client, "manager")
    assert client.get("/admin/stages").status_code == 403


def test_deleting_a_stage_with_deals_asks_where_they_go(client):
    sign_in(client, "admin")
    make_deal(stage="Negotiation")
    stage = next(s for s in list_stages() if s.name == "Negotiation")
    response = client.post(f"/admin/stages/{stage.id}/delete", data={})
    assert response.status_code == 422
    assert "Negotiation has 1 deal: choose a stage to move them to." in response.text
    response = client.post(f"/admin/stages/{stage.id}/delete", data={"move_to": "Proposal"})
    assert response.status_code == 303
    assert "Negotiation" not in [s.name for s in list_stages()]


def test_admin_adds_and_reorders_stages(client):
    sign_in(client, "admin")
    response = client.post("/admin/stages", data={"name": "Demo", "default_probability": "40"})
    assert response.status_code == 303
    bad = client.post("/admin/stages", data={"name": "Demo", "default_probability": "400"})
    assert bad.status_code == 422
    assert (
        "There is already a stage called" in bad.text and "Must be between 0 and 100." in bad.text
    )
    demo = next(s for s in list_stages() if s.name == "Demo")
    client.post(f"/admin/stages/{demo.id}/move", data={"direction": "up"})
    assert [s.name for s in list_stages()][-2:] == ["Demo", "Lost"]


def test_archiving_takes_a_deal_off_the_board_and_restore_brings_it_back(client):
    rep = sign_in(client, "rep")
    deal = make_deal(title="Shelved", owner_id=rep.id)
    response = client.post(f"/deals/{deal.id}/archive", data={"version": "1"})
    assert response.status_code == 303
    assert f'id="deal-{deal.id}"' not in client.get("/deals/board").text
    page = client.get(f"/deals/{deal.id}").text
    assert "This deal is archived" in page and "Restore" in page
    assert client.post(f"/deals/{deal.id}/restore", data={"version": "1"}).status_code == 409
    assert client.post(f"/deals/{deal.id}/restore", data={"version": "2"}).status_code == 303
    assert f'id="deal-{deal.id}"' in client.get("/deals/board").text


def test_reps_archive_only_their_own_deals(client):
    sign_in(client, "rep")
    deal = make_deal(title="Someone else's")
    assert client.post(f"/deals/{deal.id}/archive", data={"version": "1"}).status_code == 403
    assert get_deal(deal.id).archived_at is None


DEAL_LINK = re.compile(r'href="/deals/([0-9a-f-]{36})"')


def _pager_link(html, rel):
    found = re.search(rf'<a href="([^"]*)"[^>]*rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


def test_the_list_pages_by_cursor_links_that_keep_the_sort_and_filters(client):
    sign_in(client, "rep")
    company = make_company()
    for n in range(120):
        make_deal(company_id=company.id, title=f"Deal {n:03d}", stage="Lead")
    make_deal(company_id=company.id, title="Won deal", stage="Won")
    expected = [f"Deal {n:03d}" for n in range(120)]
    titles = {str(d.id): d.title for d in db.session.query(Deal)}

    pages, url = [], "/deals?sort=title&status=open"
    while url:
        html = client.get(url, headers=HTMX if pages else {}).text
        pages.append([titles[i] for i in DEAL_LINK.findall(html)])
        url = _pager_link(html, "next")
        if url:
            assert "after=" in url and "sort=title" in url and "status=open" in url
            assert "page=" not in url
    assert [t for p in pages for t in p] == expected
    assert [len(p) for p in pages] == [50, 50, 20]
    assert "« First" in html and "Last »" not in html

    back, url = [], _pager_link(html, "prev")
    while url:
        assert "before=" in url
        html = client.get(url, headers=HTMX).text
        assert "<html" not in html and 'id="deal_list"' in html  # the block swap
        back.append([titles[i] for i in DEAL_LINK.findall(html)])
        url = _pager_link(html, "prev")
    assert back == pages[-2::-1]

    last = client.get("/deals?sort=title&status=open&last=1").text
    assert [titles[i] for i in DEAL_LINK.findall(last)] == expected[-50:]
    assert _pager_link(last, "next") is None and _pager_link(last, "prev")


def test_a_tampered_cursor_or_sort_shows_the_first_page(client):
    from crm_web.lists.keyset import encode_cursor

    sign_in(client, "rep")
    company = make_company()
    for n in range(60):
        make_deal(company_id=company.id, title=f"Deal {n:03d}", close_date="2026-05-01")
    some_id = DEAL_LINK.findall(client.get("/deals").text)[3]
    garbage = ["garbage", "%00", "W1tbWw", base64.urlsafe_b64encode(b"[" * 3000).decode()]
    # Cursors of the right shape whose values PostgreSQL (or the decoder) would refuse.
    tampered = {
        "title": [["Deal 010\x00", some_id], ["Deal 010", 42]],
        "value": [["1e999999", some_id], ["NaN", some_id], ["100", [some_id]]],
        "close_date": [[False, "10000-01-01", some_id], [False, "2026-05-01", None]],
        "stage": [[2**40, "Deal 010", some_id], [1, "Deal 010", "not-an-id"]],
        "created": [["2026-01-01T00:00:00+25:00", some_id], [1e300, some_id]],
    }
    for sort, values in tampered.items():
        expected = DEAL_LINK.findall(client.get(f"/deals?sort={sort}").text)
        assert len(expected) == 50
        for cursor in garbage + [encode_cursor(v) for v in values]:
            for param in ("after", "before"):
                response = client.get(f"/deals?sort={sort}&{param}={quote(cursor)}")
                assert response.status_code == 200, (sort, param, cursor)
                assert DEAL_LINK.findall(response.text) == expected, (sort, param, cursor)
    response = client.get("/deals?sort=drop+table&after=garbage&before=junk")
    assert response.status_code == 200
    assert DEAL_LINK.findall(response.text) == DEAL_LINK.findall(client.get("/deals").text)


def test_company_fields_search_every_company_and_show_the_chosen_one_by_name(client):
    """A picker, not a list of the newest 500: any company can be chosen, at any scale."""
    sign_in(client, "rep")
    oldest = make_company(name="Aardvark Oldest Ltd")
    hooli = make_company(name="Hooli")
    deal = make_deal(company_id=hooli.id, title="Hooli box")

    found = client.get("/companies/picker?company_q=aardvark&required=1").text
    assert f'data-value="{oldest.id}"' in found and "No company" not in found

    editor = client.get(f"/deals/{deal.id}/fields/company_id/edit").text
    assert f'name="value" value="{hooli.id}"' in editor and 'value="Hooli"' in editor
    assert "<option" not in editor

    refused = client.post(
        "/deals", data={"title": "New", "company_id": str(oldest.id), "value": "x"}
    )
    assert refused.status_code == 422
    assert f'name="company_id" value="{oldest.id}"' in refused.text
    assert 'value="Aardvark Oldest Ltd"' in refused.text

    listed = client.get(f"/deals?company_id={hooli.id}").text
    assert 'value="Hooli"' in listed and "Hooli box" in listed


def test_the_record_links_to_its_company_and_contact(client):
    sign_in(client, "rep")
    hooli = make_company(name="Hooli")
    gavin = make_contact(company_id=hooli.id, first_name="Gavin", last_name="Belson")
    deal = make_deal(company_id=hooli.id, contact_id=gavin.id)
    page = client.get(f"/deals/{deal.id}").text
    assert f'<a href="/companies/{hooli.id}">Hooli</a>' in page
    assert f'<a href="/contacts/{gavin.id}">Gavin Belson</a>' in page


MISSING_VERSION = "This edit is missing the version it changes; reload the page."


def test_a_field_edit_without_its_version_is_refused_and_changes_nothing(client):
    sign_in(client, "rep")
    deal = make_deal(title="Kept")
    for data in ({"value": "Blind"}, {"value": "Blind", "version": ""}):
        response = client.patch(f"/deals/{deal.id}/fields/title", data=data, headers=HTMX)
        assert response.status_code == 422
        assert MISSING_VERSION in unescape(response.text)
        assert 'value="Blind"' in response.text  # the editor again, with what was typed
    db.session.expire_all()
    assert (get_deal(deal.id).title, get_deal(deal.id).version) == ("Kept", 1)


def test_a_board_move_or_archive_without_the_version_is_refused(client):
    rep = sign_in(client, "rep")
    deal = make_deal(title="Mover", stage="Lead", owner_id=rep.id)
    moved = client.post(f"/deals/{deal.id}/stage", data={"stage": "Won"}, headers=HTMX)
    assert moved.status_code == 422 and MISSING_VERSION in unescape(moved.text)
    assert client.post(f"/deals/{deal.id}/archive", data={}).status_code == 422
    db.session.expire_all()
    assert get_deal(deal.id).stage == "Lead" and get_deal(deal.id).archived_at is None


def test_archived_deals_are_listed_with_the_archived_filter_and_restored_from_it(client):
    rep = sign_in(client, "rep")
    company = make_company()
    deal = make_deal(company_id=company.id, title="Shelved", owner_id=rep.id, value="700")
    make_deal(company_id=company.id, title="Live one")
    assert client.post(f"/deals/{deal.id}/archive", data={"version": "1"}).status_code == 303
    assert ">Shelved</a>" not in client.get("/deals").text
    board = client.get("/deals/board").text
    assert "Shelved" not in board and "USD 700.00" not in board  # nor in the totals

    archived = client.get("/deals?archived=1").text
    assert "Shelved" in archived and "Live one" not in archived
    assert "1 archived deal" in archived and 'aria-label="Restore Shelved"' in archived

    response = client.post(
        f"/deals/{deal.id}/restore",
        data={"version": "2", "from": "list", "archived": "1"},
        headers=HTMX,
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert "Restored Shelved." in response.text and 'id="deal_list"' in response.text
    assert ">Shelved</a>" not in response.text  # the archived list, without it
    assert get_deal(deal.id).archived_at is None
    assert "Shelved" in client.get("/deals/board").text

    # Without HTMX: back to the same list (303), which says what happened.
    client.post(f"/deals/{deal.id}/archive", data={"version": "3"})
    plain = client.post(
        f"/deals/{deal.id}/restore", data={"version": "4", "from": "list", "archived": "1"}
    )
    assert plain.status_code == 303 and "/deals?archived=1" in plain.headers["Location"]
    assert "Restored Shelved." in client.get(plain.headers["Location"]).text


def test_admins_purge_a_deal_for_good_and_others_are_refused(client):
    deal = make_deal(title="Doomed")
    sign_in(client, "manager", email="manager@example.com")
    assert client.post(f"/deals/{deal.id}/purge").status_code == 403
    assert get_deal(deal.id).title == "Doomed"
    sign_in(client, "admin", email="admin@example.com")
    page = client.get(f"/deals/{deal.id}").text
    assert "Delete for good" not in page  # only an archived deal offers it
    client.post(f"/deals/{deal.id}/archive", data={"version": "1"})
    assert "Delete for good" in client.get(f"/deals/{deal.id}").text
    response = client.post(f"/deals/{deal.id}/purge")
    assert response.status_code == 303 and response.headers["Location"].endswith("archived=1")
    db.session.expire_all()
    assert db.session.get(Deal, deal.id) is None


def test_every_deals_page_and_fragment_varies_on_hx_request(client):
    sign_in(client, "rep")
    company = make_company()
    deal = make_deal(company_id=company.id, stage="Lead")
    for n in range(30):
        make_deal(company_id=company.id, title=f"Card {n:02d}", stage="Lead")
    lead = next(s for s in list_stages() if s.name == "Lead")
    column = re.search(
        r'hx-get="([^"]*/deals/board/columns/[^"]+)"', client.get("/deals/board").text
    )
    responses = {
        "list": client.get("/deals?q=card", headers=HTMX),
        "column": client.get(unescape(column.group(1)), headers=HTMX),
        "editor": client.get(f"/deals/{deal.id}/fields/title/edit", headers=HTMX),
        "display": client.get(f"/deals/{deal.id}/fields/title", headers=HTMX),
        "move": client.post(
            f"/deals/{deal.id}/stage", data={"stage": "Won", "version": "1"}, headers=HTMX
        ),
        "contacts": client.get(f"/deals/new/contacts?company_id={company.id}", headers=HTMX),
        "print": client.get("/deals/board/print"),
        "empty column": client.get(f"/deals/board/columns/{lead.id}", headers=HTMX),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert "HX-Request" in response.headers.get("Vary", ""), name


def test_the_list_sorts_by_its_headers_either_way(client):
    sign_in(client, "rep")
    company = make_company()
    for title, value in (("Small", "10"), ("Big", "900"), ("Middle", "300")):
        make_deal(company_id=company.id, title=title, value=value)
    titles = {str(d.id): d.title for d in db.session.query(Deal)}
    html = client.get("/deals?sort=value").text  # largest first unless the user flips it
    assert [titles[i] for i in DEAL_LINK.findall(html)] == ["Big", "Middle", "Small"]
    assert 'aria-sort="descending"' in html
    flipped = unescape(re.search(r'href="([^"]*sort=value[^"]*dir=asc[^"]*)"', html).group(1))
    html = client.get(flipped, headers=HTMX).text
    assert [titles[i] for i in DEAL_LINK.findall(html)] == ["Small", "Middle", "Big"]


def test_a_deal_editor_on_an_out_of_date_page_says_who_changed_the_stage_from_what(client):
    from tests.support import make_user

    sign_in(client)
    deal = make_deal(title="TPS reports")
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    edit_url = unescape(re.search(r'hx-get="([^"]*/fields/stage/edit[^"]*)"', page)[1])
    assert "seen=1" in edit_url
    update_deal(deal.id, {"stage": "Qualified"}, make_user("manager").as_actor())

    editor = client.get(edit_url, headers=HTMX).get_data(as_text=True)
    assert "Mia Manager changed it from “Lead” to “Qualified” at " in editor
    title = client.get(f"/deals/{deal.id}/fields/title/edit?seen=1", headers=HTMX)
    assert "ie-notice" not in title.get_data(as_text=True)
