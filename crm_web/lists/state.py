"""A list's whole state in its URL (DESIGN §6): search, filters, sort and page are a link.
Junk in the URL reads as unset: a list GET never fails."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from crm_web.core.repository import as_uuid

URL_SAFE = "!$'()*,/:;?@"  # what werkzeug's url_for leaves unquoted in a query


def _arg(value):
    """A filter value as its URL argument: a flag is "1" or left out, a date ISO, an id a str."""
    if value is True:
        return "1"
    if value is False or value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class ListState:
    """What a list shows: its filters (the names its services read), sort and direction, and
    the page (keyset cursors). `path` is the list's URL path; `arg_names` maps a filter to its
    URL argument where the two names differ."""

    filters: Any  # a read-only mapping
    sort: str
    direction: str = "asc"
    # Only a sort the user picked sticks when the search changes (else: best matches first).
    sort_chosen: bool = False
    after: str | None = None
    before: str | None = None
    last: bool = False
    path: str = ""
    arg_names: Any = field(default_factory=lambda: MappingProxyType({}))
    # Rows a page holds: the pages' 50, or what an API client asked for (≤ 200).
    page_size: int = 50

    def __hash__(self) -> int:
        # Its filters are a read-only mapping of plain values: a state can key kept drawings
        # (lists.links).
        return hash(
            (
                tuple(self.filters.items()),
                self.sort,
                self.direction,
                self.sort_chosen,
                self.after,
                self.before,
                self.last,
                self.path,
                tuple(self.arg_names.items()),
                self.page_size,
            )
        )

    @property
    def descending(self) -> bool:
        return self.direction == "desc"

    @property
    def cursor(self) -> dict:
        """The page, as keyset.fetch_page takes it."""
        return {"after": self.after, "before": self.before, "last": self.last}

    def query_args(self, **changes) -> dict:
        """URL arguments for this state with `changes` (e.g. another sort), page reset."""
        names = self.arg_names
        args = {names.get(k, k): _arg(v) for k, v in self.filters.items()}
        args["sort"] = self.sort
        args["dir"] = self.direction
        args.update(changes)
        return {k: v for k, v in args.items() if v not in ("", None, False)}

    def url(self, **changes) -> str:
        """The list's URL for this state with `changes` applied (query_args). A list page draws
        a dozen of these links (sort headers, pager), and a url_for each cost ~0.2 ms a page:
        `path` comes from one url_for, and the query is encoded as url_for encodes one."""
        return self.url_at(self.path, **changes)

    def url_at(self, path: str, **changes) -> str:
        """`path` with this state's query (url), e.g. the list's CSV export."""
        args = self.query_args(**changes)
        return f"{path}?{urlencode(args, safe=URL_SAFE)}" if args else path

    def with_filters(self, **changes) -> ListState:
        """The same list with some filters changed (first page)."""
        filters = MappingProxyType({**self.filters, **changes})
        return replace(self, filters=filters, after=None, before=None, last=False)


def list_state(
    args,
    filters: dict,
    *,
    sortable,
    default_sort: str,
    descending=("updated",),
    arg_names=None,
    path: str = "",
) -> ListState:
    """The state of a list from its URL `args`, with `filters` already read from them. A sort in
    `descending` lists downwards unless the URL says otherwise; a search sorts by relevance
    (where the list has it) until the user picks a sort."""
    if filters.get("q") and "relevance" in sortable:
        default_sort = "relevance"  # a search lists the best matches first
    chosen = args.get("sort") in sortable
    sort = args.get("sort") if chosen else default_sort
    default_dir = "desc" if sort in descending else "asc"
    direction = args.get("dir") if args.get("dir") in ("asc", "desc") else default_dir
    return ListState(
        filters=MappingProxyType(dict(filters)),
        sort=sort,
        direction=direction,
        sort_chosen=chosen,
        after=args.get("after") or None,
        before=args.get("before") or None,
        last=args.get("last") == "1",
        path=path,
        arg_names=MappingProxyType(dict(arg_names or {})),
    )


def flag(args, name: str) -> bool:
    return args.get(name) in ("1", "on", "true")


# The contact and company lists: search, owner, company and flags.
RECORD_FLAGS = ("has_email", "has_phone", "archived")
RECORD_ARGS = {"owner_id": "owner", "company_id": "company"}


def record_list_state(args, sortable, default_sort="name", path="") -> ListState:
    """A contact or company list's state from its URL."""
    owner, company = as_uuid(args.get("owner")), as_uuid(args.get("company"))
    filters = {
        "q": (args.get("q") or "").strip()[:100],
        "owner_id": str(owner) if owner else "",
        "company_id": str(company) if company else "",
        **{name: flag(args, name) for name in RECORD_FLAGS},
    }
    return list_state(
        args,
        filters,
        sortable=sortable,
        default_sort=default_sort,
        arg_names=RECORD_ARGS,
        path=path,
    )
