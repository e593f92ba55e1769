import re

from crm_web.contacts.services import get_contact, list_contacts
from tests.support import (
    ADMIN,
    HX_REQUEST,
    list_cells,
    list_row,
    make_company,
    make_contact,
    make_deal,
    make_task,
    make_user,
    patch_field,
    post_form,
    sign_in,
)


def test_list_shows_columns_and_phones_readably(client, no_csrf):
    sign_in(client)
    company = make_company(name="Initech")
    make_contact(
        first_name="Ada",
        emails=["ada@example.com", "a2@example.com"],
        phones=["(415) 555-0100"],
        company_id=company.id,
    )
    page = client.get("/contacts/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "+1 415-555-0100" in html and 'href="mailto:ada@example.com"' in html
    assert "Initech" in html and "+1" in html


def test_search_fragment_is_only_the_list_block(client, no_csrf):
    sign_in(client)
    make_contact(last_name="Smith")
    make_contact(last_name="Jones")
    page = client.get("/contacts/?q=smi", headers=HX_REQUEST)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="contact_list"')
    assert "Smith" in html and "Jones" not in html
    assert "HX-Request" in page.headers["Vary"]


def test_create_stores_e164_and_two_emails(client, no_csrf):
    sign_in(client)
    response = post_form(
        client,
        "/contacts/",
        emails=["grace@example.com", "gh@navy.example"],
        phones=["(415) 555-0100", ""],
    )
    assert response.status_code == 303
    contact = list_contacts()[0]
    assert contact.phones == ["+14155550100"]
    assert contact.emails == ["grace@example.com", "gh@navy.example"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "+1 415-555-0100" in page


def test_bad_email_is_refused_beside_the_field_and_nothing_saved(client, no_csrf):
    sign_in(client)
    response = post_form(client, "/contacts/", emails=["not-an-email"])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="err-emails"[^>]*>[^<]*not a valid email', html)
    assert list_contacts() == []


def test_inline_edit_round_trip(client, no_csrf):
    sign_in(client)
    contact = make_contact()
    editor = client.get(f"/contacts/{contact.id}/fields/last_name/edit", headers=HX_REQUEST)
    assert 'name="value"' in editor.get_data(as_text=True)
    saved = patch_field(client, f"/contacts/{contact.id}/fields/last_name", "Byron")
    assert saved.status_code == 200 and "Byron" in saved.get_data(as_text=True)
    assert 'name="value"' not in saved.get_data(as_text=True)
    assert get_contact(contact.id).last_name == "Byron"


def test_inline_bad_value_is_422_with_the_editor_and_saves_nothing(client, no_csrf):
    sign_in(client)
    contact = make_contact(emails=["ada@example.com"])
    response = patch_field(
        client, f"/contacts/{contact.id}/fields/emails", ["ada@example.com", "nope"]
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not a valid email" in html and 'value="nope"' in html
    assert get_contact(contact.id).emails == ["ada@example.com"]


def test_stale_version_shows_both_values_and_overwrite_works(client, no_csrf):
    sign_in(client)
    contact = make_contact()
    from crm_web.contacts.services import update_contact

    update_contact(contact.id, {"last_name": "Theirs"}, ADMIN, expected_version=1)
    response = patch_field(client, f"/contacts/{contact.id}/fields/last_name", "Mine")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Theirs" in html and "Mine" in html and "Overwrite with mine" in html
    assert get_contact(contact.id).last_name == "Theirs"
    current_version = re.search(r'name="version" value="(\d+)"', html).group(1)
    again = client.patch(
        f"/contacts/{contact.id}/fields/last_name",
        data={"value": "Mine", "version": current_version},
        headers=HX_REQUEST,
    )
    assert again.status_code == 200 and get_contact(contact.id).last_name == "Mine"


def test_bulk_archive_is_undoable_and_archived_leave_the_list(client, no_csrf):
    user = sign_in(client, "manager")
    a = make_contact(last_name="Alpha")
    b = make_contact(last_name="Beta")
    response = client.post(
        "/contacts/bulk",
        data={"action": "archive", "ids": [str(a.id), str(b.id)]},
        headers=HX_REQUEST,
    )
    html = response.get_data(as_text=True)
    assert "Archived 2 contacts." in html and "Undo" in html and "Alpha" not in html
    archived = client.get("/contacts/?archived=1").get_data(as_text=True)
    assert "Alpha" in archived and "Beta" in archived and "Restore" in archived
    assert (
        "Alpha"
        not in client.get("/contacts/?q=alpha").get_data(as_text=True).split("contact_list")[1]
    )
    client.post(
        "/contacts/bulk", data={"action": "restore", "ids": [str(a.id)]}, headers=HX_REQUEST
    )
    assert get_contact(a.id).archived_at is None and get_contact(b.id).archived_at is not None
    assert user


def test_rep_cannot_archive_someone_elses_contact_and_nothing_changes(client, no_csrf):
    sign_in(client, "rep")
    mine = make_contact(last_name="Mine")  # owned by nobody (ADMIN actor is not a user)
    response = client.post(
        "/contacts/bulk", data={"action": "archive", "ids": [str(mine.id)]}, headers=HX_REQUEST
    )
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert get_contact(mine.id).archived_at is None


def test_bulk_assign_owner(client, no_csrf):
    sign_in(client, "manager")
    owner = make_user("rep", name="Olive Owner")
    a = make_contact()
    response = client.post(
        "/contacts/bulk",
        data={"action": "assign", "ids": [str(a.id)], "owner_id": str(owner.id)},
        headers=HX_REQUEST,
    )
    assert "Assigned 1 contact." in response.get_data(as_text=True)
    assert get_contact(a.id).owner_id == owner.id


def test_duplicate_warning_links_the_other_contact(client, no_csrf):
    sign_in(client)
    other = make_contact(first_name="Dup", last_name="Licate", phones=["+14155550100"])
    html = client.get(
        "/contacts/duplicates?emails=&phones=(415) 555-0100", headers=HX_REQUEST
    ).get_data(as_text=True)
    assert f"/contacts/{other.id}" in html and "Dup Licate" in html
    # An email matches in any case, as the create form's own check matches it.
    cased = make_contact(first_name="Case", last_name="Less", emails=["case.less@example.com"])
    url = "/contacts/duplicates?emails=Case.Less@Example.com&phones="
    assert f"/contacts/{cased.id}" in client.get(url, headers=HX_REQUEST).get_data(as_text=True)


def test_record_page_shows_company_sections_and_history(client, no_csrf):
    sign_in(client, "manager")
    company = make_company(name="Initech")
    contact = make_contact(company_id=company.id)
    client.patch(
        f"/contacts/{contact.id}/fields/last_name", data={"value": "Byron", "version": "1"}
    )
    html = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    for section in ('id="deals"', 'id="tasks"', 'id="notes"', 'id="history"', "Initech"):
        assert section in html
    assert "Lovelace" in html and "Byron" in html


def test_history_names_who_made_each_change_even_once_they_are_deactivated(client, no_csrf):
    from crm_web.accounts.services import set_active
    from crm_web.contacts.services import update_contact

    former = sign_in(client, name="Fran Former")
    contact = make_contact()
    update_contact(contact.id, {"last_name": "Byron"}, former.as_actor())
    set_active(former.id, False, ADMIN)
    sign_in(client, "manager", name="Mia Manager")
    html = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    history = html[html.index('id="history"') :]
    assert '<span class="history-who">Fran Former</span>' in history
    assert str(former.id) not in history


def test_unknown_contact_is_404(client, no_csrf):
    sign_in(client)
    assert client.get("/contacts/not-a-uuid").status_code == 404
    assert client.get("/contacts/00000000-0000-0000-0000-000000000000").status_code == 404


def test_viewer_cannot_open_an_editor(client, no_csrf):
    sign_in(client, "viewer")
    contact = make_contact()
    assert client.get(f"/contacts/{contact.id}/fields/last_name/edit").status_code == 403


def test_company_filter_shows_a_removable_chip(client, no_csrf):
    sign_in(client)
    acme = make_company(name="Initech")
    make_contact(last_name="Inside", company_id=acme.id)
    make_contact(last_name="Outside")
    html = client.get(f"/contacts/?company={acme.id}").get_data(as_text=True)
    assert "Company: Initech" in html and "Inside" in html and "Outside" not in html


def test_managers_cannot_purge(client, no_csrf):
    from crm_web.contacts.repository import get_contact as find

    sign_in(client, "manager")
    contact = make_contact()
    assert client.post(f"/contacts/{contact.id}/purge").status_code == 403
    assert find(contact.id) is not None


def test_admins_purge_and_the_contact_is_gone(client, no_csrf):
    from crm_web.contacts.repository import get_contact as find

    sign_in(client, "admin")
    contact = make_contact()
    response = client.post(f"/contacts/{contact.id}/purge")
    assert response.status_code == 303 and find(contact.id) is None


def test_archive_from_the_record_page_offers_an_undo_on_the_list(client, no_csrf):
    sign_in(client, "manager")
    contact = make_contact(last_name="Gone")
    response = client.post(f"/contacts/{contact.id}/archive")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Archived 1 contact." in html and 'value="restore"' in html
    assert get_contact(contact.id).archived_at is not None


def test_an_edit_without_a_version_is_refused_and_saves_nothing(client, no_csrf):
    sign_in(client)
    contact = make_contact()
    response = client.patch(
        f"/contacts/{contact.id}/fields/last_name", data={"value": "Blind"}, headers=HX_REQUEST
    )
    assert response.status_code == 422 and "version" in response.get_data(as_text=True)
    assert get_contact(contact.id).last_name == "Lovelace"


def test_list_rows_escape_what_users_typed_live_and_archived(client, no_csrf):
    from crm_web.contacts.services import archive_contact

    sign_in(client, "manager")  # restores anyone's contact: the archived rows have Restore
    company = make_company(name="<i>Evil</i> & Co")
    make_contact(
        first_name='"><script>x()</script>', last_name="<b>Bold</b>", company_id=company.id
    )
    gone = make_contact(first_name="<u>Gone</u>", last_name="O'Neil")
    archive_contact(gone.id, ADMIN)
    live = client.get("/contacts/").get_data(as_text=True)
    archived = client.get("/contacts/?archived=1").get_data(as_text=True)
    assert "<script>x()" not in live and "<b>Bold" not in live and "<i>Evil" not in live
    assert "&lt;b&gt;Bold&lt;/b&gt;" in live and "&lt;i&gt;Evil&lt;/i&gt; &amp; Co" in live
    assert 'aria-label="Select &quot;&gt;&lt;script&gt;' in live
    assert (
        "<u>Gone" not in archived
        and 'aria-label="Restore &lt;u&gt;Gone&lt;/u&gt; O&#x27;Neil"' in archived
    )


def test_the_filter_form_sends_a_sort_only_once_the_user_picked_one(client, no_csrf):
    sign_in(client)
    make_contact(last_name="Smith")
    unpicked = client.get("/contacts/?q=smi").get_data(as_text=True)
    picked = client.get("/contacts/?q=smi&sort=updated&dir=desc").get_data(as_text=True)
    assert '<input type="hidden" name="sort" value="" disabled>' in unpicked
    assert '<input type="hidden" name="sort" value="updated">' in picked
    assert '<input type="hidden" name="dir" value="desc">' in picked


def test_record_pages_list_the_deals_tasks_and_notes_of_the_record(client, no_csrf):
    from crm_web.activities.services import create_note, create_task
    from crm_web.deals.services import archive_deal

    sign_in(client)
    initech = make_company(name="Initech")
    peter = make_contact(first_name="Peter", last_name="Gibbons", company_id=initech.id)
    deal = make_deal(
        title="TPS <reports>",
        company_id=initech.id,
        contact_id=peter.id,
        value="4500",
        currency="EUR",
    )
    gone = make_deal(title="Dropped deal", company_id=initech.id, contact_id=peter.id)
    archive_deal(gone.id, ADMIN)
    make_deal(title="Other company deal")
    create_task(
        {"description": "Call Peter", "entity_type": "contact", "entity_id": peter.id}, ADMIN
    )
    create_note(
        {"content": "Prefers mornings", "entity_type": "contact", "entity_id": peter.id}, ADMIN
    )
    create_note(
        {"content": "Renewal in May", "entity_type": "company", "entity_id": initech.id}, ADMIN
    )

    contact_page = client.get(f"/contacts/{peter.id}").get_data(as_text=True)
    company_page = client.get(f"/companies/{initech.id}").get_data(as_text=True)
    for page in (contact_page, company_page):
        assert f'href="/deals/{deal.id}">TPS &lt;reports&gt;</a>' in page
        assert "Lead · EUR 4,500.00" in page
        assert "Dropped deal" not in page and "Other company deal" not in page
    assert "Call Peter" in contact_page and "Prefers mornings" in contact_page
    assert "Renewal in May" in company_page and "Prefers mornings" not in company_page
    assert "No tasks." in company_page


def test_a_closed_task_is_shown_done_and_an_open_one_is_not(client):
    sign_in(client)
    peter = make_contact(first_name="Peter", last_name="Gibbons")
    make_task("contact", peter.id, description="Send the TPS report", status="closed")
    make_task("contact", peter.id, description="Call Peter")
    html = client.get(f"/contacts/{peter.id}").get_data(as_text=True)
    tasks = {
        re.search(r'task-description"[^>]*>([^<]*)</span>', item).group(1): item
        for item in re.findall(r'<li class="task-item.*?</li>', html, re.S)
    }
    done, still_open = tasks["Send the TPS report"], tasks["Call Peter"]
    assert done.startswith('<li class="task-item task-done"') and "(done)" in done
    assert "task-done" not in still_open and "(done)" not in still_open


def test_a_company_with_many_deals_links_to_all_of_them(client, no_csrf):
    sign_in(client)
    initech = make_company(name="Initech")
    for n in range(21):
        make_deal(title=f"Deal {n:02}", company_id=initech.id)
    page = client.get(f"/companies/{initech.id}").get_data(as_text=True)
    assert len(re.findall(r'href="/deals/[0-9a-f-]{36}"', page)) == 20
    assert f'href="/deals?company_id={initech.id}">All deals</a>' in page


def test_a_company_conflict_names_both_companies(client, no_csrf):
    from crm_web.contacts.services import update_contact

    sign_in(client)
    initech, hooli, globex = (make_company(name=n) for n in ("Initech", "Hooli", "Globex"))
    contact = make_contact(company_id=initech.id)
    update_contact(contact.id, {"company_id": hooli.id}, ADMIN, expected_version=1)
    response = patch_field(client, f"/contacts/{contact.id}/fields/company_id", str(globex.id))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    theirs, yours = re.findall(r"<dd>(.*?)</dd>", html, re.S)
    assert "Hooli" in theirs and yours.strip() == "Globex"
    assert f'name="value" value="{globex.id}"' in html


def test_a_short_search_says_what_it_matched(client, no_csrf):
    sign_in(client)
    make_contact(last_name="Jones")
    short = client.get("/contacts/?q=jo", headers=HX_REQUEST).get_data(as_text=True)
    longer = client.get("/contacts/?q=jon", headers=HX_REQUEST).get_data(as_text=True)
    assert "type 3 characters or more" in short and "Jones" in short
    assert "type 3 characters or more" not in longer and "Jones" in longer


def test_only_the_refused_email_is_marked_invalid(client, no_csrf):
    sign_in(client)
    contact = make_contact(emails=["ada@example.com"])

    def marked(html):
        inputs = re.findall(r"<input[^>]*>", html)
        return {
            re.search(r'value="([^"]*)"', tag).group(1)
            for tag in inputs
            if 'aria-invalid="true"' in tag
        }

    edited = patch_field(
        client, f"/contacts/{contact.id}/fields/emails", ["ada@example.com", "not-an-email"]
    )
    assert edited.status_code == 422
    assert marked(edited.get_data(as_text=True)) == {"not-an-email"}

    created = post_form(client, "/contacts/", emails=["gh@navy.example", "oops@"])
    assert created.status_code == 422
    assert marked(created.get_data(as_text=True)) == {"oops@"}
    assert list_contacts() == [contact]


def test_sort_and_pager_links_keep_a_search_with_any_characters(app):
    """The links are built with urlencode, not url_for (see ListState.url): same URLs."""
    from urllib.parse import parse_qsl, urlsplit

    from flask import url_for
    from werkzeug.datastructures import MultiDict

    from crm_web.contacts.views import SORTABLE
    from crm_web.lists.state import record_list_state

    term = "Zoë & Smith/+1 (415) é%"
    args = {"q": term, "has_phone": "1", "sort": "updated"}
    with app.test_request_context():
        state = record_list_state(args, SORTABLE, path=url_for("contacts.index"))
        for changes in ({}, {"sort": "name", "dir": "desc"}, {"after": "abc"}, {"q": ""}):
            expected = url_for("contacts.index", **state.query_args(**changes))
            assert state.url(**changes) == expected
        back = record_list_state(MultiDict(parse_qsl(urlsplit(state.url()).query)), SORTABLE)
        assert back.filters["q"] == term


def test_an_editor_opened_on_an_out_of_date_page_says_who_changed_the_field_from_what(
    client, no_csrf
):
    from crm_web.contacts.services import update_contact
    from tests.support import make_user

    sign_in(client)
    contact = make_contact(first_name="Ada")
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    edit_url = re.search(r'hx-get="([^"]*/fields/first_name/edit[^"]*)"', page)[1]
    assert "seen=1" in edit_url
    mia = make_user("manager")
    update_contact(contact.id, {"first_name": "Adah"}, mia.as_actor())
    update_contact(contact.id, {"last_name": "Byron"}, mia.as_actor())

    editor = client.get(edit_url.replace("&amp;", "&"), headers=HX_REQUEST).get_data(as_text=True)
    assert re.search(
        r'class="ie-notice" role="status">Changed since you opened this page: Mia Manager '
        r"changed it from “Ada” to “Adah” at \d\d:\d\d\.</p>",
        editor,
    )
    assert 'value="Adah"' in editor
    # A field nobody touched since, or a page that is up to date, gets no notice.
    job = client.get(f"/contacts/{contact.id}/fields/job_title/edit?seen=1", headers=HX_REQUEST)
    assert "ie-notice" not in job.get_data(as_text=True)
    fresh = client.get(f"/contacts/{contact.id}/fields/first_name/edit?seen=3", headers=HX_REQUEST)
    assert "ie-notice" not in fresh.get_data(as_text=True)


def test_the_changed_since_notice_gives_the_time_in_the_users_zone(client, no_csrf):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from crm_web.accounts.services import set_time_zone
    from crm_web.contacts.services import update_contact
    from tests.support import make_user

    user = sign_in(client)
    # UTC+5:45: no other zone shares its minutes.
    set_time_zone({"time_zone": "Asia/Kathmandu"}, user.as_actor())
    contact = make_contact(first_name="Ada")
    kathmandu = ZoneInfo("Asia/Kathmandu")
    before = datetime.now(UTC).astimezone(kathmandu)
    update_contact(contact.id, {"first_name": "Adah"}, make_user("manager").as_actor())
    editor = client.get(
        f"/contacts/{contact.id}/fields/first_name/edit?seen=1", headers=HX_REQUEST
    ).text
    after = datetime.now(UTC).astimezone(kathmandu)
    # The minute of the change in Kathmandu (either one, should it fall at a minute's edge).
    assert re.search(r"to “Adah” at (\d\d:\d\d)\.</p>", editor)[1] in {
        f"{before:%H:%M}",
        f"{after:%H:%M}",
    }


def test_a_list_cell_editor_says_the_company_changed_by_its_names(client, no_csrf):
    from crm_web.contacts.services import update_contact
    from tests.support import make_user

    sign_in(client)
    old, new = make_company(name="Initech"), make_company(name="Initrode")
    contact = make_contact(company_id=old.id)
    listing = client.get("/contacts/").get_data(as_text=True)
    # The URL static/js/inline-edit.js builds for the cell: the table's, the row's id and version.
    base = re.search(r'data-edit-url="([^"]+)"', listing)[1]
    version = re.match(r'<tr data-version="(\d+)">', list_row(listing, contact.id))[1]
    assert "company_id" in list_cells(listing, contact.id)
    edit_url = f"{base}{contact.id}/fields/company_id/edit?compact=1&seen={version}"
    update_contact(contact.id, {"company_id": new.id}, make_user("manager").as_actor())
    editor = client.get(edit_url, headers=HX_REQUEST).get_data(as_text=True)
    assert "Mia Manager changed it from “Initech” to “Initrode”" in editor
