"""Directory rows as ORUK v3 objects, and the few text conventions both directions share.

No database and no HTTP: the feed hands these functions rows it has read, and the importer uses
the same conventions in reverse, so a feed Flourish publishes reads back into the same listing.

Sub-entities Flourish does not store separately (addresses, accessibility notes, attributes, the
welcome contact, the cost option, a service at a location) get ids derived with uuid5 from their
parent's id, so they are stable from one request to the next without extra columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time
from typing import Any

from core import clock
from directory import org_ids, records
from directory.categories import DAY_LABELS
from directory.models import Activity, Organisation, Schedule, Venue
from directory.oruk import taxonomy
from directory.oruk.taxonomy import derived_id

#: ORUK's two-letter day codes, Monday first like Schedule.weekday.
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

#: The prefix of every property Flourish adds that ORUK does not define. HSDS schemas allow extra
#: properties (none sets additionalProperties to false), and HSDS asks publishers to document
#: them: see the feed's root document.
EXTENSION_PREFIX = "flourish_"
PLACES_FREE = "flourish_places_free_next_four_weeks"
CAPACITY = "flourish_capacity"

#: Labels of the paragraphs the feed appends to a description; the importer splits them off again.
NEWCOMER_LABEL = "First time: "
BRING_LABEL = "What to bring: "
BUSES_LABEL = "Buses: "
DEFAULT_CITY = "Rotherham"
WELCOME_TITLE = "Meets newcomers"

#: Accessibility notes published for a venue's flags, with the words that recognise them on import.
ACCESSIBILITY: dict[str, tuple[str, tuple[str, ...]]] = {
    "step_free": ("Step-free access", ("step-free", "step free", "wheelchair", "level access", "ramp")),
    "accessible_toilet": ("Accessible toilet", ("accessible toilet", "disabled toilet", "accessible wc")),
    "parking": ("Parking", ("parking", "car park")),
}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """ORUK fields are typed strings and numbers: leave out what Flourish does not know rather
    than publish nulls, which the schemas refuse."""
    return {k: v for k, v in values.items() if v is not None and v != ""}


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def clock_time(value: time) -> str:
    return value.strftime("%H:%M")


def paragraphs(*parts: str) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def compose_description(description: str, newcomer_notes: str, what_to_bring: str) -> str:
    return paragraphs(
        description,
        NEWCOMER_LABEL + newcomer_notes.strip() if newcomer_notes.strip() else "",
        BRING_LABEL + what_to_bring.strip() if what_to_bring.strip() else "",
    )


def split_description(text: str) -> tuple[str, str, str]:
    """(description, newcomer notes, what to bring) from a description `compose_description` made;
    any other text is all description."""
    parts = [p for p in text.split("\n\n")]
    bring = newcomer = ""
    if len(parts) > 1 and parts[-1].startswith(BRING_LABEL):
        bring = parts.pop()[len(BRING_LABEL) :].strip()
    if len(parts) > 1 and parts[-1].startswith(NEWCOMER_LABEL):
        newcomer = parts.pop()[len(NEWCOMER_LABEL) :].strip()
    return "\n\n".join(parts).strip(), newcomer, bring


def compose_directions(how_to_get_there: str, bus_routes: Sequence[str]) -> str:
    return paragraphs(how_to_get_there, BUSES_LABEL + ", ".join(bus_routes) if bus_routes else "")


def split_directions(text: str) -> tuple[str, list[str]]:
    parts = text.split("\n\n")
    if len(parts) >= 1 and parts[-1].startswith(BUSES_LABEL):
        routes = [r.strip() for r in parts.pop()[len(BUSES_LABEL) :].split(",") if r.strip()]
        return "\n\n".join(parts).strip(), routes
    return text.strip(), []


def split_address(address: str) -> tuple[str, str]:
    """(first line, town): Flourish keeps one address line; ORUK wants the town apart."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    if len(parts) >= 2:
        return ", ".join(parts[:-1]), parts[-1]
    return address.strip(), DEFAULT_CITY


def join_address(line: str, city: str) -> str:
    line, city = line.strip(), city.strip()
    if not city or line.lower().endswith(city.lower()):
        return line
    return f"{line}, {city}" if line else city


def region_for(postcode: str | None) -> str:
    area = "".join(ch for ch in (postcode or "").split(" ")[0] if ch.isalpha())
    return "South Yorkshire" if area in {"S", "DN"} else "England"


def fees_text(cost_pence: int, cost_note: str) -> str:
    if cost_note.strip():
        return cost_note.strip()
    return "Free" if cost_pence == 0 else f"£{cost_pence / 100:.2f} a session"


