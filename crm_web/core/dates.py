"""Dates and times as people read them: one format everywhere, in the signed-in user's time zone,
relative where it helps ("2 h ago", "in 3 days") with the exact time on hover.

Datetimes are stored aware (UTC) and shown in the user's zone (users.time_zone, UTC until set);
dates (a deal's close date, a task's due date) are calendar days and are never converted."""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Flask, has_request_context
from flask_login import current_user
from markupsafe import Markup

UTC = dt.UTC
DAY = dt.timedelta(days=1)
# Past this, a relative phrase ("23 days ago") helps less than the date itself.
RELATIVE_DAYS = 7
# Within this many hours a time reads "5 h ago" even across midnight (not "yesterday").
NEAR_HOURS = 6

# Audit entries store values as JSON (ISO strings); these columns are shown as dates or times.
DATETIME_COLUMNS = frozenset({"archived_at", "last_login_at", "completed_at"})
DATE_COLUMNS = frozenset({"close_date", "due_date"})


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA names this system knows (what a user may choose)."""
    return frozenset(available_timezones())


@lru_cache(maxsize=512)
def zone(name: str | None) -> dt.tzinfo:
    """The tzinfo for an IANA name; UTC for none or an unknown one (never an error on a page)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def user_zone() -> dt.tzinfo:
    """The signed-in user's zone (the tzinfo is cached by name); UTC outside a request."""
    if not has_request_context():
        return UTC
    return zone(getattr(current_user, "time_zone", None))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# "05" for 5: a lookup, not a format spec (2 µs each, twice per time a page shows).
TWO_DIGITS = tuple(f"{n:02}" for n in range(60))


def _day(value: dt.date) -> str:
    # A lookup, not strftime("%b"): 8x faster, and a list draws 50 of these.
    return f"{value.day} {MONTHS[value.month]} {value.year}"


