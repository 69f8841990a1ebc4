"""Time bins in UTC: where a bin starts, where the next one starts, and how many
bins a range makes, computed before any is made (a range by the hour over
centuries is refused, not built)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# The kinds Django's Trunc knows by the same names; a week starts on Monday (ISO 8601),
# as PostgreSQL's date_trunc('week') and Django's SQLite function both have it.
BINS = ("hour", "day", "week", "month")
FIXED = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
# Enough for hourly bins over a year (8,784) and daily ones over 27 years; a plot or a
# CSV of more is no longer read by anybody, and the page would weigh megabytes.
MAX_BINS = 10_000


def floor(moment: datetime, kind: str) -> datetime:
    """The start of the bin holding `moment` (an aware datetime), in UTC."""
    moment = moment.astimezone(UTC)
    if kind == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def following(start: datetime, kind: str) -> datetime:
    """The start of the bin after the one starting at `start`."""
    if kind in FIXED:
        return start + FIXED[kind]
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def ceiling(moment: datetime, kind: str) -> datetime:
    """The first bin start at or after `moment`: the end of a range of whole bins."""
    start = floor(moment, kind)
    return start if start == moment.astimezone(UTC) else following(start, kind)


def count(first: datetime, stop: datetime, kind: str) -> int:
    """How many bins cover [first, stop), both bin starts."""
    if kind in FIXED:
        return int((stop - first) / FIXED[kind])
    return (stop.year - first.year) * 12 + stop.month - first.month


def starts(first: datetime, stop: datetime, kind: str) -> list[datetime]:
    """The bin starts from `first` up to `stop` (excluded); call `count` first."""
    found = []
    start = first
    while start < stop:
        found.append(start)
        start = following(start, kind)
    return found
