"""First-run set-up, sign-in, sign-out, throttling and revocable sessions, through the test client."""

from __future__ import annotations

import re

import pytest

from tests.accounts.conftest import PASSWORD, session_cookie, submit_login
from tests.support import make_user

SETUP = {
    "name": "Ada Admin",
    "email": "ada@example.com",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
}


def _assert_sent_to_sign_in(response, then: str = "") -> None:
    """The answer to a request without a valid session: a redirect to the sign-in page (whose
    query string starts with `then`)."""
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login" + then)


def test_setup_creates_the_admin_once_then_disappears(client, session):
    assert client.get("/login").headers["Location"] == "/setup"
    response = client.post("/setup", data=SETUP)
    assert response.status_code == 303
    home = client.get("/")
    assert "Good to see you, Ada" in home.text
    assert "Admin" in home.text  # the admin's navigation

    from crm_web.accounts.repository import get_user_by_email

    assert get_user_by_email("ada@example.com").role == "admin"
    assert client.get("/setup").status_code == 404
    again = client.post("/setup", data={**SETUP, "email": "eve@example.com"})
    assert again.status_code == 404
    assert get_user_by_email("eve@example.com") is None


def test_setup_shows_messages_beside_the_fields(client, session):
    response = client.post("/setup", data={**SETUP, "password": "short", "password_confirm": "x"})
    assert response.status_code == 422
    assert 'id="field-password-error"' in response.text
    assert "Use at least 10 characters." in response.text
    assert 'aria-describedby="field-password-hint field-password-error"' in response.text


def test_setup_is_gone_once_any_user_exists(client, session):
    make_user(email="rep@example.com")
    assert client.get("/setup").status_code == 404


def test_home_sends_a_signed_out_visitor_to_sign_in(client, session):
    make_user(email="rep@example.com")
    _assert_sent_to_sign_in(client.get("/"))


def test_sign_in_and_out(client, session):
    make_user(email="rep@example.com")
    response = submit_login(client)
    assert response.status_code == 303
    assert client.get("/profile").status_code == 200
    assert client.post("/logout").status_code == 303
    _assert_sent_to_sign_in(client.get("/profile"), "?next=/profile")


def test_wrong_password_and_unknown_email_get_the_same_answer(client, session):
    make_user(email="rep@example.com")
    wrong = submit_login(client, password="not the password")
    unknown = submit_login(client, email="nobody@example.com", password="not the password")
    assert wrong.status_code == unknown.status_code == 422
    assert "Email or password is incorrect." in wrong.text
    assert "Email or password is incorrect." in unknown.text

    def page(response, email):
        # The whole page is the same but for the email typed and the CSRF token's timestamp.
        return re.sub(
            r'(csrf_token" value="|X-CSRFToken": ")[^"]+', "TOKEN", response.text
        ).replace(email, "EMAIL")

    assert page(wrong, "rep@example.com") == page(unknown, "nobody@example.com")


@pytest.mark.parametrize("email", ["rep@example.com", "nobody@example.com"])
def test_the_sixth_wrong_password_within_a_minute_is_throttled(client, session, email):
    make_user(email="rep@example.com")
    for _ in range(5):
        assert submit_login(client, email=email, password="wrong password").status_code == 422
    sixth = submit_login(client, email=email, password="wrong password")
    assert sixth.status_code == 429
    assert "Too many failed sign-in attempts" in sixth.text
    assert "incorrect" not in sixth.text
    # Even the right password waits: otherwise guessing would simply go on.
    assert submit_login(client, email=email, password=PASSWORD).status_code == 429


def test_throttling_is_per_account(client, session):
    make_user(email="rep@example.com")
    make_user(email="other@example.com")
    for _ in range(6):
        submit_login(client, password="wrong password")
    assert submit_login(client, email="other@example.com").status_code == 303


