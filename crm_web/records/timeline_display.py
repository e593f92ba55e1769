"""A Timeline card as HTML (timeline_card; its list and pages for the history fragments):
one renderer per kind of item (a task's, a note's, a merge's, a record's own
change) and the wording of a change. A contact's page shows 50 entries: through nested Jinja
macros that was a quarter of the page's cost; built here with f-strings, as the list rows are
(core/display.py), it is a fraction. Everything from the database is escaped here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import quote

from flask import current_app, g, url_for
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from crm_web.activities.display import RECORD_PAGES, record_url
from crm_web.activities.display import escape as escape_text
from crm_web.core.dates import audit_value, time_html, user_zone
from crm_web.core.security import csrf_token
from crm_web.records.merge import MERGE_VIA
from crm_web.records.timeline import REFERENCES, Item

THIS_RECORD = "this record"


def record_link(kind: str, record_id, names: Mapping) -> str:
    """A record an entry refers to by id, by its name (linked) when the page read it."""
    label = names.get((kind, str(record_id)))
    if label is None:
        return str(escape(record_id))
    if kind == "deal":
        label = label or "(untitled)"
    if kind in RECORD_PAGES:
        return f'<a href="{escape(record_url(kind, record_id))}">{escape(label)}</a>'
    return str(escape(label))


def _label(name: str) -> str:
    return str(escape(name.replace("_id", "").replace("_", " ")))


def _shown(value, name: str) -> str:
    """A value as a change shows it: dates as everywhere else, a list as its values, "—" for
    nothing."""
    value = audit_value(value, name)
    if isinstance(value, list | tuple):
        value = ", ".join(str(part) for part in value)
    return str(escape(value if value not in (None, [], "") else "—"))


def change(name: str, old, new, names: Mapping) -> str:
    """One field's change: "<strong>city</strong> from <q>Paris</q> to <q>Lyon</q>"; a column
    holding another record's id reads as that record's name from `names` when it has one."""
    if name == "archived_at":
        word = "archived" if new else "restored"
        return f'<span class="history-change"><strong>{word}</strong></span>'
    if name in REFERENCES and names:
        kind = REFERENCES[name]
        before = record_link(kind, old, names) if old else "<q>—</q>"
        after = record_link(kind, new, names) if new else "<q>—</q>"
    else:
        before, after = f"<q>{_shown(old, name)}</q>", f"<q>{_shown(new, name)}</q>"
    return (
        f'<span class="history-change"><strong>{_label(name)}</strong>\n  '
        f"from {before} to {after}</span>"
    )


def changes(changed: Mapping, names: Mapping, skip=()) -> str:
    """The changed fields of an update entry, `skip` left out. Custom fields and an address
    are recorded whole, before and after: only the parts that changed are shown."""
    parts = []
    for name, (old, new) in changed.items():
        if name in skip:
            continue
        if name in ("custom_fields", "address") and all(
            side is None or isinstance(side, Mapping) for side in (old, new)
        ):
            old, new = old or {}, new or {}
            keys = dict.fromkeys([*old, *new])
            parts.append(
                ", ".join(
                    change(k, old.get(k), new.get(k), {}) for k in keys if old.get(k) != new.get(k)
                )
            )
        elif name.startswith("custom_fields."):
            parts.append(change(name[14:], old, new, {}))
        else:
            parts.append(change(name, old, new, names))
    return ", ".join(parts)


def describe(entry, this: str, names: Mapping) -> str:
    """What a record's own entry says: "created this record", "changed city from … to …", a
    deal's "moved this deal from Lead to Proposal". `this` (HTML) names the record."""
    changed = entry.changes or {}
    if entry.action == "create":
        return f"created {this}"
    if entry.action == "delete":
        return f"deleted {this}"
    if list(changed) == ["archived_at"]:
        return f"{'archived' if changed['archived_at'][1] else 'restored'} {this}"
    if entry.entity_type == "deal" and "stage" in changed:
        old, new = (escape(stage or "—") for stage in changed["stage"])
        deal = "this deal" if this == THIS_RECORD else this
        moved = f"moved {deal} from <q>{old}</q> to <q>{new}</q>"
        if len(changed) > 1:
            moved += f"; changed {changes(changed, names, skip=('stage',))}"
        return moved
    return f"changed {'' if this == THIS_RECORD else this + ': '}{changes(changed, names)}"


def _other_record(kind: str, record_id, names: Mapping) -> str:
    """Where a task or note moved from or to: "the deal <a>Renewal</a>", or "a deal" (gone)."""
    if record_id and (kind, str(record_id)) in names:
        return f"the {escape(kind)} {record_link(kind, record_id, names)}"
    return f"a {escape(kind)}"


