"""The matching conversation in the browser: a link worker and a patient look together."""

from __future__ import annotations

import re
from datetime import time, timedelta

import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from directory.models import ActivitySession, PostcodeCentroid
from referrals.models import Booking, Patient, Referral
from tests.factories import make_activity, make_organisation, make_session, make_user, make_venue

GARDENER = {"interests": "used to grow veg on my allotment", "postcode": "S65 2"}


def _directory(db, personas):
    """A garden near the person, a knitting group, and a walk, alongside the personas' own."""
    growers = make_organisation(db, name="Clifton Growers")
    near = make_venue(db, growers, postcode="S65 2AA", latitude=53.4290, longitude=-1.3410)
    garden = make_activity(
        db,
        growers,
        near,
        title="Allotment Veg Club",
        description="Grow vegetables on a shared allotment plot.",
        tags=["allotment", "veg", "gardening"],
        welcome_contact="Sue",
        welcome_note="Sue meets newcomers at the gate",
    )
    knit = make_activity(
        db,
        growers,
        near,
        title="Knit and Natter",
        description="Knitting and crochet with a cuppa.",
        categories=("arts-crafts",),
        tags=["knitting", "crochet"],
        weekly=((3, time(13), time(15), 12),),
    )
    return garden, knit


def _titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/activities/[^"]+">([^<]+)</a></h3>', html)


def test_it_suggests_activities_and_explains_them_in_the_persons_own_words(client, personas, db):
    garden, _ = _directory(db, personas)
    client.sign_in_as(personas.link_worker)

    response = client.post("/matching", GARDENER)

    assert response.status_code == 200
    assert _titles(response.text)[0] == garden.title
    explanation = re.findall(r'<p class="explanation">(.*?)</p>', response.text, re.S)[0]
    assert "veg" in explanation and "allotment" in explanation
    assert "Sue meets newcomers at the gate" in explanation


def test_each_suggestion_shows_what_its_score_is_made_of(client, personas, db):
    _directory(db, personas)
    client.sign_in_as(personas.link_worker)

    response = client.post("/matching", GARDENER)

    card = response.text.split('<li class="card"', 2)[1]
    score = float(re.search(r"Why this is suggested \(score ([\d.]+)\)", card).group(1))
    parts = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">(-?[\d.]+)</td></tr>', card)
    names = [name for name, _ in parts]
    assert "Interests" in names and "Distance" in names and "Days times" not in names
    assert abs(sum(float(value) for _, value in parts) - score) < 0.01 * len(parts)


def test_htmx_gets_only_the_results_block_and_a_plain_post_gets_the_whole_page(client, personas, db):
    _directory(db, personas)
    client.sign_in_as(personas.link_worker)

    fragment = client.htmx_post("/matching", GARDENER)
    page = client.post("/matching", GARDENER)

    assert fragment.text.lstrip().startswith('<div id="results">')
    assert "<html" not in fragment.text
    assert "<html" in page.text and 'id="results"' in page.text


def test_not_for_me_takes_the_activity_out_for_the_rest_of_the_conversation(client, personas, db):
    garden, _ = _directory(db, personas)
    client.sign_in_as(personas.link_worker)

    response = client.htmx_post(
        "/matching", GARDENER | {"not_for_them": garden.id, f"reason-{garden.id}": "too far"}
    )

    assert garden.title not in _titles(response.text)
    assert f'name="rejected" value="{garden.id}"' in response.text
    assert f'name="rejected-reason-{garden.id}" value="too far"' in response.text
    follow_up = client.htmx_post(
        "/matching",
        GARDENER
        | {
            "rejected": garden.id,
            f"rejected-reason-{garden.id}": "too far",
            "interests": "veg and allotments",
        },
    )
    assert garden.title not in _titles(follow_up.text)
    assert "“too far”" in follow_up.text


def test_a_shortlist_is_kept_as_the_profile_changes(client, personas, db):
    _, knit = _directory(db, personas)
    client.sign_in_as(personas.link_worker)

    first = client.htmx_post("/matching", GARDENER | {"add_to_shortlist": knit.id})
    second = client.htmx_post("/matching", {"interests": "singing", "shortlist": knit.id})

    assert f'name="shortlist" value="{knit.id}"' in first.text
    assert "Shortlist" in second.text and knit.title in second.text


def test_an_unknown_postcode_is_explained_and_suggestions_still_come(client, personas, db):
    garden, _ = _directory(db, personas)
    client.sign_in_as(personas.link_worker)

    response = client.post("/matching", GARDENER | {"postcode": "XX99 9ZZ"})

    assert response.status_code == 400
    assert "not sorted by distance" in response.text
    assert 'value="XX99 9ZZ"' in response.text
    assert garden.title in _titles(response.text)


def test_an_empty_profile_still_shows_something_with_a_note(client, personas, db):
    _directory(db, personas)
    client.sign_in_as(personas.link_worker)

    response = client.post("/matching", {})

    assert response.status_code == 200
    assert _titles(response.text)
    assert 'class="notice"' in response.text


def test_a_full_postcode_is_placed_where_its_loaded_centroid_says(client, personas, db):
    """Sectors ship with the code; full postcodes are looked up among the loaded centroids."""
    walkers = make_organisation(db, name="Thurcroft Walkers")
    at_sector = make_venue(db, walkers, postcode="S66 9AA", latitude=53.3980, longitude=-1.2580)
    at_house = make_venue(db, walkers, postcode="S66 9ZZ", latitude=53.4290, longitude=-1.3400)
    make_activity(
        db, walkers, at_sector, title="Village Walk", description="Orienteering.", tags=["orienteering"]
    )
    make_activity(
        db, walkers, at_house, title="Lane Walk", description="Orienteering.", tags=["orienteering"]
    )
    db.add(PostcodeCentroid(postcode="S66 9ZZ", latitude=53.4291, longitude=-1.3401))
    db.commit()
    client.sign_in_as(personas.link_worker)

    by_house = _titles(
        client.htmx_post("/matching", {"interests": "orienteering", "postcode": "S66 9ZZ"}).text
    )
    by_sector = _titles(
        client.htmx_post("/matching", {"interests": "orienteering", "postcode": "S66 9"}).text
    )

    assert by_house.index("Lane Walk") < by_house.index("Village Walk")
    assert by_sector.index("Village Walk") < by_sector.index("Lane Walk")


def test_choosing_opens_the_booking_step_and_a_changed_profile_keeps_it(client, personas, db):
    garden, _ = _directory(db, personas)
    client.sign_in_as(personas.link_worker)

    step = client.htmx_post("/matching", GARDENER | {"choose": garden.id})
    kept = client.htmx_post(
        "/matching",
        GARDENER | {"interests": "veg and flowers", "choose_activity": garden.id, "hopes": "meet people"},
    )

    assert f"Book “{garden.title}”" in step.text
    assert "Which session?" in step.text
    assert f"Book “{garden.title}”" in kept.text
    assert "meet people" in kept.text


def test_a_conversation_about_a_referral_stays_with_that_person(client, personas):
    client.sign_in_as(personas.link_worker)

    response = client.post("/matching", GARDENER | {"referral_id": str(personas.referral.id)})

    assert response.status_code == 200
    assert "With Maureen" in response.text
    assert f'name="referral_id" value="{personas.referral.id}"' in response.text


def _book(client, activity, session, **extra):
    form = GARDENER | {
        "choose_activity": activity.id,
        "session_id": str(session.id),
        "patient_id": "new",
        "first_name": "Margaret",
        "consent_to_share": "on",
        "support_needs": "Uses a walking stick",
        "hopes": "get out of the house and meet people",
    }
    return client.post("/matching/book", form | extra, follow_redirects=False)


def test_choosing_together_books_a_place_and_records_the_conversation(client, personas, db, database):
    garden, knit = _directory(db, personas)
    session = make_session(db, garden, on=clock.today() + timedelta(days=2), capacity=5)
    client.sign_in_as(personas.link_worker)

    declined = personas.activity_b.id
    response = _book(
        client,
        garden,
        session,
        shortlist=knit.id,
        rejected=declined,
        **{f"rejected-reason-{declined}": "too far"},
    )

    assert response.status_code == 303
    referral_id = int(response.headers["location"].rsplit("/", 1)[1])
    with database.reader() as check:
        referral = check.get(Referral, referral_id)
        patient = check.get(Patient, referral.patient_id)
        booking = check.scalar(sa.select(Booking).where(Booking.referral_id == referral_id))
        assert check.get(ActivitySession, session.id).places_booked == 1
    assert patient.first_name == "Margaret" and patient.link_worker_id == personas.link_worker.id
    assert (
        referral.chosen_activity_id == garden.id and referral.hopes == "get out of the house and meet people"
    )
    assert {o["title"] for o in referral.options_discussed} >= {garden.title, knit.title}
    assert referral.options_declined == [
        {"activity_id": personas.activity_b.id, "title": "Gentle Walk", "reason": "too far"}
    ]
    assert booking.session_id == session.id and booking.status == "booked"

    # The coordinator of that activity sees the booking: a first name and the support need.
    coordinator = make_user(db, "coordinator", organisation_id=garden.organisation_id)
    client.sign_out().sign_in_as(coordinator)
    page = client.get(f"/coordinator/sessions/{session.id}")
    assert "Margaret: Uses a walking stick" in page.text


def test_choosing_together_leaves_an_audit_trail_of_each_change(client, personas, db, database):
    garden, _ = _directory(db, personas)
    session = make_session(db, garden, on=clock.today() + timedelta(days=2), capacity=5)
    client.sign_in_as(personas.link_worker)

    response = _book(client, garden, session)

    referral_id = response.headers["location"].rsplit("/", 1)[1]
    with database.reader() as check:
        entries = check.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.user_id == personas.link_worker.id, AuditEntry.action != "patient.viewed")
            .order_by(AuditEntry.id)
        ).all()
    by_action = {e.action: e for e in entries}
    assert list(by_action) == [
        "patient.created",
        "referral.created",
        "referral.activity_chosen",
        "session.place_taken",
        "booking.created",
        # Booked together: they have been met and a plan agreed, so the pathway moves on.
        "pathway.first_contact",
        "pathway.plan_agreed",
    ]
    chosen = by_action["referral.activity_chosen"]
    assert chosen.entity_id == referral_id
    assert chosen.before == {"chosen_activity_id": None, "hopes": "", "status": "received"}
    assert chosen.after["chosen_activity_id"] == garden.id and chosen.after["status"] == "booked"
    # What the person hopes for is kept aside from the audit row, where erasure can reach it.
    assert "get out of the house" not in str(chosen.after["hopes"])
    assert by_action["session.place_taken"].after == {"places_booked": 1}


