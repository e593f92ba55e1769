"""`flask crm seed-demo` (crm_web/cli.py): realistic companies and contacts, fast (COPY, DESIGN §10).

Rows are written with COPY, so they bypass the audit hook: seeded data has no history until
someone changes it. Big loads drop the contacts' and companies' secondary indexes first and
rebuild them after (one sort per index beats a million index insertions), then VACUUM ANALYZE
(the trigram index is 3x slower until its pending list is cleared)."""

from __future__ import annotations

import random
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from crm_web.accounts.services import create_user, get_user_by_email
from crm_web.companies.fields import INDUSTRIES
from crm_web.core.actor import SYSTEM
from crm_web.core.db import db

FIRST_NAMES = (  # noqa: SIM905 - a word list reads best as words
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily "
    "Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa "
    "Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan "
    "Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen "
    "Brenda Larry Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel "
    "Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet "
    "Jack Catherine Dennis Maria Jerry Heather Ada Grace Alan Linus Margaret Tim Sophie "
    "Lucas Chloe Hugo Léa Mateo Sofía Yuki Priya Arjun"
).split()
# (surname, weight): the US census's most common surnames, Smith first, then a long tail.
LAST_NAMES = [
    ("Smith", 60),
    ("Johnson", 40),
    ("Williams", 36),
    ("Brown", 33),
    ("Jones", 33),
    ("Garcia", 29),
    ("Miller", 28),
    ("Davis", 27),
    ("Rodriguez", 24),
    ("Martinez", 24),
    ("Hernandez", 22),
    ("Lopez", 21),
    ("Gonzalez", 21),
    ("Wilson", 20),
    ("Anderson", 19),
    ("Thomas", 19),
    ("Taylor", 19),
    ("Moore", 18),
    ("Jackson", 18),
    ("Martin", 18),
    ("Lee", 17),
    ("Perez", 16),
    ("Thompson", 16),
    ("White", 16),
    ("Harris", 15),
    ("Sanchez", 15),
    ("Clark", 14),
    ("Ramirez", 14),
    ("Lewis", 13),
    ("Robinson", 13),
    ("Walker", 13),
    ("Young", 12),
    ("Allen", 12),
    ("King", 12),
    ("Wright", 12),
    ("Scott", 11),
    ("Torres", 11),
    ("Nguyen", 11),
    ("Hill", 11),
    ("Flores", 11),
    ("Green", 11),
    ("Adams", 10),
    ("Nelson", 10),
    ("Baker", 10),
    ("Hall", 10),
    ("Rivera", 9),
    ("Campbell", 9),
    ("Mitchell", 9),
    ("Carter", 9),
    ("Roberts", 9),
    ("Smithson", 2),
    ("Smithers", 1),
    ("Lovelace", 1),
    ("Hopper", 2),
    ("Turing", 1),
    ("Okafor", 3),
    ("Kowalski", 3),
    ("Müller", 3),
    ("Dubois", 3),
    ("Rossi", 3),
    ("Tanaka", 3),
    ("Kim", 6),
    ("Patel", 6),
    ("Singh", 5),
    ("O'Brien", 3),
]
COMPANY_WORDS = (  # noqa: SIM905 - a word list reads best as words
    "Acme Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Soylent Hooli Vandelay "
    "Pied Piper Aperture Black Mesa Oscorp Gringotts Dunder Mifflin Prestige Sterling "
    "Cooper Blue Sky Northwind Contoso Fabrikam Tailspin Litware Proseware Adventure Works "
    "Alpine Summit Harbor Meridian Evergreen Keystone Pinnacle Horizon Silverline Redwood "
    "Granite Lakeside Riverbend Ironwood Brightwater Clearview Foxglove Smith Jones Baker"
).split()
COMPANY_KINDS = (  # noqa: SIM905 - a word list reads best as words
    "Ltd Inc GmbH Group Partners Labs Systems Logistics Foods Analytics Health"
).split()
CITIES = [
    ("San Francisco", "US"),
    ("New York", "US"),
    ("Chicago", "US"),
    ("Austin", "US"),
    ("Seattle", "US"),
    ("Boston", "US"),
    ("London", "GB"),
    ("Manchester", "GB"),
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("Berlin", "DE"),
    ("Munich", "DE"),
    ("Madrid", "ES"),
    ("Toronto", "CA"),
    ("Sydney", "AU"),
    ("Tokyo", "JP"),
    ("Amsterdam", "NL"),
    ("Dublin", "IE"),
    ("Milan", "IT"),
]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example", "corp.example"]
AREA_CODES = (  # noqa: SIM905 - a word list reads best as words
    "201 212 213 305 312 415 425 503 512 617 646 702 718 773 805 818 917 972"
).split()
JOB_TITLES = (
    "Account Executive",
    "CEO",
    "CFO",
    "CTO",
    "Head of Procurement",
    "Head of Sales",
    "IT Manager",
    "Marketing Manager",
    "Office Manager",
    "Operations Director",
    "Product Manager",
    "Purchasing Agent",
    "Software Engineer",
    "VP Engineering",
)
BIG_LOAD = 50_000


