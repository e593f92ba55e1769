"""Global search: results grouped by kind, best first, the matching words marked."""

from __future__ import annotations

import difflib
import re
import unicodedata

from markupsafe import Markup, escape

from crm_web.core.actor import Actor
from crm_web.core.display import readable_phone
from crm_web.core.permissions import authorize
from crm_web.search import repository

# (kind, heading) in the order the groups are shown.
KINDS = (
    ("contacts", "Contacts"),
    ("companies", "Companies"),
    ("deals", "Deals"),
    ("notes", "Notes"),
    ("tasks", "Tasks"),
)
# The record page a note or task links to, by its entity_type.
RECORD_KIND = {"contact": "contacts", "company": "companies", "deal": "deals"}
SNIPPET = 140
MIN_TYPO_LENGTH = 4
TYPO_RATIO = 0.7
WORD_PIECES = re.compile(r"([^\W_]+)")


def fold(text: str) -> str:
    """Lower-cased without accents ("Müller" → "muller"), as crm_unaccent does in SQL."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _matches(word: str, terms: list[str]) -> bool:
    folded = fold(word)
    for term in terms:
        if folded.startswith(term):
            return True
        long_enough = min(len(term), len(folded)) >= MIN_TYPO_LENGTH
        if long_enough and difflib.SequenceMatcher(None, folded, term).ratio() >= TYPO_RATIO:
            return True
    return False


def highlight(text: str | None, terms: list[str]) -> Markup:
    """`text` escaped, then each word that starts with (or is a near typo of) a searched word
    wrapped in <mark>: escaping first means nothing typed or stored can become markup."""
    if not text:
        return Markup("")
    pieces = []
    for i, piece in enumerate(WORD_PIECES.split(text)):
        if i % 2 and _matches(piece, terms):
            pieces.append(Markup("<mark>{}</mark>").format(piece))
        else:
            pieces.append(escape(piece))
    return Markup("").join(pieces)


def snippet(text: str, terms: list[str]) -> str:
    """About SNIPPET characters of a long text around its first matching word."""
    if len(text) <= SNIPPET:
        return text
    folded = fold(text)
    start = min((i for i in (folded.find(t) for t in terms) if i >= 0), default=0)
    start = max(0, start - SNIPPET // 3)
    piece = text[start : start + SNIPPET]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET < len(text) else "")


def _contact(row, terms):
    name = f"{row.first_name} {row.last_name}"
    phone = readable_phone(row.phones[0]) if row.phones else ""
    digits = re.sub(r"\D", "", "".join(terms))
    phone_hit = len(digits) >= 3 and digits in re.sub(r"\D", "", row.phones[0] if phone else "")
    parts = [highlight(e, terms) for e in row.emails[:2]]
    if phone:
        parts.append(Markup("<mark>{}</mark>").format(phone) if phone_hit else escape(phone))
    if row.company_name:
        parts.append(highlight(row.company_name, terms))
    return {
        "title": highlight(name, terms),
        "detail": Markup(" · ").join(parts),
        "record": ("contacts", row.id),
        "archived": row.archived_at is not None,
    }


def _company(row, terms):
    return {
        "title": highlight(row.name, terms),
        "detail": highlight(row.website or "", terms),
        "record": ("companies", row.id),
        "archived": row.archived_at is not None,
    }


def _deal(row, terms):
    detail = " · ".join(p for p in (row.company_name, row.stage) if p)
    return {
        "title": highlight(row.title, terms),
        "detail": highlight(detail, terms),
        "record": ("deals", row.id),
        "archived": row.archived_at is not None,
    }


def _note(row, terms):
    return {
        "title": highlight(snippet(row.content, terms), terms),
        "detail": escape(f"Note on a {row.entity_type}"),
        "record": (RECORD_KIND[row.entity_type], row.entity_id),
        "archived": False,
    }


def _task(row, terms):
    on = f" on a {row.entity_type}" if row.entity_type else ""
    return {
        "title": highlight(snippet(row.description, terms), terms),
        "detail": escape(f"{row.status.capitalize()} task{on}"),
        "record": (RECORD_KIND[row.entity_type], row.entity_id) if row.entity_type else None,
        "archived": False,
    }


SHAPES = {
    "contacts": _contact,
    "companies": _company,
    "deals": _deal,
    "notes": _note,
    "tasks": _task,
}


def search(term: str, actor: Actor, *, archived: bool = False, limit: int = 5) -> dict:
    """Every kind's best matches for `term` (anyone who may read records)."""
    authorize(actor, "records.read")
    term = (term or "").strip()[:200]
    terms = [fold(w) for w in repository.words_of(term)]
    found = repository.search_all(term, archived=archived, limit=limit) if terms else {}
    groups = []
    for kind, heading in KINDS:
        rows, count = found.get(kind, ([], 0))
        if rows:
            groups.append(
                {
                    "kind": kind,
                    "heading": heading,
                    "count": count,
                    "more": count >= repository.CANDIDATES,
                    "results": [SHAPES[kind](row, terms) for row in rows],
                }
            )
    return {"term": term, "groups": groups, "total": sum(g["count"] for g in groups)}
