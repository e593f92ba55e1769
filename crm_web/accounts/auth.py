"""Sign-in plumbing shared by every blueprint: the current actor and the login guard."""

from __future__ import annotations

from flask_login import LoginManager, current_user, login_required

from crm_web.core.actor import Actor

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"

__all__ = ["current_actor", "login_manager", "login_required"]


def current_actor() -> Actor:
    """The signed-in user as an Actor, for service calls."""
    return current_user.as_actor()


@login_manager.user_loader
def load_user(session_token: str):
    """Accept the session only while the user is active and its session version still matches."""
    from crm_web.accounts.repository import get_user

    user_id, _, version = session_token.partition(":")
    user = get_user(user_id)
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user