def _moved(item: Item, title: str, names: Mapping) -> str:
    """A task or note moved between records: each record's timeline has an entry
    (core/audit.py), the one it left saying where it went."""
    entry, changed = item.entry, item.entry.changes
    kinds = changed.get("entity_type") or [entry.record_type, entry.record_type]
    ids = changed.get("entity_id") or [None, None]
    if ids[1] and str(ids[1]) == str(entry.record_id):
        source = f" from {_other_record(kinds[0], ids[0], names)}" if kinds[0] else ""
        return f"moved {title} here{source}"
    if kinds[1]:
        return f"moved {title} to {_other_record(kinds[1], ids[1], names)}"
    return f"moved {title} off this record"


def task_line(item: Item, names: Mapping) -> str:
    entry, changed = item.entry, item.entry.changes or {}
    title = f'the task <q class="timeline-title">{escape_text(item.text or "(untitled)")}</q>'
    if entry.action == "create":
        due = changed.get("due_date")
        return f"added {title}" + (f", due {escape(audit_value(due, 'due_date'))}" if due else "")
    if entry.action == "delete":
        return f"deleted {title}"
    if changed.get("entity_id") or changed.get("entity_type"):
        return _moved(item, title, names)
    status = changed.get("status")
    if status and status[1] == "closed":
        return f"completed {title}"
    if status and status[1] == "open":
        return f"reopened {title}"
    # An assignee reads by name, as on the record's own changes (REFERENCES).
    return f"changed {title}: {changes(changed, names)}"


def note_line(item: Item, names: Mapping, on: str = "") -> str:
    """What happened to a note, `on` (" on the deal …") after it, then the note's text: the
    text is a block of its own, which the record it is on would otherwise follow."""
    entry, changed = item.entry, item.entry.changes or {}
    if entry.action == "create":
        line = "added a note"
    elif entry.action == "delete":
        line = "deleted a note"
    elif changed.get("entity_id") or changed.get("entity_type"):
        line = _moved(item, "a note", names)
    else:
        line = "edited a note"
    line += on
    if item.text:
        text = do_truncate(current_app.jinja_env, item.text, 280)
        line += f' <span class="timeline-text">{escape_text(text)}</span>'
    return line


def _contact_link(contact) -> str:
    return f'<a href="{escape(record_url("contact", contact.id))}">{escape(contact.full_name)}</a>'


def merge_line(item: Item, merge: dict) -> str:
    """A duplicates merge (records.merge) or its undo: on the survivor's timeline, the note the
    merge wrote stands for it; on a merged contact's, its archiving into the survivor. `merge`
    is records.merge_undo.merges_on's state of it; "Undo this merge" posts to the undo (a plain
    form: its answer is a page, the survivor's or why it can't be undone)."""
    on_survivor = item.entry.entity_type == "note"
    others = ", ".join(_contact_link(contact) for contact in merge["merged"])
    survivor = _contact_link(merge["survivor"])
    if item.kind != "merge":
        if on_survivor:
            return f"undid the merge of {others} into this contact"
        return f"undid the merge of this contact into {survivor}: it is back"
    line = (
        f"merged {others} into this contact"
        if on_survivor
        else f"merged this contact into {survivor}"
    )
    if merge["undone"]:
        return f'{line} <span class="badge badge-muted">Undone</span>'
    if merge["may_undo"]:
        action = escape(url_for("duplicates.undo", merge_id=item.merge_id))
        line += (
            f'\n<form class="timeline-undo" method="post" action="{action}">\n'
            f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">\n'
            '<button type="submit" class="button button-small">Undo this merge</button>\n</form>'
        )
    return line


def _on_link(on: tuple) -> str:
    """The contact or deal an item of a company's timeline is on."""
    kind, record_id, label = on
    href, label = escape(record_url(kind, record_id)), escape(label or "(untitled)")
    return f'the {escape(kind)} <a href="{href}">{label}</a>'


BADGES = {
    "merge": '<span class="badge badge-warning timeline-kind">Merge</span>\n',
    "task": '<span class="badge badge-info timeline-kind">Task</span>\n',
    "note": '<span class="badge badge-muted timeline-kind">Note</span>\n',
}


def _through_import(via: str) -> str:
    """ " (through import #12)" for a change an import made, " (undoing import #12)" for its
    undo's; "" for anything else."""
    for prefix, words in (("import:", "through"), ("undo:import:", "undoing")):
        number = via[len(prefix) :] if via.startswith(prefix) else ""
        if number.isdigit():
            return f' <span class="muted">({words} import #{number})</span>'
    return ""


