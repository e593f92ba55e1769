"""Tasks: the rules the services keep (assignee, due time, completion, who may change what,
the sections of "My tasks" and the nav badge's count)."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_web.accounts.services import set_time_zone
from crm_web.activities import repository, services
from crm_web.audit import repository as audit_repository
from crm_web.core.errors import PermissionDenied, ValidationError
from crm_web.deals import repository as deals_repository
from crm_web.lists import keyset
from crm_web.records.home import home_page
from tests.support import make_contact, make_deal, make_task, make_user

NOW = dt.datetime.now(dt.UTC)  # "done recently" counts from the real last change
TODAY = NOW.date()


def _actor(user):
    return user.as_actor()


def test_a_new_task_is_assigned_to_its_author_and_may_hang_on_no_record(session):
    rep = make_user("rep")
    task = services.create_task({"description": "Plan the week"}, _actor(rep))
    assert task.assignee_id == rep.id
    assert task.entity_type is None and task.status == "open" and task.priority == "normal"


def test_a_due_time_is_read_on_the_authors_clock(session):
    rep = make_user("rep")
    set_time_zone({"time_zone": "Asia/Tokyo"}, _actor(rep))
    task = services.create_task(
        {"description": "Call", "due_date": "2026-12-05", "due_time": "09:30"}, _actor(rep)
    )
    assert task.due_at == dt.datetime(2026, 12, 5, 0, 30, tzinfo=dt.UTC)
    with pytest.raises(ValidationError) as refused:
        services.create_task({"description": "Call", "due_time": "25:00"}, _actor(rep))
    assert "due_time" in refused.value.fields


def test_a_task_can_be_completed_and_reopened(session):
    rep = make_user("rep")
    task = services.create_task({"description": "Send quote"}, _actor(rep))
    done = services.update_task(task.id, {"status": "closed"}, _actor(rep), task.version)
    assert done.status == "closed"
    again = services.update_task(task.id, {"status": "open"}, _actor(rep), done.version)
    assert again.status == "open"


def test_reps_change_only_their_own_tasks_and_viewers_none(session):
    author, other, viewer, manager = (make_user(r) for r in ("rep", "rep", "viewer", "manager"))
    task = services.create_task({"description": "Mine"}, _actor(author))
    for who in (other, viewer):
        with pytest.raises(PermissionDenied):
            services.update_task(task.id, {"status": "closed"}, _actor(who), task.version)
        with pytest.raises(PermissionDenied):
            services.delete_task(task.id, _actor(who))
    changed = services.update_task(task.id, {"priority": "high"}, _actor(manager), task.version)
    assert changed.priority == "high"


def test_my_tasks_are_sectioned_on_my_clock(session):
    rep = make_user("rep")
    me = _actor(rep)
    contact = make_contact()

    def add(title, **data):
        return make_task("contact", contact.id, me, description=title, **data)

    add("Late", due_date=(TODAY - dt.timedelta(days=2)).isoformat())
    add("Now", due_date=TODAY.isoformat())
    add("Soon", due_date=(TODAY + dt.timedelta(days=3)).isoformat())
    add("Whenever")
    done = add("Finished")
    services.update_task(done.id, {"status": "closed"}, me, done.version)
    make_task("contact", contact.id, _actor(make_user("rep")), description="Someone else's")

    page = services.task_list({}, {}, me, now=NOW)
    shown = [(name, [t.description for t in tasks]) for name, tasks in page.sections]
    assert shown == [
        ("overdue", ["Late"]),
        ("today", ["Now"]),
        ("upcoming", ["Soon"]),
        ("no_date", ["Whenever"]),
        ("done", ["Finished"]),
    ]
    assert services.due_count(me, now=NOW) == 2


def test_reps_see_only_their_own_tasks_and_managers_anyones(session):
    rep, manager = make_user("rep"), make_user("manager")
    make_task(None, None, _actor(rep), description="Rep's")
    asked = {"assignee": str(manager.id)}
    assert [
        t.description for _, ts in services.task_list(asked, {}, _actor(rep)).sections for t in ts
    ] == ["Rep's"]
    anyone = services.task_list({"assignee": str(rep.id)}, {}, _actor(manager))
    assert [t.description for _, ts in anyone.sections for t in ts] == ["Rep's"]


def test_my_tasks_and_the_home_page_build_their_statements_once(session):
    """/tasks and the home page run on every view: their statements are built on the first and
    only their values bound after (building them cost more than PostgreSQL's work on them), yet
    each person still gets their own tasks, totals and records."""

    def mine(title, stage):
        rep = make_user("rep")
        me = _actor(rep)
        contact = make_contact(me, first_name=title, last_name="Example")
        make_task("contact", contact.id, me, description=title, due_date=TODAY.isoformat())
        make_deal(me, title=f"{title}'s deal", stage=stage, value="10.00", owner_id=rep.id)
        return me

    def shown(me):
        tasks = [
            t.description for _, ts in services.task_list({}, {}, me, now=NOW).sections for t in ts
        ]
        home = home_page(me, now=NOW)
        return (
            tasks,
            [t.description for t in home["tasks"]],
            [(c.stage.name, c.totals.count) for c in home["deal_stages"]],
            sorted(item["name"] for item in home["recent"]),
        )

    ada, bob = mine("Ada", "Lead"), mine("Bob", "Qualified")
    assert shown(ada) == (
        ["Ada"],
        ["Ada"],
        [("Lead", 1)],
        ["Acme Ltd", "Ada Example", "Ada's deal"],
    )
    caches = (
        keyset._PAGE_STATEMENTS,
        repository._DUE_TASKS,
        repository._RECORD_NAMES,
        audit_repository._RECENTLY_CHANGED,
        deals_repository._KEPT_TOTALS,
    )
    built = [len(cache) for cache in caches]
    assert shown(bob) == (
        ["Bob"],
        ["Bob"],
        [("Qualified", 1)],
        ["Acme Ltd", "Bob Example", "Bob's deal"],
    )
    assert [len(cache) for cache in caches] == built
