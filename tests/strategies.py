"""Hypothesis strategies for the records of the core data model, valid and invalid.

Valid strategies produce what a person could type (names in any script, emails that
email-validator accepts, phone numbers in national and international formats, money with two
decimal places). Phone strategies yield `(typed, e164)` pairs so a test knows what is stored.
Generated text never contains NUL (PostgreSQL cannot store it).
"""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal

import email_validator
import phonenumbers
import pycountry
from hypothesis import strategies as st

# The pipeline stages migration 0001 creates: name -> default probability.
STAGES = {
    "Lead": 10,
    "Qualified": 25,
    "Proposal": 50,
    "Negotiation": 75,
    "Won": 100,
    "Lost": 0,
}
ENTITY_TYPES = ("contact", "company", "deal")
FIELD_TYPES = ("text", "number", "date", "enum", "boolean")
CURRENCIES = sorted(c.alpha_3 for c in pycountry.currencies)
ADDRESS_PARTS = ("street", "city", "state", "postal_code", "country")

# -- text ------------------------------------------------------------------------------------

# Any character a person could type: every script, punctuation, emoji; never NUL or a lone
# surrogate (neither can be stored as UTF-8).
_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")


def texts(min_size: int = 1, max_size: int = 60) -> st.SearchStrategy[str]:
    """Non-blank text as the services store it (surrounding whitespace is stripped)."""
    return (
        st.text(_chars, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda s: min_size <= len(s) <= max_size)
    )


names = texts(1, 80)
long_names = texts(200, 255)
blank_texts = st.sampled_from(["", " ", "   ", "\t", "\n ", "\u3000"])
texts_with_nul = st.tuples(texts(0, 10), texts(0, 10)).map(lambda p: f"{p[0]}\x00{p[1]}x")
too_long_names = st.integers(256, 400).map(lambda n: "x" * n)

# -- emails ----------------------------------------------------------------------------------

_atext = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
_ascii_atom = st.text(_atext, min_size=1, max_size=12)
_unicode_atom = st.text(st.sampled_from("äöüßéèñçøåłžćšαβγдияλ中文日本"), min_size=1, max_size=6)
_local = st.lists(st.one_of(_ascii_atom, _ascii_atom, _unicode_atom), min_size=1, max_size=3).map(
    ".".join
)
_label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")
_domain = st.tuples(
    st.lists(
        st.one_of(_label, st.sampled_from(["bücher", "münchen", "café"])), min_size=1, max_size=2
    ),
    st.sampled_from(["com", "org", "net", "io", "de", "co.uk", "fr"]),
).map(lambda p: ".".join([*p[0], p[1]]))


def _accepted(address: str) -> bool:
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


emails = (
    st.tuples(_local, _domain, st.booleans())
    .map(lambda p: f"{p[0]}@{p[1].upper() if p[2] else p[1]}")
    .filter(_accepted)
)


def normalized_email(address: str) -> str:
    return email_validator.validate_email(address, check_deliverability=False).normalized


invalid_emails = st.one_of(
    st.sampled_from(
        [
            "plainaddress",
            "a@",
            "@example.com",
            "a b@example.com",
            "a..b@example.com",
            "a@example",
            "a@-example.com",
            "a@b.test",
            "a@@example.com",
            "a@exa mple.com",
        ]
    ),
    texts(1, 20).filter(lambda s: "@" not in s),
)

# -- phones ----------------------------------------------------------------------------------

PHONE_REGIONS = ("US", "CA", "GB", "DE", "FR", "JP", "IN", "BR", "AU", "NL", "ES", "IT", "SE")
_PHONE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)


@st.composite
def phone_numbers(draw, default_region: str = "US"):
    """(typed, e164): a valid number, typed as E.164, international, RFC 3966, or — for numbers
    of the default region — national format, with the punctuation people use."""
    region = draw(st.sampled_from(PHONE_REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(_PHONE_TYPES)))
    national = str(example.national_number)
    tail = draw(st.integers(0, 999))
    candidate = phonenumbers.PhoneNumber(
        country_code=example.country_code,
        national_number=int(national[:-3] + f"{tail:03d}"),
        italian_leading_zero=example.italian_leading_zero,
    )
    if not phonenumbers.is_valid_number(candidate):
        candidate = example
    formats = [
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.RFC3966,
    ]
    if phonenumbers.region_code_for_number(candidate) == default_region:
        formats.append(phonenumbers.PhoneNumberFormat.NATIONAL)
    typed = phonenumbers.format_number(candidate, draw(st.sampled_from(formats)))
    e164 = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    padding = draw(st.sampled_from(["", " ", "  "]))
    return f"{padding}{typed}{padding}", e164


invalid_phones = st.one_of(
    st.sampled_from(["12", "abc", "+1 555", "000", "+999 1234567", "555-01"]),
    st.text(string.ascii_letters, min_size=1, max_size=12),
)

# -- money, dates, currencies, probabilities -------------------------------------------------

