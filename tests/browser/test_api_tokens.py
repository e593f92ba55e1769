"""API tokens on the profile page in a real Chromium: made (the secret shown once, usable at
once), listed with their access, and revoked."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import committed_user, login, screenshot


def test_make_copy_and_revoke_an_api_token(app, page):
    user = committed_user(app, "rep")
    login(page, user)
    page.goto("/profile")
    panel = page.locator("#api-tokens")
    expect(panel.get_by_text("You have no tokens yet.")).to_be_visible()
    panel.get_by_label("Name").press_sequentially("Nightly export", delay=120)
    panel.get_by_label("Access").select_option("read")
    panel.get_by_role("button", name="Make token").click()
    secret = page.locator("#new-token code")
    expect(secret).to_have_text(re.compile(r"^crm_[\w-]{40,}$"))
    expect(page.get_by_text("It is shown only this once.")).to_be_visible()
    row = page.locator("#api-tokens tbody tr").first
    expect(row).to_contain_text("Nightly export")
    expect(row).to_contain_text("Read only")
    expect(row).to_contain_text("Never")
    screenshot(page, "profile-api-token-made")

    token = secret.inner_text()
    api = page.request.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status == 200 and api.json()["email"] == user.email

    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    expect(page.locator("#api-tokens tbody tr").first).to_contain_text("Revoked")
    expect(page.locator("#new-token")).to_have_count(0)  # never shown again
    screenshot(page, "profile-api-token-revoked")
    api = page.request.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status == 401