def _copy_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _array(items) -> str:
    return (
        "{"
        + ",".join('"' + i.replace("\\", "\\\\\\\\").replace('"', '\\\\"') + '"' for i in items)
        + "}"
    )


# The columns _copy_line fills in itself, after each table's own.
SEEDED_COLUMNS = ("created_by", "updated_by", "version")


def _copy_line(*values: str, by: str = "seed-demo") -> str:
    """One row in COPY's text format (values already escaped, `\\N` for NULL), with the
    created_by, updated_by and version every seeded record has (SEEDED_COLUMNS): `by` made it
    (a demo user's id for a note, whose card names its author)."""
    return "\t".join((*values, by, by, "1")) + "\n"


def _owners() -> list[str]:
    owners = []
    for name in ("Riley Rep", "Sam Seller", "Morgan Manager", "Casey Closer", "Jordan Junior"):
        email = name.lower().replace(" ", ".") + "@demo.example"
        user = get_user_by_email(email)
        if user is None:
            role = "manager" if "Manager" in name else "rep"
            password = uuid.uuid4().hex
            user = create_user(
                {"email": email, "name": name, "role": role, "password": password}, SYSTEM
            )
        owners.append(str(user.id))
    return owners


def _timestamps(rng, now):
    created = now - timedelta(seconds=rng.randrange(2 * 365 * 86400))
    updated = created + timedelta(
        seconds=rng.randrange(max(1, int((now - created).total_seconds())))
    )
    return created.isoformat(), updated.isoformat()


def _company_lines(count, owners, rng, now):
    ids = []
    for n in range(count):
        company_id = str(uuid.uuid4())
        ids.append(company_id)
        words = rng.sample(COMPANY_WORDS, 2 if rng.random() < 0.4 else 1)
        name = f"{' '.join(words)} {rng.choice(COMPANY_KINDS)}"
        if n >= len(COMPANY_WORDS) * len(COMPANY_KINDS):
            name += f" {n % 997}"
        city, country = rng.choice(CITIES)
        address = f'{{"city": "{city}", "country": "{country}", "street": "{rng.randrange(1, 999)} Main St"}}'
        site = "-".join("".join(c for c in word if c.isalnum()) for word in name.lower().split())
        created, updated = _timestamps(rng, now)
        yield (
            company_id,
            _copy_line(
                company_id,
                _copy_escape(name),
                f"https://{site}.example.com" if rng.random() < 0.9 else "\\N",
                _phone(rng) if rng.random() < 0.7 else "\\N",
                _copy_escape(rng.choice(INDUSTRIES)) if rng.random() < 0.8 else "\\N",
                _copy_escape(address),
                "{}",
                rng.choice(owners),
                created,
                updated,
            ),
        )


