"""A received ORUK service as clean values Flourish can store, with a note for everything that
had to be changed, dropped or guessed. No database and no HTTP.

Real feeds are messy, so nothing here trusts a type: a number may arrive as a string, a list as a
single object, a description as HTML. Each decision is written down in the service's notes so the
person importing can see it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from html.parser import HTMLParser
from typing import Any

from core import clock, forms
from directory import org_ids
from directory.oruk import mapping, taxonomy
from directory.oruk.taxonomy import derived_id
from directory.postcodes import PostcodeError, normalise_postcode
from directory.schemas import MAX_LONG_TEXT

#: Longest text Flourish keeps in each field (the column sizes, or what the forms allow).
LIMITS = {
    "name": 200,
    "description": MAX_LONG_TEXT,
    "newcomer notes": MAX_LONG_TEXT,
    "what to bring": 500,
    "fees": 300,
    "organisation name": 200,
    "organisation description": MAX_LONG_TEXT,
    "venue name": 200,
    "address": 500,
    "directions": 1000,
    "welcome contact": 80,
    "welcome note": 300,
}
MAX_CATEGORIES = 3
MAX_COST_PENCE = 100_000
MAX_CAPACITY = 1000
#: Roughly the UK, with a margin: coordinates outside it are a mistake in the feed.
UK_LATITUDE = (49.0, 61.5)
UK_LONGITUDE = (-9.0, 2.5)
#: An org-id.guide register code, like GB-CHC or XI-PB.
_SCHEME = re.compile(r"[A-Z]{2}-[A-Z0-9]{2,10}")
_LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_POUNDS = re.compile(r"£\s*(\d{1,4}(?:\.\d{1,2})?)")
_PARAGRAPH_TAGS = {"p", "div", "ul", "ol", "table", "section", "h1", "h2", "h3", "h4", "h5", "h6"}
_LINE_TAGS = {"br", "li", "tr"}


# ---- text ---------------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Keeps the words of an HTML fragment: tags go, entities become characters, script and style
    contents are dropped, and block elements become line breaks so paragraphs survive."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skipping += 1
        elif tag in _PARAGRAPH_TAGS:
            self.parts.append("\n\n")
        elif tag in _LINE_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in _PARAGRAPH_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def strip_html(value: str) -> str:
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    return _tidy("".join(parser.parts))


def _tidy(value: str) -> str:
    lines = [" ".join(line.split()) for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _plain(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) else ""


class Notes(list[str]):
    def add(self, text: str) -> None:
        if text not in self:
            self.append(text)


def clean_text(value: Any, what: str, notes: Notes, *, single_line: bool = False) -> str:
    """Text as Flourish stores it: HTML reduced to words, trimmed, and cut to the field's length."""
    text = _plain(value)
    if _LOOKS_LIKE_HTML.search(text):
        text = strip_html(text)
        notes.add(f"HTML was removed from the {what}, keeping the words")
    elif "\r" in text or "  " in text:
        text = _tidy(text)
    text = text.strip()
    if single_line:
        text = " ".join(text.split())
    limit = LIMITS.get(what)
    if limit and len(text) > limit:
        cut = text[: limit - 1]
        if " " in cut[-40:]:
            cut = cut[: cut.rfind(" ")]
        notes.add(
            f"The {what} was {len(text)} characters, longer than Flourish keeps ({limit}); it was shortened"
        )
        text = cut.rstrip() + "…"
    return text


def normalise_name(value: str) -> str:
    """For telling duplicates apart: case, spacing and punctuation do not make a different name."""
    return " ".join(re.sub(r"[^\w\s]", " ", value.lower()).split())


# ---- ids ----------------------------------------------------------------------------------------


def canonical_uuid(value: Any) -> str | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class IdChoice:
    id: str | None
    note: str | None = None


def choose_id(value: Any, kind: str) -> IdChoice:
    """The feed's id when it is a UUID (written the standard way); a stable UUID made from it when
    it is some other text; None when there is none, for the caller to derive from names."""
    raw = _plain(value).strip()
    if not raw:
        return IdChoice(None)
    found = canonical_uuid(raw)
    if found:
        return IdChoice(found, None if found == raw else f"The {kind} id {raw!r} was written as {found}")
    made = derived_id("foreign-id", kind, raw)
    return IdChoice(
        made,
        f"The {kind} id {raw[:60]!r} is not a UUID, which ORUK requires; Flourish uses {made}, "
        "made from it, so importing the same feed again updates the same record",
    )


