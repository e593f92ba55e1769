"""Display helpers every area's pages share."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=65536)
def readable_phone(value: str | None) -> str:
    """+14155550100 -> +1 415-555-0100 (phonenumbers' INTERNATIONAL format). Cached: parsing is
    the costliest step of rendering a list page."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