def _phone(rng) -> str:
    return f"+1{rng.choice(AREA_CODES)}{rng.randrange(200, 999)}{rng.randrange(10000):04d}"


def _contact_lines(count, company_ids, owners, rng, now):
    surnames = [name for name, _ in LAST_NAMES]
    weights = [w for _, w in LAST_NAMES]
    last_names = rng.choices(surnames, weights, k=count)
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), last_names[n]
        local = f"{first}.{last}".lower().replace("'", "").replace("é", "e").replace("ü", "u")
        emails = [] if rng.random() < 0.08 else [f"{local}{n}@{rng.choice(DOMAINS)}"]
        if emails and rng.random() < 0.2:
            emails.append(f"{first[0].lower()}{n}@{rng.choice(DOMAINS)}")
        phones = [] if rng.random() < 0.15 else [_phone(rng)]
        title = _copy_escape(rng.choice(JOB_TITLES)) if rng.random() < 0.75 else "\\N"
        company = rng.choice(company_ids) if company_ids and rng.random() < 0.85 else "\\N"
        created, updated = _timestamps(rng, now)
        yield _copy_line(
            str(uuid.uuid4()),
            _copy_escape(first),
            _copy_escape(last),
            title,
            _array(emails),
            _array(phones),
            company,
            "{}",
            rng.choice(owners),
            created,
            updated,
        )


def _copy(cursor, table, columns, lines, batch=20_000):
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        chunk = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= batch:
                copy.write("".join(chunk))
                chunk = []
        if chunk:
            copy.write("".join(chunk))


@contextmanager
def _raw_cursor():
    """A cursor on a connection of its own, for COPY, with no statement timeout (a big COPY
    outlasts the web's); the connection is closed after."""
    db.session.commit()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        cursor.execute("SET statement_timeout = 0")
        yield raw, cursor
    finally:
        raw.close()


def _commit_and_vacuum(raw, cursor, *tables) -> None:
    """Commit what was copied, then VACUUM ANALYZE the tables (which runs outside a
    transaction)."""
    raw.commit()
    raw.driver_connection.autocommit = True
    for table in tables:
        cursor.execute(f"VACUUM ANALYZE {table}")
    raw.driver_connection.autocommit = False


def _secondary_indexes(cursor, table) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
        "AND NOT x.indisprimary AND NOT x.indisunique",
        (table,),
    )
    return list(cursor.fetchall())


TASK_TITLES = (
    "Call back about renewal",
    "Send the quote",
    "Follow up on the demo",
    "Book a meeting",
    "Chase the signed contract",
    "Check in after onboarding",
    "Prepare the proposal",
)
NOTE_TEXTS = (
    "Spoke on the phone: interested, wants pricing for next quarter.",
    "Met at the trade fair.\nAsked for a case study; see https://example.com/case-study",
    "Budget approved, waiting on legal.",
    "Prefers email over calls.",
)


def _attachment_targets(cursor, limit: int) -> list[tuple[str, str]]:
    """(entity type, id) of live contacts and deals the tasks and notes are spread over."""
    cursor.execute(
        "(SELECT 'contact', id::text FROM contacts WHERE archived_at IS NULL LIMIT %s) UNION ALL "
        "(SELECT 'deal', id::text FROM deals WHERE archived_at IS NULL LIMIT %s)",
        (limit, limit),
    )
    return list(cursor.fetchall())


def _task_lines(count, targets, owners, rng, now):
    """Open and done tasks, due from a month ago to two months ahead (some undated)."""
    today = now.date()
    for _ in range(count):
        kind, entity_id = rng.choice(targets)
        due = today + timedelta(days=rng.randrange(-30, 60)) if rng.random() < 0.9 else None
        done = due is not None and due < today and rng.random() < 0.6
        created, updated = _timestamps(rng, now)
        yield _copy_line(
            str(uuid.uuid4()),
            rng.choice(TASK_TITLES),
            due.isoformat() if due else "\\N",
            "closed" if done else "open",
            kind,
            entity_id,
            rng.choice(("low", "normal", "normal", "high")),
            rng.choice(owners),
            created,
            updated,
        )


