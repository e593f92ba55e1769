"""URLs that are the same on every request, built once."""

from __future__ import annotations

import re
import uuid

from flask import request, url_for

# (mount point, endpoint, values) -> URL: see fixed_url.
_FIXED_URLS: dict = {}


def fixed_url(endpoint: str, **values) -> str:
    """url_for of a URL that is the same on every request (a static file, a page that takes no
    arguments), built once per mount point: every page's chrome draws two dozen, ~30 µs each
    through url_for. Never for a URL holding per-request values (the cache would only grow)."""
    key = (request.script_root, endpoint, *sorted(values.items()))
    url = _FIXED_URLS.get(key)
    if url is None:
        url = _FIXED_URLS[key] = url_for(endpoint, **values)
    return url


# Where an id goes in a URL template of id_url (one per argument, in the call's order).
_PLACEHOLDERS = tuple(str(uuid.UUID(int=n)) for n in range(1, 5))
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def id_url(endpoint: str, **ids) -> str:
    """url_for of a page named by record ids (UUIDs, or their text): its URL is built once per
    endpoint and argument names with placeholder ids, then this call's ids put in their place
    (a record page links a dozen, ~30 µs each through url_for). Anything but an id (an empty
    company, a cursor) goes through url_for."""
    values = [str(value) for value in ids.values()]
    if len(values) > len(_PLACEHOLDERS) or not all(_ID.fullmatch(value) for value in values):
        return url_for(endpoint, **ids)
    key = (request.script_root, endpoint, *ids)
    url = _FIXED_URLS.get(key)
    if url is None:
        url = _FIXED_URLS[key] = url_for(endpoint, **dict(zip(ids, _PLACEHOLDERS, strict=False)))
    for placeholder, value in zip(_PLACEHOLDERS, values, strict=False):
        url = url.replace(placeholder, value)
    return url