def _item(item: Item, names: Mapping, merges: Mapping, clock: tuple) -> str:
    entry, item_kind = item.entry, item.kind
    merge = merges.get(item.merge_id) if item_kind in ("merge", "unmerge") else None
    on = f" on {_on_link(item.on)}" if item.on else ""
    if merge:
        kind, line = "merge", merge_line(item, merge)
    elif entry.entity_type == "task":
        kind, line = "task", task_line(item, names) + on
    elif entry.entity_type == "note":
        kind, line = "note", note_line(item, names, on)
    else:
        this = _on_link(item.on) if item.on else THIS_RECORD
        kind, line = "change", describe(entry, this, names)
        if item_kind == "change" and item.merge_id:
            which = "the merge" if entry.via.startswith(MERGE_VIA) else "its undo"
            line += f' <span class="muted">(in {which})</span>'
        line += _through_import(entry.via or "")
    return (
        f'<li class="timeline-item timeline-{item_kind}">\n'
        f"{time_html(entry.timestamp, *clock)}\n{BADGES.get(kind, '')}"
        f'<span class="history-who">{escape_text(str(item.who or entry.user_id))}</span>\n{line}\n</li>'
    )


def timeline_items(timeline: Mapping) -> Markup:
    """The <li>s of a page of a Timeline card (records.pages.timeline): `items`, with the
    `names` of the records they refer to and the `merges` they stand for."""
    names, merges = timeline.get("names") or {}, timeline.get("merges") or {}
    if "timeline_clock" not in g:  # (now, the user's zone, today there): once a request
        now, tz = dt.datetime.now(dt.UTC), user_zone()
        g.timeline_clock = (now, tz, now.astimezone(tz).date())
    clock = g.timeline_clock
    html = "\n".join(_item(item, names, merges, clock) for item in timeline["items"])
    return Markup(html)  # noqa: S704 - every value escaped above


# The card's pieces (timeline_card draws them all; /<area>/<id>/history each on its own).
SCOPE_NOTE = (
    '<p class="muted timeline-scope">Tasks, notes and merges. Field changes are shown to '
    "managers and admins.</p>"
)


def timeline_page(timeline: Mapping, url: str, first: bool = False) -> Markup:
    """The <li>s of one page, then its "Show older", which the next page's <li>s replace (so
    each page lands below the ones shown). `url`: the record's history URL."""
    html = [timeline_items(timeline)]
    if first and not timeline["items"]:
        html.append('<li class="muted">Nothing has happened here yet.</li>')
    if timeline.get("older"):
        older = f"{url}?before={quote(str(timeline['older']))}"
        older += "&timeline=all" if timeline.get("related") else ""
        html.append(
            f'<li class="history-more"><button type="button" class="button button-small" '
            f'hx-get="{escape(older)}" hx-target="closest li" hx-swap="outerHTML">Show older'
            "</button></li>"
        )
    return Markup("\n".join(html))  # noqa: S704 - escaped above and by timeline_items


def timeline_entries(timeline: Mapping, url: str) -> Markup:
    """The card's list: its first page."""
    first = timeline_page(timeline, url, first=True)
    return Markup(f'<ol class="history timeline">{first}</ol>')  # noqa: S704 - a drawn page


def timeline_card(
    timeline: Mapping, url: str, page_url: str | None = None, css_class: str = "card card-wide"
) -> Markup:
    """A record's Timeline card: its changes, its tasks' and notes' (added, completed, edited…)
    and, for a company with ?timeline=all, its contacts' and deals', newest first. `timeline`:
    a page of it (records.pages.timeline); `url`: the record's history URL, which the card
    fetches again whenever a save on the page changes the record or one of its tasks (the
    save's HX-Trigger: record-saved). With `page_url` (a company's page) the card has the toggle
    "With its contacts and deals", held in the page's URL (?timeline=all), which swaps the whole
    card for the other (?card=1). Field changes are for roles that read the audit trail; the
    others see the tasks' and notes' activity (timeline.activity_only)."""
    related = timeline.get("related")
    toggle = ""
    if page_url:
        target = escape(page_url + ("" if related else "?timeline=all"))
        swap = escape(f"{url}?card=1{'' if related else '&timeline=all'}")
        toggle = (
            f'<a class="button button-small timeline-toggle" href="{target}" role="switch" '
            f'aria-checked="{"true" if related else "false"}" hx-get="{swap}" '
            f'hx-target="#history" hx-swap="outerHTML" hx-push-url="{target}">'
            "With its contacts and deals</a>"
        )
    refresh = escape(url + ("?timeline=all" if related else ""))
    return Markup(  # noqa: S704 - every value escaped above
        f'<section class="{escape(css_class)}" id="history" aria-labelledby="history-title">\n'
        f'<div class="timeline-head">\n<h2 id="history-title">Timeline</h2>{toggle}\n</div>'
        f"{SCOPE_NOTE if timeline.get('activity_only') else ''}\n"
        f'<div hx-get="{refresh}" hx-trigger="record-saved from:body">'
        f"{timeline_entries(timeline, url)}</div>\n</section>"
    )