def _note_lines(count, targets, owners, rng, now):
    """Notes written by the demo users: a note's card names its author (created_by), which
    "seed-demo" is not, so every seeded note read "Someone"."""
    for _ in range(count):
        kind, entity_id = rng.choice(targets)
        created, updated = _timestamps(rng, now)
        text_ = _copy_escape(rng.choice(NOTE_TEXTS))
        author = rng.choice(owners)
        yield _copy_line(str(uuid.uuid4()), text_, kind, entity_id, created, updated, by=author)


def seed_activities(tasks: int, notes: int, seed: int = 7, echo=print) -> None:
    """Add `tasks` tasks and `notes` notes over the contacts and deals (COPY), the tasks assigned
    to the demo users with due dates around today."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = datetime.now(UTC)
    owners = _owners()
    started = time.monotonic()
    with _raw_cursor() as (raw, cursor):
        targets = _attachment_targets(cursor, 200_000)
        if not targets:
            echo("no contacts or deals to attach tasks and notes to")
            return
        columns = ["id", "description", "due_date", "status", "entity_type", "entity_id"]
        columns += ["priority", "assignee_id", "created_at", "updated_at", *SEEDED_COLUMNS]
        _copy(cursor, "tasks", columns, _task_lines(tasks, targets, owners, rng, now))
        echo(f"tasks: {tasks:,} in {time.monotonic() - started:.1f}s")
        columns = ["id", "content", "entity_type", "entity_id", "created_at", "updated_at"]
        columns += SEEDED_COLUMNS
        _copy(cursor, "notes", columns, _note_lines(notes, targets, owners, rng, now))
        echo(f"notes: {notes:,} in {time.monotonic() - started:.1f}s")
        _commit_and_vacuum(raw, cursor, "tasks", "notes")


def seed_demo(contacts: int, companies: int, seed: int = 7, echo=print) -> None:
    """Add `companies` companies and `contacts` contacts (owned by five demo users)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = datetime.now(UTC)
    owners = _owners()
    started = time.monotonic()
    with _raw_cursor() as (raw, cursor):
        cursor.execute("SET maintenance_work_mem = '256MB'")
        dropped = []
        if contacts + companies >= BIG_LOAD:
            for table in ("contacts", "companies"):
                for name, definition in _secondary_indexes(cursor, table):
                    cursor.execute(f'DROP INDEX "{name}"')
                    dropped.append(definition)
        company_ids = []
        columns = ["id", "name", "website", "phone", "industry", "address", "custom_fields"]
        columns += ["owner_id", "created_at", "updated_at", *SEEDED_COLUMNS]
        lines = _company_lines(companies, owners, rng, now)
        _copy(cursor, "companies", columns, (company_ids.append(i) or line for i, line in lines))
        if not company_ids:
            cursor.execute("SELECT id::text FROM companies WHERE archived_at IS NULL LIMIT 100000")
            company_ids = [r[0] for r in cursor.fetchall()]
        echo(f"companies: {companies:,} in {time.monotonic() - started:.1f}s")
        columns = ["id", "first_name", "last_name", "job_title", "emails", "phones", "company_id"]
        columns += ["custom_fields", "owner_id", "created_at", "updated_at", *SEEDED_COLUMNS]
        _copy(cursor, "contacts", columns, _contact_lines(contacts, company_ids, owners, rng, now))
        echo(f"contacts: {contacts:,} in {time.monotonic() - started:.1f}s")
        for definition in dropped:
            cursor.execute(definition)
        if dropped:
            echo(f"indexes rebuilt in {time.monotonic() - started:.1f}s")
        _commit_and_vacuum(raw, cursor, "companies", "contacts")
    echo(f"done in {time.monotonic() - started:.1f}s (vacuumed and analysed)")


def contacts_count() -> int:
    return db.session.execute(text("SELECT count(*) FROM contacts")).scalar()
