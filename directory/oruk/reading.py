"""A received ORUK service as clean values Flourish can store, with a note for everything that
had to be changed, dropped or guessed. No database and no HTTP.

Real feeds are messy, so nothing here trusts a type: a number may arrive as a string, a list as a
single object, a description as HTML. Each decision is written down in the service's notes so the
person importing can see it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from html.parser import HTMLParser
from typing import Any, TypeVar

from core import clock, forms
from directory import org_ids
from directory.oruk import mapping, prose, taxonomy
from directory.oruk.taxonomy import derived_id
from directory.oruk.terms import Reading, TermReader
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
    every_weeks: int = 1
    monthly: str = ""


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
    #: True when the feed says anything about features and kinds of activity, in Flourish's
    #: taxonomy, another one Flourish can read, or in words; only then are they changed.
    states_features: bool = False
    #: (taxonomy, term) of terms no mapping understood, for the report and an administrator.
    unmapped_terms: list[tuple[str, str]] = field(default_factory=list)
    #: Other taxonomies' terms that were read, with how, for the report.
    mapped_terms: list[tuple[str, str]] = field(default_factory=list)
    #: Feature -> where it came from: the feed's term, or the listing's words in quotes.
    feature_sources: dict[str, str] = field(default_factory=dict)
    #: Words from other taxonomies' kinds of activity, kept as tags so searches find them.
    tags: list[str] = field(default_factory=list)
    #: A group size the listing states ("groups of six").
    group_size: int | None = None
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


Stamp = TypeVar("Stamp", date, datetime)


def _iso(value: Any, parse: Callable[[str], Stamp]) -> Stamp | None:
    """A date or moment written the ISO way, or None if the field is empty or not one."""
    text = _plain(value).strip()
    if not text:
        return None
    try:
        return parse(text)
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    return _iso(value, lambda text: date.fromisoformat(text[:10]))


def _moment(value: Any) -> datetime | None:
    moment = _iso(value, datetime.fromisoformat)
    if moment is None:
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


def read_service(
    raw: Any, position: int, locations: LocationCache | None = None, terms: TermReader | None = None
) -> ServiceIn:
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
    _read_attributes(raw, service, terms or TermReader())
    _read_location(raw, service, {} if locations is None else locations)
    if not service.uses_flourish_terms:
        _read_prose(raw, service)
    _read_contacts(raw, service)
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


def _read_attributes(raw: dict[str, Any], service: ServiceIn, terms: TermReader) -> None:
    categories: list[str] = []
    for attribute in _list(raw.get("attributes")):
        attribute = _dict(attribute)
        term_data = _dict(attribute.get("taxonomy_term"))
        term_id = _plain(attribute.get("taxonomy_term_id") or term_data.get("id")).strip()
        code = _plain(term_data.get("term") or term_data.get("code")).strip()
        taxonomy_name = _plain(
            term_data.get("taxonomy") or _dict(term_data.get("taxonomy_detail")).get("name")
        ).strip()
        found = taxonomy.find_term(term_id, code=code or None, taxonomy=taxonomy_name or None)
        if found is not None:
            service.uses_flourish_terms = service.states_features = True
            if found.group == "category":
                if found.code not in categories:
                    categories.append(found.code)
            elif found.group == "feature":
                service.features.add(found.code)
            else:
                service.about.add(found.code)
            continue
        label = (_plain(term_data.get("name")).strip() or code or term_id or "unnamed")[:80]
        reading = terms.read(taxonomy_name, code, label)
        targets: tuple[str, ...] = reading.targets if reading else ()
        if reading is None:
            described = " ".join(
                p for p in (label, _plain(term_data.get("description")), _plain(attribute.get("value"))) if p
            )
            stated, _ = prose.read_features(described)
            targets = tuple(f"feature:{s.feature}" for s in stated)
            if targets:
                reading = Reading(targets, "its own words")
        if reading is None:
            if (taxonomy_name, label) not in service.unmapped_terms:
                service.unmapped_terms.append((taxonomy_name, label))
                service.tags.append(label)
            continue
        service.mapped_terms.append((taxonomy_name, label))
        service.states_features = True
        for target in targets:
            kind, _, value = target.partition(":")
            if kind == "category" and value not in categories:
                categories.append(value)
                if label not in service.tags:
                    service.tags.append(label)
            elif kind == "feature":
                service.features.add(value)
                service.feature_sources.setdefault(value, label)
    if len(categories) > MAX_CATEGORIES:
        service.notes.add(
            f"It has {len(categories)} kinds of activity; Flourish keeps the first {MAX_CATEGORIES}"
        )
        categories = categories[:MAX_CATEGORIES]
    service.categories = categories
    if service.mapped_terms:
        service.notes.add(
            "Terms from another taxonomy were read as Flourish's: "
            + ", ".join(term for _, term in service.mapped_terms[:8])
        )
    if service.unmapped_terms:
        service.notes.add(
            "Terms Flourish could not read yet (an administrator can map them): "
            + ", ".join(term for _, term in service.unmapped_terms[:8])
        )
    if not categories:
        service.notes.add("No Flourish kind of activity was given, so it has none until someone adds one")


def _read_prose(raw: dict[str, Any], service: ServiceIn) -> None:
    """Features the listing states only in words, each with the words it used."""
    accessibility = " ".join(
        " ".join(_plain(_dict(a).get(k)) for k in ("description", "details"))
        for link in _list(raw.get("service_at_locations"))
        for a in _list(_dict(_dict(link).get("location")).get("accessibility"))
    )
    stated, size = prose.read_features(
        service.name,
        service.description,
        service.newcomer_notes,
        _plain(raw.get("eligibility_description")),
        _plain(raw.get("fees")) + ". " + service.cost_note,
        accessibility,
    )
    for found in [*prose.read_title(service.name), *stated]:
        if found.feature == "no_cost" and service.cost_pence:
            continue
        if found.feature == "step_free":
            if service.location is not None:
                service.location.step_free = True
            continue
        service.states_features = True
        service.features.add(found.feature)
        service.feature_sources.setdefault(found.feature, f"\u201c{found.words}\u201d")
    service.group_size = size
    if size is not None:
        service.states_features = True


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
    said = service.feature_sources.get("met_at_door", "")
    if said:
        # "A volunteer will meet you in the foyer": the listing names a role, not a person.
        service.welcome_contact = "A volunteer" if "volunteer" in said.lower() else "Someone"
        service.welcome_note = said.strip("\u201c\u201d")[:300]
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
        problem, rules = _schedule_shape(item)
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
        for day, every_weeks, monthly in rules:
            schedule_id = choice.id
            if schedule_id and len(rules) > 1:
                schedule_id = derived_id(schedule_id, "day", mapping.DAY_CODES[day], monthly)
            schedules.append(
                ScheduleIn(
                    schedule_id,
                    day,
                    opens,
                    closes,
                    starts_on,
                    ends_on,
                    None if capacity is None else round(capacity),
                    every_weeks,
                    monthly,
                )
            )
    return schedules


_ORDINAL_DAY = re.compile(r"([+-]?\d)?([A-Z]{2})")


def _schedule_shape(item: dict[str, Any]) -> tuple[str | None, list[tuple[int, int, str]]]:
    """Why a schedule cannot be read (or None), and its rules: (weekday, every n weeks, monthly).

    WEEKLY with an interval and one or more days; MONTHLY by month day ("bymonthday": 15) or by
    ordinal weekday ("byday": "2TU", "-1FR", or "TU" with "bysetpos": 2).
    """
    freq = _plain(item.get("freq")).strip().upper() or "WEEKLY"
    interval = _number(item.get("interval"))
    if interval is not None and (interval != int(interval) or not 1 <= interval <= 8):
        return f"it repeats every {interval:g}, and Flourish lists every 1 to 8 weeks or monthly", []
    every = int(interval or 1)
    byday = _plain(item.get("byday")).strip().upper()
    if freq == "MONTHLY":
        if every != 1:
            return "it repeats every few months, and Flourish lists monthly sessions at most", []
        month_day = _number(item.get("bymonthday"))
        if month_day is not None:
            if month_day != int(month_day) or not 1 <= month_day <= 31:
                return f"the day of the month {item.get('bymonthday')!r} is not 1 to 31", []
            starts = _date(item.get("dtstart")) or clock.today()
            return None, [(starts.weekday(), 1, f"day:{int(month_day)}")]
        position = _number(item.get("bysetpos"))
        rules = []
        for code in (c.strip() for c in byday.split(",") if c.strip()):
            match = _ORDINAL_DAY.fullmatch(code)
            if not match or match.group(2) not in mapping.DAY_CODES:
                return f"the day {code!r} is not like 2TU or -1FR", []
            ordinal = int(match.group(1)) if match.group(1) else (int(position) if position else None)
            if ordinal not in (1, 2, 3, 4, 5, -1):
                return f"{code!r} does not say which week of the month (1 to 5, or -1 for the last)", []
            rules.append((mapping.DAY_CODES.index(match.group(2)), 1, f"week:{ordinal}"))
        if not rules:
            return "it repeats monthly but says neither the day of the month nor which weekday", []
        return None, rules
    if freq != "WEEKLY":
        return f"it repeats {freq.lower()}, and Flourish lists weekly, fortnightly and monthly sessions", []
    if not byday:
        return "it does not say which day of the week", []
    days: list[tuple[int, int, str]] = []
    for code in byday.split(","):
        code = code.strip()
        if code not in mapping.DAY_CODES:
            return f"the day {code!r} is not one of MO, TU, WE, TH, FR, SA, SU", []
        day = mapping.DAY_CODES.index(code)
        if all(d != day for d, _, _ in days):
            days.append((day, every, ""))
    return None, days
