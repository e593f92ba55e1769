"""`flask --app crm_web crm create-user EMAIL --role ROLE`, password on stdin."""

from __future__ import annotations

from crm_web.accounts.repository import get_user_by_email
from crm_web.accounts.services import password_matches

PASSWORD = "a long password"


def _create_user(app, *args, password: str | None = None):
    runner = app.test_cli_runner()
    return runner.invoke(args=["crm", "create-user", *args], input=f"{password or PASSWORD}\n")


def test_create_user_reads_the_password_from_stdin_and_creates_the_user(app, session):
    result = _create_user(app, "Grace@Example.com", "--role", "manager")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Created manager Grace@example.com"
    user = get_user_by_email("grace@example.com")
    assert user is not None and user.role == "manager" and user.name == "Grace"
    assert password_matches(user, PASSWORD)


def test_a_short_password_prints_the_field_error_and_exits_1(app, session):
    result = _create_user(app, "short@example.com", "--role", "rep", password="short")
    assert result.exit_code == 1
    assert "password: Use at least 10 characters." in result.stderr
    assert get_user_by_email("short@example.com") is None


def test_a_bad_email_prints_the_field_error_and_exits_1(app, session):
    result = _create_user(app, "not-an-email", "--role", "rep")
    assert result.exit_code == 1
    assert result.stderr.startswith("email: 'not-an-email' is not a valid email address")


def test_a_second_user_with_the_same_email_is_refused(app, session):
    assert _create_user(app, "twice@example.com", "--role", "rep").exit_code == 0
    result = _create_user(app, "TWICE@example.com", "--role", "admin")
    assert result.exit_code == 1
    assert "email: A user with this email already exists." in result.stderr


def test_an_unknown_role_is_a_usage_error(app, session):
    result = _create_user(app, "x@example.com", "--role", "owner")
    assert result.exit_code == 2
    assert "'owner' is not one of" in result.stderr


def test_seed_demo_is_a_crm_command(app):
    result = app.test_cli_runner().invoke(args=["crm", "seed-demo", "--help"])
    assert result.exit_code == 0 and "--contacts" in result.output


def test_seed_demo_spreads_tasks_and_notes_over_contacts_and_deals(app):
    """Seeding commits (COPY): it runs in its own app context and truncates after."""
    from sqlalchemy import text

    from crm_web.core.db import db
    from crm_web.tools.demo import seed_activities, seed_demo
    from tests.support import make_deal

    with app.app_context():
        try:
            seed_demo(contacts=50, companies=5, echo=lambda *_: None)
            make_deal()
            db.session.commit()
            seed_activities(300, 200, echo=lambda *_: None)
            row = db.session.execute(
                text(
                    "SELECT (SELECT count(DISTINCT entity_type) FROM tasks), "
                    "(SELECT count(*) FROM tasks), (SELECT count(*) FROM notes), "
                    "(SELECT count(*) FROM tasks WHERE due_date < current_date), "
                    "(SELECT count(*) FROM tasks WHERE due_date >= current_date), "
                    "(SELECT count(DISTINCT assignee_id) FROM tasks), "
                    # a note's card names its author: a demo user, not "Someone"
                    "(SELECT count(DISTINCT u.id) FROM notes JOIN users u "
                    " ON u.id::text = notes.created_by), "
                    "(SELECT count(*) FROM notes WHERE created_by NOT IN "
                    " (SELECT id::text FROM users))"
                )
            ).one()
            kinds, tasks, notes, past, ahead, assignees, authors, anonymous = row
            assert (kinds, tasks, notes) == (2, 300, 200)
            assert past and ahead and assignees > 1
            assert authors > 1 and anonymous == 0
        finally:
            db.session.execute(
                text("TRUNCATE tasks, notes, deals, contacts, companies, users CASCADE")
            )
            db.session.commit()
            db.session.remove()
