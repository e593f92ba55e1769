"""An admin defines custom fields; a company's record page edits them in place."""

from playwright.sync_api import expect

from tests.browser.conftest import committed_user, login, screenshot
from tests.browser.helpers import edit_in_place, open_as


def test_admin_defines_fields_and_sets_them_on_a_company(app, page):
    committed_user(app, "admin", email="admin@example.com", name="Ada Admin")
    login(page, "admin@example.com")

    page.goto("/admin/custom-fields")
    expect(
        page.get_by_role("navigation", name="Admin").get_by_role("link", name="Custom fields")
    ).to_have_attribute("aria-current", "page")
    form = page.locator("#new_field")
    form.get_by_label("Record type").select_option("company")
    form.get_by_label("Label", exact=True).fill("Industry")
    form.get_by_label("Type", exact=True).select_option("enum")
    form.get_by_label("Options").fill("Retail, Energy, Software")
    form.get_by_role("button", name="Add field").click()
    expect(page.locator("#cf-company")).to_contain_text("industry")

    form.get_by_label("Record type").select_option("company")
    form.get_by_label("Label", exact=True).fill("Employees")
    form.get_by_label("Type", exact=True).select_option("number")
    form.get_by_role("button", name="Add field").click()
    expect(page.locator("#cf-company")).to_contain_text("employees")
    screenshot(page, "custom-fields-admin")

    page.goto("/companies/new")
    page.get_by_label("Name").fill("Initech")
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("heading", name="Initech")).to_be_visible()

    card = page.locator("#custom-fields")
    industry = card.locator("[id$='-cf-industry']")
    expect(industry).to_have_text("Empty")
    page.wait_for_load_state("domcontentloaded")  # htmx listens: a click before is lost
    industry.click()
    card.get_by_role("combobox", name="Industry").select_option("Energy")
    expect(industry).to_have_text("Energy")

    employees = card.locator("[id$='-cf-employees']")
    edit_in_place(page, employees, "Employees", "abc", within=card)
    expect(card.get_by_role("alert")).to_contain_text("is not a number")
    screenshot(page, "company-custom-field-refused")
    card.get_by_role("textbox", name="Employees").fill("250")
    card.get_by_role("textbox", name="Employees").press("Enter")
    expect(employees).to_have_text("250")
    expect(page.locator("#history")).to_contain_text("employees from — to 250")  # no reload

    page.reload()
    expect(card.locator("[id$='-cf-industry']")).to_have_text("Energy")
    expect(card.locator("[id$='-cf-employees']")).to_have_text("250")
    screenshot(page, "company-custom-fields")


def test_a_deal_field_defined_by_the_admin_is_set_on_the_deal_page(app, page):
    """The admin page offers deals as a record type: the deal's page must show and edit it."""
    from crm_web.core.db import db
    from tests.custom_fields.support import define
    from tests.support import make_deal

    with app.app_context():
        define("deal", "Region", "text")
        deal_id = make_deal(title="Hooli box").id
        db.session.remove()
    open_as(app, page, f"/deals/{deal_id}", email="rep@example.com", name="Robin Rep")
    card = page.locator("#custom-fields")
    region = card.locator("[id$='-cf-region']")
    expect(region).to_have_text("Empty")
    edit_in_place(page, region, "Region", "EMEA", within=card)
    expect(region).to_have_text("EMEA")
    screenshot(page, "deal-custom-fields")
    page.reload()
    expect(card.locator("[id$='-cf-region']")).to_have_text("EMEA")
