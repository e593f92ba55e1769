"""What a person does over and over in the browser tests: sign in and open a page, fill in a
form and send it, change one value in place."""

from __future__ import annotations

from tests.browser.conftest import committed_user, login


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
    in `within` or the page), type `value` and save with Enter."""
    display.click()
    editor = (within or page).get_by_role(role, name=name)
    editor.fill(value)
    editor.press("Enter")
