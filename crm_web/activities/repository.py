import datetime as dt
from collections import namedtuple
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql

from crm_web.accounts.models import User
from crm_web.accounts.services import signed_in_query
from crm_web.activities.models import Note, Task
from crm_web.companies.models import Company
from crm_web.contacts.models import Contact
from crm_web.core.dates import zone
from crm_web.core.db import db
from crm_web.core.repository import as_uuid, get_by_id, literal_limit, read
from crm_web.deals.models import Deal
from crm_web.deals.pipeline import PICKER_COLUMNS
from crm_web.lists.keyset import SortKey, fetch_page, fetch_tiered_page, like_pattern

DAY = dt.timedelta(days=1)


def get_task(task_id, *, for_update: bool = False) -> Task | None:
    return get_by_id(Task, task_id, for_update=for_update)


def get_note(note_id, *, for_update: bool = False) -> Note | None:
    return get_by_id(Note, note_id, for_update=for_update)


# Built once (core.repository); `= ANY(:ids)` takes the whole list as one array parameter.
_IDS = bindparam("ids", type_=postgresql.ARRAY(sa.Uuid))
_TASKS_FOR = (
    select(Task)
    .where(Task.entity_type == bindparam("type"), Task.entity_id == sa.any_(_IDS))
    .order_by(Task.due_date.asc().nulls_last(), Task.created_at, Task.id)
)
_NOTES_FOR = (
    select(Note)
    .where(Note.entity_type == bindparam("type"), Note.entity_id == sa.any_(_IDS))
    .order_by(Note.pinned.desc(), Note.created_at.desc(), Note.id)
)


def tasks_for(entity_type: str, entity_ids: list) -> list[Task]:
    ids = [as_uuid(i) for i in entity_ids]
    return list(db.session.scalars(_TASKS_FOR, {"type": entity_type, "ids": ids}))


def notes_for(entity_type: str, entity_ids: list) -> list[Note]:
    ids = [as_uuid(i) for i in entity_ids]
    return list(db.session.scalars(_NOTES_FOR, {"type": entity_type, "ids": ids}))


# "My tasks" (/tasks): five sections listed one after the other, each a tier of
# lists.keyset.fetch_tiered_page, ordered inside by when the task is due (or was made).
SECTIONS = ("overdue", "today", "upcoming", "no_date", "done")
RECENT_DAYS = 7  # "Done recently"
# When a task is due (its due day's midnight UTC without a time; when it was made without a day):
# the very expression of the partial indexes on open tasks of migration 0017, so a page of a
# section reads them in order and stops at the page's end. ('UTC' inline: a bound parameter would
# not match the index expression in a generic plan.)
TASK_KEY = SortKey(
    (
        sa.func.coalesce(
            Task.due_at,
            sa.func.timezone(sa.literal_column("'UTC'"), sa.cast(Task.due_date, sa.DateTime())),
            Task.created_at,
        ),
        Task.id,
    ),
    ("datetime", "uuid"),
)


@dataclass(frozen=True)
class RecordList:
    """One of the lists a record page's Tasks and Notes cards show: the first `size` rows,
    then "Show more" appends as many again (keyset on `key`, which ends with the id). A record
    may carry thousands of tasks or notes; the page draws only the first of each list.
    records.page_query reads the first pages with the page's statement, record_list_page the
    next ones."""

    model: type
    where: tuple  # beside the record's own
    key: SortKey
    descending: bool
    size: int

    def query(self, entity_type, entity_id):
        model = self.model
        return select(model).where(
            model.entity_type == entity_type, model.entity_id == entity_id, *self.where
        )

    def order(self) -> list:
        return [c.desc() if self.descending else c.asc() for c in self.key.columns]


