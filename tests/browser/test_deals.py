"""Deals in Chromium: the new-deal form with follow-up tasks, the record's click-to-edit fields,
the list and the stage admin page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import committed, committed_user, login, screenshot
from tests.browser.helpers import fill_in, open_as


def _companies(app):
    from tests.support import make_company, make_contact

    def make():
        hooli = make_company(name="Hooli")
        pied = make_company(name="Pied Piper")
        make_contact(company_id=hooli.id, first_name="Gavin", last_name="Belson")
        make_contact(company_id=pied.id, first_name="Richard", last_name="Hendricks")
        return str(hooli.id), str(pied.id)

    return committed(app, make)


def _rows(app):
    from crm_web.activities.models import Task
    from crm_web.deals.models import Deal

    return committed(app, lambda: (Deal.query.count(), Task.query.count()))


def test_an_invalid_follow_up_task_saves_nothing_and_says_why(app, page):
    _companies(app)
    open_as(app, page, "/deals/new", email="rep@example.com", name="Robin Rep")
    page.get_by_label("Title").fill("Pied Piper platform")
    # The company is searched as you type (a list of every company would not scale).
    page.get_by_label("Company").press_sequentially("pied")
    page.get_by_role("option", name="Pied Piper").click()
    # The contact list follows the company: only Pied Piper's people.
    contact = page.get_by_label("Contact")
    expect(contact.locator("option")).to_have_text(["No contact", "Richard Hendricks"])
    contact.select_option(label="Richard Hendricks")
    fill_in(page, {"Value": "12000", "Task 1": "Send the proposal"})
    page.locator("#tasks-0-due_date").fill("2027-03-01")
    page.locator("#tasks-1-due_date").fill("2027-03-08")  # a second task, but no description
    page.get_by_role("button", name="Create deal").click()

    error = page.locator("#tasks-1-description-error")
    expect(error).to_have_text("This field is required.")
    expect(page.get_by_label("Task 2")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").first).to_contain_text("nothing was saved")
    expect(page.get_by_label("Title")).to_have_value("Pied Piper platform")
    expect(page.get_by_label("Contact")).to_have_value(page.get_by_label("Contact").input_value())
    assert _rows(app) == (0, 0)
    screenshot(page, "deal-new-invalid-task")

    page.get_by_label("Task 2").fill("Call Richard")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pied Piper platform")
    expect(page.locator("#tasks").get_by_text("Call Richard")).to_be_visible()
    assert _rows(app) == (1, 2)


def _field(page, deal_id, name):
    """A deal field on its record page: the display, its editor or the conflict (one id)."""
    return page.locator(f"#deal-{deal_id}-{name}")


def test_click_to_edit_fields_on_the_record(app, page):
    from crm_web.deals.services import update_deal
    from tests.support import ADMIN, make_deal

    hooli, _ = _companies(app)
    deal_id = committed(app, lambda: str(make_deal(title="Hooli box", company_id=hooli).id))
    open_as(app, page, f"/deals/{deal_id}", email="rep@example.com", name="Robin Rep")
    screenshot(page, "deal-record")
    title, value = _field(page, deal_id, "title"), _field(page, deal_id, "value")

    # Enter on the focused value opens its editor; Escape puts the value back untouched.
    title.focus()
    title.press("Enter")
    editor = title.locator("input[name=value]")
    expect(editor).to_be_focused()
    editor.fill("Something else")
    editor.press("Escape")
    expect(title).to_have_class(re.compile("ie-display"))
    expect(title).to_have_text("Hooli box")

    # A bad amount: the editor stays, with the message beside it; Enter saves.
    value.click()
    value.locator("input[name=value]").fill("a lot")
    value.locator("input[name=value]").press("Enter")
    expect(value.locator(".ie-error")).to_contain_text("is not an amount")
    screenshot(page, "deal-record-invalid")
    value.locator("input[name=value]").fill("4500.50")
    value.locator("input[name=value]").press("Enter")
    expect(value).to_have_text("USD 4,500.50")

    # The company is picked by searching, and choosing it saves.
    company = _field(page, deal_id, "company_id")
    # Its name is a link to the company; its own ✎ button opens the editor.
    expect(company.get_by_role("link", name="Hooli")).to_be_visible()
    pencil = company.get_by_role("button", name="Company: Hooli, edit")
    pencil.focus()
    pencil.press("Enter")
    company.locator(".picker-search").fill("")
    company.locator(".picker-search").press_sequentially("pied")
    page.get_by_role("option", name="Pied Piper").click()
    expect(company).to_have_class(re.compile("ie-display"))
    expect(company).to_contain_text("Pied Piper")

    # Someone else saves the title while our editor is open: both values are shown.
    title.click()
    # The click only sends the request: the editor must have read the version before the other
    # save commits, or it opens on the new version and there is nothing to conflict with.
    expect(title.locator("input[name=value]")).to_have_value("Hooli box")
    committed(app, lambda: update_deal(deal_id, {"title": "Hooli server"}, ADMIN))
    title.locator("input[name=value]").fill("Hooli appliance")
    title.locator("input[name=value]").press("Enter")
    expect(title).to_have_class(re.compile("ie-conflict"))
    expect(title.locator(".ie-conflict-values dd")).to_have_text(
        ["Hooli server", "Hooli appliance"]
    )
    screenshot(page, "deal-record-conflict")
    title.get_by_role("button", name="Keep theirs").click()
    expect(title).to_have_text("Hooli server")


def test_an_editor_returned_with_an_error_accepts_enter_at_once(app, page):
    """A fast typist presses Enter the moment the refused editor comes back. htmx used to wire up
    swapped-in content 20 ms later, so that Enter submitted the bare form: a GET that navigated
    away and lost the edit."""
    from tests.support import make_deal

    hooli, _ = _companies(app)
    deal_id = committed(app, lambda: str(make_deal(title="Hooli box", company_id=hooli).id))
    open_as(app, page, f"/deals/{deal_id}", email="rep@example.com", name="Robin Rep")

    value = _field(page, deal_id, "value")
    value.click()
    value.locator("input[name=value]").fill("a lot")
    # On the first task after the swap, correct the amount and submit, as Enter would.
    page.evaluate(
        """(id) => document.body.addEventListener("htmx:afterSwap", () => setTimeout(() => {
            const form = document.getElementById(id);
            form.querySelector("input[name=value]").value = "4500.50";
            form.requestSubmit();
        }, 0), {once: true})""",
        f"deal-{deal_id}-value",
    )
    value.locator("input[name=value]").press("Enter")
    expect(value).to_have_text("USD 4,500.50")
    assert page.url.endswith(f"/deals/{deal_id}")


def test_list_and_stage_admin_pages(app, page):
    from tests.support import make_deal

    hooli, pied = _companies(app)

    def make():
        for n in range(3):
            make_deal(title=f"Hooli {n}", company_id=hooli, stage="Lead")
        make_deal(title="Pied deal", company_id=pied, stage="Won")

    committed(app, make)
    open_as(app, page, "/deals", "admin", email="admin@example.com", name="Ada Admin")
    page.get_by_label("Search deals").fill("pied")
    expect(page.locator("#deal_list tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=pied"))  # the search is a shareable link
    screenshot(page, "deals-list")

    # Filtering by company: search it, pick it, and the list follows.
    page.goto("/deals")
    page.get_by_label("Company").press_sequentially("hoo")
    page.get_by_role("option", name="Hooli").click()
    expect(page.locator("#deal_list tbody tr")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"company_id=" + hooli))

    page.goto("/admin/stages")
    row = page.locator("tr", has=page.locator("input[value='Lead']"))
    row.get_by_role("button", name="Delete").click()
    expect(page.locator(".error").first).to_contain_text("Lead has 3 deals")
    screenshot(page, "deal-stages")


def test_changing_the_stage_on_the_record_updates_the_probability_shown(app, page):
    from tests.support import make_deal

    hooli, _ = _companies(app)
    deal_id = committed(app, lambda: str(make_deal(title="Box", company_id=hooli).id))
    open_as(app, page, f"/deals/{deal_id}", email="rep@example.com", name="Robin Rep")
    stage = _field(page, deal_id, "stage")
    stage.click()
    stage.locator("select").select_option("Negotiation")  # a choice saves at once
    expect(stage).to_have_text("Negotiation")
    expect(_field(page, deal_id, "probability")).to_have_text("75%")
    title = _field(page, deal_id, "title")
    title.click()
    title.locator("input[name=value]").fill("Bigger box")
    title.locator("input[name=value]").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bigger box")


def test_an_archived_deal_is_found_with_the_archived_filter_and_restored(app, page):
    from tests.support import make_deal

    hooli, _ = _companies(app)
    owner = committed_user(app, email="rep@example.com").id

    def make():
        make_deal(title="Other deal", company_id=hooli, owner_id=owner)
        return str(make_deal(title="Shelved box", company_id=hooli, owner_id=owner).id)

    deal_id = committed(app, make)
    login(page, "rep@example.com")
    page.goto(f"/deals/{deal_id}")
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("This deal is archived")).to_be_visible()
    page.goto("/deals/board")
    expect(page.locator(f"#deal-{deal_id}")).to_have_count(0)

    page.goto("/deals")
    expect(page.get_by_role("link", name="Shelved box")).to_have_count(0)
    page.get_by_label("Archived").check()
    expect(page).to_have_url(re.compile(r"archived=1"))
    expect(page.locator("#deal_list tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="Shelved box")).to_be_visible()
    screenshot(page, "deals-archived")
    page.get_by_role("button", name="Restore Shelved box").click()
    expect(page.get_by_role("status")).to_contain_text("Restored Shelved box.")
    expect(page.get_by_role("link", name="Shelved box")).to_have_count(0)

    page.goto("/deals/board")
    expect(page.locator(f"#deal-{deal_id}")).to_be_visible()
