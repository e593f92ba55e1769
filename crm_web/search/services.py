"""Global search: results grouped by kind, best first, the matching words marked."""

from __future__ import annotations

import functools
import re
import unicodedata

from markupsafe import Markup, escape
from rapidfuzz.distance import OSA

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
# A searched word this long or longer may be two edits (a letter wrong, missing, extra, or two
# swapped) from the word it marks; a shorter one, one.
TWO_TYPOS_FROM = 8
WORD_PIECES = re.compile(r"([^\W_]+)")


def fold(text: str) -> str:
    """Lower-cased without accents ("Müller" → "muller"), as crm_unaccent does in SQL."""
    if text.isascii():  # most words: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _matches(word: str, terms: list[str]) -> bool:
    """Does `word` start with a searched word, or is it (or its start, for a word typed in
    part) a near typo of one? "Truing" marks Turing; "Turing" does not mark Sterling, though
    the two share letters (a similarity ratio marked it)."""
    folded = fold(word)
    for term in terms:
        if folded.startswith(term):
            return True
        if min(len(term), len(folded)) < MIN_TYPO_LENGTH:
            continue
        edits = 2 if len(term) >= TWO_TYPOS_FROM else 1
        whole = OSA.distance(folded, term, score_cutoff=edits)
        if whole <= edits or OSA.distance(folded[: len(term)], term, score_cutoff=edits) <= edits:
            return True
    return False


def highlight(text: str | None, terms: list[str], seen: dict | None = None) -> Markup:
    """`text` escaped, then each word that starts with (or is a near typo of) a searched word
    wrapped in <mark>: escaping first means nothing typed or stored can become markup. `seen`
    keeps the answer per word across a page's results (names and domains repeat)."""
    if not text:
        return Markup("")
    seen = {} if seen is None else seen
    pieces = []
    for i, piece in enumerate(WORD_PIECES.split(text)):
        if not i % 2:  # what lies between words: spaces, punctuation, markup typed into a name
            pieces.append(_escaped(piece))
            continue
        hit = seen.get(piece)
        if hit is None:
            hit = seen[piece] = _matches(piece, terms)
        # A word holds letters and digits only: nothing in it to escape.
        pieces.append(f"<mark>{piece}</mark>" if hit else piece)
    return Markup("".join(pieces))  # noqa: S704 - every piece escaped or a bare word


@functools.lru_cache(maxsize=4096)
def _escaped(text: str) -> str:
    return str(escape(text))


def snippet(text: str, terms: list[str]) -> str:
    """About SNIPPET characters of a long text around its first matching word."""
    if len(text) <= SNIPPET:
        return text
    folded = fold(text)
    start = min((i for i in (folded.find(t) for t in terms) if i >= 0), default=0)
    start = max(0, start - SNIPPET // 3)
    piece = text[start : start + SNIPPET]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET < len(text) else "")


def _contact(row, terms, seen):
    name = f"{row.first_name} {row.last_name}"
    phone = readable_phone(row.phones[0]) if row.phones else ""
    digits = re.sub(r"\D", "", "".join(terms))
    phone_hit = len(digits) >= 3 and digits in re.sub(r"\D", "", row.phones[0] if phone else "")
    parts = [highlight(e, terms, seen) for e in row.emails[:2]]
    if phone:
        parts.append(Markup("<mark>{}</mark>").format(phone) if phone_hit else escape(phone))
    if row.company_name:
        parts.append(highlight(row.company_name, terms, seen))
    return {
        "title": highlight(name, terms, seen),
        "detail": Markup(" · ").join(parts),
        "record": ("contacts", row.id),
        "archived": row.archived_at is not None,
    }


def _company(row, terms, seen):
    return {
        "title": highlight(row.name, terms, seen),
        "detail": highlight(row.website or "", terms, seen),
        "record": ("companies", row.id),
        "archived": row.archived_at is not None,
    }


def _deal(row, terms, seen):
    detail = " · ".join(p for p in (row.company_name, row.stage) if p)
    return {
        "title": highlight(row.title, terms, seen),
        "detail": highlight(detail, terms, seen),
        "record": ("deals", row.id),
        "archived": row.archived_at is not None,
    }


def _note(row, terms, seen):
    return {
        "title": highlight(snippet(row.content, terms), terms, seen),
        "detail": escape(f"Note on a {row.entity_type}"),
        "record": (RECORD_KIND[row.entity_type], row.entity_id),
        "archived": False,
    }


def _task(row, terms, seen):
    on = f" on a {row.entity_type}" if row.entity_type else ""
    return {
        "title": highlight(snippet(row.description, terms), terms, seen),
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
    seen: dict = {}  # each word's highlight, once a search
    for kind, heading in KINDS:
        rows, count = found.get(kind, ([], 0))
        if rows:
            groups.append(
                {
                    "kind": kind,
                    "heading": heading,
                    "count": count,
                    "more": count >= repository.CANDIDATES,
                    "results": [SHAPES[kind](row, terms, seen) for row in rows],
                }
            )
    return {"term": term, "groups": groups, "total": sum(g["count"] for g in groups)}