# Open tasks: the dated soonest due first (a timed task at its moment, one without at its day's
# start, as /tasks orders them), then those without a date by when they were made. Done tasks:
# the latest done first (a done task's last change is its completion, as "Done recently" reads
# it). Notes: pinned first, then the newest.
RECORD_LISTS = {
    "open": RecordList(
        Task,
        (Task.status == "open",),
        SortKey(
            (Task.due_date.is_(None), TASK_KEY.columns[0], Task.id), ("bool", "datetime", "uuid")
        ),
        False,
        20,
    ),
    "done": RecordList(
        Task,
        (Task.status == "closed",),
        SortKey((Task.updated_at, Task.id), ("datetime", "uuid")),
        True,
        5,
    ),
    "notes": RecordList(
        Note,
        (),
        SortKey((Note.pinned, Note.created_at, Note.id), ("bool", "datetime", "uuid")),
        True,
        10,
    ),
}


def record_list_page(name: str, entity_type: str, entity_id, after: str | None):
    """The rows of RECORD_LISTS[name] on a record past the cursor `after` (None: the first),
    and the next page's cursor (None at the end)."""
    listed = RECORD_LISTS[name]
    query = listed.query(entity_type, as_uuid(entity_id))
    rows, more, _ = fetch_page(
        query, listed.key, descending=listed.descending, after=after, limit=listed.size
    )
    return [row[0] for row in rows], more


def _local_day(tz_name: str):
    """The task's day on the viewer's clock: a timed task's moment there, else its due date."""
    return sa.func.coalesce(sa.cast(sa.func.timezone(tz_name, Task.due_at), sa.Date), Task.due_date)


# The values the sections compare with, bound on every run: a section's statement is built once
# per shape (lists.keyset.fetch_tiered_page), as the lists' are; building /tasks' five statements
# per request cost more than PostgreSQL's work on them.
_TODAY = bindparam("today", type_=sa.Date)
_NOW = bindparam("now", type_=sa.DateTime(timezone=True))
_TZ_NAME = bindparam("tz_name", type_=sa.String)


def _unestimated(name: str, type_) -> sa.ScalarSelect:
    """A value bound as a subquery, `(SELECT :name)`: PostgreSQL then estimates it alike in
    every plan, and after five runs a statement keeps one generic plan. With the value bound
    in, a person far from the average (no open task, or 200,000; a due day where few tasks
    fall) got a custom plan that looked cheaper on paper and was planned again on every view,
    0.3-0.7 ms a statement. An index still takes it as a condition."""
    return select(bindparam(name, type_=type_)).scalar_subquery()


def _section_values(today, now, tz_name: str) -> dict:
    return {
        "today": today,
        "now": now,
        "done_since": now - RECENT_DAYS * DAY,
        "tz_name": tz_name,
        **_key_bounds(today, now, tz_name),
    }


# A day on another clock may be longer than 24 hours (a DST change at midnight): the bound
# after Today allows for it, as the sections' own filters decide which tasks belong.
_DAY_SLACK = dt.timedelta(hours=2)


def _key_bounds(today, now, tz_name: str) -> dict:
    """Where each dated section's tasks lie on the sort key (TASK_KEY: a timed task's moment,
    a day without a time at its midnight UTC), the leading column of the partial indexes a
    section's scan reads in order. Without them a scan began at the first open task and, past
    the section's last row, read on to the last one, filtering every entry: the page where
    Overdue ends took 0.8 s for anyone's tasks at 720,000 open ones. The sections' own filters
    still decide which tasks belong; a bound only has to hold every one of them.
    - Overdue ends at now: a late timed task is due before it, and a late day (before `today`)
      began at least 10 hours before it, as `today` begins on any clock at most 14 hours
      before its midnight UTC.
    - Today begins at now or at today's midnight UTC, and ends when tomorrow begins on the
      viewer's clock (or at its midnight UTC, if later).
    - Upcoming begins at now or at tomorrow's midnight UTC."""

    def midnight_utc(day):
        return dt.datetime.combine(day, dt.time(), dt.UTC)

    tomorrow_starts = dt.datetime.combine(today + DAY, dt.time(), zone(tz_name))
    return {
        "today_from": min(now, midnight_utc(today)),
        "today_until": max(tomorrow_starts + _DAY_SLACK, midnight_utc(today + DAY)),
        "upcoming_from": min(now, midnight_utc(today + DAY)),
    }


