"""Whatever a feed's services hold, the import never falls over: each service is imported or
skipped with a reason a person can act on, and what is imported is a valid listing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit import Actor
from directory.models import Activity, Schedule, Venue
from directory.oruk import sources
from directory.oruk.importer import import_feed
from directory.postcodes import normalise_postcode
from tests.conftest import open_database

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
#: Values real feeds send where a string is expected, and where something else is.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", " ", "<b>bold</b>", "S65 2AA", "NOT A CODE", "10:00", "25:99", "\x00", "é" * 400]),
)
anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _maybe(strategy):
    return st.one_of(strategy, anything)


times = st.sampled_from(["09:00", "10:30:00", "14:00", "18:00", "morning", "", "23:59"])
schedules = st.fixed_dictionaries(
    {
        "freq": st.sampled_from(["WEEKLY", "MONTHLY", "DAILY", "weekly", ""]),
        "opens_at": times,
        "closes_at": times,
    },
    optional={
        "byday": _maybe(st.sampled_from([*DAYS, "1MO", "MO,WE", "XX", ""])),
        "interval": _maybe(st.integers(0, 4)),
        "dtstart": _maybe(st.dates().map(str)),
        "until": _maybe(st.dates().map(str)),
    },
)
addresses = st.fixed_dictionaries(
    {},
    optional={
        "address_1": _maybe(st.text(max_size=60)),
        "city": _maybe(st.text(max_size=30)),
        "postal_code": _maybe(
            st.sampled_from(["S65 2AA", "s60 1aa", "S81 7XX", "SW1A 1AA", "NOT A CODE", ""])
        ),
    },
)
locations = st.fixed_dictionaries(
    {},
    optional={
        "name": _maybe(st.text(max_size=60)),
        "location_type": st.sampled_from(["physical", "virtual", "postal", "other"]),
        "addresses": _maybe(st.lists(addresses, max_size=2)),
        "latitude": _maybe(st.floats(-90, 90)),
        "longitude": _maybe(st.floats(-180, 180)),
    },
)
organisations = st.fixed_dictionaries(
    {},
    optional={
        "id": _maybe(st.uuids().map(str)),
        "name": _maybe(st.sampled_from(["Maltby Makers", "MALTBY makers!", "Dearne Walkers", ""])),
        "description": _maybe(st.text(max_size=80)),
        "email": _maybe(st.sampled_from(["hello@example.org", "not an email"])),
        "website": _maybe(st.sampled_from(["https://example.org", "www.example.org", "javascript:x"])),
    },
)
services = st.fixed_dictionaries(
    {},
    optional={
        "id": _maybe(st.uuids().map(str) | st.sampled_from(["svc-1", "svc-1", ""])),
        "name": _maybe(st.text(max_size=120)),
        "description": _maybe(st.text(max_size=300) | st.just("<p>Tea &amp; <script>x</script></p>")),
        "status": _maybe(st.sampled_from(["active", "inactive", "defunct", "temporarily closed"])),
        "organization": _maybe(organisations),
        "schedules": _maybe(st.lists(schedules, max_size=3)),
        "service_at_locations": _maybe(
            st.lists(st.fixed_dictionaries({"location": _maybe(locations)}), max_size=2)
        ),
        "fees": _maybe(st.sampled_from(["Free", "£3.50 per session", "£-1", "a lot"])),
        "attributes": _maybe(
            st.lists(st.fixed_dictionaries({"taxonomy_term_id": _maybe(st.uuids().map(str))}))
        ),
    },
)
feeds = st.lists(st.one_of(services, anything), min_size=1, max_size=6)


@pytest.fixture(scope="module")
def database(request, tmp_path_factory):
    # One database for every example, as a live directory takes one feed after another.
    with open_database("sqlite", request, tmp_path_factory.mktemp("oruk-properties")) as db:
        yield db


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(feeds)
def test_every_service_is_imported_or_skipped_with_a_reason(database, feed):
    with database.writer() as db:
        report = import_feed(
            db, Actor.system("test"), sources.from_bytes(json.dumps(feed).encode(), "generated")
        )
        assert report.failure is None, report.failure
        assert report.saved
        assert len(report.services) == len(feed)
        for outcome in report.services:
            assert outcome.outcome in {"added", "changed", "unchanged", "skipped"}
            if outcome.outcome == "skipped":
                assert outcome.reason.strip(), "a skipped service must say why"
    # Everything saved, from this feed and the ones before, is a valid listing: names present,
    # postcodes in their usual form, times in order.
    with database.reader() as db:
        for activity in db.scalars(sa.select(Activity)):
            assert activity.title.strip() and "<" not in activity.title
        for venue in db.scalars(sa.select(Venue)):
            assert venue.postcode is None or venue.postcode == normalise_postcode(venue.postcode)
        for schedule in db.scalars(sa.select(Schedule)):
            assert schedule.start_time < schedule.end_time and 0 <= schedule.weekday <= 6
