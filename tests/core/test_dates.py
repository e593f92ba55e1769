"""Dates and times read the same everywhere: the wall-clock time of the user's zone, relative
where it helps, the exact time on hover."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_web.core import dates

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 4, 14, 5, tzinfo=UTC)
ZONES = sorted(dates.time_zone_names())


@given(
    moment=st.datetimes(
        min_value=dt.datetime(1971, 1, 1),
        max_value=dt.datetime(2099, 12, 31),
        timezones=st.just(UTC),
    ),
    name=st.sampled_from(ZONES),
)
def test_local_datetime_shows_the_wall_clock_time_of_the_zone(moment, name):
    zone = ZoneInfo(name)
    wall = moment.astimezone(zone)
    shown = dates.local_datetime(moment, zone)
    assert shown == f"{wall.day} {wall:%b %Y}, {wall:%H:%M}"
    assert dates.local_date(moment, zone) == f"{wall.day} {wall:%b %Y}"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (dt.timedelta(seconds=-20), "just now"),
        (dt.timedelta(seconds=20), "just now"),
        (dt.timedelta(minutes=-5), "5 min ago"),
        (dt.timedelta(minutes=5), "in 5 min"),
        (dt.timedelta(hours=-2), "2 h ago"),
        (dt.timedelta(hours=3), "in 3 h"),
        (dt.timedelta(hours=-26), "yesterday"),
        (dt.timedelta(days=-3), "3 days ago"),
        (dt.timedelta(days=3), "in 3 days"),
        (dt.timedelta(days=1, hours=1), "tomorrow"),
        (dt.timedelta(days=-9), "25 Nov 2026"),
        (dt.timedelta(days=30), "3 Jan 2027"),
    ],
)
def test_relative_names_the_distance_from_now(delta, expected):
    assert dates.relative(NOW + delta, NOW, UTC) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, "today"), (1, "tomorrow"), (-1, "yesterday"), (3, "in 3 days"), (-6, "6 days ago")],
)
def test_relative_dates_count_calendar_days(days, expected):
    assert dates.relative(NOW.date() + dt.timedelta(days=days), NOW, UTC) == expected


def test_a_date_past_a_week_is_shown_as_the_date():
    assert dates.relative(dt.date(2027, 3, 3), NOW, UTC) == "3 Mar 2027"


def test_yesterday_is_the_users_calendar_day():
    # 23:30 in Tokyo yesterday is 3 days of UTC hours away from nothing: the local day counts.
    tokyo = ZoneInfo("Asia/Tokyo")
    now = dt.datetime(2026, 12, 4, 9, 0, tzinfo=tokyo)
    assert dates.relative(dt.datetime(2026, 12, 3, 1, 0, tzinfo=tokyo), now, tokyo) == "yesterday"


@given(
    offset=st.timedeltas(min_value=-dt.timedelta(days=60), max_value=dt.timedelta(days=60)),
    name=st.sampled_from(ZONES),
)
def test_a_time_tag_reads_as_relative_and_exact_say_whether_kept_or_drawn(offset, name):
    """A tag's start and day are kept per time and zone (dates._time_parts), its words worked
    out each time: each must read as relative() and exact() say, in every zone, however far
    away, whether kept or drawn."""
    zone, value = ZoneInfo(name), NOW + offset
    tag = dates.time_html(value, NOW, zone)
    words = dates.relative(value, NOW, zone)
    assert tag.endswith(f">{words}</time>")
    exact = dates.exact(value, zone)
    # On hover, the exact time; once the words are its day (settled), the time of day alone.
    day, clock = exact.split(", ")
    settled = abs(offset.total_seconds()) > dates.SETTLED
    assert f' title="{clock if settled else exact}">' in tag
    assert words == day or not settled  # the hover never leaves the day unsaid


def test_the_time_tag_carries_the_exact_time_on_hover():
    berlin = ZoneInfo("Europe/Berlin")
    tag = dates.time_tag(NOW - dt.timedelta(hours=2), NOW, berlin)
    assert tag == (
        '<time datetime="2026-12-04T12:05Z" title="4 Dec 2026, 13:05 CET">2 h ago</time>'
    )


def test_audit_values_of_date_and_time_columns_are_formatted():
    assert dates.audit_value("2026-03-05", "close_date") == "5 Mar 2026"
    assert dates.audit_value("2026-12-04T09:35:37.542593+00:00", "archived_at") == (
        "4 Dec 2026, 09:35"
    )
    assert dates.audit_value("2026-12-04T09:35", "title") == "2026-12-04T09:35"
    assert dates.audit_value("not a date", "due_date") == "not a date"


def test_an_unknown_zone_name_reads_as_utc():
    assert dates.zone("Mars/Olympus") is UTC
    assert dates.zone(None) is UTC
