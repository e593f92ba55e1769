"""Races that only a real PostgreSQL can show: parallel guesses at one account, and two first
visitors submitting /setup at once. These commit for real (the requests run in threads, each
with its own connection), so every test empties the accounts tables before and after."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tests.accounts.conftest import PASSWORD

ATTEMPTS = 10


@pytest.fixture
def committed(app):
    from crm_web.core.db import db

    def empty():
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("TRUNCATE login_attempts, users, audit_logs CASCADE"))
            db.session.remove()

    empty()
    yield
    empty()


def _post(app, path, data):
    with app.test_client() as client:
        return client.post(path, data=data).status_code


def test_parallel_wrong_guesses_cannot_slip_past_the_limit(app, committed):
    from crm_web.accounts.services import create_user
    from crm_web.core.actor import SYSTEM
    from crm_web.core.db import db

    with app.app_context():
        create_user(
            {"email": "rep@example.com", "name": "Rep", "role": "rep", "password": PASSWORD},
            SYSTEM,
        )
        db.session.remove()
    guess = {"email": "rep@example.com", "password": "a wrong guess"}
    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        statuses = list(pool.map(lambda _: _post(app, "/login", guess), range(ATTEMPTS)))
    assert sorted(statuses) == [422] * 5 + [429] * 5


def test_two_simultaneous_setups_create_one_admin(app, committed):
    from crm_web.core.db import db

    def setup(n):
        data = {
            "name": f"Admin {n}",
            "email": f"admin{n}@example.com",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        }
        return _post(app, "/setup", data)

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(setup, range(4)))
    assert sorted(statuses) == [303, 404, 404, 404]
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM users")) == 1
        db.session.remove()