def _section_filters(section: str) -> list:
    day = _local_day(_TZ_NAME)
    is_open = Task.status == "open"
    late = sa.or_(
        sa.and_(Task.due_at.is_not(None), Task.due_at < _NOW),
        sa.and_(Task.due_at.is_(None), Task.due_date < _TODAY),
    )
    key = TASK_KEY.columns[0]  # the bounds are _key_bounds'; the other filters decide

    def bound(name):
        return _unestimated(name, sa.DateTime(timezone=True))

    return {
        "overdue": [is_open, Task.due_date.is_not(None), late, key < bound("now")],
        "today": [
            is_open,
            Task.due_date.is_not(None),
            day == _TODAY,
            sa.not_(late),
            key >= bound("today_from"),
            key < bound("today_until"),
        ],
        "upcoming": [
            is_open,
            Task.due_date.is_not(None),
            day > _TODAY,
            key >= bound("upcoming_from"),
        ],
        "no_date": [is_open, Task.due_date.is_(None)],
        # A done task's last change is its completion (or an edit after it).
        "done": [
            Task.status == "closed",
            Task.updated_at >= bindparam("done_since", type_=sa.DateTime(timezone=True)),
        ],
    }[section]


def _name_of(model, column):
    return select(column).where(model.id == Task.entity_id).scalar_subquery()


# The name of the record a task hangs on, read with the page's rows (no query per row).
RECORD_NAME = sa.case(
    (
        Task.entity_type == "contact",
        _name_of(Contact, Contact.first_name + " " + Contact.last_name),
    ),
    (Task.entity_type == "company", _name_of(Company, Company.name)),
    (Task.entity_type == "deal", _name_of(Deal, Deal.title)),
).label("record_name")


# What a task's row shows (activities/display.py), as plain columns: no ORM objects to build.
ROW_COLUMNS = (
    Task.id,
    Task.description,
    Task.due_date,
    Task.due_at,
    Task.priority,
    Task.assignee_id,
    Task.created_by,
    Task.entity_type,
    Task.entity_id,
    Task.status,
    Task.version,
    RECORD_NAME,
)


# A search's term is looked for through the trigram index on the titles (migration 0028),
# which needs three characters: a shorter term holds no trigram, and a search for it read every
# title (2.5 s for `zq` at a million tasks), so it matches the titles that start with it.
MIN_CONTAINS_SEARCH = 3


def title_pattern(term: str) -> str:
    """The ILIKE pattern of a /tasks search: titles holding `term`, or starting with it when
    it is shorter than MIN_CONTAINS_SEARCH."""
    pattern = like_pattern(term)
    return pattern if len(term) >= MIN_CONTAINS_SEARCH else pattern[1:]


def task_page(filters: dict, today, now, tz_name: str, cursor: dict, limit: int = 50):
    """One page of the sections (rows: ROW_COLUMNS, then the section number and the key) and
    its cursors: one statement per section shown, each built once per shape (which filters are
    set) with its values bound.
    filters: assignee_id (None: anyone's), q (words in the title)."""
    assignee, q = filters.get("assignee_id"), filters.get("q")
    base = []
    if assignee:
        base.append(Task.assignee_id == _unestimated("assignee_id", sa.Uuid))
    if q:
        base.append(Task.description.ilike(bindparam("q", type_=sa.String)))

    def tier(section):
        columns = ROW_COLUMNS if section == SECTIONS[0] else UNNAMED_COLUMNS
        return lambda: [select(*columns).where(*base, *_section_filters(section))]

    values = _section_values(today, now, tz_name)
    values.update(assignee_id=as_uuid(assignee), q=title_pattern(q) if q else None)
    rows, after, before = fetch_tiered_page(
        [tier(s) for s in SECTIONS],
        TASK_KEY,
        None,
        limit=limit,
        shape=("tasks", bool(assignee), bool(q)),
        params=values,
        **cursor,
    )
    at = len(ROW_COLUMNS) - 1  # where RECORD_NAME goes; the section's number follows it
    unnamed = [(row.entity_type, row.entity_id) for row in rows if row[at + 1]]
    if unnamed:
        names = dict(_names(unnamed, archived=True))
        rows = [
            TaskRow(*row[:at], names.get((row.entity_type, row.entity_id)), *row[at + 1 :])
            if row[at + 1]
            else row
            for row in rows
        ]
    return rows, after, before


