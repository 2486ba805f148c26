"""Reading directory input (HTML forms and JSON alike) into clean values, or every problem at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, time
from typing import Any, ClassVar

from core import clock, forms
from core.forms import FormReader, first, many
from core.money import parse_pounds
from directory import org_ids
from directory.categories import CATEGORIES, DAYS
from directory.postcodes import PostcodeError, normalise_postcode

GENDERS = {"any": "Everyone", "women": "Women only", "men": "Men only"}
LED_BY = {"peer": "Peer-led (run by people with lived experience)", "staff": "Staff-led"}
BOOKING = {"drop_in": "Drop in, no need to book", "booked": "Please book a place"}
REPORT_REASONS = {
    "no_longer_runs": "It no longer runs",
    "wrong_time": "The day or time is wrong",
    "wrong_place": "The place is wrong",
    "no_answer": "Nobody answers the phone or email",
    "other": "Something else",
}
MAX_LONG_TEXT = 4000


def _postcode(value: str) -> str:
    try:
        return normalise_postcode(value)
    except PostcodeError as exc:
        raise ValueError(str(exc)) from None


def _columns(*besides: str) -> Callable[[type], type]:
    """Gives a form its FIELDS: the columns it sets, which are all its fields but the version the
    edit started from and any named here."""

    def give(form: type) -> type:
        form.FIELDS = tuple(f.name for f in fields(form) if f.name not in {"version", *besides})
        return form

    return give


def columns(data: Any) -> dict[str, Any]:
    """The columns an organisation's, venue's or activity's form sets, as typed."""
    return {name: getattr(data, name) for name in data.FIELDS}


def _version(reader: FormReader) -> int | None:
    return reader.value("version", forms.whole_number(1), required=False)


def _tags(raw: Mapping[str, Any]) -> list[str]:
    items = many(raw, "tags")
    if len(items) == 1:
        items = items[0].split(",")
    return [t.strip().lower()[:40] for t in items if t.strip()][:15]


@_columns("categories")
@dataclass
class ActivityInput:
    title: str
    description: str
    newcomer_notes: str
    categories: list[str]
    tags: list[str]
    led_by: str
    typical_group_size: int
    cost_pence: int
    cost_note: str
    age_min: int | None
    age_max: int | None
    gender: str
    quiet_space: bool
    buddy_welcome: bool
    welcome_contact: str | None
    welcome_note: str
    booking: str
    one_to_one_start: bool
    continuation: bool
    volunteering: bool
    what_to_bring: str
    venue_id: str | None
    version: int | None = None

    #: The columns of the activity the form sets.
    FIELDS: ClassVar[tuple[str, ...]]


def read_activity(raw: Mapping[str, Any]) -> ActivityInput:
    r = FormReader(raw)
    title = r.text("title", max_length=200)
    description = r.text("description", max_length=MAX_LONG_TEXT, lines=True)
    newcomer_notes = r.text("newcomer_notes", required=False, max_length=MAX_LONG_TEXT, lines=True)
    categories = r.choices("categories", CATEGORIES)
    r.check(bool(categories), "categories", "Choose at least one kind of activity")
    r.check(len(categories) <= 3, "categories", "Choose at most three kinds of activity")
    led_by = r.choice("led_by", LED_BY, required=False, default="staff")
    size = r.value("typical_group_size", forms.whole_number(1, 500))
    if first(raw, "cost_pence").strip():
        cost = r.value("cost_pence", forms.whole_number(0, 100_000), default=0)
    else:
        cost = r.value(
            "cost", lambda t: parse_pounds(t, field="cost", allow_zero=True), required=False, default=0
        )
    age_min = r.value("age_min", forms.whole_number(0, 120), required=False)
    age_max = r.value("age_max", forms.whole_number(0, 120), required=False)
    if age_min is not None and age_max is not None:
        r.check(age_max >= age_min, "age_max", "The upper age must be the same as or above the lower age")
    welcome_contact = r.text("welcome_contact", required=False, max_length=80) or None
    welcome_note = r.text("welcome_note", required=False, max_length=300)
    if welcome_contact and not welcome_note:
        welcome_note = f"{welcome_contact} meets newcomers"
    venue_id = first(raw, "venue_id").strip() or None
    result = ActivityInput(
        title=title,
        description=description,
        newcomer_notes=newcomer_notes,
        categories=categories,
        tags=_tags(raw),
        led_by=led_by,
        typical_group_size=size,
        cost_pence=cost or 0,
        cost_note=r.text("cost_note", required=False, max_length=300),
        age_min=age_min,
        age_max=age_max,
        gender=r.choice("gender", GENDERS, required=False, default="any"),
        quiet_space=r.flag("quiet_space"),
        buddy_welcome=r.flag("buddy_welcome"),
        welcome_contact=welcome_contact,
        welcome_note=welcome_note,
        booking=r.choice("booking", BOOKING, required=False, default="drop_in"),
        one_to_one_start=r.flag("one_to_one_start"),
        continuation=r.flag("continuation"),
        volunteering=r.flag("volunteering"),
        what_to_bring=r.text("what_to_bring", required=False, max_length=500),
        venue_id=venue_id,
        version=_version(r),
    )
    r.raise_if_errors()
    return result