def test_the_loser_of_a_race_for_the_last_place_gets_a_clear_message_and_alternatives(
    client, personas, db, database
):
    garden, _ = _directory(db, personas)
    session = make_session(db, garden, on=clock.today() + timedelta(days=2), capacity=1, booked=1)
    client.sign_in_as(personas.link_worker)

    response = _book(client, garden, session)

    assert response.status_code == 409
    assert "has just been taken" in response.text
    assert 'value="Margaret"' in response.text  # what was typed is kept
    with database.reader() as check:
        assert (
            check.scalar(
                sa.select(sa.func.count()).select_from(Patient).where(Patient.first_name == "Margaret")
            )
            == 0
        )
        assert check.get(ActivitySession, session.id).places_booked == 1


def test_booking_a_cancelled_or_past_session_is_refused_and_changes_nothing(client, personas, db, database):
    garden, _ = _directory(db, personas)
    cancelled = make_session(db, garden, on=clock.today() + timedelta(days=3), cancelled=True)
    past = make_session(db, garden, on=clock.today() - timedelta(days=1))
    client.sign_in_as(personas.link_worker)

    for session, words in ((cancelled, "has been cancelled"), (past, "already started or taken place")):
        response = _book(client, garden, session)
        assert response.status_code == 409
        assert words in response.text
    with database.reader() as check:
        assert check.scalar(sa.select(sa.func.count()).select_from(Referral)) == 1  # only the personas' own


