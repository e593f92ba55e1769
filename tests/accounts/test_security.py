"""CSRF tokens, the same-origin check, response headers, cookie flags, error pages, /healthz."""

from __future__ import annotations

import re

import pytest

from crm_web.config import ConfigError, load_settings
from tests.accounts.conftest import PASSWORD, submit_login
from tests.support import make_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_post_without_a_csrf_token_is_refused(client, session, csrf_on):
    make_user(email="rep@example.com")
    response = submit_login(client)
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    token = _token(client.get("/login").text)
    data = {"email": "rep@example.com", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 303


def test_htmx_requests_carry_the_token_in_a_header(client, session, csrf_on):
    make_user(email="rep@example.com")
    token = _token(client.get("/login").text)
    sign_in_data = {"email": "rep@example.com", "password": PASSWORD, "csrf_token": token}
    client.post("/login", data=sign_in_data)
    page = client.get("/profile").text
    header_token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    form = {"current_password": "wrong", "new_password": "x" * 12, "confirm_password": "x" * 12}
    without = client.post("/profile/password", data=form, headers={"HX-Request": "true"})
    assert without.status_code == 403
    with_token = client.post(
        "/profile/password",
        data=form,
        headers={"HX-Request": "true", "X-CSRFToken": header_token},
    )
    assert with_token.status_code == 422  # past CSRF; the wrong current password is reported
    assert "That is not your current password." in with_token.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_unsafe_requests_from_another_site_are_refused(client, session, headers):
    make_user(email="rep@example.com")
    response = submit_login(client, headers=headers)
    assert response.status_code == 403
    assert "came from another site" in response.text
    # The answer must not replace the victim's cookie (that would sign them out).
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"}, {}],
)
def test_unsafe_requests_from_this_site_pass(client, session, headers):
    make_user(email="rep@example.com")
    assert submit_login(client, headers=headers).status_code == 303


def test_a_configured_public_origin_is_accepted(client, session, app, monkeypatch):
    make_user(email="rep@example.com")
    monkeypatch.setitem(app.config, "TRUSTED_ORIGINS", ("https://crm.example.com",))
    assert submit_login(client, headers={"Origin": "https://crm.example.com"}).status_code == 303


def test_safe_methods_are_not_origin_checked(client, session):
    make_user(email="rep@example.com")
    assert client.get("/login", headers={"Origin": "http://evil.example"}).status_code == 200


@pytest.mark.parametrize("path", ["/login", "/nowhere", "/static/css/app.css", "/healthz"])
def test_security_headers_are_on_every_response(client, session, path):
    make_user(email="rep@example.com")
    response = client.get(path)
    assert response.headers["Content-Security-Policy"].startswith(CSP)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_are_not_cached(client, session):
    make_user(email="rep@example.com")
    submit_login(client)
    assert client.get("/profile").headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_httponly_and_samesite_lax(client, session):
    make_user(email="rep@example.com")
    cookie = submit_login(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_session_cookie_is_secure_when_configured(client, session, app, monkeypatch):
    make_user(email="rep@example.com")
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    assert "Secure" in submit_login(client).headers["Set-Cookie"]


def test_crm_secure_cookies_turns_on_the_secure_flag(tmp_path):
    environ = {"CRM_ENV": "test", "CRM_SECURE_COOKIES": "1", "SECRET_KEY": "x" * 40}
    assert load_settings(environ, tmp_path)["SESSION_COOKIE_SECURE"] is True
    environ["CRM_SECURE_COOKIES"] = ""
    assert load_settings(environ, tmp_path)["SESSION_COOKIE_SECURE"] is False
    for word, secure in (("on", True), ("Yes", True), ("off", False), ("0", False)):
        environ["CRM_SECURE_COOKIES"] = word
        assert load_settings(environ, tmp_path)["SESSION_COOKIE_SECURE"] is secure


@pytest.mark.parametrize("word", ["enabled", "y", "2", "secure"])
def test_a_mistyped_crm_secure_cookies_stops_the_app_rather_than_meaning_off(tmp_path, word):
    environ = {"CRM_ENV": "test", "CRM_SECURE_COOKIES": word, "SECRET_KEY": "x" * 40}
    with pytest.raises(ConfigError, match="CRM_SECURE_COOKIES must be 1 or 0"):
        load_settings(environ, tmp_path)


def test_trusted_origins_are_origins_or_the_app_does_not_start(tmp_path):
    environ = {"CRM_ENV": "test", "SECRET_KEY": "x" * 40}
    environ["CRM_TRUSTED_ORIGINS"] = " https://CRM.example.com/ , http://10.0.0.5:8080"
    assert load_settings(environ, tmp_path)["TRUSTED_ORIGINS"] == (
        "https://crm.example.com",
        "http://10.0.0.5:8080",
    )
    wrong_ones = (
        "crm.example.com",
        "https://crm.example.com/app",
        "ftp://crm.example.com",
        "https://[crm.example.com",
        "https://crm.example.com:99999",
    )
    for wrong in wrong_ones:
        environ["CRM_TRUSTED_ORIGINS"] = f"https://ok.example.com,{wrong}"
        with pytest.raises(ConfigError, match=re.escape(f"got '{wrong}'")):
            load_settings(environ, tmp_path)


def test_pages_carry_no_inline_script_or_style(client, session):
    make_user(email="rep@example.com")
    page = client.get("/login").text
    # htmx's settings are in static/js/app.js (tests/browser/test_shell.py checks them).
    assert "<script>" not in page and "style=" not in page and "htmx-config" not in page


def test_healthz_answers_200_when_the_database_answers(client, session):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_readyz_answers_503_when_the_database_does_not():
    from crm_web import create_app

    closed = "postgresql+psycopg://crm@127.0.0.1:1/nothing?connect_timeout=2"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": closed})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["problems"] == {"database": "The database does not answer."}


def test_an_unexpected_error_shows_a_page_that_leaks_nothing(app):
    from crm_web import create_app
    from crm_web.accounts.auth import public

    other = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )

    @other.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret detail: password=hunter2")

    response = other.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.headers["Content-Security-Policy"].startswith(CSP)


