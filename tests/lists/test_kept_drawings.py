"""A list's rows, sort headers and pager are kept drawn by everything they show
(core.display.KeptRows, lists.links): each is drawn once, yet the list always shows the record
as it is now, with the user's own rights, its time as of now, and links to the list as it is."""

import re
from datetime import UTC, datetime, timedelta

from crm_web.activities.display import _kept_row
from crm_web.activities.note_display import _notes
from crm_web.companies.display import _company_rows
from crm_web.core.display import KeptRows
from crm_web.deals.display import _board_cards, _deal_rows
from crm_web.deals.services import archive_deal, update_deal
from crm_web.lists.links import _sort_headers, pager
from tests.support import (
    ADMIN,
    HX_REQUEST,
    list_row,
    make_company,
    make_contact,
    make_deal,
    make_note,
    make_task,
    patch_field,
    sign_in,
)


def _count_cell(html: str, company_id) -> str:
    row = list_row(html, company_id)
    return re.search(r'<td class="num"><a [^>]*>(\d+)</a>', row)[1]


def test_a_row_is_drawn_once_and_shows_what_changed_since(app, client):
    sign_in(client, "admin")
    acme = make_company(name="Acme Kept")
    assert _count_cell(client.get("/companies/").get_data(as_text=True), acme.id) == "0"
    drawn = _company_rows.kept.cache_info().misses
    client.get("/companies/")
    assert _company_rows.kept.cache_info().misses == drawn  # the same row, not drawn again
    # A contact joins: the company itself (its version) did not change, its row does.
    make_contact(company_id=acme.id)
    assert _count_cell(client.get("/companies/").get_data(as_text=True), acme.id) == "1"


def test_a_contact_row_shows_its_company_renamed(app, client, no_csrf):
    sign_in(client, "admin")
    acme = make_company(name="Acme Before")
    ada = make_contact(company_id=acme.id)
    assert "Acme Before" in client.get("/contacts/", headers=HX_REQUEST).get_data(as_text=True)
    assert patch_field(client, f"/companies/{acme.id}/fields/name", "Acme After").status_code == 200
    html = client.get("/contacts/", headers=HX_REQUEST).get_data(as_text=True)
    row = list_row(html, ada.id)
    assert "Acme After" in row and "Acme Before" not in row


def test_the_same_row_shows_each_user_their_own_rights(app, client):
    admin = sign_in(client, "admin")
    acme = make_company(name="Acme Rights", owner_id=admin.id)
    as_admin = list_row(client.get("/companies/").get_data(as_text=True), acme.id)
    assert 'name="ids"' in as_admin and "data-locked" not in as_admin
    sign_in(client, "rep")  # may edit, not reassign an admin's company
    as_rep = list_row(client.get("/companies/").get_data(as_text=True), acme.id)
    assert 'name="ids"' in as_rep and "<td data-locked>" in as_rep
    sign_in(client, "viewer")  # may change nothing: no checkbox, the id on the row
    as_viewer = list_row(client.get("/companies/").get_data(as_text=True), acme.id)
    assert 'name="ids"' not in as_viewer and as_viewer.startswith(f'<tr data-id="{acme.id}"')


def test_a_deal_row_is_drawn_once_with_each_users_rights_and_token(app, client):
    admin = sign_in(client, "admin")
    deal = make_deal(title="Kept Deal", owner_id=admin.id)
    row = re.compile(rf'<tr data-id="{deal.id}".*?</tr>', re.S)
    assert "Kept Deal" in row.search(client.get("/deals").text)[0]
    drawn = _deal_rows.kept.cache_info().misses
    client.get("/deals")
    assert _deal_rows.kept.cache_info().misses == drawn  # the same row, not drawn again
    sign_in(client, "rep")  # may edit the deal, not reassign an admin's
    assert "<td data-locked>" in row.search(client.get("/deals").text)[0]
    # The archived list's Restore posts with the session's own CSRF token, kept row or not.
    archive_deal(deal.id, ADMIN)
    for _ in range(2):
        sign_in(client, "admin")
        page = client.get("/deals?archived=1").text
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page)[1]
        assert f'name="csrf_token" value="{token}"' in row.search(page)[0]


def test_a_board_card_is_drawn_once_and_shows_the_deal_as_it_is_now(app, client):
    admin = sign_in(client, "admin")
    deal = make_deal(title="Kept Card", stage="Lead", owner_id=admin.id)
    card = re.compile(rf'<li class="deal-card" id="deal-{deal.id}".*?</li>', re.S)
    assert "Kept Card" in card.search(client.get("/deals/board").text)[0]
    drawn = _board_cards.kept.cache_info().misses
    client.get("/deals/board")
    assert _board_cards.kept.cache_info().misses == drawn  # the same card, not drawn again
    update_deal(deal.id, {"title": "Renamed Card"}, ADMIN, expected_version=deal.version)
    now = card.search(client.get("/deals/board").text)[0]
    assert "Renamed Card" in now and 'data-version="2"' in now and "Kept Card" not in now


