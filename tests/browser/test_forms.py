"""Create forms and the new fields in a real Chromium: custom fields' inputs and messages on the
create pages, and a company's website, phone and industry from the form to the list."""

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import edit_in_place, fill_in, open_as


def _define(app, entity_type, name, label, field_type="text", required=False, **more):
    from crm_web.core.db import db
    from crm_web.custom_fields.services import create_definition
    from tests.support import ADMIN

    with app.app_context():
        data = {"entity_type": entity_type, "name": name, "label": label}
        create_definition({**data, "field_type": field_type, "required": required, **more}, ADMIN)
        db.session.commit()
        db.session.remove()


def test_a_required_custom_field_shows_its_message_beside_its_input_on_new_contact(app, page):
    _define(app, "contact", "region", "Sales region", required=True)
    _define(app, "contact", "seats", "Seats", field_type="number")
    open_as(app, page, "/contacts/new")
    region = page.get_by_label("Sales region")
    expect(region).to_have_attribute("required", "")
    fill_in(page, {"First name": "Grace", "Last name": "Hopper", "Seats": "many"}, "Create contact")

    row = page.locator(".form-row", has=page.get_by_label("Sales region"))
    expect(row.get_by_role("alert")).to_have_text("Sales region is required.")
    expect(page.get_by_label("Sales region")).to_have_attribute("aria-invalid", "true")
    seats = page.locator(".form-row", has=page.get_by_label("Seats"))
    expect(seats.get_by_role("alert")).to_contain_text("is not a number")
    # What was typed is still there.
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(page.get_by_label("Seats")).to_have_value("many")
    screenshot(page, "contact-new-custom-field-required")

    fill_in(page, {"Sales region": "EMEA", "Seats": "12"}, "Create contact")
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.locator("#custom-fields")).to_contain_text("EMEA")


def test_company_website_phone_and_industry_from_the_form_to_the_list(app, page):
    open_as(app, page, "/companies/new")
    fill_in(
        page,
        {"Name": "Initech", "Website": "not a site", "Phone": "12", "Industry": "Software"},
        "Create company",
    )
    website = page.locator(".form-row", has=page.get_by_label("Website"))
    expect(website.get_by_role("alert")).to_contain_text("is not a web address")
    phone = page.locator(".form-row", has=page.get_by_label("Phone"))
    expect(phone.get_by_role("alert")).to_contain_text("not a valid phone number")
    expect(page.get_by_label("Industry")).to_have_value("Software")
    screenshot(page, "company-new-invalid")

    fill_in(page, {"Website": "Initech.example.com/", "Phone": "(415) 555-0100"}, "Create company")
    expect(page.get_by_role("heading", name="Initech")).to_be_visible()
    expect(page.get_by_role("link", name="initech.example.com")).to_have_attribute(
        "href", "https://initech.example.com"
    )
    expect(page.get_by_role("link", name="+1 415-555-0100")).to_have_attribute(
        "href", "tel:+14155550100"
    )

    # Inline: a bad address gets its message beside the input, a good one is saved.
    page.wait_for_load_state("domcontentloaded")  # htmx listens: a click before is lost
    website = page.locator("[id$='-website']")
    box = website.bounding_box()
    website.click(position={"x": box["width"] - 6, "y": box["height"] / 2})  # the pencil
    editor = page.get_by_role("textbox", name="Website")
    editor.fill("ftp://initech.example.com")
    editor.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("is not a web address")
    screenshot(page, "company-website-refused")
    page.get_by_role("textbox", name="Website").fill("https://initech.example.org")
    page.get_by_role("textbox", name="Website").press("Enter")
    expect(page.get_by_role("link", name="initech.example.org")).to_be_visible()
    screenshot(page, "company-record-new-fields")

    page.goto("/companies/")
    expect(page.locator("#company_list thead")).to_contain_text("Industry")
    cell = page.locator("td[data-field='industry']")
    expect(cell).to_have_text("Software")
    edit_in_place(page, cell, "Industry", "Consulting", role="combobox")
    expect(cell).to_have_text("Consulting")
    screenshot(page, "companies-list-industry")


def test_contact_job_title_from_the_form_to_the_list(app, page):
    open_as(app, page, "/contacts/new")
    fill_in(
        page,
        {"First name": "Peter", "Last name": "Gibbons", "Job title": "Programmer"},
        "Create contact",
    )
    expect(page.get_by_role("heading", name="Peter Gibbons")).to_be_visible()
    title = page.locator("[id$='-job_title']")
    expect(title).to_have_text("Programmer")
    edit_in_place(page, title, "Job title", "Senior programmer")
    expect(title).to_have_text("Senior programmer")
    screenshot(page, "contact-record-job-title")
    page.goto("/contacts/")
    expect(page.locator("#contact_list thead")).to_contain_text("Job title")
    expect(page.locator("td[data-field='job_title']")).to_have_text("Senior programmer")
    screenshot(page, "contacts-list-job-title")


def test_new_deal_asks_for_its_custom_fields(app, page):
    from crm_web.core.db import db
    from tests.support import make_company

    with app.app_context():
        make_company(name="Pied Piper")
        db.session.commit()
        db.session.remove()
    _define(app, "deal", "source", "Lead source", "enum", True, enum_values=["Web", "Referral"])
    open_as(app, page, "/deals/new")
    page.get_by_label("Title").fill("Pied Piper platform")
    page.get_by_label("Company").press_sequentially("pied")
    page.get_by_role("option", name="Pied Piper").click()
    page.get_by_label("Value").fill("12000")
    page.get_by_role("button", name="Create deal").click()
    row = page.locator(".form-row", has=page.get_by_label("Lead source"))
    expect(row.get_by_role("alert")).to_have_text("Lead source is required.")
    expect(page.get_by_label("Title")).to_have_value("Pied Piper platform")
    screenshot(page, "deal-new-custom-field-required")
    page.get_by_label("Lead source").select_option("Referral")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pied Piper platform")
