"""The bench's yardstick: the product's read pages done the plainest way, Flask + a psycopg pool +
Jinja, with no sign-in, no session, no ORM, no CSRF and tiny templates of the same columns.

`make bench` serves it beside the product (same database, same gunicorn worker count) and gives
each product page's throughput and CPU per request as a ratio of its counterpart here: what the
product's own machinery costs on top of the work itself (issue 16). Its statements read the same
rows through the same indexes as the product's, autocommitted (no BEGIN/ROLLBACK) and prepared by
psycopg after a few uses. Never mounted in the product; tests/test_bench.py keeps it serving.

`gunicorn 'crm_web.tools.bare_app:serve_bare_app()'` with BARE_DATABASE_URL (a libpq URL)."""

# The statements are built from constants of this module only (columns, LIMITs); values are
# always parameters.
# ruff: noqa: S608
from __future__ import annotations

import gc
import os
import re
import uuid

from flask import Flask, abort, jsonify, request
from jinja2 import DictLoader
from psycopg.rows import namedtuple_row
from psycopg_pool import ConnectionPool

PAGE = 50
# The Timeline card's first page: the product's records.timeline.PAGE_SIZE (tests/test_bench.py
# keeps them equal), so both sides of the record page draw as many entries.
TIMELINE_PAGE = 20
CARDS = 25  # a board column's first cards, as the product's (deals.pipeline.CARDS_PER_PAGE)
SEARCH_CAP = 300  # matches found through the trigram index, then sorted (as the product's)

# The product's list and record columns, each query reading through the product's indexes.
CONTACT_COLUMNS = """
    c.id, c.first_name, c.last_name, c.job_title, c.emails, c.phones, co.name AS company,
    u.name AS owner, c.updated_at"""
CONTACT_FROM = """
    FROM contacts c LEFT JOIN companies co ON co.id = c.company_id
    LEFT JOIN users u ON u.id = c.owner_id"""
# The page after (last name, first name, id), by name.
AFTER = f"""
    WHERE c.archived_at IS NULL AND (c.last_name, c.first_name, c.id) > (%s, %s, %s)
    ORDER BY c.last_name, c.first_name, c.id LIMIT {PAGE}"""
CONTACTS = f"SELECT {CONTACT_COLUMNS} {CONTACT_FROM} {AFTER}"
# The product's trigram path: up to SEARCH_CAP matches of the search text, sorted by name.
MATCHES = f"""WITH matches AS MATERIALIZED (
        SELECT id FROM contacts
        WHERE crm_contact_search(first_name, last_name, emails, phones)
          LIKE lower(crm_unaccent(%s))
          AND archived_at IS NULL
        LIMIT {SEARCH_CAP})"""
BY_NAME = f"JOIN matches m ON m.id = c.id ORDER BY c.last_name, c.first_name, c.id LIMIT {PAGE}"
SEARCH = f"{MATCHES} SELECT {CONTACT_COLUMNS} {CONTACT_FROM} {BY_NAME}"
CONTACT = f"SELECT {CONTACT_COLUMNS}, c.custom_fields, c.created_at {CONTACT_FROM} WHERE c.id = %s"
CONTACT_DEALS = """SELECT id, title, value, currency, stage, close_date FROM deals
    WHERE contact_id = %s AND archived_at IS NULL ORDER BY created_at DESC LIMIT 10"""
