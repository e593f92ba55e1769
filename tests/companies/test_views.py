import re

from crm_web.companies.services import get_company
from tests.support import (
    ADMIN,
    HX_REQUEST,
    list_cells,
    list_row,
    make_company,
    make_contact,
    patch_field,
    sign_in,
)


def test_list_shows_city_country_and_number_of_contacts(app, client):
    sign_in(client)
    acme = make_company(name="Acme", address={"city": "Paris", "country": "FR"})
    make_contact(company_id=acme.id)
    make_contact(company_id=acme.id)
    html = client.get("/companies/").get_data(as_text=True)
    assert "Paris" in html and "FR" in html
    assert re.search(r"company=" + str(acme.id) + r'">2</a>', html)


def test_search_and_sort_by_city(app, client):
    sign_in(client)
    make_company(name="Zed", address={"city": "Amsterdam"})
    make_company(name="Alpha", address={"city": "Zurich"})
    make_company(name="Other")
    html = client.get("/companies/?sort=city", headers=HX_REQUEST).get_data(as_text=True)
    assert html.index("Zed") < html.index("Alpha") < html.index("Other")
    html = client.get("/companies/?q=ALP", headers=HX_REQUEST).get_data(as_text=True)
    assert "Alpha" in html and "Zed" not in html


def test_address_part_edited_inline_keeps_the_other_parts(app, client, no_csrf):
    sign_in(client, "manager")  # who may read the History card (audit.read)
    acme = make_company(name="Acme", address={"city": "Paris", "country": "FR"})
    response = patch_field(client, f"/companies/{acme.id}/fields/city", "Lyon")
    assert response.status_code == 200 and "Lyon" in response.get_data(as_text=True)
    assert get_company(acme.id).address == {"city": "Lyon", "country": "FR"}
    # A save tells the record page to fetch its History card again, which has the change.
    assert response.headers["HX-Trigger"] == "record-saved"
    history = client.get(f"/companies/{acme.id}/history", headers=HX_REQUEST).get_data(as_text=True)
    assert re.search(r"<strong>city</strong>\s*from <q>Paris</q> to <q>Lyon</q>", history)
    stale = patch_field(client, f"/companies/{acme.id}/fields/name", "Mine")
    assert stale.status_code == 409 and "Acme" in stale.get_data(as_text=True)
    assert "HX-Trigger" not in stale.headers
    blank = patch_field(client, f"/companies/{acme.id}/fields/name", " ", 2)
    assert blank.status_code == 422 and "required" in blank.get_data(as_text=True)
    assert get_company(acme.id).name == "Acme"


def test_record_page_lists_its_contacts_and_history(app, client):
    sign_in(client, "manager")
    acme = make_company(name="Acme")
    make_contact(first_name="Zoe", last_name="Zed", company_id=acme.id)
    html = client.get(f"/companies/{acme.id}").get_data(as_text=True)
    assert "Zoe Zed" in html and 'id="history"' in html and "created this record" in html


def test_picker_finds_companies_by_part_of_the_name(app, client):
    sign_in(client)
    make_company(name="Initech")
    make_company(name="Globex")
    html = client.get("/companies/picker?company_q=tech", headers=HX_REQUEST).get_data(as_text=True)
    assert "Initech" in html and "Globex" not in html


def test_archive_requires_owner_or_manager_and_restore_brings_it_back(app, client, no_csrf):
    sign_in(client, "manager")
    acme = make_company(name="Acme", by=ADMIN)
    client.post(f"/companies/{acme.id}/archive")
    assert get_company(acme.id).archived_at is not None
    html = client.get("/companies/").get_data(as_text=True)
    assert "Archived 1 company." in html and "Undo" in html
    assert "Acme" in client.get("/companies/?archived=1").get_data(as_text=True)
    client.post("/companies/bulk", data={"one": str(acme.id)})
    assert get_company(acme.id).archived_at is None


def test_list_rows_escape_what_users_typed_live_and_archived(app, client):
    from crm_web.companies.services import archive_company

    sign_in(client, "admin")
    make_company(name="<b>Bold</b> & Sons", address={"city": "<i>Paris</i>"})
    gone = make_company(name='"><script>x()</script>')
    archive_company(gone.id, ADMIN)
    live = client.get("/companies/").get_data(as_text=True)
    archived = client.get("/companies/?archived=1").get_data(as_text=True)
    assert "<b>Bold" not in live and "<i>Paris" not in live
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Sons" in live and "&lt;i&gt;Paris&lt;/i&gt;" in live
    assert "<script>x()" not in archived
    assert 'aria-label="Restore &quot;&gt;&lt;script&gt;x()&lt;/script&gt;"' in archived


def test_an_address_part_editor_on_an_out_of_date_page_says_who_changed_it_from_what(
    client, no_csrf
):
    from crm_web.companies.services import update_company
    from tests.support import make_user

    sign_in(client)
    company = make_company(name="Initech", address={"city": "Austin"})
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    edit_url = re.search(r'hx-get="([^"]*/fields/city/edit[^"]*)"', page)[1]
    mia = make_user("manager").as_actor()
    update_company(company.id, {"address": {"city": "Dallas"}}, mia)
    update_company(company.id, {"name": "Initech Inc"}, mia)

    editor = client.get(edit_url.replace("&amp;", "&"), headers=HX_REQUEST).get_data(as_text=True)
    assert "Mia Manager changed it from “Austin” to “Dallas” at " in editor
    street = client.get(f"/companies/{company.id}/fields/street/edit?seen=1", headers=HX_REQUEST)
    assert "ie-notice" not in street.get_data(as_text=True)
    # A list row carries its version, which its cells' editors send as seen=.
    listing = client.get("/companies/").get_data(as_text=True)
    assert list_row(listing, company.id).startswith('<tr data-version="3">')
    assert list_cells(listing, company.id)["city"] == "Dallas"


def test_a_record_page_offers_adding_a_contact_or_deal_only_to_who_may_create(client):
    acme = make_company(name="Acme")
    ada = make_contact(first_name="Ada", company_id=acme.id)
    sign_in(client, "viewer")
    for html in (client.get(f"/companies/{acme.id}").text, client.get(f"/contacts/{ada.id}").text):
        assert "Add a contact" not in html and "Add a deal" not in html
    sign_in(client, "rep")
    company_page = client.get(f"/companies/{acme.id}").text
    assert f'href="/contacts/new?company_id={acme.id}">Add a contact' in company_page
    assert f'href="/deals/new?company_id={acme.id}">Add a deal' in company_page
    # From the contact's page, the new deal starts with its company and the contact chosen.
    link = re.search(r'href="([^"]+)">Add a deal', client.get(f"/contacts/{ada.id}").text)
    form = client.get(link.group(1).replace("&amp;", "&")).text
    assert re.search(rf'<option value="{ada.id}" selected>Ada Lovelace</option>', form)
    assert f'value="{acme.id}"' in form
