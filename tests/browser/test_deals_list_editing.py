"""The deals list's cells edited in place in Chromium, as the contacts list's are: a rep types a
new value into a cell and saves it with Enter; a stale save shows both values; a viewer's cells
stay values."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import committed, committed_user, login, screenshot
from tests.browser.helpers import open_as


def _deal(app) -> str:
    from tests.support import make_company, make_deal

    def make():
        hooli = make_company(name="Hooli")
        make_deal(title="Pied deal", company_id=hooli.id, value="90.00")
        return str(make_deal(title="Hooli box", company_id=hooli.id, value="1200.00").id)

    return committed(app, make)


def _cell(page, deal_id, field):
    return page.locator(f'#deal_list tr[data-id="{deal_id}"] td[data-field="{field}"]')


def test_a_rep_edits_a_deal_s_value_in_the_list_and_a_stale_save_shows_both(app, page):
    from crm_web.deals.services import update_deal
    from tests.support import ADMIN

    deal_id = _deal(app)
    open_as(app, page, "/deals", "rep", email="rep@example.com", name="Robin Rep")
    page.wait_for_load_state("domcontentloaded")  # htmx listens: a click before is lost
    value = _cell(page, deal_id, "value")
    expect(value).to_have_text("USD 1,200.00")

    value.click()
    editor = value.get_by_role("textbox", name="Value")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("1200.00")
    page.keyboard.press("Control+a")
    editor.press_sequentially("2500", delay=120)
    screenshot(page, "deals-list-cell-editor")
    editor.press("Enter")
    expect(value).to_have_text("USD 2,500.00")
    expect(value).to_be_focused()  # back on the cell, for the arrow keys
    # The other row and the title (a link, not an editor) are as they were.
    expect(page.get_by_role("link", name="Hooli box")).to_be_visible()
    expect(page.locator("#deal_list")).to_contain_text("USD 90.00")

    page.goto(f"/deals/{deal_id}")
    expect(page.locator(f"#deal-{deal_id}-value")).to_have_text("USD 2,500.00")
    page.go_back()
    page.reload()
    expect(value).to_have_text("USD 2,500.00")

    # Someone changes the value (on the record page, in another tab) while the cell's editor is
    # open: saving over it shows both values, and "Keep theirs" puts theirs in the cell.
    value.click()
    # The click only sends the request: the editor must have read the version first.
    expect(editor).to_have_value("2500.00")
    committed(app, lambda: update_deal(deal_id, {"value": "3000"}, ADMIN, expected_version=2))
    page.keyboard.press("Control+a")
    editor.press_sequentially("4000", delay=120)
    editor.press("Enter")
    conflict = value.get_by_role("alert")
    expect(conflict).to_contain_text("Someone else changed value while you were editing.")
    expect(conflict.locator(".ie-conflict-values dd")).to_have_text(["USD 3,000.00", "4000"])
    screenshot(page, "deals-list-cell-conflict")
    conflict.get_by_role("button", name="Keep theirs").click()
    expect(value).to_have_text("USD 3,000.00")

    # The row took the version it shows: the next edit saves without a conflict.
    value.click()
    expect(editor).to_have_value("3000.00")
    page.keyboard.press("Control+a")
    editor.press_sequentially("3100", delay=120)
    editor.press("Enter")
    expect(value).to_have_text("USD 3,100.00")
    page.reload()
    expect(value).to_have_text("USD 3,100.00")


def test_a_rep_moves_a_deal_to_another_stage_from_the_list(app, page):
    deal_id = _deal(app)
    open_as(app, page, "/deals", "rep", email="rep@example.com")
    page.wait_for_load_state("domcontentloaded")
    stage = _cell(page, deal_id, "stage")
    stage.click()
    stage.get_by_role("combobox", name="Stage").select_option("Won")  # a choice saves
    expect(stage).to_have_text("Won")
    page.reload()
    expect(stage).to_have_text("Won")


def test_a_viewer_s_deals_list_cells_do_not_open_editors(app, page):
    deal_id = _deal(app)
    open_as(app, page, "/deals", "viewer", email="viewer@example.com")
    page.wait_for_load_state("domcontentloaded")
    row = page.locator(f'#deal_list tr[data-id="{deal_id}"]')
    value = row.get_by_role("cell", name="USD 1,200.00")
    value.click()
    value.press("Enter")
    page.wait_for_load_state("networkidle")  # any editor request would have been answered
    expect(page.locator(".ie-editor")).to_have_count(0)
    expect(value).to_have_text("USD 1,200.00")
    expect(row.locator("td[data-field]")).to_have_count(0)


def test_a_rep_reassigns_their_own_deal_in_the_list_but_not_a_colleague_s(app, page):
    """The Owner column names its field once (th[data-field]); a colleague's deal's owner cell
    is marked data-locked, so inline-edit.js opens no editor there."""
    from tests.support import make_company, make_deal

    rep = committed_user(app, "rep", email="rep@example.com", name="Robin Rep")
    committed_user(app, "rep", email="other@example.com", name="Olive Other")

    def make():
        hooli = make_company(name="Hooli")
        mine = make_deal(rep.as_actor(), title="Mine", company_id=hooli.id)
        theirs = make_deal(title="Theirs", company_id=hooli.id)
        return str(mine.id), str(theirs.id)

    mine, theirs = committed(app, make)
    login(page, rep)
    page.goto("/deals")
    page.wait_for_load_state("domcontentloaded")
    their_row = page.locator(f'#deal_list tr[data-id="{theirs}"]')
    their_owner = their_row.locator("td[data-locked]")
    expect(their_owner).to_have_count(1)
    their_owner.click()
    page.wait_for_load_state("networkidle")  # any editor request would have been answered
    expect(page.locator(".ie-editor")).to_have_count(0)
    # Their deal's other cells still edit: the stage.
    expect(their_row.locator('td[data-field="stage"]')).to_have_count(1)

    owner = _cell(page, mine, "owner_id")
    expect(owner).to_have_text("Robin Rep")
    owner.click()
    owner.get_by_role("combobox", name="Owner").select_option(label="Olive Other")
    expect(owner).to_have_text("Olive Other")
    page.reload()
    expect(_cell(page, mine, "owner_id")).to_have_count(0)  # no longer theirs to give away
    expect(page.locator(f'#deal_list tr[data-id="{mine}"]')).to_contain_text("Olive Other")
