"""Field checks shared by every area's services. Each returns the cleaned value or raises
FieldError with a message a person can act on; `Checker` gathers them per field."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import uuid
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit, urlunsplit

import email_validator
import phonenumbers
import pycountry

from crm_web.core.errors import ValidationError


def _remember_email_domains() -> None:
    """email-validator checks each address's domain afresh (IDNA and UTS-46, character by
    character: two thirds of its time), though an import of a million addresses holds a few
    thousand domains. That check is a pure function of its arguments, so its answers are kept
    (errors are not: a bad domain is checked again and raises the same message)."""
    module = importlib.import_module("email_validator.validate_email")
    check = getattr(module, "validate_email_domain_name", None)
    if check is not None and not hasattr(check, "cache_info"):
        module.validate_email_domain_name = functools.lru_cache(maxsize=20_000)(check)


_remember_email_domains()


class FieldError(ValueError):
    """One bad value; the message is shown beside the field."""


class Checker:
    """Collects cleaned values and messages for one input; `done()` raises if any failed."""

    def __init__(self, data: dict):
        self.data = data or {}
        self.errors: dict[str, list[str]] = {}
        self.clean: dict = {}

    def has(self, name: str) -> bool:
        return name in self.data

    def field(self, name: str, check, *args, required: bool = False, **kwargs):
        """Run `check(value, …)` on data[name]; required means present and not blank."""
        value = self.data.get(name)
        if is_blank(value):
            if required:
                self.fail(name, "This field is required.")
                return None
            if name in self.data:
                self.clean[name] = None if not isinstance(value, list) else []
            return None
        try:
            self.clean[name] = check(value, *args, **kwargs)
        except FieldError as exc:
            self.fail(name, str(exc))
        return self.clean.get(name)

    def collect(self, check, *args, **kwargs):
        """Run a check that may raise ValidationError for several fields (custom fields), so
        its messages come back together with this input's own."""
        try:
            return check(*args, **kwargs)
        except ValidationError as exc:
            for name, messages in exc.fields.items():
                self.errors.setdefault(name, []).extend(messages)
            return None

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def done(self) -> dict:
        if self.errors:
            raise ValidationError(self.errors)
        return self.clean


class Remembered:
    """A check run once per distinct value: a batch's rows that name the same company or owner
    cost one look-up, with the very check (and message) a single record gets."""

    def __init__(self, check, known=()):
        self.check = check
        self.seen: dict = {(value,): (True, value) for value in known}  # passed without a look-up

    def __call__(self, value, *args):
        key = (value, *args)
        try:
            hash(key)
        except TypeError:  # a list or mapping where a reference belongs: checked, not kept
            return self.check(value, *args)
        if key not in self.seen:
            try:
                self.seen[key] = (True, self.check(value, *args))
            except FieldError as exc:
                self.seen[key] = (False, str(exc))
        ok, result = self.seen[key]
        if not ok:
            raise FieldError(result)
        return result


def check_each(rows, clean, owner_id) -> list:
    """A batch create's check (imports, API bulk): each row's `clean(row)` with owner_id
    defaulting to `owner_id`, or the ValidationError refusing it, in input order."""
    results: list = []
    for data in rows:
        try:
            checked = clean(data)
        except ValidationError as exc:
            results.append(exc)
            continue
        checked.setdefault("owner_id", owner_id)
        results.append(checked)
    return results


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def text(value, max_length: int = 255) -> str:
    if not isinstance(value, str):
        raise FieldError("Must be text.")
    value = value.strip()
    if len(value) > max_length:
        raise FieldError(f"Must be at most {max_length} characters (this is {len(value)}).")
    if "\x00" in value:
        raise FieldError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON): PostgreSQL can't hold it
        raise FieldError("Must not contain broken Unicode characters.") from None
    return value


def email(value) -> str:
    """Syntax only (no DNS lookups: a CRM must accept addresses while offline)."""
    if not isinstance(value, str):
        raise FieldError("Must be an email address.")
    return _answer(("email", value), _email, value)


