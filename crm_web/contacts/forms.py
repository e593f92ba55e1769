"""Contact inputs: the list's URL state, the create form and the inline editors' forms."""

from __future__ import annotations

from urllib.parse import urlencode

import wtforms

from crm_web.contacts.fields import FIELDS
from crm_web.core.forms import form_class, value_form, with_custom_fields
from crm_web.core.repository import as_uuid
from crm_web.custom_fields.services import check_value

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


# The create form: a wtforms.Form with a field per entry of FIELDS the create page asks.
ContactForm: type[wtforms.Form] = form_class("ContactForm", FIELDS.values())


def contact_form(formdata=None, definitions=(), **data) -> wtforms.Form:
    """The create form, with an input per custom field in `definitions`."""
    return with_custom_fields(ContactForm, definitions, check_value)(formdata, data=data)


def field_form(name: str, formdata=None) -> wtforms.Form | None:
    """The inline editor's one-field form for `name` (its input is "value"); None if no field."""
    field = FIELDS.get(name)
    return value_form(field)(formdata) if field else None