def local_datetime(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """'4 Dec 2026, 14:05': the wall-clock time in the user's (or the given) zone."""
    if value is None:
        return ""
    local = _aware(value).astimezone(tz or user_zone())
    return f"{_day(local)}, {local:%H:%M}"


def exact(value: dt.datetime | dt.date, tz: dt.tzinfo | None = None) -> str:
    """The hover text: '4 Dec 2026, 14:05 CET' for a time, '7 Dec 2026' for a date."""
    if not isinstance(value, dt.datetime):
        return _day(value)
    local = _aware(value).astimezone(tz or user_zone())
    return f"{_day(local)}, {local:%H:%M} {local.tzname()}"


def local_date(value: dt.date | dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """'4 Dec 2026'. A datetime is first moved to the user's zone; a date is shown as it is."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _aware(value).astimezone(tz or user_zone()).date()
    return _day(value)


def _days(count: int) -> str:
    if count == 0:
        return "today"
    if count == 1:
        return "tomorrow"
    if count == -1:
        return "yesterday"
    return f"in {count} days" if count > 0 else f"{-count} days ago"


def relative(value, now: dt.datetime | None = None, tz: dt.tzinfo | None = None) -> str:
    """'just now', '5 min ago', '2 h ago', 'yesterday', 'in 3 days'; past a week the date.
    A date (no time) counts calendar days from today in the user's zone."""
    if value is None:
        return ""
    tz = tz or user_zone()
    now = _aware(now or dt.datetime.now(UTC))
    today = now.astimezone(tz).date()
    if not isinstance(value, dt.datetime):
        days = (value - today).days
        return _days(days) if abs(days) < RELATIVE_DAYS else _day(value)
    value = _aware(value)
    _, day, local_day, _ = _time_parts(value, tz)
    return _relative_time((value - now).total_seconds(), (local_day - today).days, day)


def _relative_time(seconds: float, days: int, day: str) -> str:
    """relative() of a time `seconds` from now, on a calendar day `days` from today in the
    user's zone, and shown as `day` (its _day()) past a week."""
    ahead, seconds = seconds > 0, abs(seconds)
    if seconds < 60:
        return "just now"
    if seconds < 3600 or days == 0 or seconds < NEAR_HOURS * 3600:
        amount = f"{int(seconds // 60)} min" if seconds < 3600 else f"{int(seconds // 3600)} h"
        return f"in {amount}" if ahead else f"{amount} ago"
    return _days(days) if abs(days) < RELATIVE_DAYS else day


def time_tag(value, now: dt.datetime | None = None, tz: dt.tzinfo | None = None) -> Markup:
    """<time datetime="…" title="4 Dec 2026, 14:05 CET">2 h ago</time>; empty for None."""
    if value is None:
        return Markup("")
    # Nothing user-supplied: ISO text, a date and a zone abbreviation.
    return Markup(time_html(value, now, tz or user_zone()))  # noqa: S704


def time_html(value, now: dt.datetime | None, tz: dt.tzinfo, today: dt.date | None = None) -> str:
    """time_tag as a str, for the f-string list cells (display.py): they pass `now` (aware),
    `tz` and `today` (in `tz`) once for all their rows. A list shows 50: what depends on the
    time and zone alone is kept (_time_parts), the relative words are worked out each time."""
    if not isinstance(value, dt.datetime):
        day, words = _day(value), relative(value, now, tz)
        # The day on hover, unless the words are the day already.
        title = "" if words == day else f' title="{day}"'
        return f'<time datetime="{value.isoformat()}"{title}>{words}</time>'
    now = _aware(now or dt.datetime.now(UTC))
    value = _aware(value)
    start, day, local_day, settled = _time_parts(value, tz)
    seconds = (value - now).total_seconds()
    if abs(seconds) > SETTLED:
        return settled
    days = (local_day - (today or now.astimezone(tz).date())).days
    return f"{start}{_relative_time(seconds, days, day)}</time>"


# Past this many seconds either way a time reads as its date in every zone, whatever the clock.
SETTLED = (RELATIVE_DAYS + 1) * 86400


@lru_cache(maxsize=16384)
def _time_parts(value: dt.datetime, tz: dt.tzinfo) -> tuple[str, str, dt.date, str]:
    """A time's tag up to its words (ISO time; the exact time in `tz` on hover), its day as
    shown, its calendar day in `tz`, and its whole tag once SETTLED (the day, and its time of
    day on hover): lists, notes and tasks show the same times page after page, and converting
    and formatting them was most of a list row's cost."""
    local = value.astimezone(tz)
    day = _day(local)
    clock = f"{TWO_DIGITS[local.hour]}:{TWO_DIGITS[local.minute]} {local.tzname()}"
    # In UTC to the minute, as shown ("…T07:23Z"): seconds, microseconds and "+00:00" were 15
    # bytes a row of a list.
    iso = f"{value.astimezone(UTC):%Y-%m-%dT%H:%M}Z"
    start = f'<time datetime="{iso}" title="{day}, {clock}">'
    # Settled, the words are the day: the hover adds the time of day alone (650 bytes a list).
    return start, day, local.date(), f'<time datetime="{iso}" title="{clock}">{day}</time>'


def audit_value(value, column: str):
    """An audit entry's JSON value for display: ISO strings of known date/time columns become
    '4 Dec 2026, 09:35' or '5 Mar 2026'; anything else (or a malformed one) is left as it is."""
    if not isinstance(value, str) or not (column in DATETIME_COLUMNS or column in DATE_COLUMNS):
        return value
    try:
        if column in DATE_COLUMNS:
            return local_date(dt.date.fromisoformat(value[:10]))
        return local_datetime(dt.datetime.fromisoformat(value))
    except ValueError:
        return value


def init_app(app: Flask) -> None:
    """The filters every template uses for dates and times."""
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_filter(relative)
    app.add_template_filter(time_tag)
    app.add_template_filter(audit_value)