_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def schedule_description(schedule: Schedule) -> str:
    kind, _, number = (getattr(schedule, "monthly", "") or "").partition(":")
    every = getattr(schedule, "every_weeks", 1) or 1
    if kind == "day":
        when = f"On day {int(number)} of each month"
    elif kind == "week":
        when = f"On the {_ORDINALS.get(int(number), number)} {DAY_LABELS[schedule.weekday]} of each month"
    elif every > 1:
        when = f"Every {every} weeks on {DAY_LABELS[schedule.weekday]}"
    else:
        when = f"Every {DAY_LABELS[schedule.weekday]}"
    text = f"{when}, {clock_time(schedule.start_time)} to {clock_time(schedule.end_time)}"
    if schedule.ends_on:
        text += f", until {schedule.ends_on.day} {schedule.ends_on:%B %Y}"
    return text


def features_of(activity: Activity, venue: Venue | None) -> list[str]:
    """The FEATURES keys an activity has, in the published taxonomy's order."""
    present = records.features_of(activity, step_free=bool(venue and venue.step_free))
    return [code for code, _ in taxonomy.GROUPS["feature"][2].items() if code in present]


def about_of(activity: Activity) -> list[str]:
    present = {
        "peer_led": activity.led_by == "peer",
        "continuation": activity.continuation,
        "volunteering": activity.volunteering,
    }
    return [code for code in taxonomy.ABOUT if present[code]]


def attribute(link_id: str, term: taxonomy.Term) -> dict[str, Any]:
    return {
        "id": derived_id(link_id, "attribute", term.id),
        "link_id": link_id,
        "taxonomy_term_id": term.id,
        "taxonomy_term": taxonomy.term_dict(term),
    }


def attributes(activity: Activity, venue: Venue | None, categories: Iterable[str]) -> list[dict[str, Any]]:
    terms = [taxonomy.term("category", c) for c in categories if c in taxonomy.GROUPS["category"][2]]
    terms += [taxonomy.term("feature", f) for f in features_of(activity, venue)]
    terms += [taxonomy.term("about", a) for a in about_of(activity)]
    return [attribute(activity.id, t) for t in terms]


# ---- organisations ------------------------------------------------------------------------------


def organisation_identifiers(organisation: Organisation) -> list[dict[str, Any]]:
    """The organisation's identifiers in the org-id scheme: its own first, then any others."""
    found = [organisation.org_id] if organisation.org_id else []
    found += [o for o in organisation.other_org_ids or [] if o not in found]
    out = []
    for org_id in found:
        scheme, number = org_ids.split(org_id)
        register = org_ids.REGISTERS.get(scheme)
        out.append(
            _clean(
                {
                    "id": derived_id(organisation.id, "org-id", org_id),
                    "organization_id": organisation.id,
                    "identifier_scheme": scheme,
                    "identifier_type": register.number_name if register else None,
                    "identifier": number,
                }
            )
        )
    return out


def organization(organisation: Organisation, base_url: str, *, full: bool = False) -> dict[str, Any]:
    out = _clean(
        {
            "id": organisation.id,
            "name": organisation.name,
            "email": organisation.email,
            "website": organisation.website,
            "uri": f"{base_url}/organisations/{organisation.id}",
        }
    )
    # Required by the schema even when empty.
    out["description"] = organisation.description or ""
    if full:
        out["organization_identifiers"] = organisation_identifiers(organisation)
    return out


# ---- venues -------------------------------------------------------------------------------------


def location(venue: Venue, *, full: bool = False) -> dict[str, Any]:
    out = _clean(
        {
            "id": venue.id,
            "location_type": "physical",
            "name": venue.name,
            "description": compose_directions(venue.how_to_get_there, venue.bus_routes or []),
            "latitude": venue.latitude,
            "longitude": venue.longitude,
        }
    )
    if full:
        line, city = split_address(venue.address or venue.name)
        out["addresses"] = [
            {
                "id": derived_id(venue.id, "address"),
                "location_id": venue.id,
                "address_1": line or venue.name,
                "city": city,
                "state_province": region_for(venue.postcode),
                "postal_code": venue.postcode or "",
                "country": "GB",
                "address_type": "physical",
            }
        ]
        out["accessibility"] = [
            {
                "id": derived_id(venue.id, "accessibility", flag),
                "location_id": venue.id,
                "description": label,
            }
            for flag, (label, _) in ACCESSIBILITY.items()
            if getattr(venue, flag)
        ]
    return out


# ---- activities ---------------------------------------------------------------------------------


def _rule(s: Schedule) -> dict[str, Any]:
    monthly = getattr(s, "monthly", "") or ""
    kind, _, number = monthly.partition(":")
    if kind == "day":
        return {"freq": "MONTHLY", "interval": 1, "bymonthday": int(number)}
    if kind == "week":
        return {"freq": "MONTHLY", "interval": 1, "byday": f"{int(number)}{DAY_CODES[s.weekday]}"}
    return {"freq": "WEEKLY", "interval": getattr(s, "every_weeks", 1) or 1, "byday": DAY_CODES[s.weekday]}


