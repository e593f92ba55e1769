"""Words the editors show about a record that changed under the user (the views' wording)."""

from __future__ import annotations

from datetime import datetime

from crm_web.core.dates import local_datetime, user_zone


def restored_notice(notice: dict, entity: str) -> tuple[str, str]:
    """(message, kind) to flash after restoring one record through the bulk action (contacts,
    companies), which restores only what is archived: no id back means nothing changed."""
    if notice["kind"] != "success":
        return notice["message"], notice["kind"]
    if notice["ids"]:
        return f"{entity.capitalize()} restored.", "success"
    return f"This {entity} is not archived: nothing was restored.", "error"


def _text(value) -> str:
    """A value quoted as the page shows it; blank is said in words ("empty"), not quoted."""
    if value is None or value == "" or value == []:
        return "empty"
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    elif value is True or value is False:
        value = "Yes" if value else "No"
    return f"“{value}”"


def _time(when: datetime) -> str:
    """The time in the user's zone; the date too unless it is their today."""
    local = when.astimezone(user_zone())
    if local.date() == datetime.now(local.tzinfo).date():
        return f"{local:%H:%M}"
    return local_datetime(when)


def owner_shown(owners):
    """`shown` for an owner field: a user id as the name the owner picker gives it."""
    names = {str(id): name for id, name in owners}
    return lambda value: names.get(str(value), "Unassigned") if value else "Unassigned"


def option_shown(options):
    """`shown` for a select: a stored value as its option's label ((value, label) pairs)."""
    labels = dict(options)
    return lambda value: labels.get("" if value is None else str(value), value)


def changed_since_notice(change: dict | None, shown=None) -> str | None:
    """The editor's notice for audit's change_since(): who changed the field from what to what,
    and when, since the page was drawn; None when nothing changed. `shown` turns a stored value
    into what the page shows (a company's name for its id)."""
    if not change:
        return None
    who = change["who"] or "Someone"
    old, new = (_text(shown(value) if shown else value) for value in (change["old"], change["new"]))
    return (
        f"Changed since you opened this page: {who} changed it from {old} to {new} "
        f"at {_time(change['when'])}."
    )