# ---- the values read ----------------------------------------------------------------------------


@dataclass
class OrganisationIn:
    id: str | None
    name: str
    description: str = ""
    email: str | None = None
    website: str | None = None
    #: Identifiers in the org-id scheme, like GB-CHC-1048207: the first is the organisation's own.
    org_ids: list[str] = field(default_factory=list)
    id_note: str | None = None

    @property
    def org_id(self) -> str | None:
        return self.org_ids[0] if self.org_ids else None


@dataclass
class LocationIn:
    id: str
    name: str
    address: str
    postcode: str | None
    latitude: float | None
    longitude: float | None
    how_to_get_there: str = ""
    bus_routes: list[str] = field(default_factory=list)
    step_free: bool = False
    accessible_toilet: bool = False
    parking: bool = False
    id_note: str | None = None


@dataclass
class ScheduleIn:
    id: str | None
    weekday: int
    start_time: time
    end_time: time
    starts_on: date | None
    ends_on: date | None
    capacity: int | None


@dataclass
class ServiceIn:
    position: int
    id: str | None
    name: str
    description: str = ""
    newcomer_notes: str = ""
    what_to_bring: str = ""
    active: bool = True
    age_min: int | None = None
    age_max: int | None = None
    cost_pence: int = 0
    cost_note: str = ""
    last_modified: datetime | None = None
    assured_on: date | None = None
    organisation: OrganisationIn | None = None
    organisation_id: str | None = None
    location: LocationIn | None = None
    schedules: list[ScheduleIn] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    features: set[str] = field(default_factory=set)
    about: set[str] = field(default_factory=set)
    uses_flourish_terms: bool = False
    ignored_terms: list[str] = field(default_factory=list)
    welcome_contact: str | None = None
    welcome_note: str = ""
    notes: Notes = field(default_factory=Notes)