def _email(value: str) -> str:
    try:
        result = email_validator.validate_email(value.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise FieldError(f"{value.strip()!r} is not a valid email address: {exc}") from None
    return result.normalized


def phone(value, region: str) -> str:
    """Any common format in, E.164 out; numbers without a country code use `region`."""
    if not isinstance(value, str):
        raise FieldError("Must be a phone number.")
    return _answer(("phone", value, region), _phone, value, region)


def _phone(value: str, region: str) -> str:
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        raise FieldError(f"{value.strip()!r} is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise FieldError(f"{value.strip()!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Answers of the two costliest checks, pure functions of their input (phonenumbers takes ~60 µs
# a number, email-validator ~20 µs an address): a batch job works out the next batch's while
# PostgreSQL writes this one (from a thread), and a value seen again (a switchboard
# number on a thousand rows) is checked once. At most _ANSWERS_KEPT, then forgotten at once.
_answers: dict[tuple, tuple[bool, str]] = {}
_ANSWERS_KEPT = 50_000


def _answer(key: tuple, check, *args) -> str:
    known = _answers.get(key)
    if known is None:
        try:
            known = (True, check(*args))
        except FieldError as exc:
            known = (False, str(exc))
        if len(_answers) >= _ANSWERS_KEPT:
            _answers.clear()
        _answers[key] = known
    ok, result = known
    if not ok:
        raise FieldError(result)
    return result


MAX_LIST_ITEMS = 20  # emails or phones of one record


def listed(value, check, *args, max_items: int = MAX_LIST_ITEMS) -> list:
    """A list of values, each checked; duplicates dropped, order kept."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise FieldError("Must be a list.")
    items = [v for v in value if not is_blank(v)]
    if len(items) > max_items:
        raise FieldError(f"At most {max_items} values (this has {len(items)}).")
    cleaned, messages = [], []
    for item in items:
        try:
            cleaned.append(check(item, *args))
        except FieldError as exc:
            messages.append(str(exc))
    if messages:
        raise FieldError(" ".join(messages))
    return list(dict.fromkeys(cleaned))


def currency(value) -> str:
    if (
        not isinstance(value, str)
        or pycountry.currencies.get(alpha_3=value.strip().upper()) is None
    ):
        raise FieldError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR).")
    return value.strip().upper()


def integer(value, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise FieldError("Must be a whole number.")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise FieldError("Must be a whole number.") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise FieldError("Must be a whole number.")
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        raise FieldError(f"Must be between {minimum} and {maximum}.")
    return value


def small_whole_number(value: str) -> int | None:
    """A number written in a URL (an id, an offset) as up to nine ASCII digits, else None.
    "³" is a digit to str.isdigit but not to int(), and a number of thousands of digits is
    refused by int() and by PostgreSQL's integer: either was a 500."""
    if value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def money(value) -> Decimal:
    """Up to 13 digits before the point and 2 after: NUMERIC(15, 2)."""
    if isinstance(value, bool):
        raise FieldError("Must be an amount.")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise FieldError(f"{value!r} is not an amount.") from None
    if not amount.is_finite():
        raise FieldError("Must be an amount.")
    if amount.is_signed():  # -0 too: it is no amount anyone means
        raise FieldError("Must not be negative.")
    # The bound before any rounding: quantizing 1e26 to cents needs more digits than the
    # decimal context has (InvalidOperation).
    if amount >= Decimal("1e13"):
        raise FieldError("Must be less than 10,000,000,000,000.")
    if amount != amount.quantize(Decimal("0.01")):
        raise FieldError("At most two decimal places.")
    return amount.quantize(Decimal("0.01"))


def date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FieldError(f"{value!r} is not a date (YYYY-MM-DD).")


def choice(value, choices) -> str:
    if value not in choices:
        raise FieldError(f"Must be one of: {', '.join(choices)}.")
    return value


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in (
        "true",
        "on",
        "yes",
        "1",
        "false",
        "off",
        "no",
        "0",
    ):
        return value.strip().lower() in ("true", "on", "yes", "1")
    raise FieldError("Must be yes or no.")


def uuid_value(value) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise FieldError(f"{value!r} is not a valid id.") from None


def mapping(value) -> dict:
    if not isinstance(value, dict):
        raise FieldError("Must be a set of named values.")
    return value


def url(value, max_length: int = 2048) -> str:
    """A web address, http or https; "acme.com" means https://acme.com. Scheme and host are
    lower-cased, a bare trailing slash dropped."""
    if not isinstance(value, str):
        raise FieldError("Must be a web address.")
    value = value.strip()
    message = f"{value!r} is not a web address (e.g. https://example.com)."
    if "://" not in value:
        value = f"https://{value}"
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        raise FieldError(message) from None
    if parts.scheme.lower() not in ("http", "https") or any(c.isspace() for c in value):
        raise FieldError(message)
    try:
        labels = host.encode("idna").decode("ascii").split(".")
    except UnicodeError:
        raise FieldError(message) from None
    if len(labels) < 2 or not all(_host_label(label) for label in labels):
        raise FieldError(message)
    netloc = host.lower() + (f":{port}" if port else "")
    if parts.username or parts.password:
        raise FieldError("A web address must not carry a user name or password.")
    path = "" if parts.path == "/" else parts.path
    cleaned = urlunsplit((parts.scheme.lower(), netloc, path, parts.query, parts.fragment))
    if len(cleaned) > max_length:
        raise FieldError(f"Must be at most {max_length} characters.")
    return cleaned


def _host_label(label: str) -> bool:
    return 0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
