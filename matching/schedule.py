"""When an activity meets, in the terms a person can make: days, parts of the day, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from directory.categories import DAY_LABELS
from directory.records import ActivityRecord, UpcomingSession
from matching.index import TIME_NAMES, slot

try:
    _LONDON: ZoneInfo | None = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # without time-zone data, the clock as given is the best guess
    _LONDON = None

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def can_make(slot_mask: int | None, weekday: int, hour: int) -> bool:
    return slot_mask is None or bool(slot_mask >> slot(weekday, hour) & 1)


def can_make_part(slot_mask: int | None, weekday: int, part: str) -> bool:
    return slot_mask is None or bool(slot_mask >> (weekday * len(TIME_NAMES) + TIME_NAMES.index(part)) & 1)


def next_session(
    record: ActivityRecord,
    slot_mask: int | None,
    today: date,
    now: time | None = None,
    windows: tuple[tuple[int, int, int], ...] = (),
) -> UpcomingSession | None:
    """The first session from today, at a time the person can make, with a place left.

    `now` is the local time of day: a session today that has already started is not offered.
    With windows, a session counts only if it lies wholly inside one of them.
    """
    for s in record.sessions:
        if s.date < today or s.places_left <= 0:
            continue
        if s.date == today and now is not None and s.start_time <= now:
            continue
        if windows:
            start = s.start_time.hour * 60 + s.start_time.minute
            end = s.end_time.hour * 60 + s.end_time.minute
            if any(d == s.date.weekday() and lo <= start and end <= hi for d, lo, hi in windows):
                return s
        elif can_make(slot_mask, s.date.weekday(), s.start_time.hour):
            return s
    return None


def meeting_days(record: ActivityRecord, slot_mask: int | None = None) -> list[int]:
    """Weekdays of its weekly times (only those the person can make, if any are)."""
    days = sorted({w.weekday for w in record.weekly if 0 <= w.weekday <= 6})
    usable = [
        d
        for d in days
        if any(can_make(slot_mask, w.weekday, w.start_time.hour) for w in record.weekly if w.weekday == d)
    ]
    return usable or days


def meeting_slots(record: ActivityRecord) -> list[tuple[int, str]]:
    """(weekday, part of day) pairs it meets at: its weekly times and any other dated sessions."""
    times = [(w.weekday, w.start_time.hour) for w in record.weekly if 0 <= w.weekday <= 6]
    times += [(s.date.weekday(), s.start_time.hour) for s in record.sessions]
    return sorted({(day, TIME_NAMES[slot(day, hour) % len(TIME_NAMES)]) for day, hour in times})


def plural_days(days: list[int]) -> str:
    return join_words([f"{DAY_LABELS[d]}s" for d in days])


def slot_words(pairs: list[tuple[int, str]]) -> str:
    return join_words([f"{DAY_LABELS[d]} {part}s" for d, part in pairs[:3]])


def join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def day_words(day: date, today: date) -> str:
    if day == today:
        return "today"
    if (day - today).days == 1:
        return "tomorrow"
    return f"on {DAY_LABELS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def date_words(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@lru_cache(maxsize=1440)
def clock(at: time) -> str:
    return at.strftime("%H:%M")


def rotherham_today() -> date:
    """Today's date in Rotherham."""
    return datetime.now(_LONDON or UTC).date()


def local_time_of_day(now: datetime, today: date) -> time | None:
    """Now's wall-clock time in Rotherham if it falls on `today`, else None."""
    if now.tzinfo is not None and _LONDON is not None:
        now = now.astimezone(_LONDON)
    return now.time() if now.date() == today else None
