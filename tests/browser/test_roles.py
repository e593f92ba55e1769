"""Pages offer only what the signed-in role may do (issue 15 points 1, 4, 10, 11, 9; issue 17)."""

from playwright.sync_api import expect

from tests.browser.conftest import committed, committed_user, login, screenshot
from tests.browser.helpers import list_row, open_as


def _contact(app, **fields):
    from tests.support import make_contact

    fields = {"first_name": "Ada", "last_name": "Lovelace", **fields}
    return committed(app, lambda: str(make_contact(**fields).id))


def _deal(app):
    from tests.support import make_company, make_deal

    def make():
        company = make_company(name="Hooli")
        return str(make_deal(title="Box licence", company_id=company.id).id)

    return committed(app, make)


def test_a_viewer_reads_the_contact_list_and_page_without_offers_to_change_them(app, page):
    contact_id = _contact(app, job_title="Analyst")
    open_as(app, page, "/contacts/", "viewer", email="viewer@example.com", name="Vera Viewer")
    row = list_row(page, contact_id)
    expect(row).to_contain_text("Analyst")
    expect(page.get_by_role("link", name="New contact")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(3)  # the filters' only
    expect(page.locator("[data-bulk-bar]")).to_have_count(0)
    expect(row.get_by_role("button")).to_have_count(0)  # no cell edits in place
    row.get_by_text("Analyst").click()
    expect(page.get_by_role("textbox", name="Job title")).to_have_count(0)
    screenshot(page, "viewer-contacts")

    page.goto(f"/contacts/{contact_id}")
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("button", name="Archive")).to_have_count(0)
    expect(page.locator(".card-main").get_by_role("button")).to_have_count(0)
    first = page.locator(f"#contact-{contact_id}-first_name")
    first.hover()
    pencil = first.evaluate("el => getComputedStyle(el, '::after').content")
    assert pencil in ("none", "normal", "")  # no ✎ offering an edit
    first.click()
    expect(page.get_by_role("textbox", name="First name")).to_have_count(0)
    screenshot(page, "viewer-contact")


def test_a_viewer_sees_the_board_without_new_deal_or_cards_to_drag(app, page):
    deal_id = _deal(app)
    open_as(app, page, "/deals/board", "viewer", email="viewer@example.com", name="Vera Viewer")
    card = page.locator(f"#deal-{deal_id}")
    expect(card).to_be_visible()
    expect(page.get_by_role("link", name="New deal")).to_have_count(0)
    expect(page.locator("#board-help")).not_to_contain_text("Drag")
    lead = card.bounding_box()
    target = page.locator(".column-cards").nth(2).bounding_box()
    page.mouse.move(lead["x"] + 20, lead["y"] + 10)
    page.mouse.down()
    page.mouse.move(target["x"] + 30, target["y"] + 30, steps=8)
    expect(page.locator(".sortable-fallback, .sortable-ghost")).to_have_count(0)  # nothing lifts
    page.mouse.up()
    expect(page.locator(".column-cards").first.locator(f"#deal-{deal_id}")).to_be_visible()
    screenshot(page, "viewer-board")


def test_a_rep_may_not_archive_or_reassign_a_colleagues_contact(app, page):
    colleague = committed_user(app, email="cole@example.com", name="Cole League")
    contact_id = _contact(app, owner_id=colleague.id)
    open_as(app, page, f"/contacts/{contact_id}", email="rep@example.com", name="Robin Rep")
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("button", name="Archive")).to_have_count(0)
    # Other fields edit in place; the owner is the colleague's to give away, not a button.
    expect(page.get_by_role("button", name="Last name: Lovelace, edit")).to_be_visible()
    expect(page.get_by_role("button", name="Owner: Cole League, edit")).to_have_count(0)
    expect(page.locator(f"#contact-{contact_id}-owner_id")).to_have_text("Cole League")
    screenshot(page, "rep-colleagues-contact")


def test_clicking_a_name_in_the_contact_list_opens_the_contact(app, page):
    contact_id = _contact(app)
    open_as(app, page, "/contacts/", email="rep@example.com", name="Robin Rep")
    list_row(page, contact_id).get_by_role("link", name="Lovelace").click()
    expect(page).to_have_url(f"{page.url.split('/contacts/')[0]}/contacts/{contact_id}")
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()


def test_the_bulk_bar_appears_once_a_row_is_ticked(app, page):
    committed_user(app, "manager", email="manager@example.com", name="Mia Manager")
    _contact(app)
    login(page, "manager@example.com")
    page.goto("/contacts/")
    archive = page.locator("#bulk").get_by_role("button", name="Archive")
    expect(archive).to_be_hidden()
    page.get_by_label("Select Ada Lovelace").check()
    expect(archive).to_be_visible()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    screenshot(page, "bulk-bar-selected")
    page.get_by_label("Select Ada Lovelace").uncheck()
    expect(archive).to_be_hidden()


def test_the_owner_picker_lists_the_user_once(app, page):
    committed_user(app, email="rep@example.com", name="Robin Rep")
    committed_user(app, email="olive@example.com", name="Olive Owner")
    login(page, "rep@example.com")
    page.goto("/contacts/new")
    owner = page.get_by_label("Owner")
    expect(owner.locator("option", has_text="Robin Rep")).to_have_count(1)
    expect(owner.locator("option:checked")).to_have_text("Me (Robin Rep)")
    expect(owner.locator("option", has_text="Olive Owner")).to_have_count(1)


def test_stages_are_reached_from_admin(app, page):
    open_as(app, page, "/deals/board", "admin", email="admin@example.com", name="Ari Admin")
    expect(page.get_by_role("link", name="Stages")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Stages").click()
    expect(page.get_by_role("heading", name="Pipeline stages")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_attribute("aria-current", "page")
    expect(
        page.get_by_role("navigation", name="Admin").get_by_role("link", name="Stages")
    ).to_have_attribute("aria-current", "page")
    screenshot(page, "admin-stages")


def test_an_editable_value_is_announced_as_its_field(app, page):
    contact_id = _contact(app)
    open_as(app, page, f"/contacts/{contact_id}", email="rep@example.com", name="Robin Rep")
    first = page.get_by_role("button", name="First name: Ada, edit", exact=True)
    expect(first).to_be_visible()
    first.press("Enter")
    expect(page.get_by_role("textbox", name="First name")).to_be_focused()
