"""What a person does over and over in the browser tests: sign in and open a page, fill in a
form and send it, change one value in place, add a task with `t`; and the committed records
they start from."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import committed, committed_user, login


def list_row(page, record_id):
    """A contact or company list's row of `record_id`: its id is the row's data-id, or in a row
    the user may edit its bulk checkbox's value (crm_web/core/display.py row_start)."""
    return page.locator(
        f'tr[data-id="{record_id}"], tr:has(> td > input[name="ids"][value="{record_id}"])'
    )


def open_as(app, page, path: str, role: str = "rep", **fields):
    """Sign in through the login form as a new committed user of `role` (`fields` go to
    make_user), then open `path`. The user comes back."""
    user = committed_user(app, role, **fields)
    login(page, user)
    page.goto(path)
    return user


def fill_in(page, fields: dict[str, str], submit: str | None = None) -> None:
    """Type each value into the input labelled with its key, in order; then, with `submit`,
    press the button of that name."""
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    if submit:
        page.get_by_role("button", name=submit).click()


def edit_in_place(page, display, name: str, value: str, *, role: str = "textbox", within=None):
    """Click-to-edit: click `display` to open its editor (the `role` named `name`, looked for
    in `within` or the page), type `value` and save with Enter. Clicks once the page's scripts
    have run (DOMContentLoaded): a click on a page just shown, before htmx is listening, is lost."""
    page.wait_for_load_state("domcontentloaded")
    display.click()
    editor = (within or page).get_by_role(role, name=name)
    editor.fill(value)
    editor.press("Enter")


def type_task_after_t(page, title: str):
    """On a record page, `t` puts the cursor in the new task's title; `title` is typed there at a
    person's pace (its t's and n's are text there, not shortcuts). The title input comes back."""
    page.keyboard.press("t")
    box = page.get_by_label("New task")
    expect(box).to_be_focused()
    box.press_sequentially(title, delay=120)
    return box


def utc_today():
    """Today for a user made here: none has a time zone until their browser (UTC) sends one."""
    from datetime import UTC, datetime

    return datetime.now(UTC).date()


def actor_of(user):
    """A committed user (committed_user) as the services' acting user, read afresh."""
    from crm_web.accounts.services import get_user

    return get_user(user.id).as_actor()


def committed_contact(app, user=None, first="Peter", last="Gibbons"):
    """A contact created by `user` (or an admin) and committed; its id comes back."""
    from crm_web.contacts.services import create_contact
    from tests.support import ADMIN

    def make():
        by = actor_of(user) if user else ADMIN
        return create_contact({"first_name": first, "last_name": last}, by).id

    return committed(app, make)


def committed_task(app, user, title, due=None, entity=None):
    """A task of `user`'s, due on the date `due` (or undated), on `entity` (type, id) or on no
    record, committed; its id comes back."""
    from crm_web.activities.services import create_task

    def make():
        data = {"description": title, "due_date": due.isoformat() if due else None}
        if entity:
            data.update(entity_type=entity[0], entity_id=entity[1])
        return create_task(data, actor_of(user)).id

    return committed(app, make)
