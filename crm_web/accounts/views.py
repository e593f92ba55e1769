"""Sign-in pages: first-run set-up, login, logout, the profile, and the admin's user list."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from crm_web.accounts import (
    admin_views,  # noqa: F401 (its routes, on the same blueprint)
    services,
    tokens,
)
from crm_web.accounts.auth import current_actor, public, requires
from crm_web.accounts.blueprint import bp
from crm_web.core.errors import ValidationError
from crm_web.core.htmx import render, wants_fragment
from crm_web.core.permissions import allowed


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never //host, a scheme, or a backslash trick; nor a control
    character (CR/LF cannot go in the Location header) nor a lone surrogate."""
    target = (target or "").strip()
    if not target.isprintable():
        return url_for("home")
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
    ):
        return url_for("home")
    return target


def see_other(url: str):
    """After a successful post: 303 for a plain form; HTMX is told to load the page instead."""
    if wants_fragment():
        return "", 204, {"HX-Redirect": url}
    return redirect(url, 303)


def _start_session(user) -> None:
    """A fresh cookie at sign-in: nothing from before (a planted session) survives."""
    session.clear()
    session.permanent = True  # the idle timeout (PERMANENT_SESSION_LIFETIME) applies
    login_user(user)


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run: the first visitor creates the admin account; afterwards 404."""
    if not services.setup_needed():
        abort(404)
    if request.method == "GET":
        return render("accounts/setup.html", form={}, errors={})
    try:
        user = services.create_first_admin(request.form.to_dict())
    except ValidationError as exc:
        return render("accounts/setup.html", form=request.form, errors=exc.fields, status=422)
    _start_session(user)
    flash(f"Welcome, {user.name}. Your admin account is ready.", "success")
    return redirect(url_for("home"), 303)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The sign-in form; on success, on to `next` (a local path) or the start page."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        if services.setup_needed():
            return redirect(url_for("accounts.setup"))
        return render("accounts/login.html", form={}, errors={}, message=None)
    try:
        user = services.sign_in(request.form.to_dict(), request.remote_addr or "unknown")
    except (ValidationError, services.SignInThrottled) as exc:
        errors = getattr(exc, "fields", {})
        return render(
            "accounts/login.html",
            form={"email": request.form.get("email", "")},
            errors=errors,
            message=None if errors else exc.message,
            status=exc.status,
        )
    _start_session(user)
    return redirect(_safe_next(request.args.get("next")), 303)


@bp.post("/logout")
@public
def logout():
    """Sign out here and everywhere else (the session version moves on)."""
    if current_user.is_authenticated:
        services.sign_out(current_actor())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"), 303)


@bp.get("/profile")
@requires("profile.update")
def profile():
    """The signed-in user's details and the change-password form."""
    return _profile(None, {})


def can_manage_users(actor) -> bool:
    return allowed(actor, "users.manage")


def _profile(block: str | None, errors: dict, status: int = 200, **extra):
    actor = current_actor()
    return render(
        "accounts/profile.html",
        block,
        errors=errors,
        time_zones=[(name, name.replace("_", " ")) for name in services.time_zone_choices()],
        tokens=tokens.tokens_of(actor),
        # Admins revoke anyone's token here too (a script's token outlives its author's job).
        everyones_tokens=tokens.live_tokens(actor) if can_manage_users(actor) else None,
        token_form=request.form if errors else {},
        status=status,
        **extra,
    )


@bp.post("/profile/tokens")
@requires("profile.update")
def create_token():
    """Make a personal API token; its secret is shown on the page this once."""
    try:
        token, secret = tokens.create_token(request.form.to_dict(), current_actor())
    except ValidationError as exc:
        return _profile("api_tokens", exc.fields, 422)
    return _profile("api_tokens", {}, new_token=token, new_secret=secret)


@bp.post("/profile/tokens/<token_id>/revoke")
@requires("profile.update")
def revoke_token(token_id):
    """Revoke a token (one's own; an admin's, anyone's): its next call gets 401."""
    token = tokens.revoke_token(token_id, current_actor())
    flash(f"The token “{token.name}” is revoked.", "success")
    return see_other(url_for("accounts.profile") + "#api-tokens")


@bp.post("/profile/time-zone")
@requires("profile.update")
def update_time_zone():
    """Choose the time zone times are shown in (the profile's form)."""
    try:
        services.set_time_zone(request.form.to_dict(), current_actor())
    except ValidationError as exc:
        return _profile("time_zone_form", exc.fields, 422)
    flash("Times are now shown in your new time zone.", "success")
    return see_other(url_for("accounts.profile"))


@bp.post("/profile/time-zone/detected")
@requires("profile.update")
def detected_time_zone():
    """The browser's time zone, sent once by static/js/time-zone.js while the user has none."""
    services.set_time_zone(request.form.to_dict(), current_actor(), only_if_unset=True)
    return "", 204


@bp.post("/profile/password")
@requires("profile.update")
def change_password():
    """Change one's own password (the current one is required); other sessions end."""
    try:
        user = services.change_own_password(request.form.to_dict(), current_actor())
    except ValidationError as exc:
        return _profile("password_form", exc.fields, 422)
    _start_session(user)  # this browser stays signed in with the new session version
    flash("Your password is changed. Other devices have been signed out.", "success")
    return see_other(url_for("accounts.profile"))
