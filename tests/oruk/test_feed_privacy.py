"""Nothing about the people Flourish supports ever reaches the public feed: only a count of places
still free, which no one can be picked out of."""

from __future__ import annotations

from collections.abc import Iterator

from tests.factories import make_booking, make_patient, make_referral, make_user, sessions_of
from tests.oruk.support import get_json

PATIENT = {
    "first_name": "Zephyrine",
    "last_name": "Quillfeather",
    "reference": "FL-ZQ9911",
    "nhs_number": "9434765919",
    "support_needs": "Prefers the lilac hedgehog room",
    "cmht_team": "Marigold Heights CMHT",
}
REFERRAL = {
    "reason": "Bereavement after the wandering pelican",
    "goals": "Paint the copper kettle",
    "hopes": "Sing with the tangerine choir",
    "care_coordinator": "Ottoline Brackenridge",
    "profile": {"interests": "origami lanterns by moonlight"},
}


def _markers() -> list[str]:
    values = [v for v in PATIENT.values() if isinstance(v, str)]
    values += [v for v in REFERRAL.values() if isinstance(v, str)]
    return [*values, "origami lanterns by moonlight"]


def _crawl(client) -> Iterator[tuple[str, str]]:
    """Every document the feed serves for this directory, through the addresses a consumer uses."""
    root = client.get("/oruk/")
    yield "/oruk/", root.text
    for path in ("/services", "/service_at_locations", "/organizations", "/taxonomies", "/taxonomy_terms"):
        for full in ("", "&full=true"):
            page = 1
            while True:
                url = f"/oruk{path}?per_page=2&page={page}{full}"
                response = client.get(url)
                yield url, response.text
                body = response.json()
                if body["last_page"]:
                    break
                page += 1
    listed = get_json(client, "/oruk/services?per_page=500")["contents"]
    for service in listed:
        url = f"/oruk/services/{service['id']}"
        yield url, client.get(url).text
    for link in get_json(client, "/oruk/service_at_locations?per_page=500")["contents"]:
        url = f"/oruk/service_at_locations/{link['id']}"
        yield url, client.get(url).text
    for organisation in get_json(client, "/oruk/organizations?per_page=500")["contents"]:
        for query in ("", "?full_service=true"):
            url = f"/oruk/organizations/{organisation['id']}{query}"
            yield url, client.get(url).text
    for query in ("search=Zephyrine", "search=pelican", "postcode=S65 2AA&proximity=100000"):
        url = f"/oruk/services?{query}"
        yield url, client.get(url).text


def test_no_patient_referral_or_booking_detail_appears_in_any_feed_answer(client, db, small_directory):
    link_worker = make_user(db, "link_worker", team=PATIENT["cmht_team"])
    patient = make_patient(db, link_worker, **PATIENT)
    referral = make_referral(db, patient, chosen_activity_id=small_directory.listed[0].id, **REFERRAL)
    for activity in small_directory.listed[:3]:
        make_booking(db, sessions_of(db, activity)[0], patient, referral)

    answers = list(_crawl(client))

    assert len(answers) > 40
    for url, text in answers:
        for marker in _markers():
            assert marker.lower() not in text.lower(), f"{marker!r} appeared in {url}"
    # The bookings are felt only as places no longer free.
    growers = get_json(client, f"/oruk/services/{small_directory.listed[0].id}")
    assert growers["flourish_places_free_next_four_weeks"] == 15 * 4 - 1
