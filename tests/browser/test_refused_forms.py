"""A refused create form keeps everything the user entered, visibly, and never moves the cursor
while they type (issue 15): the company picker's name, the lists, the typing that follows."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import committed_user, login, screenshot


def _company(app, name):
    from crm_web.core.db import db
    from tests.support import make_company

    with app.app_context():
        company_id = make_company(name=name).id
        db.session.commit()
        db.session.remove()
    return company_id


def _refused_contact_form(page):
    page.goto("/contacts/new")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Company", exact=True).press_sequentially("Initi", delay=20)
    page.get_by_role("listbox", name="Companies").get_by_text("Initiative").click()
    page.get_by_role("textbox", name="Email 1").fill("grace-at-example")
    page.get_by_role("button", name="Create contact").click()
    row = page.locator(".form-row", has=page.get_by_role("textbox", name="Email 1"))
    expect(row.get_by_role("alert")).to_contain_text("not a valid email")
    # The chosen company is still shown, not just kept in the hidden input.
    expect(page.get_by_label("Company", exact=True)).to_have_value("Initiative")
    expect(page.get_by_label("First name")).to_have_value("Grace")


@pytest.mark.parametrize("delay", [120, 10, 0])
def test_a_refused_contact_keeps_the_company_and_the_cursor_stays_where_the_user_types(
    app, page, delay
):
    _company(app, "Initiative")
    login(page, committed_user(app))
    _refused_contact_form(page)
    if delay == 120:
        screenshot(page, "contact-new-refused-keeps-company")

    email = page.get_by_role("textbox", name="Email 1")
    email.click()
    email.press("Control+A")
    email.press_sequentially("grace@example.com", delay=delay)
    phone = page.get_by_role("textbox", name="Phone 1")
    phone.click()
    phone.press_sequentially("4155550100", delay=delay)
    # The duplicate check (400 ms after the last key) and any swap after it move nothing.
    expect(phone).to_be_focused()
    expect(phone).to_have_value("4155550100")
    expect(email).to_have_value("grace@example.com")
    page.get_by_label("Job title").press_sequentially("Rear admiral", delay=delay)
    expect(page.get_by_label("Job title")).to_have_value("Rear admiral")
    expect(email).to_have_value("grace@example.com")
    expect(phone).to_have_value("4155550100")

    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.locator(".fields").get_by_role("link", name="Initiative")).to_be_visible()