def test_the_same_person_cannot_be_booked_twice_on_one_session(client, personas, db):
    client.sign_in_as(personas.link_worker)
    form = {
        "choose_activity": personas.activity_a.id,
        "session_id": str(personas.session_a.id),
        "referral_id": str(personas.referral.id),
    }

    response = client.post("/matching/book", form)

    assert response.status_code == 409
    assert "already has a place" in response.text


def test_bad_details_for_a_new_person_are_named_and_the_form_is_kept(client, personas, db):
    garden, _ = _directory(db, personas)
    session = make_session(db, garden, on=clock.today() + timedelta(days=2))
    client.sign_in_as(personas.link_worker)

    response = _book(client, garden, session, first_name="", nhs_number="943 476 5918")

    assert response.status_code == 400
    assert "Enter the person&#39;s first name" in response.text
    assert "not a valid NHS number" in response.text
    assert 'value="943 476 5918"' in response.text


def test_a_full_session_offers_the_waiting_list_and_the_link_worker_is_told_when_a_place_frees(
    client, personas, db, database
):
    garden, _ = _directory(db, personas)
    session = make_session(db, garden, on=clock.today() + timedelta(days=2), capacity=1)
    other_worker = make_user(db, "link_worker")
    client.sign_in_as(other_worker)
    assert _book(client, garden, session, first_name="Bill").status_code == 303

    client.sign_out().sign_in_as(personas.link_worker)
    waiting = _book(client, garden, session, full_session=str(session.id))
    assert waiting.status_code == 303

    client.sign_out().sign_in_as(other_worker)
    referral_page = client.get("/caseload")
    assert "Bill" in referral_page.text
    with database.reader() as check:
        booking = check.scalar(
            sa.select(Booking).where(Booking.session_id == session.id, Booking.status == "booked")
        )
        referral_id = booking.referral_id
    cancelled = client.post(
        f"/referrals/{referral_id}/bookings/{booking.id}/cancel", {}, follow_redirects=True
    )
    assert "place has been given back" in cancelled.text

    client.sign_out().sign_in_as(personas.link_worker)
    caseload = client.get("/caseload")
    assert "A place has come free on Allotment Veg Club" in caseload.text


