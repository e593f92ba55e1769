"""Tokens on the profile page: made (the secret shown once), listed, revoked; admins revoke
anyone's; `crm create-token` prints one."""

from __future__ import annotations

import re

from crm_web import create_app  # noqa: F401 - the app fixture builds it
from crm_web.accounts.tokens import create_token
from tests.support import make_user, sign_in

SECRET = re.compile(r"crm_[A-Za-z0-9_-]{40,}")


def test_a_token_made_on_the_profile_is_shown_once_and_works(client, no_csrf):
    sign_in(client, "viewer")
    page = client.post("/profile/tokens", data={"name": "Nightly export", "scope": "read"})
    assert page.status_code == 200
    secret = SECRET.search(page.text).group(0)
    assert "shown only this once" in page.text
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json["token"]["scope"] == "read"
    again = client.get("/profile")
    assert "Nightly export" in again.text and secret not in again.text
    assert SECRET.search(again.text) is None


def test_a_token_without_a_name_is_refused_beside_the_field(client, no_csrf):
    sign_in(client, "rep")
    page = client.post("/profile/tokens", data={"name": "", "scope": "read_write"})
    assert page.status_code == 422
    assert "The token was not made" in page.text


def test_owners_and_admins_revoke_tokens_others_cannot(client, no_csrf):
    owner = make_user("rep")
    token, secret = create_token({"name": "CI"}, owner.as_actor())
    headers = {"Authorization": f"Bearer {secret}"}
    sign_in(client, "rep")
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 404
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    sign_in(client, "admin")
    assert "CI" in client.get("/profile").text  # other users' tokens, for the admin
    response = client.post(f"/profile/tokens/{token.id}/revoke")
    assert response.status_code == 303
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_an_admin_sees_their_own_tokens_once_and_other_users_tokens_apart(client, no_csrf):
    rep = make_user("rep", name="Rita Rep")
    create_token({"name": "Rita's sync"}, rep.as_actor())
    admin = sign_in(client, "admin")
    create_token({"name": "Admin backup"}, admin.as_actor())
    page = client.get("/profile").text
    mine, _, others = page.partition("Other users' tokens")
    assert "Admin backup" in mine and "Rita&#39;s sync" not in mine
    assert "Rita Rep" in others and "Rita&#39;s sync" in others and "Admin backup" not in others


def test_the_cli_prints_a_read_only_token_once(app, session):
    user = make_user("manager")
    result = app.test_cli_runner().invoke(
        args=["crm", "create-token", user.email, "--name", "Zapier", "--read-only"]
    )
    assert result.exit_code == 0, result.output
    secret = SECRET.search(result.output).group(0)
    client = app.test_client()
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert (me.json["email"], me.json["token"]["scope"]) == (user.email, "read")
    missing = app.test_cli_runner().invoke(args=["crm", "create-token", "x@y.z", "--name", "n"])
    assert missing.exit_code == 1