def schedule(activity_id: str, s: Schedule) -> dict[str, Any]:
    return _clean(
        {
            "id": s.id,
            "service_id": activity_id,
            **_rule(s),
            "opens_at": clock_time(s.start_time),
            "closes_at": clock_time(s.end_time),
            "dtstart": s.starts_on.isoformat(),
            "valid_from": s.starts_on.isoformat(),
            "valid_to": s.ends_on.isoformat() if s.ends_on else None,
            # HSDS 3's RFC 5545 field; the UK profile leaves it out, so valid_to says it too.
            "until": s.ends_on.isoformat() if s.ends_on else None,
            "description": schedule_description(s),
            "attending_type": "In person",
            CAPACITY: s.capacity,
        }
    )


def assured_date(confirmed_at: datetime) -> str:
    return clock.to_london(confirmed_at).date().isoformat()


def service_summary(
    activity: Activity, organisation: Organisation, base_url: str, *, places_free: int
) -> dict[str, Any]:
    """The one-to-one fields of a service, with its organisation: one item of /services."""
    out = _clean(
        {
            "id": activity.id,
            "organization_id": organisation.id,
            "name": activity.title,
            "description": compose_description(
                activity.description, activity.newcomer_notes, activity.what_to_bring
            ),
            "url": f"{base_url}/activities/{activity.id}",
            "status": "active" if activity.is_active else "inactive",
            "fees": fees_text(activity.cost_pence, activity.cost_note),
            "minimum_age": activity.age_min,
            "maximum_age": activity.age_max,
            "assured_date": assured_date(activity.confirmed_at),
            "last_modified": timestamp(activity.updated_at),
        }
    )
    out["organization"] = organization(organisation, base_url)
    out[PLACES_FREE] = places_free
    return out


def service_full(
    activity: Activity,
    organisation: Organisation,
    venue: Venue | None,
    categories: Sequence[str],
    schedules: Sequence[Schedule],
    base_url: str,
    *,
    places_free: int,
    with_locations: bool = True,
) -> dict[str, Any]:
    """A fully nested service: /services/{id}."""
    out = service_summary(activity, organisation, base_url, places_free=places_free)
    out["organization"] = organization(organisation, base_url, full=True)
    out["schedules"] = [schedule(activity.id, s) for s in schedules]
    if with_locations:
        out["service_at_locations"] = (
            [
                {
                    "id": service_at_location_id(activity.id, venue.id),
                    "service_id": activity.id,
                    "location_id": venue.id,
                    "location": location(venue, full=True),
                }
            ]
            if venue
            else []
        )
    out["cost_options"] = (
        [
            _clean(
                {
                    "id": derived_id(activity.id, "cost"),
                    "service_id": activity.id,
                    "option": "Each session",
                    "amount": activity.cost_pence / 100,
                    "amount_description": activity.cost_note or None,
                }
            )
        ]
        if activity.cost_pence
        else []
    )
    out["contacts"] = (
        [
            {
                "id": derived_id(activity.id, "welcome-contact"),
                "service_id": activity.id,
                "name": activity.welcome_contact,
                "title": activity.welcome_note or WELCOME_TITLE,
            }
        ]
        if activity.welcome_contact
        else []
    )
    out["attributes"] = attributes(activity, venue, categories)
    return out


def service_at_location_id(activity_id: str, venue_id: str) -> str:
    return derived_id(activity_id, "at", venue_id)


def service_at_location(
    activity: Activity,
    organisation: Organisation,
    venue: Venue,
    base_url: str,
    *,
    places_free: int,
    full: bool = False,
    categories: Sequence[str] = (),
    schedules: Sequence[Schedule] = (),
) -> dict[str, Any]:
    if full:
        service = service_full(
            activity,
            organisation,
            venue,
            categories,
            schedules,
            base_url,
            places_free=places_free,
            with_locations=False,
        )
    else:
        service = service_summary(activity, organisation, base_url, places_free=places_free)
    return {
        "id": service_at_location_id(activity.id, venue.id),
        "service_id": activity.id,
        "location_id": venue.id,
        "location": location(venue, full=full),
        "service": service,
    }


def parse_day(text: str) -> int | None:
    """MO..SU, or a day name (Monday, mon), to a weekday number; None when it is neither."""
    value = text.strip().upper()
    if value in DAY_CODES:
        return DAY_CODES.index(value)
    for index, label in enumerate(DAY_LABELS):
        if len(value) >= 3 and label.upper().startswith(value):
            return index
    return None