# The Tasks and Notes cards' first rows: as many as the product's (activities.repository's
# RECORD_LISTS; tests/test_bench.py keeps them equal): open tasks soonest due first, then the
# latest done, and the newest notes.
OPEN_SHOWN, DONE_SHOWN, NOTES_SHOWN = 20, 5, 10
# What the page draws of each list: the statements read one row more, which only says whether
# "Show more" is drawn, as on the product's page.
SHOWN = {"open": OPEN_SHOWN, "done": DONE_SHOWN, "notes": NOTES_SHOWN, "timeline": TIMELINE_PAGE}
# What the product's cards show of each: a task's due day, priority and assignee, a note's
# author and time (tests/test_bench.py), each name looked up for the rows shown alone.
_TASK = "description, due_date, status, priority, (SELECT name FROM users WHERE id = assignee_id)"
TASKS = f"""(SELECT {_TASK} AS assignee FROM tasks
    WHERE entity_type = 'contact' AND entity_id = %s AND status = 'open'
    ORDER BY due_date NULLS LAST LIMIT {OPEN_SHOWN + 1})
    UNION ALL (SELECT {_TASK} FROM tasks
    WHERE entity_type = 'contact' AND entity_id = %s AND status = 'closed'
    ORDER BY updated_at DESC LIMIT {DONE_SHOWN + 1})"""
NOTES = f"""SELECT content, created_at,
        (SELECT name FROM users WHERE id::text = notes.created_by) AS author
    FROM notes WHERE entity_type = 'contact' AND entity_id = %s
    ORDER BY pinned DESC, created_at DESC LIMIT {NOTES_SHOWN + 1}"""
# The record's timeline: its own entries and its tasks' and notes' (their record named on them),
# newest first down idx_audit_logs_record_time, with who and the task's or note's text.
HISTORY = f"""SELECT a.action, a.entity_type, a.changes, a."timestamp", u.name AS who,
        t.description AS task, n.content AS note
    FROM audit_logs a LEFT JOIN users u ON u.id::text = a.user_id
    LEFT JOIN tasks t ON a.entity_type = 'task' AND t.id = a.entity_id
    LEFT JOIN notes n ON a.entity_type = 'note' AND n.id = a.entity_id
    WHERE coalesce(a.record_type, a.entity_type) = 'contact'
      AND coalesce(a.record_id, a.entity_id) = %s
    ORDER BY a."timestamp" DESC, a.seq DESC LIMIT {TIMELINE_PAGE + 1}"""
# /tasks' first page: open tasks by due day (the earliest first), with their record's name.
OPEN_TASKS = f"""SELECT t.id, t.description, t.due_date, t.priority, u.name AS assignee,
        coalesce(c.first_name || ' ' || c.last_name, co.name, d.title) AS record
    FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
    LEFT JOIN contacts c ON t.entity_type = 'contact' AND c.id = t.entity_id
    LEFT JOIN companies co ON t.entity_type = 'company' AND co.id = t.entity_id
    LEFT JOIN deals d ON t.entity_type = 'deal' AND d.id = t.entity_id
    WHERE t.status = 'open' ORDER BY t.due_date, t.id LIMIT {PAGE}"""
COMPANIES = f"""SELECT co.id, co.name, co.industry, co.address ->> 'city' AS city,
        co.address ->> 'country' AS country, u.name AS owner,
        (SELECT count(*) FROM contacts c WHERE c.company_id = co.id AND c.archived_at IS NULL)
            AS contacts,
        co.updated_at
    FROM companies co LEFT JOIN users u ON u.id = co.owner_id
    WHERE co.archived_at IS NULL AND (co.name, co.id) > (%s, %s)
    ORDER BY co.name, co.id LIMIT {PAGE}"""
DEALS = f"""SELECT d.id, d.title, co.name AS company, d.value, d.currency, d.stage,
        d.close_date, u.name AS owner, d.created_at
    FROM deals d JOIN companies co ON co.id = d.company_id
    LEFT JOIN users u ON u.id = d.owner_id
    WHERE d.archived_at IS NULL ORDER BY d.created_at DESC, d.id DESC LIMIT {PAGE}"""
STAGES = "SELECT name FROM pipeline_stages ORDER BY position"
BOARD_TOTALS = """SELECT stage, currency, count(*) AS deals, sum(value) AS total,
        sum(value * probability / 100) AS weighted
    FROM deals WHERE archived_at IS NULL GROUP BY stage, currency ORDER BY stage, currency"""
