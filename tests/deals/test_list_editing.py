"""The deals list's cells edit in place, as the contacts list's do: rows and cells that say what
static/js/inline-edit.js needs, and field fragments that come back as the cell shows them
(?compact=1)."""

import re

from crm_web.deals.services import get_deal, update_deal
from tests.support import ADMIN, HX_REQUEST, list_cells, make_company, make_deal, sign_in


def _row(listing: str, deal_id) -> str:
    return re.search(rf'<tr data-id="{deal_id}" data-version="\d+">.*?</tr>', listing)[0]


def test_an_editor_s_deals_list_cells_open_editors_and_a_viewer_s_do_not(client):
    rep = sign_in(client, "rep")
    company = make_company(name="Initech")
    mine = make_deal(rep.as_actor(), title="Mine", company_id=company.id)
    theirs = make_deal(title="Theirs", company_id=company.id)
    listing = client.get("/deals").text
    # The URL the cells' editors are built from, and the help said once for the table.
    assert 'data-edit-url="/deals/"' in listing and 'id="deal_list-help"' in listing
    row = _row(listing, mine.id)
    assert f'<tr data-id="{mine.id}" data-version="1">' in row
    assert f'<a href="/deals/{mine.id}">Mine</a>' in row  # the title links, it doesn't edit
    fields = list(list_cells(listing, mine.id))
    assert fields == ["company_id", "value", "stage", "close_date", "owner_id"]
    # A rep gives away only their own deals: someone else's owner is plain text.
    assert "owner_id" not in list_cells(listing, theirs.id)
    assert "stage" in list_cells(listing, theirs.id)

    sign_in(client, "viewer")
    listing = client.get("/deals").text
    assert "Mine" in listing and "data-field=" not in listing and "data-edit-url" not in listing
    assert f'<tr data-id="{mine.id}" data-version="1">' in listing


def test_a_list_cell_s_editor_saves_back_the_cell_with_the_deal_s_new_version(client):
    sign_in(client, "rep")
    deal = make_deal(value="1200.00", currency="EUR")
    url = f"/deals/{deal.id}/fields/value"
    editor = client.get(f"{url}/edit?compact=1&seen=1", headers=HX_REQUEST).text
    assert f'id="deal-{deal.id}-value-c"' in editor
    assert 'name="compact" value="1"' in editor  # the save asks for the cell back
    assert f'data-display-url="{url}?compact=1"' in editor  # and so does Escape
    saved = client.patch(
        url, data={"value": "2500", "version": "1", "compact": "1"}, headers=HX_REQUEST
    )
    assert saved.status_code == 200
    # The money as the list shows it, bare (the cell opens the editor), with the version now.
    assert saved.text.strip() == (
        f'<span class="ie-display" id="deal-{deal.id}-value-c" data-version="2">EUR 2,500.00</span>'
    )
    assert get_deal(deal.id).value == 2500
    # Escape puts the cell back as it shows the value.
    cancelled = client.get(f"{url}?compact=1", headers=HX_REQUEST).text
    assert f'id="deal-{deal.id}-value-c" data-version="2">EUR 2,500.00<' in cancelled


def test_a_list_cell_s_stage_save_sends_no_record_page_fields_out_of_band(client):
    sign_in(client, "rep")
    deal = make_deal(stage="Lead")
    saved = client.patch(
        f"/deals/{deal.id}/fields/stage",
        data={"value": "Won", "version": "1", "compact": "1"},
        headers=HX_REQUEST,
    )
    # The list has no probability cell to swap: htmx would log a missing out-of-band target.
    assert saved.status_code == 200 and "hx-swap-oob" not in saved.text
    assert f'id="deal-{deal.id}-stage-c" data-version="2">Won<' in saved.text
    on_page = client.patch(
        f"/deals/{deal.id}/fields/stage", data={"value": "Lead", "version": "2"}, headers=HX_REQUEST
    )
    assert f'id="deal-{deal.id}-probability" hx-swap-oob="true"' in on_page.text


def test_a_stale_list_cell_edit_shows_the_conflict_that_keeps_the_cell_compact(client):
    sign_in(client, "rep")
    deal = make_deal(value="100")
    update_deal(deal.id, {"value": "300"}, ADMIN, expected_version=1)
    url = f"/deals/{deal.id}/fields/value"
    response = client.patch(
        url, data={"value": "200", "version": "1", "compact": "1"}, headers=HX_REQUEST
    )
    assert response.status_code == 409
    assert "Someone else changed value" in response.text
    assert "USD 300.00" in response.text and "200" in response.text
    # "Keep theirs" puts the cell back; "Overwrite with mine" saves as a cell again.
    assert f'hx-get="{url}?compact=1"' in response.text
    assert 'name="compact" value="1"' in response.text
    assert get_deal(deal.id).value == 300


def test_a_list_cell_shows_only_the_list_s_columns(client):
    sign_in(client, "rep")
    deal = make_deal()
    response = client.get(f"/deals/{deal.id}/fields/probability?compact=1", headers=HX_REQUEST)
    assert response.status_code == 404