@_columns()
@dataclass
class VenueInput:
    name: str
    address: str
    postcode: str
    step_free: bool
    accessible_toilet: bool
    parking: bool
    bus_routes: list[str]
    how_to_get_there: str
    version: int | None = None

    #: The columns of the venue the form sets.
    FIELDS: ClassVar[tuple[str, ...]]


def read_venue(raw: Mapping[str, Any]) -> VenueInput:
    r = FormReader(raw)
    routes = many(raw, "bus_routes")
    if len(routes) == 1:
        routes = re.split(r"[,\s]+", routes[0])
    routes = [x.strip()[:10] for x in routes if x.strip()][:20]
    result = VenueInput(
        name=r.text("name", max_length=200),
        address=r.text("address", max_length=500),
        postcode=r.value("postcode", _postcode),
        step_free=r.flag("step_free"),
        accessible_toilet=r.flag("accessible_toilet"),
        parking=r.flag("parking"),
        bus_routes=routes,
        how_to_get_there=r.text("how_to_get_there", required=False, max_length=1000, lines=True),
        version=_version(r),
    )
    r.raise_if_errors()
    return result


@_columns()
@dataclass
class OrganisationInput:
    name: str
    org_id: str | None
    other_org_ids: list[str]
    description: str
    phone: str | None
    email: str | None
    website: str | None
    address: str
    postcode: str | None
    version: int | None = None

    #: The columns of the organisation the form sets.
    FIELDS: ClassVar[tuple[str, ...]]


#: The registers the form offers, then any other register by its whole identifier.
REGISTER_CHOICES = {code: r.name for code, r in org_ids.REGISTERS.items()} | {
    org_ids.OTHER: "Another register (type the whole identifier, like GB-LAE-RTH)"
}


def _org_id(r: FormReader) -> str | None:
    """The organisation's identifier from the register chosen and the number typed; an API
    client may send the whole identifier as `org_id`, or a bare number as `charity_number`."""
    if first(r.raw, "org_id").strip():
        return r.value("org_id", org_ids.parse, required=False)
    if first(r.raw, "charity_number").strip() and "registered_number" not in r.raw:
        return r.value("charity_number", org_ids.guess, required=False)
    register = first(r.raw, "register").strip()
    if register and register not in REGISTER_CHOICES:
        r.check(False, "register", "Choose one of the registers in the list")
        return None
    if register == org_ids.OTHER:
        return r.value("registered_number", org_ids.parse, required=False)
    if register:
        return r.value("registered_number", lambda n: org_ids.from_register(register, n), required=False)
    typed = first(r.raw, "registered_number").strip()
    if typed:
        try:
            return org_ids.guess(typed)
        except ValueError:
            r.check(False, "register", "Choose the register this number is on")
    return None