# Record names: RECORD_NAME's three subqueries cost PostgreSQL ~0.3 ms of planning in a
# section's statement whenever it is planned anew (a search's custom plans, a connection's
# first runs), an empty section's too, and a first page may run all five. The first section's
# statement names its rows itself: it is the one that fills the page of a long list
# (everyone's, a busy rep's), on a plan PostgreSQL keeps. The later sections' rows are named by
# one statement after them (record_names).
UNNAMED_COLUMNS = (*ROW_COLUMNS[:-1], sa.null().label("record_name"))
# A /tasks row: ROW_COLUMNS, then the section's number and the sort key.
TaskRow = namedtuple("TaskRow", [*(c.key for c in ROW_COLUMNS), "section", "due_key", "key_id"])


def due_count(assignee_id, today, tz_name: str) -> int:
    """How many open tasks of `assignee_id` are overdue or due today: one count on the partial
    index idx_tasks_assignee_open_due, its due days up to LATEST_DAY."""
    return read(_DUE_COUNT, _due_values(assignee_id, today, tz_name))[0][0]


def due_count_query(assignee_id, today, tz_name: str):
    """The badge's statement with its values (an EXPLAIN test reads its plan)."""
    return _DUE_COUNT.params(_due_values(assignee_id, today, tz_name))


# A timed task's stored day is its author's: up to two days after the viewer's (UTC+14 and
# UTC-12 are 26 hours apart). The badge's range on the due days ends there.
LATEST_DAY = 2 * DAY


def _due_values(assignee_id, today, tz_name: str) -> dict:
    return {
        "assignee_id": as_uuid(assignee_id),
        "today": today,
        "latest_day": today + LATEST_DAY,
        "tz_name": tz_name,
    }


def _due_by(assignee_id, today, latest_day, tz_name) -> list:
    """Open tasks of `assignee_id` overdue or due today on the `tz_name` clock."""
    return [
        Task.assignee_id == assignee_id,
        Task.status == "open",
        Task.due_date <= latest_day,
        _local_day(tz_name) <= today,
    ]


# The nav badge counts on every page view: built once (building it cost ~0.6 ms a page).
_DUE_COUNT_FILTERS = _due_by(
    _unestimated("assignee_id", sa.Uuid),
    bindparam("today", type_=sa.Date),
    _unestimated("latest_day", sa.Date),
    bindparam("tz_name", type_=sa.String),
)
_DUE_COUNT = select(sa.func.count()).where(*_DUE_COUNT_FILTERS)


# A full page's signed-in user with the badge's count in the same statement (one statement a
# page fewer): the count correlated to the users row, "today" on that user's clock at :now.
_ZONE = sa.func.coalesce(User.time_zone, "UTC")
_USERS_TODAY = sa.cast(sa.func.timezone(_ZONE, bindparam("now", type_=sa.DateTime(True))), sa.Date)
_USERS_DUE_COUNT = (
    select(sa.func.count())
    .where(*_due_by(User.id, _USERS_TODAY, _USERS_TODAY + LATEST_DAY.days, _ZONE))
    .scalar_subquery()
    .label("due_count")
)
SIGNED_IN_WITH_DUE_COUNT = signed_in_query(_USERS_DUE_COUNT)
# …and on a full list page its filter pickers too (deals.pipeline.PICKER_COLUMNS): the
# statement a list page ran for them alone cost it ~0.1 ms of PostgreSQL and of Python.
SIGNED_IN_WITH_PICKERS = signed_in_query(_USERS_DUE_COUNT, *PICKER_COLUMNS)


