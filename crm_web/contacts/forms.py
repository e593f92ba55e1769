"""Contact inputs: the list's URL state, and the create form."""

from __future__ import annotations

from urllib.parse import urlencode

from crm_web.core.repository import as_uuid

SORTABLE = ("name", "company", "email", "phone", "owner", "updated", "relevance")
FLAGS = ("has_email", "has_phone", "archived")


def list_params(args, sortable=SORTABLE, default_sort="name") -> dict:
    """The list's whole state from the URL (search, filters, sort, page); junk reads as unset."""
    filters = {
        "q": (args.get("q") or "").strip()[:100],
        "owner_id": str(as_uuid(args.get("owner"))) if as_uuid(args.get("owner")) else "",
        "company_id": str(as_uuid(args.get("company"))) if as_uuid(args.get("company")) else "",
    }
    for flag in FLAGS:
        filters[flag] = args.get(flag) in ("1", "on", "true")
    if filters["q"] and "relevance" in sortable:
        default_sort = "relevance"  # a search lists the best matches first
    sort = args.get("sort") if args.get("sort") in sortable else default_sort
    default_dir = "desc" if sort == "updated" else "asc"
    direction = args.get("dir") if args.get("dir") in ("asc", "desc") else default_dir
    return {
        "filters": filters,
        "sort": sort,
        # Only a sort the user picked sticks when the search changes (else: best matches first).
        "sort_chosen": args.get("sort") in sortable,
        "dir": direction,
        "descending": direction == "desc",
        "after": args.get("after") or None,
        "before": args.get("before") or None,
        "last": args.get("last") == "1",
    }


def list_query_args(params: dict, **changes) -> dict:
    """URL arguments for this list state with `changes` (e.g. another sort), page reset."""
    filters = params["filters"]
    args = {
        "q": filters["q"],
        "owner": filters["owner_id"],
        "company": filters["company_id"],
        **{flag: "1" for flag in FLAGS if filters.get(flag)},
        "sort": params["sort"],
        "dir": params["dir"],
    }
    args.update(changes)
    return {k: v for k, v in args.items() if v not in ("", None, False)}


URL_SAFE = "!$'()*,/:;?@"  # what werkzeug's url_for leaves unquoted in a query


def list_url(base: str, params: dict):
    """`url(**changes)`: the list's URL for this state with `changes` applied (list_query_args).
    `base` is the list's path, from one url_for: a list page draws a dozen of these links (sort
    headers, pager), and a url_for each cost ~0.2 ms a page. Encoded as url_for encodes a query."""

    def url(**changes) -> str:
        args = list_query_args(params, **changes)
        return f"{base}?{urlencode(args, safe=URL_SAFE)}" if args else base

    return url


def contact_data(form) -> dict:
    """The create form's fields as the service takes them (lists for emails and phones)."""
    data = {name: form.get(name, "") for name in ("first_name", "last_name", "company_id")}
    data["emails"] = [e for e in form.getlist("emails") if e.strip()]
    data["phones"] = [p for p in form.getlist("phones") if p.strip()]
    if form.get("owner_id"):
        data["owner_id"] = form["owner_id"]
    return data