def test_one_address_guessing_many_accounts_is_throttled(client, session):
    make_user(email="rep@example.com")
    for n in range(20):
        submit_login(client, email=f"guess{n}@example.com", password="wrong password")
    response = submit_login(client)
    assert response.status_code == 429
    # Another address is not affected.
    other = submit_login(client, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 303


def test_throttling_counts_only_the_last_minute(client, session):
    from sqlalchemy import text

    make_user(email="rep@example.com")
    for _ in range(6):
        submit_login(client, password="wrong password")
    session.execute(
        text("UPDATE login_attempts SET attempted_at = attempted_at - interval '61 seconds'")
    )
    assert submit_login(client).status_code == 303


def test_a_deactivated_user_cannot_sign_in_and_learns_nothing(client, session):
    from crm_web.accounts.services import set_active
    from crm_web.core.actor import SYSTEM

    user = make_user(email="rep@example.com")
    make_user("admin", email="boss@example.com")
    set_active(user.id, False, SYSTEM)
    response = submit_login(client)
    assert response.status_code == 422
    assert "Email or password is incorrect." in response.text


def test_replaying_the_cookie_after_logout_gets_the_sign_in_page(client, session):
    make_user(email="rep@example.com")
    submit_login(client)
    old = session_cookie(client)
    client.post("/logout")
    client.set_cookie("session", old)
    _assert_sent_to_sign_in(client.get("/profile"))


def test_changing_the_password_needs_the_current_one_and_revokes_old_cookies(client, session):
    make_user(email="rep@example.com")
    submit_login(client)
    old = session_cookie(client)
    new = "a brand new passphrase"
    response = client.post(
        "/profile/password",
        data={"current_password": "wrong", "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 303
    assert client.get("/profile").status_code == 200  # this browser stays signed in
    client.set_cookie("session", old)
    assert client.get("/profile").status_code == 302  # the copied cookie does not
    client.post("/logout")
    assert submit_login(client, password=PASSWORD).status_code == 422
    assert submit_login(client, password=new).status_code == 303


def test_an_htmx_password_change_error_returns_only_the_form(client, session):
    make_user(email="rep@example.com")
    submit_login(client)
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": "short", "confirm_password": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section class="panel" id="password_form"')
    assert "The two passwords differ." in response.text
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_a_role_change_revokes_that_users_sessions(client, session, app):
    from crm_web.accounts.services import change_role
    from crm_web.core.actor import SYSTEM

    user = make_user(email="rep@example.com")
    submit_login(client)
    change_role(user.id, {"role": "viewer"}, SYSTEM)
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/profile", "/profile"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_local_paths(client, session, target, landing):
    make_user(email="rep@example.com")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "rep@example.com", "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == landing


def test_the_session_id_rotates_at_sign_in(client, session):
    make_user(email="rep@example.com")
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
    submit_login(client)
    with client.session_transaction() as current:
        assert "planted" not in current
        assert current.permanent


def test_an_idle_session_expires(client, session, app, monkeypatch):
    import time

    from itsdangerous.timed import TimestampSigner

    make_user(email="rep@example.com")
    submit_login(client)
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(session_cookie(client))
    idle = app.permanent_session_lifetime.total_seconds() + 60
    # A cookie last re-signed longer ago than the idle timeout (Flask re-signs on each request).
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time() - idle))
        stale = serializer.dumps(data)
    client.set_cookie("session", serializer.dumps(data))
    assert client.get("/profile").status_code == 200
    client.set_cookie("session", stale)
    _assert_sent_to_sign_in(client.get("/profile"))


def _signed_ago(app, data, seconds: float) -> str:
    """A session cookie holding `data`, signed `seconds` ago."""
    import time

    from itsdangerous.timed import TimestampSigner

    serializer = app.session_interface.get_signing_serializer(app)
    original = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time() - seconds)
    try:
        return serializer.dumps(data)
    finally:
        TimestampSigner.get_timestamp = original


def test_a_cookie_seen_fresh_is_still_refused_once_idle_or_tampered(
    client, session, app, monkeypatch
):
    """Each cookie is verified once per process (core.security): the same cookie, used again
    after the idle timeout, is refused all the same, and so is any change to its signature."""
    import time

    make_user(email="rep@example.com")
    submit_login(client)
    cookie = session_cookie(client)
    assert client.get("/profile").status_code == 200  # verified, and remembered
    # Another browser's copy with one character of the signature changed (not its last, whose
    # low bits are base64 padding: some changes there decode to the same signature).
    forged = cookie[:-5] + ("A" if cookie[-5] != "A" else "Q") + cookie[-4:]
    client.set_cookie("session", forged)
    _assert_sent_to_sign_in(client.get("/profile"))
    client.set_cookie("session", cookie)
    assert client.get("/profile").status_code == 200
    # The clock moves past the idle timeout: the very cookie seen before no longer signs in.
    idle = app.permanent_session_lifetime.total_seconds() + 60
    now = time.time()
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: now + idle)
        _assert_sent_to_sign_in(client.get("/profile"))


def test_pages_do_not_sign_the_session_cookie_again_while_it_is_fresh(client, session):
    make_user(email="rep@example.com")
    assert "session=" in submit_login(client).headers["Set-Cookie"]  # signing in sets it
    client.get("/profile")  # the first form drawn keeps its CSRF secret in the session
    for _ in range(2):
        response = client.get("/profile")
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers


def test_a_session_in_use_outlives_the_idle_timeout(client, session, app):
    """The cookie is signed again once it is a few minutes old, so the idle timeout counts from
    the last use (to within those minutes), not from sign-in."""
    make_user(email="rep@example.com")
    submit_login(client)
    data = app.session_interface.get_signing_serializer(app).loads(session_cookie(client))
    idle = app.permanent_session_lifetime.total_seconds()
    # Signed 3/4 of the idle timeout ago, and in use now: re-signed.
    client.set_cookie("session", _signed_ago(app, data, idle * 3 / 4))
    response = client.get("/profile")
    assert response.status_code == 200
    assert "session=" in response.headers["Set-Cookie"]
    refreshed = session_cookie(client)
    serializer = app.session_interface.get_signing_serializer(app)
    _, signed_at = serializer.loads(refreshed, return_timestamp=True)
    from datetime import UTC, datetime

    assert (datetime.now(UTC) - signed_at).total_seconds() < 60
    assert client.get("/profile").status_code == 200


def test_unauthenticated_htmx_requests_are_redirected_by_header(client, session):
    make_user(email="rep@example.com")
    response = client.get(
        "/profile",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/profile"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/login?next=/profile"


def test_the_cli_still_creates_users(app, session):
    from crm_web.accounts.repository import get_user_by_email

    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["crm", "create-user", "cli@example.com", "--role", "manager"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert get_user_by_email("cli@example.com").role == "manager"
