"""The admin's user management: /admin/users. Routes live on the accounts blueprint."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from crm_web.accounts import services
from crm_web.accounts.auth import current_actor, requires
from crm_web.accounts.blueprint import bp
from crm_web.core.actor import ROLES
from crm_web.core.errors import ValidationError
from crm_web.core.htmx import render, wants_fragment

ROLE_CHOICES = [(role, role.capitalize()) for role in ROLES]


def _page(form=None, errors=None, status=200, row_errors=None):
    users = services.list_users(current_actor())
    return render(
        "admin/users.html",
        "new_user",
        users=users,
        roles=ROLE_CHOICES,
        form=form or {},
        errors=errors or {},
        row_errors=row_errors or {},
        status=status,
    )


def _row(user, errors=None, status=200, notice=None):
    """One user's row, swapped in place by HTMX (outerHTML of #user-<id>)."""
    if wants_fragment():
        context = {"user": user, "roles": ROLE_CHOICES, "errors": errors or {}, "notice": notice}
        return render("admin/_user_row.html", status=status, **context)
    if errors:
        return _page(row_errors={str(user.id): errors}, status=status)
    return redirect(url_for("accounts.admin_users"), 303)


@bp.get("/admin/")
@requires("users.manage")
def admin_home():
    """/admin/ (typed, or a bookmark): the admin section starts at its users (a 404 before)."""
    return redirect(url_for("accounts.admin_users"))


@bp.get("/admin/users")
@requires("users.manage")
def admin_users():
    """Every user, with forms to add one and to change roles, access and passwords."""
    return _page()


@bp.post("/admin/users")
@requires("users.manage")
def create_user():
    """Add a user with a role and a first password."""
    try:
        user = services.create_user(request.form.to_dict(), current_actor())
    except ValidationError as exc:
        return _page(form=request.form, errors=exc.fields, status=422)
    flash(f"{user.name} can now sign in as {user.role}.", "success")
    return redirect(url_for("accounts.admin_users"), 303)


@bp.post("/admin/users/<user_id>/role")
@requires("users.manage")
def change_role(user_id):
    """Change a user's role; their sessions end."""
    user = services.get_user(user_id)
    try:
        user = services.change_role(user_id, request.form.to_dict(), current_actor())
    except ValidationError as exc:
        return _row(user, exc.fields, 422)
    return _row(user, notice=f"Now {user.role}; signed out everywhere.")


@bp.post("/admin/users/<user_id>/active")
@requires("users.manage")
def set_active(user_id):
    """Deactivate or reactivate a user."""
    user = services.get_user(user_id)
    active = request.form.get("active") == "true"
    try:
        user = services.set_active(user_id, active, current_actor())
    except ValidationError as exc:
        return _row(user, exc.fields, 422)
    return _row(user, notice="Reactivated." if active else "Deactivated; signed out everywhere.")


@bp.post("/admin/users/<user_id>/password")
@requires("users.manage")
def reset_password(user_id):
    """Give a user a new password; their sessions end."""
    user = services.get_user(user_id)
    try:
        user = services.reset_password(user_id, request.form.to_dict(), current_actor())
    except ValidationError as exc:
        return _row(user, exc.fields, 422)
    if not wants_fragment():
        flash(f"{user.name}'s password is reset.", "success")
    return _row(user, notice="Password reset; signed out everywhere.")
