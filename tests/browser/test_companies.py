"""Journeys through the company pages in a real Chromium."""

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import edit_in_place, fill_in, open_as


def test_create_a_company_edit_its_city_inline_and_pick_it_for_a_contact(app, page):
    open_as(app, page, "/companies/new", email="rep@example.com")
    fill_in(page, {"Name": "Initech", "City": "Austin", "Country": "US"}, "Create company")
    expect(page.get_by_role("heading", name="Initech")).to_be_visible()

    city = page.locator("[id$='-city']")
    edit_in_place(page, city, "City", "Dallas")
    expect(city).to_have_text("Dallas")
    expect(page.locator("[id$='-country']")).to_have_text("US")
    screenshot(page, "company-record")

    page.goto("/contacts/new")
    fill_in(page, {"First name": "Peter", "Last name": "Gibbons"})
    page.get_by_role("searchbox", name="Company").fill("inite")
    page.get_by_role("option", name="Initech").click()
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", name="Peter Gibbons")).to_be_visible()
    # The company is shown once, in its field (the value is a link to it).
    page.locator("[id$='-company_id']").get_by_role("link", name="Initech").click()
    expect(page.locator("#contacts")).to_contain_text("Peter Gibbons")

    page.goto("/companies/")
    expect(page.locator("#company_list")).to_contain_text("Dallas")
    # Edited in its list cell: the rest of the row and the list stay around the editor.
    cell = page.locator("td[data-field='city']")
    cell.click()
    page.get_by_role("textbox", name="City").fill("Houston")
    expect(page.locator("#company_list tbody tr")).to_contain_text("Initech")
    page.get_by_role("textbox", name="City").press("Enter")
    expect(cell).to_have_text("Houston")
    expect(page.locator("#company_list tbody tr")).to_contain_text("Initech")
    screenshot(page, "companies-list")
