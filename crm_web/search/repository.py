"""Global search queries over contacts, companies, deals, notes and tasks. Never commits.

Each kind is matched through the GIN indexes of migration 0015, with the very same function
calls: its weighted full-text document against the typed words, the last one (being typed) as
a prefix (`ada tur` → `ada & tur:*`), or its accent-free trigram text for typos (`jonh
smiht`), fragments of emails, domains and phone digits typed in any format.

Candidates in two phases: the records holding the typed words first, then, only while there
are fewer than CANDIDATES of those, the typo and fragment matches. The word matches cost the
index alone; a trigram match is rechecked against the record's text computed again (~0.1 ms a
row at a million contacts), and would rank below a word match anyway.

Ranking: `ts_rank` of the weighted document (a name or title is weight A, an email or web
domain B, phone digits C) plus the trigram `word_similarity` of the typed text. Full-text
rank decides among real word matches (a name beats an email, a whole-word hit beats a
prefix), and the similarity orders the typo matches, which have no full-text rank, by how
close they are. `ts_rank` over `ts_rank_cd`: the documents are a few words long, where
cover density adds nothing but cost. Only the first CANDIDATES matches of a kind are ranked:
ranking every match of a 3-letter prefix at a million contacts takes seconds (DESIGN §10).
"""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa
from sqlalchemy import func, literal_column, or_, select

from crm_web.activities.models import Note, Task
from crm_web.companies.models import Company
from crm_web.contacts.models import Contact
from crm_web.core.db import db, one_connection
from crm_web.deals.models import Deal
from crm_web.lists.keyset import like_pattern

# The index expressions of migration 0012, written as they are there.
CONTACT_DOCUMENT = "crm_contact_document(contacts.first_name, contacts.last_name, contacts.emails, contacts.phones)"
CONTACT_TEXT = (
    "crm_contact_search(contacts.first_name, contacts.last_name, contacts.emails, contacts.phones)"
)
COMPANY_DOCUMENT = "crm_company_document(companies.name, companies.website)"
COMPANY_TEXT = "crm_company_search(companies.name, companies.website)"
DEAL_DOCUMENT = "crm_text_document(deals.title)"
DEAL_TEXT = "crm_text_search(deals.title)"
NOTE_DOCUMENT = "crm_text_document(notes.content)"
TASK_DOCUMENT = "crm_text_document(tasks.description)"

# Matches ranked per kind; past this a count reads "100+". Each costs its document and text
# computed again, to recheck the index's match and to rank it (about 0.1 ms of PostgreSQL time
# at a million contacts): 200 were half of a name search's 50 ms, and the page shows 20.
CANDIDATES = 100
# A typed word must share this much of its trigrams with a word of a record's text to count as
# a typo of it (`jonh` ~ `john` is 0.4); PostgreSQL's default (0.6) misses a swapped pair of
# letters in a short name. Every typed word must match, and the ranking sorts the closest first.
TYPO_THRESHOLD = 0.35
MIN_TYPO_WORD = 3
MIN_SWAP_WORD = 4
# Phone digits are matched from this many on (fewer would match most numbers).
MIN_DIGITS = 3
# What a typed phone number holds besides digits: "+1 (415) 555-0100", "415.555.0100".
TYPED_PHONE = re.compile(r"[\d\s()+\-./]+")
WORD = re.compile(r"[^\W_]+")


def words_of(term: str) -> list[str]:
    """The words of a search, lower-cased (accents are removed in SQL, as in the indexes)."""
    return [w.lower() for w in WORD.findall(term)][:8]


def _params(term: str, words: list[str]) -> dict:
    """The values of a search's statements (the statements themselves depend on its shape)."""
    typos = [w for w in words if len(w) >= MIN_TYPO_WORD and not w.isdigit()]
    return {
        "tsq": words_query(words),
        "typed": term.lower(),
        "like": like_pattern(term.lower()),
        "digits": phone_digits(term),
        **{f"typo_{i}": w for i, w in enumerate(typos)},
    }


def phone_digits(term: str) -> str | None:
    """The LIKE pattern of a phone number typed in any format, or None when the term is not
    one. A term with letters is a name ("Summit Analytics 895"): its number searched as phone
    digits found thousands of unrelated phones, each rechecked (18 ms at a million contacts).
    Bare digits need no pattern of their own: the term's own LIKE finds them."""
    digits = re.sub(r"\D", "", term)
    if len(digits) < MIN_DIGITS or digits == term or not TYPED_PHONE.fullmatch(term):
        return None
    return like_pattern(digits)


def words_query(words: list[str]) -> str:
    """`acme inc` → 'acme & inc:*' for to_tsquery (the words hold letters and digits only). The
    earlier words whole: `ada:*` reads every word that starts so (12 ms at a million contacts,
    `ada` 0.3); a part-typed earlier word still matches as a typo. A word of 4+ letters also
    matches with two neighbouring letters swapped (`truing` → `(truing | rtuing | turing | …)`):
    trigrams miss that typo in a short word (`truing` is 0.29 like `turing`), the index finds
    each spelling in a lookup."""
    query = []
    for n, word in enumerate(words):
        spellings = [f"{word}:*" if n == len(words) - 1 else word]
        if len(word) >= MIN_SWAP_WORD and word.isalpha():
            swaps = (word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1))
            spellings += sorted({s for s in swaps if s != word})
        query.append(spellings[0] if len(spellings) == 1 else f"({' | '.join(spellings)})")
    return " & ".join(query)


def _typed(name: str):
    return func.lower(func.crm_unaccent(sa.bindparam(name, type_=sa.Text)))