# Each column's first cards, soonest close first, undated last (the product's board key).
BOARD_CARDS = f"""SELECT s.name AS stage, d.id, d.title, co.name AS company, d.value,
        d.currency, d.close_date
    FROM pipeline_stages s CROSS JOIN LATERAL (
        SELECT * FROM deals WHERE stage = s.name AND archived_at IS NULL
        ORDER BY coalesce(close_date, 'infinity'::date), id LIMIT {CARDS}) d
    JOIN companies co ON co.id = d.company_id
    ORDER BY s.position, coalesce(d.close_date, 'infinity'::date), d.id"""
# Global search (crm_web/search/repository.py), kind by kind: the first SEARCH_CANDIDATES matches
# through the same GIN index expressions (the typed words' full text first, then only while
# those are fewer, typo trigrams of every word, a fragment or phone digits), then ranked by
# ts_rank + word_similarity; a count past the first 5.
SEARCH_CANDIDATES, SEARCH_SHOWN = 100, 5
_TSQ = "to_tsquery('simple'::regconfig, crm_unaccent(%(tsq)s))"
SEARCH_KINDS = (
    (
        "contacts",
        "crm_contact_document(contacts.first_name, contacts.last_name, contacts.emails, "
        "contacts.phones)",
        "crm_contact_search(contacts.first_name, contacts.last_name, contacts.emails, "
        "contacts.phones)",
        "contacts.id, contacts.first_name || ' ' || contacts.last_name AS label, "
        "contacts.emails, co.name AS company",
        "LEFT JOIN companies co ON co.id = contacts.company_id",
    ),
    (
        "companies",
        "crm_company_document(companies.name, companies.website)",
        "crm_company_search(companies.name, companies.website)",
        "companies.id, companies.name AS label, companies.website",
        "",
    ),
    (
        "deals",
        "crm_text_document(deals.title)",
        "crm_text_search(deals.title)",
        "deals.id, deals.title AS label, deals.stage, co.name AS company",
        "LEFT JOIN companies co ON co.id = deals.company_id",
    ),
    ("notes", "crm_text_document(notes.content)", None, "notes.id, notes.content AS label", ""),
    (
        "tasks",
        "crm_text_document(tasks.description)",
        None,
        "tasks.id, tasks.description AS label",
        "",
    ),
)


def search_statements(kind, document, text, columns, join, typo_words: int, digits: bool):
    """The ranked statement of one kind, with how many it found (`n`) (%(name)s parameters)."""
    conditions = []
    rank = f"ts_rank({document}, {_TSQ})"
    live = " AND archived_at IS NULL" if kind not in ("notes", "tasks") else ""
    if text:
        typos = [f"lower(crm_unaccent(%(w{i})s)) <%% {text}" for i in range(typo_words)]
        if typos:
            conditions.append("(" + " AND ".join(typos) + ")")
        conditions.append(f"{text} LIKE %(like)s")
        if digits:
            conditions.append(f"{text} LIKE %(digits)s")
        rank += f" + word_similarity(lower(crm_unaccent(%(typed)s)), {text})"
    words = f"SELECT id FROM {kind} WHERE {document} @@ {_TSQ}{live} LIMIT {SEARCH_CANDIDATES}"
    found = f"WITH found AS MATERIALIZED ({words})"
    if conditions:
        more = (
            f"SELECT id FROM {kind} WHERE ({' OR '.join(conditions)}) AND id NOT IN "
            f"(SELECT id FROM words){live} LIMIT {SEARCH_CANDIDATES}"
        )
        found = (
            f"WITH words AS MATERIALIZED ({words}), found AS MATERIALIZED (SELECT id FROM words "
            f"UNION ALL SELECT id FROM ({more}) more LIMIT {SEARCH_CANDIDATES})"
        )
    return (
        f"{found} SELECT {columns}, {rank} AS rank, count(*) OVER () AS n FROM {kind} "
        f"JOIN found ON found.id = {kind}.id {join} ORDER BY rank DESC, {kind}.id LIMIT {SEARCH_SHOWN}"
    )


