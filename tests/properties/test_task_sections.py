"""My tasks' sections on any clock: every open task is listed once, in the section its due
moment (or day) gives it on the viewer's clock, in due order, however the pages fall.

The sections' statements bound each section's run of the sort key (the partial indexes' order)
to stop a scan where the section ends; these examples check that no bound drops a task, with
viewers and authors far apart (UTC+14 and UTC-12), DST changes at midnight and half hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from crm_web.activities import repository as repo
from crm_web.core.db import db
from tests.support import isolated_session, make_user

ZONES = (
    "UTC",
    "Pacific/Kiritimati",  # UTC+14
    "Etc/GMT+12",  # UTC-12
    "America/Santiago",  # its DST changes at midnight
    "Australia/Lord_Howe",  # a half-hour DST change
    "Asia/Kolkata",
    "America/New_York",
)
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

_timed = st.builds(
    lambda minutes, author: ("timed", minutes, author),
    st.integers(-3 * 24 * 60, 3 * 24 * 60),
    st.sampled_from(ZONES),
)
_undated_day = st.builds(lambda days: ("day", days, None), st.integers(-3, 3))
_tasks = st.lists(st.one_of(_timed, _undated_day, st.just(("none", 0, None))), max_size=12)

INSERT = text(
    "INSERT INTO tasks (description, due_date, due_at, status, assignee_id, created_by, "
    "updated_by) VALUES (:description, :due_date, :due_at, 'open', :assignee, 'test', 'test')"
)


def _stored(kind: str, amount: int, author: str | None, now: dt.datetime, tz) -> dict:
    """A task as the services store it: a timed one's day is its author's."""
    if kind == "timed":
        due_at = now + dt.timedelta(minutes=amount)
        return {"due_at": due_at, "due_date": due_at.astimezone(ZoneInfo(author)).date()}
    if kind == "day":
        return {"due_at": None, "due_date": now.astimezone(tz).date() + dt.timedelta(days=amount)}
    return {"due_at": None, "due_date": None}


def _section(task: dict, now: dt.datetime, tz) -> str:
    """Which section a task belongs in, from its definition."""
    if task["due_date"] is None:
        return "no_date"
    today = now.astimezone(tz).date()
    if task["due_at"] is not None:
        late, day = task["due_at"] < now, task["due_at"].astimezone(tz).date()
    else:
        late, day = task["due_date"] < today, task["due_date"]
    if late:
        return "overdue"
    return "today" if day == today else "upcoming"


def _all_pages(assignee, now, tz_name: str, limit: int) -> list[tuple]:
    """(section, title, sort key) of every row of every page, in the order shown."""
    shown, cursor = [], {}
    today = now.astimezone(ZoneInfo(tz_name)).date()
    at = len(repo.ROW_COLUMNS)  # the section's number, then the sort key
    while True:
        rows, after, _ = repo.task_page(
            {"assignee_id": assignee}, today, now, tz_name, cursor, limit=limit
        )
        shown += [(repo.SECTIONS[row[at]], row.description, tuple(row[at + 1 :])) for row in rows]
        if after is None:
            return shown
        cursor = {"after": after}


# Feature: my-tasks, Property 1: every open task is in the one section its due moment gives it
# on the viewer's clock, once, in due order, across pages; the badge counts Overdue and Today
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), st.integers(0, 2 * 365 * 24 * 60), _tasks, st.integers(1, 4))
# A minute late, on the day after today on its author's clock (UTC+14): Overdue.
@example("UTC", 601, [("timed", -1, "Pacific/Kiritimati")], 1)
# At 12:01 on UTC-12, a task for tomorrow without a time: its key is already past.
@example("Etc/GMT+12", 1, [("day", 1, None)], 1)
# At 20:00 on UTC-12, a task at 23:00: today, though its key is tomorrow in UTC.
@example("Etc/GMT+12", 1920, [("timed", 180, "UTC"), ("day", 0, None)], 1)
# At 22:30 on UTC-12, a minute late, made on UTC+14, where it is two days later.
@example("Etc/GMT+12", 2070, [("timed", -1, "Pacific/Kiritimati")], 1)
def test_every_open_task_is_in_the_section_its_due_moment_gives_it(
    app_ctx, viewer, at, tasks, page_size
):
    now = START + dt.timedelta(minutes=at)
    tz = ZoneInfo(viewer)
    with isolated_session():
        user = make_user("rep")
        made = []
        for n, (kind, amount, author) in enumerate(tasks):
            task = {"description": f"Task {n}", **_stored(kind, amount, author, now, tz)}
            db.session.execute(INSERT, {**task, "assignee": user.id})
            made.append(task)
        shown = _all_pages(user.id, now, viewer, page_size)
        expected = sorted((_section(task, now, tz), task["description"]) for task in made)
        assert sorted((name, title) for name, title, _ in shown) == expected
        # Sections in their order, and inside one by when the task is due.
        order = {name: i for i, name in enumerate(repo.SECTIONS)}
        keys = [(order[name], key) for name, _, key in shown]
        assert keys == sorted(keys)
        # The nav badge and the home page's list: the overdue and today's, the same tasks.
        due = sorted(title for name, title in expected if name in ("overdue", "today"))
        today = now.astimezone(tz).date()
        assert repo.due_count(user.id, today, viewer) == len(due)
        assert sorted(row.description for row in repo.due_tasks(user.id, today, viewer, 20)) == due
