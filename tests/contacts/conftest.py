import pytest

from crm_web.core.actor import SYSTEM


def _user(role="rep", email=None, name="Robin Rep"):
    from crm_web.accounts.services import create_user

    email = email or f"{role}-{id(object())}@example.com"
    data = {"email": email, "name": name, "role": role, "password": "long enough pw"}
    return create_user(data, SYSTEM)


@pytest.fixture
def make_user(session):
    return _user


@pytest.fixture
def signed_in(app, client, session):
    """Sign `client` in as a fresh user of `role`, CSRF off for the test; returns the user."""
    previous = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False

    def sign_in(role="rep", name="Robin Rep"):
        user = _user(role, name=name)
        with client.session_transaction() as s:
            s["_user_id"] = user.get_id()
            s["_fresh"] = True
        return user

    yield sign_in
    app.config["WTF_CSRF_ENABLED"] = previous