# The API's counterparts: the same rows as JSON, with what an API record carries besides the
# list's columns (custom fields, stamps, version), read in the same query.
API_COLUMNS = f"""{CONTACT_COLUMNS}, c.company_id, c.owner_id, c.custom_fields, c.created_at,
    c.archived_at, c.version"""
API_CONTACTS = f"SELECT {API_COLUMNS} {CONTACT_FROM} {AFTER}"
API_CUSTOMERS = f"{MATCHES} SELECT {API_COLUMNS}, co.address {CONTACT_FROM} {BY_NAME}"
API_CONTACT = f"SELECT {API_COLUMNS} {CONTACT_FROM} WHERE c.id = %s"

LAYOUT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><h1>{{ title }}</h1>{% block body %}{% endblock %}</body></html>"""
TEMPLATES = {
    "layout.html": LAYOUT,
    "contacts.html": """{% extends "layout.html" %}{% block body %}<table>
<tr><th>Name<th>Job title<th>Company<th>Emails<th>Phones<th>Owner<th>Updated
{% for r in rows %}<tr><td><a href="/contacts/{{ r.id }}">{{ r.first_name }} {{ r.last_name }}</a>
<td>{{ r.job_title or "" }}<td>{{ r.company or "" }}
<td>{{ r.emails | join(", ") }}<td>{{ r.phones | join(", ") }}<td>{{ r.owner or "" }}
<td>{{ r.updated_at.isoformat(" ", "minutes") }}
{% endfor %}</table>{% if rows | length == page %}<a href="?after={{ rows[-1].last_name | urlencode
}}&amp;first={{ rows[-1].first_name | urlencode }}&amp;id={{ rows[-1].id }}">Next</a>{% endif %}
{% endblock %}""",
    "contact.html": """{% extends "layout.html" %}{% block body %}<dl>
<dt>Job title<dd>{{ c.job_title or "" }}<dt>Company<dd>{{ c.company or "" }}
<dt>Emails<dd>{{ c.emails | join(", ") }}<dt>Phones<dd>{{ c.phones | join(", ") }}
<dt>Owner<dd>{{ c.owner or "" }}{% for k, v in c.custom_fields.items() %}<dt>{{ k }}<dd>{{ v }}
{% endfor %}<dt>Created<dd>{{ c.created_at }}<dt>Updated<dd>{{ c.updated_at }}</dl><h2>Deals</h2><ul>{% for d in deals %}<li>{{ d.title }} {{ d.value }}
{{ d.currency }} {{ d.stage }} {{ d.close_date or "" }}{% endfor %}</ul><h2>Tasks</h2><ul>
{% set open = tasks | selectattr("status", "eq", "open") | list %}
{% set done = tasks | rejectattr("status", "eq", "open") | list %}
{% for t in open[:shown.open] + done[:shown.done] %}<li>{{ t.description }} {{ t.due_date or "" }}
{{ t.priority }} {{ t.assignee or "" }} {{ t.status }}{% endfor %}{% if open | length > shown.open or done | length > shown.done %}
<li><a href="#">Show more tasks</a>{% endif %}</ul><h2>Notes</h2>
{% for n in notes[:shown.notes] %}<p>{{ n.author or "" }} {{ n.created_at }}
{{ n.content }}</p>{% endfor %}
{% if notes | length > shown.notes %}<a href="#">Show older notes</a>{% endif %}<h2>History</h2><ul>
{% for h in history[:shown.timeline] %}<li>{{ h.timestamp }} {{ h.who or "" }}
{{ h.action }} {{ h.entity_type }}
{{ h.task or h.note or h.changes }}{% endfor %}</ul>
{% if history | length > shown.timeline %}<a href="#">Show older</a>{% endif %}
{% endblock %}""",
    "tasks.html": """{% extends "layout.html" %}{% block body %}<ul>{% for t in rows %}
<li><input type="checkbox"> {{ t.description }} {{ t.due_date }} {{ t.priority }}
{{ t.assignee or "" }} {{ t.record or "" }}{% endfor %}</ul>{% endblock %}""",
    "search.html": """{% extends "layout.html" %}{% block body %}{% for kind, rows, n in groups %}
