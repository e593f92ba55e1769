"""The application shell in a real Chromium: every page renders with no console error and no
CSP violation, the navigation follows the role, and the layout holds on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PageProblems,
    committed_user,
    expect_error_status,
    login,
    screenshot,
)

# Not pages: probes, the favicon, and the JSON API (tests/api; it takes tokens, not sessions).
NOT_PAGES = {"static", "favicon", "healthz", "readyz", "accounts.setup"}
API = "/api/v1/"


def _pages(app):
    """Every GET route without URL arguments: the pages a user can navigate to."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_PAGES or rule.rule.startswith(API):
            continue
        if "GET" in rule.methods and not rule.arguments:
            yield rule.endpoint, rule.rule


def _seed_records(app):
    """One record per area that exists yet, so record pages can be visited too."""
    from crm_web.core.db import db
    from tests import support

    made = {}
    with app.app_context():
        if "companies.detail" in app.view_functions:
            company = support.make_company()
            made["companies.detail"] = str(company.id)
            if "deals.detail" in app.view_functions:
                made["deals.detail"] = str(support.make_deal(company_id=company.id).id)
        if "contacts.detail" in app.view_functions:
            made["contacts.detail"] = str(support.make_contact().id)
        db.session.remove()
    return made


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_every_page_renders_without_console_errors_or_csp_violations(app, page, role):
    committed_user(app, role, email=f"{role}@example.com", name=f"Sam {role.capitalize()}")
    records = _seed_records(app)
    login(page, f"{role}@example.com")
    expect_error_status(page, 403)  # a viewer meets "Not allowed" on admin pages, on purpose
    visited = []
    for endpoint, path in _pages(app):
        response = page.goto(path)
        assert response.status in (200, 403), f"{path} answered {response.status}"
        if page.locator("body > header.topbar").count() == 0:
            continue  # an HTMX fragment endpoint (e.g. a picker's options), not a page
        expect(page.locator("main")).to_be_visible()
        screenshot(page, f"page-{role}-{endpoint.replace('.', '-')}")
        visited.append(path)
    for endpoint, record_id in records.items():
        argument = app.url_map._rules_by_endpoint[endpoint][0].arguments
        page.goto(app.url_map.bind("").build(endpoint, dict.fromkeys(argument, record_id)))
        expect(page.locator("main")).to_be_visible()
        screenshot(page, f"page-{role}-{endpoint.replace('.', '-')}")
    assert "/profile" in visited and "/" in visited
    # Every page carries the stylesheet and htmx, and no inline script or style.
    page.goto("/")
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("[style]").count() == 0


def test_signed_out_pages_render_cleanly(app, page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    screenshot(page, "setup")
    committed_user(app, email="rep@example.com")
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect_error_status(page, 404)
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    screenshot(page, "error-404-signed-out")


def test_htmx_runs_without_eval_or_injected_styles_and_swaps_422_and_409(app, page):
    """static/js/app.js sets htmx up before it starts, on every page, signed in or out."""
    committed_user(app, email="rep@example.com")
    for path in ("/login", "/contacts/"):
        if path == "/contacts/":
            login(page, "rep@example.com")
        page.goto(path)
        page.wait_for_load_state("load")
        config = page.evaluate(
            "({eval: htmx.config.allowEval, scripts: htmx.config.allowScriptTags,"
            " self: htmx.config.selfRequestsOnly, history: htmx.config.historyCacheSize,"
            " styles: document.querySelectorAll('style').length,"
            " swap: Object.fromEntries(htmx.config.responseHandling.map("
            "   (rule) => [rule.code, rule.swap]))})"
        )
        assert config["eval"] is False and config["scripts"] is False, path
        assert config["self"] is True and config["history"] == 0, path
        assert config["styles"] == 0, path  # htmx's indicator <style> was not injected
        assert config["swap"]["422"] is True and config["swap"]["409"] is True, path
        assert config["swap"]["[45].."] is False, path


def test_a_csp_violation_fails_the_page_check(app, chromium, live_server, clean_db):
    """The harness must notice an inline script: take a real page from the app, with the app's
    own headers, and slip an inline <script> into it."""
    committed_user(app, email="rep@example.com")
    context = chromium.new_context(base_url=live_server)
    page = context.new_page()
    problems = PageProblems(page)

    def inject(route):
        response = route.fetch()
        body = response.text().replace(
            "</main>", "<script>document.title = 'injected ran'</script></main>"
        )
        route.fulfill(response=response, body=body)

    page.route(re.compile(r"/login$"), inject)
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page).not_to_have_title("injected ran")
    context.close()
    assert any("Content Security Policy" in m or "CSP" in m for m in problems.messages), (
        problems.messages
    )


def test_navigation_follows_the_role(app, page):
    committed_user(app, email="rep@example.com")
    login(page, "rep@example.com")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
    page.goto("/profile")
    expect(page.get_by_role("link", name="Your profile")).to_have_count(0)
    page.locator("summary", has_text="Robin Rep").click()
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    for link in nav.get_by_role("link").all():
        link.click()
        expect(nav.locator("[aria-current=page]")).to_have_count(1)
        expect(page.locator("main h1").first).to_be_visible()


def test_the_shell_fits_a_phone(app, chromium, live_server, clean_db):
    committed_user(app, "admin", email="ada@example.com", name="Ada Admin")
    context = chromium.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = PageProblems(page)
    login(page, "ada@example.com")
    for path, name in (("/", "home"), ("/admin/users", "admin-users"), ("/profile", "profile")):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        screenshot(page, f"phone-{name}")
    context.close()
    assert problems.messages == []


def test_slash_jumps_to_search_and_errors_get_the_cursor(app, page):
    committed_user(app, email="rep@example.com")
    login(page, "rep@example.com")
    page.keyboard.press("/")  # opens the command palette (issue 14), its box ready to type in
    expect(page.get_by_role("combobox", name="Search records or run a command")).to_be_focused()
    page.keyboard.press("Escape")
    page.goto("/profile")
    page.get_by_label("Current password").fill("wrong password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("Current password")).to_be_focused()


def test_a_refused_htmx_request_is_explained_not_swapped(app, page):
    committed_user(app, "viewer", email="vic@example.com", name="Vic Viewer")
    login(page, "vic@example.com")
    expect_error_status(page, 403)
    heading = page.locator("main h1").first.text_content()
    # As if a stale page offered a viewer an admin action: the server refuses with 403.
    page.evaluate("htmx.ajax('POST', '/admin/users', {target: '#main', swap: 'innerHTML'})")
    expect(page.get_by_role("alert")).to_have_text("You are not allowed to do that.")
    expect(page.locator("main h1").first).to_have_text(heading)  # nothing was swapped in
    screenshot(page, "htmx-403-flash")