money = st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2)
money_inputs = money.flatmap(lambda d: st.sampled_from([d, str(d)]))
invalid_money = st.one_of(
    st.sampled_from(["abc", "1.234", "-1", "-0.01", "NaN", "Infinity", "1e13", "12.3.4", True]),
    st.decimals(max_value=Decimal("-0.01"), places=2),
    st.decimals(min_value=Decimal("10000000000000"), max_value=Decimal("1e20"), places=2),
)
currencies = st.sampled_from(CURRENCIES)
invalid_currencies = st.text(string.ascii_uppercase, min_size=1, max_size=5).filter(
    lambda c: pycountry.currencies.get(alpha_3=c) is None
)
probabilities = st.integers(0, 100)
invalid_probabilities = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=101),
    st.sampled_from(["ten", "5.5", "", True]).filter(lambda v: v != ""),
    st.floats(min_value=0.1, max_value=99.9).filter(lambda f: not f.is_integer()),
)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
date_inputs = dates.flatmap(lambda d: st.sampled_from([d, d.isoformat()]))
invalid_dates = st.sampled_from(["2024-02-30", "tomorrow", "31/12/2024", "2024-13-01", 12, 3.5])
stages = st.sampled_from(sorted(STAGES))
invalid_stages = texts(1, 30).filter(lambda s: s not in STAGES)

# -- records ---------------------------------------------------------------------------------


@st.composite
def contact_data(draw, default_region: str = "US"):
    """(data to submit, expected stored emails, expected stored phones)."""
    typed_emails = draw(st.lists(emails, max_size=3))
    phones = draw(st.lists(phone_numbers(default_region), max_size=3))
    data = {
        "first_name": draw(names),
        "last_name": draw(names),
        "emails": typed_emails,
        "phones": [typed for typed, _ in phones],
    }
    expected_emails = list(dict.fromkeys(normalized_email(e) for e in typed_emails))
    expected_phones = list(dict.fromkeys(e164 for _, e164 in phones))
    return data, expected_emails, expected_phones


addresses = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={part: texts(1, 40) for part in ADDRESS_PARTS}),
)
company_data = st.fixed_dictionaries({"name": names, "address": addresses})


@st.composite
def deal_data(draw):
    """Deal fields other than company_id/contact_id (the test supplies those)."""
    data = {
        "title": draw(names),
        "value": draw(money_inputs),
        "stage": draw(stages),
    }
    if draw(st.booleans()):
        data["currency"] = draw(currencies.flatmap(lambda c: st.sampled_from([c, c.lower()])))
    if draw(st.booleans()):
        data["probability"] = draw(probabilities)
    if draw(st.booleans()):
        data["close_date"] = draw(date_inputs)
    return data


@st.composite
def task_data(draw):
    data = {"description": draw(texts(1, 200))}
    if draw(st.booleans()):
        data["due_date"] = draw(date_inputs)
    if draw(st.booleans()):
        data["assigned_to"] = draw(texts(1, 40))
    if draw(st.booleans()):
        data["status"] = draw(st.sampled_from(["open", "closed"]))
    return data


note_data = st.fixed_dictionaries({"content": texts(1, 500)})

# -- custom fields ---------------------------------------------------------------------------

field_names = st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z")
enum_value_lists = st.lists(texts(1, 20), min_size=1, max_size=5, unique=True)


@st.composite
def definition_data(draw, entity_type: str | None = None, field_type: str | None = None):
    field_type = field_type or draw(st.sampled_from(FIELD_TYPES))
    data = {
        "name": draw(field_names),
        "label": draw(texts(1, 40)),
        "entity_type": entity_type or draw(st.sampled_from(ENTITY_TYPES)),
        "field_type": field_type,
        "required": draw(st.booleans()),
    }
    if field_type == "enum":
        data["enum_values"] = draw(enum_value_lists)
    return data


finite_numbers = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))


def valid_custom_values(definition: dict) -> st.SearchStrategy:
    """(typed, stored) pairs for a definition's type."""
    kind = definition["field_type"]
    if kind == "text":
        return texts(1, 100).map(lambda s: (s, s))
    if kind == "number":
        return st.one_of(
            # Whole numbers are stored as int, whatever type they came in as.
            finite_numbers.map(
                lambda n: (n, int(n) if isinstance(n, float) and n.is_integer() else n)
            ),
            st.integers(-(10**9), 10**9).map(lambda n: (str(n), n)),
        )
    if kind == "date":
        return dates.flatmap(lambda d: st.sampled_from([(d, d.isoformat()), (d.isoformat(),) * 2]))
    if kind == "enum":
        return st.sampled_from(definition["enum_values"]).map(lambda s: (s, s))
    return st.one_of(
        st.booleans().map(lambda b: (b, b)),
        st.sampled_from([("yes", True), ("no", False), ("true", True), ("off", False)]),
    )


def invalid_custom_values(definition: dict) -> st.SearchStrategy:
    """Values a definition's type must refuse (never blank: blank means 'remove the value')."""
    kind = definition["field_type"]
    if kind == "text":
        return st.one_of(st.integers(), st.booleans(), st.just({"a": 1}), texts_with_nul)
    if kind == "number":
        return st.one_of(
            st.sampled_from(["abc", "nan", "inf", "-Infinity", "1,5", "one", True, False]),
            st.just(float("nan")),
            st.just(float("inf")),
            st.lists(st.integers(), min_size=1, max_size=2),
        )
    if kind == "date":
        return st.one_of(invalid_dates, st.booleans(), st.just({"y": 2024}))
    if kind == "enum":
        return st.one_of(
            texts(1, 20).filter(lambda s: s not in definition["enum_values"]),
            st.integers(),
        )
    return st.one_of(
        st.sampled_from(["maybe", "2", "si", "tru"]),
        st.integers().filter(lambda n: n not in (0, 1)),
        st.integers(0, 1),
        st.floats(allow_nan=False),
    )