<section><h2>{{ kind }} ({{ n }})</h2><ul>{% for r in rows %}<li>{{ r.label }}{% endfor %}</ul>
</section>{% endfor %}{% endblock %}""",
    "companies.html": """{% extends "layout.html" %}{% block body %}<table>
<tr><th>Name<th>Industry<th>City<th>Country<th>Owner<th>Contacts<th>Updated
{% for r in rows %}<tr><td><a href="/companies/{{ r.id }}">{{ r.name }}</a>
<td>{{ r.industry or "" }}<td>{{ r.city or "" }}<td>{{ r.country or "" }}<td>{{ r.owner or "" }}
<td>{{ r.contacts }}<td>{{ r.updated_at.isoformat(" ", "minutes") }}
{% endfor %}</table>{% endblock %}""",
    "deals.html": """{% extends "layout.html" %}{% block body %}<table>
<tr><th>Title<th>Company<th>Value<th>Stage<th>Close date<th>Owner<th>Created
{% for r in rows %}<tr><td>{{ r.title }}<td>{{ r.company }}<td>{{ r.value }} {{ r.currency }}
<td>{{ r.stage }}<td>{{ r.close_date or "" }}<td>{{ r.owner or "" }}
<td>{{ r.created_at.isoformat(" ", "minutes") }}
{% endfor %}</table>{% endblock %}""",
    "board.html": """{% extends "layout.html" %}{% block body %}{% for stage in stages %}
