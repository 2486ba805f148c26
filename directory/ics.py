"""iCalendar (RFC 5545) files of sessions, for a person's phone or a coordinator's calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import Calendar, Event

from core import clock


@dataclass
class CalendarItem:
    uid: str
    title: str
    description: str
    location: str
    date: object
    start_time: object
    end_time: object
    cancelled: bool = False


def calendar_file(name: str, items: Iterable[CalendarItem]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Flourish//Rotherham social prescribing//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/London")
    stamp = clock.now()
    for item in items:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", clock.local_datetime(item.date, item.start_time))
        event.add("dtend", clock.local_datetime(item.date, item.end_time))
        event.add("summary", item.title)
        event.add("description", item.description)
        event.add("location", item.location)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def organisation_feed_token(secret: str, organisation_id: str) -> str:
    """The private part of an organisation's subscribable calendar address. Calendar apps cannot
    sign in, so the address itself is the key; it changes only if the secret key changes."""
    import hashlib
    import hmac

    return hmac.new(secret.encode(), f"calendar:{organisation_id}".encode(), hashlib.sha256).hexdigest()[:32]