def due_tasks(assignee_id, today, tz_name: str, limit: int) -> list:
    """Rows (ROW_COLUMNS) of `assignee_id`'s open tasks overdue or due today, earliest first
    (the home page): the nav badge's range on idx_tasks_assignee_open_due, with the names.
    Built once per limit, like the badge's count."""
    statement = _DUE_TASKS.get(limit)
    if statement is None:
        statement = _DUE_TASKS[limit] = (
            select(*ROW_COLUMNS)
            .where(*_DUE_COUNT_FILTERS)
            .order_by(*TASK_KEY.columns)
            .limit(literal_limit(limit))
        )
    return read(statement, _due_values(assignee_id, today, tz_name))


_DUE_TASKS: dict = {}


def record_names(refs, *, archived: bool = False) -> dict:
    """{(type, id): name} of the contacts, companies, deals and users among `refs` ((type, id)
    pairs; an id that isn't one is skipped): one query whatever their number; archived records
    only with `archived`, deleted ones left out. Built once per shape (which kinds are asked
    for), the ids bound as one array a kind."""
    return {(kind, str(record_id)): name for (kind, record_id), name in _names(refs, archived)}


def _names(refs, archived: bool) -> list:
    """record_names' rows, ((type, UUID), name)."""
    ids = {kind: [] for kind in _NAMED}
    for kind, value in refs:
        if kind in ids and (record_id := as_uuid(value)) is not None:
            ids[kind].append(record_id)
    shape = (archived, *(kind for kind in _NAMED if ids[kind]))
    if len(shape) == 1:
        return []
    statement = _RECORD_NAMES.get(shape)
    if statement is None:
        statement = _RECORD_NAMES[shape] = _record_names(shape[1:], archived)
    rows = read(statement, {f"{kind}_ids": found for kind, found in ids.items()})
    return [((kind, record_id), name) for kind, record_id, name in rows]


_NAMED = {
    "contact": (Contact, Contact.first_name + " " + Contact.last_name),
    "company": (Company, Company.name),
    "deal": (Deal, Deal.title),
    "user": (User, User.name),
}
_RECORD_NAMES: dict = {}


def _record_names(kinds: tuple, archived: bool):
    parts = []
    for kind in kinds:
        model, name = _NAMED[kind]
        wanted = bindparam(f"{kind}_ids", type_=postgresql.ARRAY(sa.Uuid))
        live = sa.true() if archived or kind == "user" else model.archived_at.is_(None)
        parts.append(
            select(sa.literal_column(f"'{kind}'"), model.id, name).where(
                model.id == sa.any_(wanted), live
            )
        )
    return sa.union_all(*parts)


def export_tasks(filters: dict, today, now, tz_name: str):
    """Every task /tasks lists for `filters` (assignee_id, q), all its sections, as (task,
    record name, assignee email), in the list's order, from a server-side cursor."""
    shown = sa.or_(*(sa.and_(*_section_filters(s)) for s in SECTIONS))
    query = select(Task, RECORD_NAME, User.email).outerjoin(User, User.id == Task.assignee_id)
    if filters.get("assignee_id"):
        query = query.where(Task.assignee_id == as_uuid(filters["assignee_id"]))
    if filters.get("q"):
        query = query.where(Task.description.ilike(title_pattern(filters["q"])))
    query = query.where(shown).order_by(*TASK_KEY.columns)
    values = _section_values(today, now, tz_name)
    return db.session.execute(query.execution_options(yield_per=1000), values)