def _kind_query(model, columns, document, text, typos: int, digits: bool, *, archived, live):
    """The first CANDIDATES matches of one kind, best first, with their rank."""
    doc = literal_column(document)
    tsq = func.to_tsquery(
        literal_column("'simple'::regconfig"), func.crm_unaccent(sa.bindparam("tsq", type_=sa.Text))
    )
    conditions = []
    rank = func.ts_rank(doc, tsq)
    if text is not None:
        trgm = literal_column(text)
        # A typo of every word (of 3+ letters), each an index lookup, the bitmaps ANDed. Not of
        # digits: a number one digit off is someone else's, and matching it cost a phone search
        # 30 ms at a million contacts (the digits' LIKE below finds the number itself).
        if typos:
            conditions.append(sa.and_(*(_typed(f"typo_{i}").op("<%")(trgm) for i in range(typos))))
        conditions.append(trgm.like(sa.bindparam("like", type_=sa.Text)))
        if digits:
            conditions.append(trgm.like(sa.bindparam("digits", type_=sa.Text)))
        rank = rank + func.word_similarity(_typed("typed"), trgm)
    live = live and not archived  # the toggle adds the archived records to the live ones
    name = model.__tablename__
    found = _live(select(model.id).where(doc.op("@@")(tsq)), model, live).limit(CANDIDATES)
    if conditions:
        words = found.cte(f"{name}_words").prefix_with("MATERIALIZED")
        # Then the typo and fragment matches: past CANDIDATES word matches, the LIMIT stops
        # before they are read at all.
        more = select(model.id).where(or_(*conditions), model.id.not_in(select(words.c.id)))
        found = sa.union_all(
            select(words.c.id), _live(more, model, live).limit(CANDIDATES).subquery().select()
        ).limit(CANDIDATES)
    found = found.cte(f"{name}_found").prefix_with("MATERIALIZED")
    # `found`: how many candidates there are (up to CANDIDATES), counted in the same statement
    # (the window runs before the LIMIT); a second statement found them all again.
    return (
        select(*columns, rank.label("rank"), func.count().over().label("found"))
        .join(found, found.c.id == model.id)
        .order_by(sa.desc("rank"), model.id)
    )


def _live(query, model, live):
    return query.where(model.archived_at.is_(None)) if live else query


def search_all(term: str, *, archived: bool = False, limit: int = 5) -> dict:
    """{kind: (rows, count)} for contacts, companies, deals, notes and tasks."""
    words = words_of(term)
    if not words:
        return {}
    with one_connection():
        return _search_all(term, words, archived=archived, limit=limit)


def _search_all(term, words, *, archived, limit) -> dict:
    # Typo matching through the index: `<%` compares against this transaction-local threshold,
    # so every statement runs on the connection that set it (one_connection).
    # No sequential scans: each kind's first candidates are capped (LIMIT), so the planner bets
    # a scan meets them early; for a word no row holds, it reads the whole table (5 s over a
    # million notes, 0.5 ms down the GIN index).
    # Core, not the ORM's execute path: the statements select columns, and the ORM's handling
    # of six statements was a quarter of a phone search's CPU.
    connection = db.session.connection()
    connection.execute(_SETTINGS, {"t": str(TYPO_THRESHOLD)})
    params = _params(term, words)
    shape = (sum(k.startswith("typo_") for k in params), params["digits"] is not None)
    queries = _statements(*shape, archived=archived, limit=limit)
    return {kind: _run(connection, query, params) for kind, query in queries.items()}


_SETTINGS = sa.text(
    "SELECT set_config('pg_trgm.word_similarity_threshold', :t, true),"
    " set_config('enable_seqscan', 'off', true)"
)


def _run(connection, ranked, params):
    rows = list(connection.execute(ranked, params))
    return rows, rows[0].found if rows else 0


@functools.cache
def _statements(typos: int, digits: bool, *, archived: bool, limit: int) -> dict:
    """Each kind's ranked statement for a search of this shape (how many words to match as typos,
    whether to match phone digits), built once: building them was most of a phone search's CPU."""

    def kind(model, columns, document, text=None, live=True):
        return _kind_query(
            model, columns, document, text, typos, digits, archived=archived, live=live
        )

    def with_company(model, columns, document, text):
        # The row also carries archived_at and its company's name.
        columns = [*columns, model.archived_at, Company.name.label("company_name")]
        ranked = kind(model, columns, document, text)
        return ranked.outerjoin(Company, Company.id == model.company_id)

    contact_columns = [
        Contact.id,
        Contact.first_name,
        Contact.last_name,
        Contact.emails,
        Contact.phones,
    ]
    company_columns = [Company.id, Company.name, Company.website, Company.archived_at]
    deal_columns = [Deal.id, Deal.title, Deal.stage, Deal.value, Deal.currency]
    note_columns = [Note.id, Note.content, Note.entity_type, Note.entity_id, Note.created_at]
    task_columns = [Task.id, Task.description, Task.status, Task.entity_type, Task.entity_id]
    queries = {
        "contacts": with_company(Contact, contact_columns, CONTACT_DOCUMENT, CONTACT_TEXT),
        "companies": kind(Company, company_columns, COMPANY_DOCUMENT, COMPANY_TEXT),
        "deals": with_company(Deal, deal_columns, DEAL_DOCUMENT, DEAL_TEXT),
        "notes": kind(Note, note_columns, NOTE_DOCUMENT, live=False),
        "tasks": kind(Task, task_columns, TASK_DOCUMENT, live=False),
    }
    return {kind: query.limit(limit) for kind, query in queries.items()}