class Unreadable(ValueError):
    """A service that cannot be imported at all; the message says why, in plain words."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().lstrip("£"))
        except ValueError:
            return None
    return None


def _date(value: Any) -> date | None:
    text = _plain(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    text = _plain(value).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _clock(value: Any) -> time | None:
    text = _plain(value).strip().upper()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


# ---- reading one service ------------------------------------------------------------------------


#: Locations already read, by the feed's id for them, with the notes reading them produced: many
#: services meet at the same venue, and a feed repeats the venue in full for each.
LocationCache = dict[str, tuple["LocationIn | None", list[str]]]


def read_service(raw: Any, position: int, locations: LocationCache | None = None) -> ServiceIn:
    """Clean values for one service; raises Unreadable when it cannot be imported at all."""
    if not isinstance(raw, dict):
        raise Unreadable("This entry is not a service (it is not a JSON object)")
    notes = Notes()
    name = clean_text(raw.get("name"), "name", notes, single_line=True)
    if not name:
        raise Unreadable("The service has no name")
    choice = choose_id(raw.get("id"), "service")
    if choice.note:
        notes.add(choice.note)
    description, newcomer, bring = mapping.split_description(
        clean_text(raw.get("description"), "description", notes)
    )
    service = ServiceIn(
        position=position,
        id=choice.id,
        name=name,
        description=description,
        newcomer_notes=clean_text(newcomer, "newcomer notes", notes),
        what_to_bring=clean_text(bring, "what to bring", notes),
        notes=notes,
    )
    _read_status(raw, service)
    _read_ages(raw, service)
    _read_cost(raw, service)
    service.last_modified = _moment(raw.get("last_modified"))
    service.assured_on = _date(raw.get("assured_date"))
    _read_organisation(raw, service)
    _read_attributes(raw, service)
    _read_contacts(raw, service)
    _read_location(raw, service, {} if locations is None else locations)
    service.schedules = _read_schedules(raw, service)
    return service


def _read_status(raw: dict[str, Any], service: ServiceIn) -> None:
    status = _plain(raw.get("status")).strip().lower()
    if not status:
        service.notes.add("The service has no status; it was taken to be active")
    elif status != "active":
        service.active = False
        service.notes.add(f"The status is {status!r}, so it is imported as withdrawn (not listed)")


def _read_ages(raw: dict[str, Any], service: ServiceIn) -> None:
    for key, attr in (("minimum_age", "age_min"), ("maximum_age", "age_max")):
        if raw.get(key) in (None, ""):
            continue
        value = _number(raw.get(key))
        if value is None or not 0 <= value <= 120:
            service.notes.add(f"The {key.replace('_', ' ')} {raw.get(key)!r} is not an age; it was left out")
            continue
        setattr(service, attr, round(value))
    if service.age_min is not None and service.age_max is not None and service.age_max < service.age_min:
        service.notes.add("The maximum age is below the minimum age; the maximum was left out")
        service.age_max = None


def _read_cost(raw: dict[str, Any], service: ServiceIn) -> None:
    fees = clean_text(raw.get("fees"), "fees", service.notes)
    amount = None
    for option in _list(raw.get("cost_options")):
        amount = _number(_dict(option).get("amount"))
        if amount is not None:
            break
    if amount is None and fees:
        lowered = fees.lower()
        if lowered.startswith(("free", "no charge", "no cost", "none")):
            amount = 0.0
        elif match := _POUNDS.search(fees):
            amount = float(match.group(1))
    if amount is None:
        amount = 0.0
        if fees:
            service.notes.add(
                f"The fees ({fees[:60]!r}) give no amount Flourish can read; it is listed as free with "
                "that text shown"
            )
        else:
            fees = "Ask the organisation whether there is a charge."
            service.notes.add("The feed gives no cost; it is listed as free with a note to ask about charges")
    if not 0 <= amount * 100 <= MAX_COST_PENCE:
        service.notes.add(f"The cost {amount!r} is not a usable amount in pounds; it is listed as free")
        amount = 0.0
    service.cost_pence = round(amount * 100)
    service.cost_note = "" if fees == mapping.fees_text(service.cost_pence, "") else fees


def _read_organisation(raw: dict[str, Any], service: ServiceIn) -> None:
    given = raw.get("organization")
    if isinstance(given, dict) and given:
        service.organisation = read_organisation(given, service.notes)
    fallback = choose_id(raw.get("organization_id"), "organisation")
    service.organisation_id = fallback.id
    if service.organisation and service.organisation.id is None and fallback.id:
        service.organisation.id = fallback.id


def read_organisation(raw: dict[str, Any], notes: Notes) -> OrganisationIn | None:
    choice = choose_id(raw.get("id"), "organisation")
    name = clean_text(raw.get("name"), "organisation name", notes, single_line=True)
    if not name and choice.id is None:
        return None
    organisation = OrganisationIn(
        id=choice.id,
        name=name,
        description=clean_text(raw.get("description"), "organisation description", notes),
        id_note=choice.note,
    )
    email = _plain(raw.get("email")).strip()
    if email:
        try:
            organisation.email = forms.email(email)
        except ValueError:
            notes.add(f"The organisation's email {email[:60]!r} is not an email address; it was left out")
    website = _plain(raw.get("website")).strip()
    if website:
        if not website.lower().startswith(("http://", "https://")) and "." in website and " " not in website:
            website = "https://" + website
        try:
            organisation.website = forms.web_address(website)
        except ValueError:
            notes.add(f"The organisation's website {website[:60]!r} is not a web address; it was left out")
    for identifier in _list(raw.get("organization_identifiers")):
        org_id = _org_id(_dict(identifier), notes)
        if org_id and org_id not in organisation.org_ids:
            organisation.org_ids.append(org_id)
    return organisation


def _org_id(identifier: dict[str, Any], notes: Notes) -> str | None:
    """An organisation_identifier entry as an org-id identifier, or None (with a note saying
    why when it looked like one but was not). Entries of schemes that org-id.guide does not
    list, such as a local authority's own supplier number, are passed over."""
    scheme = _plain(identifier.get("identifier_scheme")).strip().upper()
    kind = _plain(identifier.get("identifier_type")).lower()
    number = _plain(identifier.get("identifier")).strip()
    if not number:
        return None
    if scheme and number.upper().startswith(scheme + "-"):
        number = number[len(scheme) + 1 :]
    try:
        if _SCHEME.fullmatch(scheme):
            return org_ids.from_register(scheme, number)
        if "charity" in kind or "company" in kind:
            return org_ids.guess(number)
    except ValueError as exc:
        notes.add(f"The identifier {number[:30]!r} ({scheme or kind or 'no scheme'}) was left out: {exc}")
    return None