def test_a_kept_row_tells_its_time_as_of_now(app):
    """The time moves with the clock: it is drawn on every page, around the kept row."""
    drawn = []

    def draw(key, page):
        drawn.append(key)
        return f"<tr><td>{key}</td><td>", "</td></tr>"

    rows, now = KeptRows(draw), datetime.now(UTC)
    with app.test_request_context():
        first = rows(["Acme"], [now - timedelta(hours=3)], ())
        later = rows(["Acme"], [now - timedelta(hours=5)], ())
    assert drawn == ["Acme"]
    assert first.startswith("<tr><td>Acme</td><td><time") and ">3 h ago</time>" in first
    assert ">5 h ago</time></td></tr>" in later


def test_the_sort_headers_and_pager_are_drawn_once_per_list_state(app, client):
    sign_in(client, "admin")
    for n in range(51):
        make_company(name=f"Kept Links {n:02}")
    client.get("/companies/?q=kept")
    headers, pages = _sort_headers.cache_info().misses, pager.cache_info().misses
    html = client.get("/companies/?q=kept").get_data(as_text=True)
    assert (_sort_headers.cache_info().misses, pager.cache_info().misses) == (headers, pages)
    assert 'href="/companies/?q=kept&amp;sort=owner&amp;dir=asc"' in html
    assert 'rel="next">Next ›</a>' in html
    # Another search: links to that list, and no next page of 51 matches.
    html = client.get("/companies/?q=links+50").get_data(as_text=True)
    assert 'href="/companies/?q=links+50&amp;sort=owner&amp;dir=asc"' in html
    assert "Next ›" not in html


def test_a_list_filters_are_drawn_once_per_state_and_show_it(app, client):
    rita = sign_in(client, "rep", name="Rita Kept")
    checked = '<input type="checkbox" name="archived" value="1" checked>'
    assert checked in client.get("/companies/?archived=1").text
    drawings = app.extensions["kept_drawings"]["companies/_filters.html", "filters"]
    drawn = drawings.cache_info().misses
    html = client.get("/companies/").text
    assert checked not in html and f'<option value="{rita.id}">Rita Kept</option>' in html
    assert drawings.cache_info().misses == drawn + 1
    client.get("/companies/")
    assert drawings.cache_info().misses == drawn + 1  # the same list: its filters kept
    html = client.get(f"/deals?owner_id={rita.id}").text
    assert f'<option value="{rita.id}" selected>Rita Kept</option>' in html


def test_a_record_page_keeps_its_notes_and_tasks_drawn_for_each_user_rights(app, client):
    rep = sign_in(client, "rep")
    contact = make_contact(owner_id=rep.id)
    make_task("contact", contact.id, rep.as_actor(), description="Call back", assignee_id=rep.id)
    make_note("contact", contact.id, rep.as_actor(), content="Met at the fair")
    page = client.get(f"/contacts/{contact.id}").text
    assert 'class="task-checkbox"' in page and 'class="link-button note-edit"' in page
    drawn = (_kept_row.cache_info().misses, _notes.kept.cache_info().misses)
    again = client.get(f"/contacts/{contact.id}").text
    assert (_kept_row.cache_info().misses, _notes.kept.cache_info().misses) == drawn
    assert "Call back" in again and "Met at the fair" in again
    sign_in(client, "viewer")  # may read both, change neither
    page = client.get(f"/contacts/{contact.id}").text
    assert "Call back" in page and "Met at the fair" in page
    assert 'class="task-checkbox"' not in page and "note-edit" not in page


def test_a_pages_stylesheets_and_scripts_follow_its_mount_point(app, client):
    """The asset tags are kept drawn (templates/_assets.html), one drawing per mount point: the
    same process serving the app at / and under /crm links each its own static files."""
    sign_in(client, "rep")
    assets = re.compile(r'(?:href|src)="([^"]+\.(?:css|js|svg))"')
    at_root = assets.findall(client.get("/contacts/").get_data(as_text=True))
    mounted = client.get("/contacts/", base_url="http://localhost/crm")
    under_crm = assets.findall(mounted.get_data(as_text=True))
    # base.html's and the record pages' own: the app's stylesheet, htmx, the list scripts.
    for asset in ("css/app.css", "vendor/htmx-2.0.11.min.js", "css/records.css", "js/lists.js"):
        assert f"/static/{asset}" in at_root
        assert f"/crm/static/{asset}" in under_crm
    assert not any(url.startswith("/crm/") for url in at_root)
    assert all(url.startswith("/crm/static/") for url in under_crm)
    # The tasks' and notes' own are on the pages that show tasks and notes, not on the lists.
    record = assets.findall(client.get(f"/contacts/{make_contact().id}").text)
    for asset in ("css/tasks.css", "css/notes.css", "js/tasks.js", "js/notes.js"):
        assert f"/static/{asset}" in record and f"/static/{asset}" not in at_root
    # The navigation marks the page's own item, there as here (web.navigation, kept per mount
    # point and route).
    assert '<a href="/contacts/" aria-current="page">' in client.get("/contacts/").text
    assert '<a href="/crm/contacts/" aria-current="page">' in mounted.get_data(as_text=True)
