"""Sign-in journeys in a real Chromium: first-run set-up, login, profile, logout, revoked
cookies, throttling, cross-site posts and the admin's user page."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    TEST_PASSWORD,
    committed_user,
    expect_error_status,
    login,
    screenshot,
)

NEW_PASSWORD = "a brand new passphrase"


def _user(app, email):
    from crm_web.accounts.repository import get_user_by_email
    from crm_web.core.db import db

    with app.app_context():
        user = get_user_by_email(email)
        found = None if user is None else {"role": user.role, "active": user.active}
        db.session.remove()
    return found


def _sign_out(page):
    page.locator("summary", has_text="Robin Rep").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_setup_creates_the_admin_exactly_once(app, page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", name="Welcome to crm_web")).to_be_visible()
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Create the admin account").click()
    # The message sits beside its field and is announced with it.
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-password-error")).to_have_text("Use at least 10 characters.")
    screenshot(page, "setup-invalid")

    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Repeat the password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create the admin account").click()
    expect(page.get_by_role("heading", name="Good to see you, Ada")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your admin account is ready")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")
    ).to_be_visible()
    screenshot(page, "home-admin")
    assert _user(app, "ada@example.com") == {"role": "admin", "active": True}

    expect_error_status(page, 404)
    response = page.goto("/setup")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    screenshot(page, "error-404")


def test_login_profile_password_change_and_logout(app, page):
    committed_user(app, email="rep@example.com")
    page.goto("/profile")
    expect(page).to_have_url(re.compile(r"/login\?next=/profile$"))
    expect(page.get_by_role("status")).to_have_text("Please sign in to continue.")
    screenshot(page, "login")
    page.get_by_label("Email").fill("rep@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/profile$"))  # back where they were going
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()

    # A wrong current password: the HTMX form is swapped with the message beside the field.
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    current = page.get_by_label("Current password")
    expect(current).to_have_attribute("aria-describedby", "field-current_password-error")
    expect(page.locator("#field-current_password-error")).to_have_text(
        "That is not your current password."
    )
    screenshot(page, "profile-invalid")

    page.get_by_label("Current password").fill(TEST_PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    screenshot(page, "profile")

    _sign_out(page)
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.get_by_label("Email").fill("rep@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    login(page, "rep@example.com", password=NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Good to see you, Robin")).to_be_visible()


def _replay(chromium, live_server, cookies):
    """A second browser that only has the copied cookies."""
    context = chromium.new_context(base_url=live_server)
    context.add_cookies(cookies)
    other = context.new_page()
    other.goto("/profile")
    url = other.url
    context.close()
    return url


def test_a_copied_cookie_stops_working_after_logout(app, page, chromium, live_server):
    committed_user(app, email="rep@example.com")
    login(page, "rep@example.com")
    copied = page.context.cookies()
    assert _replay(chromium, live_server, copied).endswith("/profile")  # it works while valid
    _sign_out(page)
    assert "/login?next=/profile" in _replay(chromium, live_server, copied)


def test_a_copied_cookie_stops_working_after_a_password_change(app, page, chromium, live_server):
    committed_user(app, email="rep@example.com")
    login(page, "rep@example.com")
    copied = page.context.cookies()
    page.goto("/profile")
    page.get_by_label("Current password").fill(TEST_PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    assert "/login?next=/profile" in _replay(chromium, live_server, copied)
    page.goto("/profile")  # while the browser that changed it stays signed in
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def test_the_sixth_wrong_password_is_throttled_without_revealing_the_account(app, page):
    committed_user(app, email="rep@example.com")
    expect_error_status(page, 429)
    page.goto("/login")
    for email in ["rep@example.com"] * 5 + ["nobody@example.com"] * 5:
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    for email in ("rep@example.com", "nobody@example.com"):
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text(
            "Too many failed sign-in attempts. Wait a minute, then try again."
        )
    screenshot(page, "login-throttled")


class _EvilSite(BaseHTTPRequestHandler):
    """Another origin serving a page whose form posts to the CRM (as a phishing page would)."""

    html = ""

    def do_GET(self):  # noqa: N802 - the http.server API
        body = self.html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def evil_site():
    server = ThreadingHTTPServer(("127.0.0.2", 0), _EvilSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_form_posted_from_another_origin_is_refused(app, page, live_server, evil_site):
    committed_user(app, "admin", email="ada@example.com", name="Ada Admin")
    login(page, "ada@example.com")
    page.goto("/admin/users")
    # Even with a valid token (say it leaked), a post started by another site is refused.
    token = page.locator("#new_user input[name=csrf_token]").get_attribute("value")
    _EvilSite.html = f"""<!doctype html><title>You won a prize</title>
    <form method="post" action="{live_server}/admin/users">
      <input type="hidden" name="csrf_token" value="{token}">
      <input type="hidden" name="name" value="Mallory">
      <input type="hidden" name="email" value="mallory@example.com">
      <input type="hidden" name="role" value="admin">
      <input type="hidden" name="password" value="mallory mallory">
      <button>Claim your prize</button>
    </form>"""
    host, port = evil_site.server_address[:2]
    expect_error_status(page, 403)
    page.goto(f"http://{host}:{port}/")
    page.get_by_role("button", name="Claim your prize").click()
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("This request came from another site")).to_be_visible()
    screenshot(page, "error-403-cross-site")
    assert _user(app, "mallory@example.com") is None

    # The same action from the app itself succeeds.
    page.goto("/admin/users")
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()  # still signed in
    page.get_by_label("Name").fill("Mallory")
    page.get_by_label("Email").fill("mallory@example.com")
    page.get_by_label("Role", exact=True).select_option("rep")
    page.get_by_label("First password").fill("mallory mallory")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text("Mallory can now sign in as rep.")
    assert _user(app, "mallory@example.com") == {"role": "rep", "active": True}


def test_an_admin_manages_users(app, page, chromium, live_server):
    committed_user(app, "admin", email="ada@example.com", name="Ada Admin")
    committed_user(app, email="rep@example.com")
    login(page, "ada@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()

    # Invalid input: messages beside the fields, nothing added.
    page.get_by_label("Name").fill("Vic Viewer")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#new-email-error")).to_contain_text("not a valid email address")
    expect(page.locator("#new-password-error")).to_have_text("This field is required.")
    page.get_by_label("Email").fill("vic@example.com")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_label("First password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text("Vic Viewer can now sign in as viewer.")

    # The rep is signed in elsewhere; each change below signs them out there.
    rep = chromium.new_context(base_url=live_server)
    rep_page = rep.new_page()
    login(rep_page, "rep@example.com")

    row = page.locator("tr", has_text="rep@example.com")
    row.get_by_label("Role").select_option("manager")
    row.get_by_role("button", name="Save role").click()
    expect(row.get_by_role("status")).to_have_text("Now manager; signed out everywhere.")
    assert _user(app, "rep@example.com") == {"role": "manager", "active": True}
    rep_page.goto("/profile")
    expect(rep_page).to_have_url(re.compile(r"/login"))

    row.get_by_label("New password").fill("short")
    row.get_by_role("button", name="Reset").click()
    expect(row.locator(".error")).to_have_text("Use at least 10 characters.")
    row.get_by_label("New password").fill(NEW_PASSWORD)
    row.get_by_role("button", name="Reset").click()
    expect(row.get_by_role("status")).to_have_text("Password reset; signed out everywhere.")
    login(rep_page, "rep@example.com", password=NEW_PASSWORD)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Deactivate").click()
    expect(row.get_by_text("Deactivated", exact=True)).to_be_visible()
    assert _user(app, "rep@example.com") == {"role": "manager", "active": False}
    rep_page.goto("/profile")
    expect(rep_page).to_have_url(re.compile(r"/login"))
    rep.close()

    # The last admin cannot demote themselves.
    own = page.locator("tr", has_text="ada@example.com")
    own.get_by_label("Role").select_option("rep")
    own.get_by_role("button", name="Save role").click()
    expect(own.locator(".error")).to_contain_text("only active admin")
    screenshot(page, "admin-users")


def test_an_htmx_action_after_the_session_ended_leads_to_sign_in(app, page, chromium, live_server):
    committed_user(app, "admin", email="ada@example.com", name="Ada Admin")
    committed_user(app, email="rep@example.com")
    login(page, "ada@example.com")
    page.goto("/admin/users")
    # Ada signs out on another device: this tab's session is over too.
    other = chromium.new_context(base_url=live_server)
    other_page = other.new_page()
    login(other_page, "ada@example.com")
    other_page.locator("summary", has_text="Ada Admin").click()
    other_page.get_by_role("button", name="Sign out").click()
    expect(other_page.get_by_role("heading", name="Sign in")).to_be_visible()
    other.close()

    row = page.locator("tr", has_text="rep@example.com")
    row.get_by_label("Role").select_option("viewer")
    row.get_by_role("button", name="Save role").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/admin/users$"))
    assert _user(app, "rep@example.com") == {"role": "rep", "active": True}
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()  # back there
