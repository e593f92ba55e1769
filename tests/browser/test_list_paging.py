"""A list sorted and paged in place: a sort header or a pager link swaps the list alone (its
links inherit where the answer goes from their <thead> or <nav>), and the address bar keeps a
link to the list as shown."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import open_as


def _contacts(app, count: int):
    """`count` contacts, King00 … (the name order), each at its own company but the last."""
    from crm_web.companies.services import create_company
    from crm_web.contacts.services import create_contact
    from crm_web.core.actor import SYSTEM
    from crm_web.core.db import db

    with app.app_context():
        for n in range(count):
            company = create_company({"name": f"Company {count - n:02}"}, SYSTEM).id
            data = {"first_name": "Augusta", "last_name": f"King{n:02}", "job_title": "Analyst"}
            create_contact({**data, "company_id": company if n < count - 1 else None}, SYSTEM)
        db.session.remove()


def test_sort_and_page_a_list_in_place(app, page):
    _contacts(app, 52)
    open_as(app, page, "/contacts/", "rep", email="rep@example.com")
    rows = page.locator("#contact_list tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.first.get_by_role("link", name="Augusta King00")).to_be_visible()
    # What the page held before survives each swap: nothing reloaded it.
    page.evaluate("window.sameDocument = true")

    page.get_by_role("link", name="Company", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=company&dir=asc"))
    expect(page.get_by_role("columnheader", name="Company")).to_have_attribute(
        "aria-sort", "ascending"
    )
    # King50's company, Company 02, comes first; King51, without a company, last.
    expect(rows.first.get_by_role("link", name="Augusta King50")).to_be_visible()
    page.get_by_role("link", name="Next ›").click()
    expect(page).to_have_url(re.compile(r"sort=company&dir=asc&after="))
    expect(rows).to_have_count(2)
    # The name is the row's header, read out with each of its cells.
    expect(rows.last.get_by_role("rowheader")).to_have_text("Augusta King51")
    # An empty cell (King51's company: after the checkbox and the job title) shows a dash,
    # drawn by the stylesheet.
    cell = rows.last.locator("td").nth(2)
    expect(cell).to_have_text("")
    assert cell.evaluate("cell => getComputedStyle(cell, '::before').content") == '"–"'
    screenshot(page, "contacts-list-sorted-second-page")
    assert page.evaluate("window.sameDocument") is True

    page.go_back()  # the address kept a link: back is the first page, sorted by company
    expect(page).to_have_url(re.compile(r"sort=company&dir=asc$"))
    expect(rows).to_have_count(50)
