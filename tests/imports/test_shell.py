"""`flask --app crm_web crm import FILE --type … --as EMAIL [--mapping NAME]`: the wizard's
pipeline from the shell, with the counts, errors.csv beside the file, and its exit status."""

from __future__ import annotations

import csv

from sqlalchemy import func, select

from crm_web.contacts.models import Contact
from crm_web.core.db import db
from crm_web.imports.models import ImportMapping
from tests.support import make_user

FILE = (
    "Given Name,Family Name,E-mail Address\n"
    "Ann,Shell,ann@shell-test.example\n"
    "Bob,Shell,not an email\n"
    "Cy,Shell,ann@shell-test.example\n"
    "Dee,Shell,dee@shell-test.example\n"
)


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["crm", "import", *args])


def _imported() -> list[str]:
    query = select(Contact.first_name).where(Contact.last_name == "Shell").order_by("first_name")
    return list(db.session.scalars(query))


def test_the_shell_imports_a_file_and_says_where_the_refused_rows_are(app, session, tmp_path):
    user = make_user("admin")
    path = tmp_path / "people.csv"
    path.write_text(FILE, encoding="utf-8")
    result = _run(app, str(path), "--type", "contacts", "--as", user.email)
    assert result.exit_code == 0, result.output
    assert ": 2 created, 1 skipped as duplicates, 1 refused, of 4 rows." in result.stdout
    errors = tmp_path / "people-errors.csv"
    assert f"Refused rows, with row numbers and reasons: {errors}" in result.stdout
    rows = list(csv.reader(errors.open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["Row", "Column", "Reason"]
    assert rows[1][:2] == ["3", "E-mail Address"] and rows[1][3:] == [
        "Bob",
        "Shell",
        "not an email",
    ]
    assert _imported() == ["Ann", "Dee"]


def test_the_shell_uses_a_saved_mapping_by_name(app, session, tmp_path):
    user = make_user("admin")
    header = ["Vorname", "Nachname", "Kontakt"]
    db.session.add(
        ImportMapping(
            kind="contacts",
            name="Messe",
            header=header,
            mapping=["first_name", "last_name", "emails:1"],
        )
    )
    db.session.flush()
    path = tmp_path / "messe.csv"
    path.write_text("Vorname,Nachname,Kontakt\nEve,Shell,eve@shell-test.example\n")
    result = _run(app, str(path), "--type", "contacts", "--as", user.email, "--mapping", "Messe")
    assert result.exit_code == 0, result.output
    assert ": 1 created, 0 skipped as duplicates, 0 refused, of 1 rows." in result.stdout
    assert "Refused rows" not in result.stdout
    assert _imported() == ["Eve"]


def test_the_shell_exits_1_with_the_reason_when_it_cannot_import(app, session, tmp_path):
    viewer = make_user("viewer")
    admin = make_user("admin")
    path = tmp_path / "people.csv"
    path.write_text(FILE, encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for args, message in [
        ((str(path), "--as", viewer.email), "may not"),
        ((str(path), "--as", "nobody@example.com"), "No active user has the email"),
        ((str(empty), "--as", admin.email), "The file is empty."),
        ((str(path), "--as", admin.email, "--mapping", "Nope"), "No saved contacts mapping"),
    ]:
        result = _run(app, *args[:1], "--type", "contacts", *args[1:])
        assert result.exit_code == 1, result.output
        assert message in result.stderr
    assert db.session.scalar(select(func.count()).where(Contact.last_name == "Shell")) == 0


def test_the_shell_fills_contacts_it_matches_and_gives_rows_a_default_owner(app, session, tmp_path):
    from crm_web.contacts.services import create_contact
    from tests.support import ADMIN

    user, owner = make_user("admin"), make_user("rep")
    create_contact(
        {"first_name": "Ann", "last_name": "Shell", "emails": ["ann@shell-test.example"]}, ADMIN
    )
    path = tmp_path / "people.csv"
    path.write_text(
        "Given Name,Family Name,E-mail Address,Mobile Phone\n"
        "Ann,Shell,ANN@shell-test.example,06 12 34 56 78\n"
        "Eve,Shell,eve@shell-test.example,\n",
        encoding="utf-8",
    )
    args = [
        "--type",
        "contacts",
        "--as",
        user.email,
        "--duplicates",
        "fill",
        "--owner",
        owner.email,
    ]
    result = _run(app, str(path), *args, "--phone-region", "FR")
    assert result.exit_code == 0, result.output
    assert ": 1 created, 1 updated, 0 skipped as duplicates, 0 refused, of 2 rows." in result.stdout
    found = {
        c.first_name: c
        for c in db.session.scalars(select(Contact).where(Contact.last_name == "Shell"))
    }
    assert found["Ann"].phones == ["+33612345678"] and found["Eve"].owner_id == owner.id
    result = _run(app, str(path), *args[:4], "--owner", "nobody@example.com")
    assert (
        result.exit_code == 1
        and "No active user has the email nobody@example.com." in result.output
    )
