"""/api/docs in a real Chromium under the app's strict CSP (the page fixture fails on any CSP
violation or console error): the reference lists every resource, and a call tried from it with
a personal token answers."""

from __future__ import annotations

from playwright.sync_api import expect

from crm_web.accounts.tokens import create_token
from tests.browser.conftest import committed_user, screenshot


def test_the_api_reference_lists_the_resources_and_tries_a_call_with_a_token(app, page):
    user = committed_user(app, "rep")
    with app.app_context():
        _, secret = create_token({"name": "docs", "scope": "read"}, user.as_actor())
    page.goto("/api/docs")
    expect(page.get_by_role("heading", name="crm_web API")).to_be_visible()
    for tag in ("customers", "tasks", "notes", "pipeline-stages", "custom-fields"):
        expect(page.locator(f"#operations-tag-{tag}")).to_be_visible()
    expect(page.get_by_text("/contacts/bulk", exact=True)).to_be_visible()
    screenshot(page, "api-docs")

    page.locator(".scheme-container .btn.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").press_sequentially(secret, delay=20)
    dialog.locator(".auth-btn-wrapper .btn.authorize").click()
    expect(dialog.get_by_text("Authorized")).to_be_visible()
    dialog.locator(".btn-done").click()

    me = page.locator("#operations-default-get_users_me")
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    expect(me.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(me.locator(".live-responses-table")).to_contain_text(user.email)
    screenshot(page, "api-docs-tried")


def test_the_reference_says_how_to_create_a_refused_duplicate_anyway(app, page):
    page.goto("/api/docs")
    create = page.locator("#operations-companies-post_companies")
    create.locator(".opblock-summary").click()
    parameter = create.locator("tr[data-param-name='allow_duplicate']")
    expect(parameter).to_contain_text("Create anyway")
    expect(create.locator(".responses-table").first).to_contain_text("duplicates holds its id")
    parameter.scroll_into_view_if_needed()
    screenshot(page, "api-docs-allow-duplicate")