def test_viewing_a_referral_is_recorded_in_the_audit_log(client, personas, database):
    client.sign_in_as(personas.link_worker)

    assert client.get(f"/referrals/{personas.referral.id}").status_code == 200

    with database.reader() as check:
        reads = check.scalars(sa.select(AuditEntry).where(AuditEntry.action == "patient.viewed")).all()
    assert [(r.user_id, r.entity_id) for r in reads] == [(personas.link_worker.id, str(personas.patient.id))]


def test_a_link_worker_outside_the_persons_team_is_refused_and_it_is_audited(client, personas, db, database):
    stranger = make_user(db, "link_worker", team="Rotherham South CMHT")
    client.sign_in_as(stranger)

    response = client.get(f"/referrals/{personas.referral.id}")

    assert response.status_code == 403
    with database.reader() as check:
        assert check.scalar(
            sa.select(AuditEntry).where(
                AuditEntry.action == "access.denied", AuditEntry.user_id == stranger.id
            )
        )


def test_a_referral_for_a_man_never_shows_a_women_only_group_though_gender_is_left_blank(
    client, personas, db
):
    growers = make_organisation(db, name="Clifton Growers")
    near = make_venue(db, growers, postcode="S65 2AA", latitude=53.4290, longitude=-1.3410)
    women = make_activity(
        db, growers, near, title="Women's Allotment Group", tags=["allotment", "veg"], gender="women"
    )
    mixed = make_activity(db, growers, near, title="Allotment Veg Club", tags=["allotment", "veg"])
    personas.patient.gender = "man"
    db.add(personas.patient)
    db.commit()
    client.sign_in_as(personas.link_worker)

    opened = client.get(f"/matching?referral={personas.referral.id}")
    posted = client.post("/matching", GARDENER | {"referral_id": str(personas.referral.id), "gender": ""})

    for response in (opened, posted):
        assert response.status_code == 200
        assert women.title not in _titles(response.text)
        assert "as recorded for this person" in response.text
    assert mixed.title in _titles(posted.text)


def test_exact_times_leave_out_sessions_that_run_past_the_end(client, personas, db):
    garden, knit = _directory(db, personas)  # garden Tuesdays 10:00-12:00, knitting Thursdays 13:00-15:00
    client.sign_in_as(personas.link_worker)

    thursday = {"window-thursday-from": "12:30", "window-thursday-to": "15:30"}
    narrow = client.post(
        "/matching", GARDENER | thursday | {"window-tuesday-from": "09:30", "window-tuesday-to": "11:30"}
    )
    wide = client.post("/matching", GARDENER | {"window-tuesday-from": "09:30", "window-tuesday-to": "12:00"})
    shown = client.post("/matching", GARDENER | thursday | {"show_all_times": "yes"})
    bad = client.post("/matching", GARDENER | {"window-tuesday-from": "14:00", "window-tuesday-to": "11:00"})

    assert _titles(narrow.text) == [knit.title]
    assert garden.title in _titles(wide.text)
    assert _titles(shown.text)[0] == knit.title
    assert "Does not fit:</strong> not at a time they said they can come" in shown.text
    assert bad.status_code == 400
    assert "Give Tuesday a from and a to time" in bad.text
    assert 'value="14:00"' in bad.text