def _other_org_ids(r: FormReader) -> list[str]:
    raw = r.raw.get("other_org_ids")
    if isinstance(raw, list) and not all(isinstance(x, str) for x in raw):
        r.check(False, "other_org_ids", "Give other identifiers as text, like GB-COH-09876543")
        return []
    text = raw if isinstance(raw, list) else first(r.raw, "other_org_ids")
    try:
        return org_ids.read_many(text)[:10]
    except ValueError as exc:
        r.check(False, "other_org_ids", str(exc))
        return []


def read_organisation(raw: Mapping[str, Any]) -> OrganisationInput:
    r = FormReader(raw)
    org_id = _org_id(r)
    others = [o for o in _other_org_ids(r) if o != org_id]
    result = OrganisationInput(
        name=r.text("name", max_length=200),
        org_id=org_id,
        other_org_ids=others,
        description=r.text("description", required=False, max_length=MAX_LONG_TEXT, lines=True),
        phone=r.value("phone", forms.phone, required=False),
        email=r.value("email", forms.email, required=False),
        website=r.value("website", forms.web_address, required=False),
        address=r.text("address", required=False, max_length=500),
        postcode=r.value("postcode", _postcode, required=False),
        version=_version(r),
    )
    r.raise_if_errors()
    return result


def organisation_form_values(organisation: Any) -> dict[str, Any]:
    """An organisation's details as the form shows them: its identifier split into register and number."""
    values = {
        name: getattr(organisation, name) or ""
        for name in ("name", "description", "phone", "email", "website", "address", "postcode", "version")
    }
    values["register"], values["registered_number"] = "", ""
    if organisation.org_id:
        code, number = org_ids.split(organisation.org_id)
        if code in org_ids.REGISTERS:
            values["register"], values["registered_number"] = code, number
        else:
            values["register"], values["registered_number"] = org_ids.OTHER, organisation.org_id
    values["other_org_ids"] = "\n".join(organisation.other_org_ids or [])
    return values


@dataclass
class ScheduleInput:
    weekday: int
    start_time: time
    end_time: time
    capacity: int
    starts_on: date
    ends_on: date | None
    version: int | None = None
    runs_on_holidays: bool = False


def read_schedule(raw: Mapping[str, Any]) -> ScheduleInput:
    r = FormReader(raw)
    day = r.choice("day", DAYS)
    start = r.value("start_time", forms.clock_time)
    end = r.value("end_time", forms.clock_time)
    if start and end:
        r.check(end > start, "end_time", "The end time must be after the start time")
    capacity = r.value("capacity", forms.whole_number(1, 500))
    starts_on = r.value("starts_on", forms.calendar_date, required=False) or clock.today()
    ends_on = r.value("ends_on", forms.calendar_date, required=False)
    if ends_on is not None:
        r.check(ends_on >= starts_on, "ends_on", "The last date must be on or after the first date")
    result = ScheduleInput(
        weekday=DAYS.index(day) if day else 0,
        start_time=start,
        end_time=end,
        capacity=capacity,
        starts_on=starts_on,
        ends_on=ends_on,
        version=_version(r),
        runs_on_holidays=r.flag("runs_on_holidays"),
    )
    r.raise_if_errors()
    return result


@dataclass
class ReportInput:
    reason: str
    details: str
    reporter_contact: str = field(default="")


def read_report(raw: Mapping[str, Any]) -> ReportInput:
    r = FormReader(raw)
    result = ReportInput(
        reason=r.choice("reason", REPORT_REASONS),
        details=r.text("details", required=False, max_length=2000),
        reporter_contact=r.text("reporter_contact", required=False, max_length=200),
    )
    r.raise_if_errors()
    return result


def _capacity(value: str) -> int:
    if not re.fullmatch(r"[+-]?\d{1,6}", value.strip()):
        raise ValueError("Enter the number of places as a whole number, like 12")
    number = int(value)
    if number < 0:
        raise ValueError("Capacity cannot be negative; enter 0 to take no more people")
    if number > 1000:
        raise ValueError("Enter 1000 places or fewer")
    return number


def read_capacity(raw: Mapping[str, Any]) -> tuple[int, int | None]:
    r = FormReader(raw)
    capacity = r.value("capacity", _capacity)
    version = _version(r)
    r.raise_if_errors()
    return capacity, version