def test_a_missing_page_gets_the_apps_404_page(client, session):
    make_user(email="rep@example.com")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.text
    assert 'href="/static/css/app.css"' in response.text


def test_a_signed_in_user_gets_a_plain_error_page_when_the_database_is_down():
    from crm_web import create_app

    closed = "postgresql+psycopg://crm@127.0.0.1:1/nothing?connect_timeout=2"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": closed})
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = "0b5a1e9c-34b6-4a8e-9b36-3b2f1c3d4e5f:1"
    response = client.get("/profile")
    # A database that cannot answer is a DatabaseError (core/db.py): 503, retry later.
    assert response.status_code == 503
    assert "Something went wrong" in response.text
    assert "127.0.0.1:1" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (403, "Not allowed"),
        (404, "Not found"),
        (409, "Changed meanwhile"),
        (422, "Please check the input"),
        (429, "Slow down"),
        (500, "Something went wrong"),
        (400, "That did not work"),
    ],
)
def test_error_pages_match_the_app_and_leak_nothing(app, session, status, title):
    from crm_web.web import _error_response

    with app.test_request_context("/somewhere"):
        body, code = _error_response(status, "code", "A plain sentence.", {"email": ["Bad."]})
    assert code == status
    assert f'<p class="error-code">{status}</p>' in body
    assert f'<h1 id="error-title">{title}</h1>' in body
    assert 'href="/static/css/app.css"' in body and "Traceback" not in body
    # A 404 or 500 says nothing about what was asked for or what broke.
    if status in (404, 500):
        assert "A plain sentence." not in body


def test_api_errors_are_problem_details(app, session):
    """RFC 9457 under /api/ (issue 13), with per-field messages when there are some."""
    from crm_web.web import _error_response

    with app.test_request_context("/api/v1/contacts"):
        response, code = _error_response(404, "not_found", "No such contact.")
        invalid, _ = _error_response(422, "validation_failed", "Bad.", {"email": ["Bad."]})
    assert code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["detail"] == "No such contact."
    assert "errors" not in response.json
    assert invalid.json["errors"] == {"email": ["Bad."]}


def test_passwords_are_stored_as_scrypt_hashes_unless_the_suite_says_otherwise(
    session, app, monkeypatch
):
    """The suite hashes with one pbkdf2 round for speed (tests/conftest.py); the app itself,
    whose config has no PASSWORD_HASH_METHOD, stores scrypt, and signs in with it."""
    monkeypatch.delitem(app.config, "PASSWORD_HASH_METHOD")
    user = make_user(email="scrypt@example.com")
    assert user.password_hash.startswith("scrypt:")
    from crm_web.accounts.services import password_matches

    assert password_matches(user, PASSWORD)
    assert not password_matches(user, PASSWORD + "x")
