"""One place that says what time it is, so tests can fix it and display is always in London time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_fixed_now: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    if _fixed_now is not None:
        return _fixed_now
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Rotherham."""
    return now().astimezone(LONDON).date()


def local_datetime(day: date, at: time) -> datetime:
    """A wall-clock time in Rotherham on a given day, as an aware datetime."""
    return datetime.combine(day, at, tzinfo=LONDON)


def to_london(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; store and pass UTC-aware values")
    return moment.astimezone(LONDON)


def fix(moment: datetime | None) -> None:
    """Pin the clock (tests and the demonstration-history generator); None releases it."""
    global _fixed_now
    if moment is not None and moment.tzinfo is None:
        raise ValueError("fix() needs an aware datetime")
    _fixed_now = moment.astimezone(UTC) if moment is not None else None