def _read_attributes(raw: dict[str, Any], service: ServiceIn) -> None:
    categories: list[str] = []
    for attribute in _list(raw.get("attributes")):
        attribute = _dict(attribute)
        term_data = _dict(attribute.get("taxonomy_term"))
        term_id = _plain(attribute.get("taxonomy_term_id") or term_data.get("id")).strip()
        found = taxonomy.find_term(
            term_id,
            code=_plain(term_data.get("term")).strip() or None,
            taxonomy=_plain(term_data.get("taxonomy")).strip() or None,
        )
        if found is None:
            label = _plain(term_data.get("name") or term_data.get("term")).strip() or term_id or "unnamed"
            if label not in service.ignored_terms:
                service.ignored_terms.append(label[:80])
            continue
        service.uses_flourish_terms = True
        if found.group == "category":
            if found.code not in categories:
                categories.append(found.code)
        elif found.group == "feature":
            service.features.add(found.code)
        else:
            service.about.add(found.code)
    if len(categories) > MAX_CATEGORIES:
        service.notes.add(
            f"It has {len(categories)} kinds of activity; Flourish keeps the first {MAX_CATEGORIES}"
        )
        categories = categories[:MAX_CATEGORIES]
    service.categories = categories
    if service.ignored_terms:
        service.notes.add(
            "Taxonomy terms Flourish does not use were ignored: " + ", ".join(service.ignored_terms[:8])
        )
    if not categories:
        service.notes.add("No Flourish kind of activity was given, so it has none until someone adds one")


def _read_contacts(raw: dict[str, Any], service: ServiceIn) -> None:
    if "met_at_door" not in service.features:
        return
    for contact in _list(raw.get("contacts")):
        contact = _dict(contact)
        name = clean_text(contact.get("name"), "welcome contact", service.notes, single_line=True)
        if name:
            service.welcome_contact = name
            title = clean_text(contact.get("title"), "welcome note", service.notes, single_line=True)
            service.welcome_note = "" if title == mapping.WELCOME_TITLE else title
            return
    service.features.discard("met_at_door")
    service.notes.add("It says someone meets newcomers but names nobody, so that is not shown")


def _read_location(raw: dict[str, Any], service: ServiceIn, cache: LocationCache) -> None:
    locations = []
    for link in _list(raw.get("service_at_locations")):
        place = _dict(_dict(link).get("location"))
        if not place:
            service.notes.add("A location given only by its id could not be imported")
            continue
        if _plain(place.get("location_type")).strip().lower() == "virtual":
            service.notes.add("An online-only location is not a venue, so it was not imported")
            continue
        locations.append(place)
    if not locations:
        return
    if len(locations) > 1:
        service.notes.add(
            f"It has {len(locations)} locations; Flourish lists one venue per activity, the first"
        )
    key = _plain(locations[0].get("id")).strip()
    if key and key in cache:
        service.location, notes = cache[key]
        for note in notes:
            service.notes.add(note)
        return
    notes = Notes()
    service.location = read_location(locations[0], notes)
    for note in notes:
        service.notes.add(note)
    if key:
        cache[key] = (service.location, list(notes))