<section><h2>{{ stage }}</h2>{% for t in totals.get(stage, []) %}<p>{{ t.deals }} deals,
{{ t.total }} {{ t.currency }} ({{ t.weighted }} weighted)</p>{% endfor %}
{% for d in cards.get(stage, []) %}<article><h3>{{ d.title }}</h3><p>{{ d.company }}
{{ d.value }} {{ d.currency }} {{ d.close_date or "" }}</p></article>{% endfor %}</section>
{% endfor %}{% endblock %}""",
}


def serve_bare_app() -> Flask:
    """The bare app as the bench serves it: its start-up heap frozen after a collection, as the
    product's is (crm_web.settle_heap), so neither side's full collections walk start-up."""
    app = create_bare_app()
    gc.collect()
    gc.freeze()
    return app


def create_bare_app(database_url: str | None = None) -> Flask:
    """The bare app on `database_url` (else BARE_DATABASE_URL): one small pool per process."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader(TEMPLATES)
    pool = ConnectionPool(
        database_url or os.environ["BARE_DATABASE_URL"],
        min_size=1,
        max_size=2,
        # (sessions in UTC, as the product's: crm_web/__init__.py)
        kwargs={"autocommit": True, "row_factory": namedtuple_row, "options": "-c TimeZone=UTC"},
        open=True,
    )
    app.extensions["bare_pool"] = pool

    def rows(sql, *params):
        with pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def render(template, **context):
        return app.jinja_env.get_template(template).render(page=PAGE, **context)

    @app.get("/contacts/")
    def contacts():
        args = request.args
        after = (
            args.get("after", ""),
            args.get("first", ""),
            _uuid(args.get("id"), uuid.UUID(int=0)),
        )
        q = args.get("q", "").strip().lower()
        if q:
            found = rows(SEARCH, "%" + q.replace("%", r"\%").replace("_", r"\_") + "%")
            return render("contacts.html", title="Contacts", rows=found)
        return render("contacts.html", title="Contacts", rows=rows(CONTACTS, *after))

    @app.get("/contacts/<contact_id>")
    def contact(contact_id):
        key = _uuid(contact_id)
        with pool.connection() as conn:
            found = conn.execute(CONTACT, (key,)).fetchone() if key else None
            if found is None:
                abort(404)
            return render(
                "contact.html",
                title=f"{found.first_name} {found.last_name}",
                c=found,
                deals=conn.execute(CONTACT_DEALS, (key,)).fetchall(),
                tasks=conn.execute(TASKS, (key, key)).fetchall(),
                notes=conn.execute(NOTES, (key,)).fetchall(),
                history=conn.execute(HISTORY, (key,)).fetchall(),
                shown=SHOWN,
            )

    @app.get("/tasks/")
    def tasks():
        return render("tasks.html", title="Tasks", rows=rows(OPEN_TASKS))

    @app.get("/companies/")
    def companies():
        return render(
            "companies.html", title="Companies", rows=rows(COMPANIES, "", uuid.UUID(int=0))
        )

    @app.get("/deals/")
    def deals():
        return render("deals.html", title="Deals", rows=rows(DEALS))

    @app.get("/deals/board")
    def board():
        with pool.connection() as conn:
            stages = [r.name for r in conn.execute(STAGES)]
            totals, cards = {}, {}
            for row in conn.execute(BOARD_TOTALS):
                totals.setdefault(row.stage, []).append(row)
            for row in conn.execute(BOARD_CARDS):
                cards.setdefault(row.stage, []).append(row)
        return render("board.html", title="Board", stages=stages, totals=totals, cards=cards)

    @app.get("/api/contacts")
    def api_contacts():
        found = rows(API_CONTACTS, "", "", uuid.UUID(int=0))
        return jsonify({"data": [row._asdict() for row in found], "limit": PAGE})

    @app.get("/api/customers")
    def api_customers():
        q = request.args.get("search", "").strip().lower()
        found = rows(API_CUSTOMERS, "%" + q.replace("%", r"\%").replace("_", r"\_") + "%")
        return jsonify({"data": [row._asdict() for row in found], "limit": PAGE})

    @app.get("/api/contacts/<contact_id>")
    def api_contact(contact_id):
        key = _uuid(contact_id)
        found = rows(API_CONTACT, key) if key else []
        if not found:
            abort(404)
        return jsonify(found[0]._asdict())

    @app.get("/search")
    def search():
        term = request.args.get("q", "").strip()
        words = [w.lower() for w in re.findall(r"[^\W_]+", term)][:8]
        if not words:
            return render("search.html", title="Search", groups=[])
        digits = re.sub(r"\D", "", term)
        typo = [w for w in words if len(w) >= 3 and not w.isdigit()]  # as the product
        # As the product: digits are a phone number only in a term typed as one.
        phone = len(digits) >= 3 and digits != term and re.fullmatch(r"[\d\s()+\-./]+", term)
        params = {
            "tsq": _words_query(words),
            "typed": term.lower(),
            "like": _like(term.lower()),
            "digits": _like(digits),
            **{f"w{i}": w for i, w in enumerate(typo)},
        }
        groups = []
        with pool.connection() as conn:
            # As the product's search_all: its threshold, and no sequential scans (capped
            # candidates would make the planner bet on one; a rare word then reads every note).
            conn.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', '0.35', false) AS threshold,"
                " set_config('enable_seqscan', 'off', false) AS seqscan"
            )
            for kind, document, text, columns, join in SEARCH_KINDS:
                ranked = search_statements(
                    kind,
                    document,
                    text,
                    columns,
                    join,
                    len(typo),
                    bool(phone),
                )
                found = conn.execute(ranked, params).fetchall()
                n = found[0].n if found else 0
                groups.append((kind, found, n))
        return render("search.html", title="Search", groups=groups)

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def _words_query(words: list[str]) -> str:
    """As the product's: earlier words whole, the last a prefix, each of 4+ letters also with
    two neighbouring letters swapped."""
    query = []
    for n, word in enumerate(words):
        spellings = [f"{word}:*" if n == len(words) - 1 else word]
        if len(word) >= 4 and word.isalpha():
            swaps = (word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1))
            spellings += sorted({s for s in swaps if s != word})
        query.append(spellings[0] if len(spellings) == 1 else f"({' | '.join(spellings)})")
    return " & ".join(query)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def _uuid(value, default=None):
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return default