def read_location(place: dict[str, Any], notes: Notes) -> LocationIn | None:
    addresses = [_dict(a) for a in _list(place.get("addresses"))]
    address = next(
        (a for a in addresses if _plain(a.get("address_type")).lower() == "physical"),
        addresses[0] if addresses else {},
    )
    line = " ".join(
        clean_text(address.get(key), "address", notes, single_line=True) for key in ("address_1", "address_2")
    ).strip()
    city = clean_text(address.get("city"), "address", notes, single_line=True)
    full_address = clean_text(mapping.join_address(line, city), "address", notes, single_line=True)
    postcode = None
    raw_postcode = _plain(address.get("postal_code")).strip()
    if raw_postcode:
        try:
            postcode = normalise_postcode(raw_postcode)
        except PostcodeError:
            notes.add(
                f"The postcode {raw_postcode[:20]!r} is not a UK postcode; the venue is listed without one"
            )
    latitude, longitude = _number(place.get("latitude")), _number(place.get("longitude"))
    if latitude is not None and longitude is not None:
        if not (
            UK_LATITUDE[0] <= latitude <= UK_LATITUDE[1] and UK_LONGITUDE[0] <= longitude <= UK_LONGITUDE[1]
        ):
            notes.add("The venue's map position is not in the UK, so it was left out")
            latitude = longitude = None
    else:
        latitude = longitude = None
    name = clean_text(place.get("name"), "venue name", notes, single_line=True)
    name = name or line or postcode or ""
    if not name and latitude is None:
        notes.add("The location has no name, address, postcode or map position, so it was not imported")
        return None
    directions, routes = mapping.split_directions(clean_text(place.get("description"), "directions", notes))
    choice = choose_id(place.get("id"), "location")
    location_id = choice.id or derived_id(
        "location", normalise_name(name), normalise_name(full_address), postcode or ""
    )
    if choice.id is None:
        notes.add(f"The location had no id; Flourish gave it {location_id}, made from its name and address")
    location = LocationIn(
        id=location_id,
        name=name or "Venue",
        address=full_address,
        postcode=postcode,
        latitude=latitude,
        longitude=longitude,
        how_to_get_there=directions,
        bus_routes=[r[:10] for r in routes][:20],
        id_note=choice.note,
    )
    words = " ".join(
        " ".join(_plain(_dict(a).get(k)) for k in ("description", "details", "accessibility")).lower()
        for a in _list(place.get("accessibility"))
    )
    for flag, (_, keywords) in mapping.ACCESSIBILITY.items():
        setattr(location, flag, any(k in words for k in keywords))
    return location


def _read_schedules(raw: dict[str, Any], service: ServiceIn) -> list[ScheduleIn]:
    schedules: list[ScheduleIn] = []
    for index, item in enumerate(_list(raw.get("schedules"))):
        item = _dict(item)
        label = f"Schedule {index + 1}"
        problem, days = _schedule_shape(item)
        if problem:
            service.notes.add(f"{label} was skipped: {problem}")
            continue
        opens, closes = _clock(item.get("opens_at")), _clock(item.get("closes_at"))
        if opens is None or closes is None:
            service.notes.add(f"{label} was skipped: it needs opening and closing times like 10:00")
            continue
        if closes <= opens:
            service.notes.add(f"{label} was skipped: it closes at or before it opens")
            continue
        starts_on = _date(item.get("dtstart")) or _date(item.get("valid_from"))
        ends_on = _date(item.get("until")) or _date(item.get("valid_to"))
        if starts_on and ends_on and ends_on < starts_on:
            service.notes.add(f"{label} was skipped: it ends before it starts")
            continue
        if ends_on and ends_on < clock.today():
            service.notes.add(f"{label} ended on {ends_on:%d %B %Y}, so it has no sessions to come")
        capacity = _number(item.get(mapping.CAPACITY))
        if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
            capacity = None
        choice = choose_id(item.get("id"), "schedule")
        if choice.note:
            service.notes.add(choice.note)
        for day in days:
            schedule_id = choice.id
            if schedule_id and len(days) > 1:
                schedule_id = derived_id(schedule_id, "day", mapping.DAY_CODES[day])
            schedules.append(
                ScheduleIn(
                    schedule_id,
                    day,
                    opens,
                    closes,
                    starts_on,
                    ends_on,
                    None if capacity is None else round(capacity),
                )
            )
        if len(days) > 1:
            service.notes.add(f"{label} runs on {len(days)} days; Flourish keeps one weekly time per day")
    return schedules


def _schedule_shape(item: dict[str, Any]) -> tuple[str | None, list[int]]:
    """Why a schedule cannot be a weekly time (or None), and its days."""
    freq = _plain(item.get("freq")).strip().upper()
    if freq and freq != "WEEKLY":
        return f"it repeats {freq.lower()}, and Flourish lists weekly sessions only", []
    interval = _number(item.get("interval"))
    if interval not in (None, 1.0):
        return f"it runs every {interval:g} weeks, and Flourish lists every-week sessions only", []
    byday = _plain(item.get("byday")).strip()
    if not byday:
        return "it does not say which day of the week", []
    days = []
    for code in byday.split(","):
        code = code.strip().upper()
        if code not in mapping.DAY_CODES:
            return f"the day {code!r} is not one of MO, TU, WE, TH, FR, SA, SU", []
        day = mapping.DAY_CODES.index(code)
        if day not in days:
            days.append(day)
    return None, days
