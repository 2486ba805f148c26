"""Demonstration history: a year of made-up referrals moving through the pathway, loaded with the
demonstration seeds. The same every time, near the published rates, every record true to the
pathway's rules, flagged as demonstration data, and quick enough for `make run`."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta
from time import process_time
from typing import Any

import pytest
import sqlalchemy as sa

from core import audit, clock
from core.auth.models import User
from core.database import Database
from core.site import get_setting, set_setting
from directory.models import Activity, ActivitySession, Venue
from directory.postcodes import miles_between, shipped_centroids
from flourish.demo import history as demo_history
from flourish.seeding import load_seeds, read_seeds
from referrals.models import Booking, OutcomeRecord, PathwayEvent, Patient, Referral
from referrals.outcomes import score_mhc
from referrals.pathway import NEEDS_CONTACT, load_pathway
from tests.conftest import FIXED_NOW, TestDatabase
from tests.factories import make_activity, make_organisation, make_user, make_venue, password_hash

ORDER = ("first_contact", "plan_agreed", "ten_week_review", "discharge_review", "after_pathway")


@dataclass
class Loaded:
    shared: TestDatabase
    #: The records as plain tuples, from a first load (rolled back) and the one kept.
    first: dict[str, list[tuple]]
    kept: dict[str, list[tuple]]
    #: CPU seconds the history took to generate, and the counts it returned.
    seconds: float
    counts: dict[str, int]

    @property
    def database(self) -> Database:
        return self.shared.database


def _snapshot(db) -> dict[str, list[tuple]]:
    """Everything the history wrote, without ids (activity ids are new UUIDs on each load)."""
    titles = dict(db.execute(sa.select(Activity.id, Activity.title)).all())
    people = dict(db.execute(sa.select(Patient.id, Patient.reference)).all())
    workers = dict(db.execute(sa.select(User.id, User.email)).all())

    def options(items: list[dict[str, Any]]) -> tuple:
        return tuple((o["title"], o.get("reason")) for o in items)

    referrals = [
        (
            people[r.patient_id],
            workers.get(r.link_worker_id),
            r.cmht_team,
            r.care_coordinator,
            r.received_on,
            r.reason,
            r.goals,
            r.hopes,
            titles.get(r.chosen_activity_id),
            options(r.options_discussed),
            options(r.options_declined),
            repr(sorted(r.profile.items())),
            r.status,
            r.review_due_on,
            r.created_at,
            r.closed_at,
            r.demonstration,
        )
        for r in db.scalars(sa.select(Referral))
    ]
    patients = [
        (
            p.reference,
            p.first_name,
            p.last_name,
            p.date_of_birth,
            p.gender,
            p.area,
            p.cmht_team,
            workers.get(p.link_worker_id),
            p.consent_to_share,
            p.consent_recorded_at,
            p.support_needs,
            p.created_at,
            p.demonstration,
        )
        for p in db.scalars(sa.select(Patient))
    ]
    bookings = [
        (
            people[b.patient_id],
            titles[s.activity_id],
            s.date,
            s.start_time,
            b.status,
            b.booked_at,
            b.cancelled_at,
            b.attendance,
            b.attendance_recorded_at,
        )
        for b, s in db.execute(
            sa.select(Booking, ActivitySession).join(
                ActivitySession, ActivitySession.id == Booking.session_id
            )
        )
    ]
    events = [
        (people[p], e.step, e.occurred_on, e.outcome, tuple(e.detail), e.note, e.reason, e.recorded_at)
        for e, p in db.execute(
            sa.select(PathwayEvent, Referral.patient_id).join(
                Referral, Referral.id == PathwayEvent.referral_id
            )
        )
    ]
    outcomes = [
        (
            people[o.patient_id],
            o.timepoint,
            o.recorded_on,
            o.life_satisfaction,
            o.worthwhile,
            o.happiness,
            o.anxiety,
            tuple(o.mhc_answers),
            o.mhc_category,
            tuple(sorted(o.service_outcomes.items())),
            o.recorded_at,
        )
        for o in db.scalars(sa.select(OutcomeRecord))
    ]
    sessions = [
        (
            titles[s.activity_id],
            s.date,
            s.start_time,
            s.capacity,
            s.places_booked,
            s.cancelled,
            s.cancelled_reason,
        )
        for s in db.scalars(sa.select(ActivitySession))
    ]
    tables = {
        "patients": patients,
        "referrals": referrals,
        "bookings": bookings,
        "events": events,
        "outcomes": outcomes,
        "sessions": sessions,
    }
    return {name: sorted(rows, key=repr) for name, rows in tables.items()}


def _load(database: Database, *, keep: bool) -> tuple[dict[str, list[tuple]], float, dict[str, int]]:
    timing: dict[str, Any] = {}

    def timed(db):
        started = process_time()
        timing["counts"] = demo_history.generate_history(db)
        timing["seconds"] = process_time() - started
        return timing["counts"]

    with pytest.MonkeyPatch.context() as patch:
        # Argon2 is slow on purpose; one hash serves every demonstration user here.
        patch.setattr("core.auth.services.hash_password", lambda password: password_hash())
        patch.setattr("flourish.seeding.generate_history", timed)
        with database.writer() as db:
            load_seeds(db, read_seeds())
            db.flush()
            snapshot = _snapshot(db)
            if keep:
                db.commit()
            else:
                db.rollback()
    return snapshot, timing["seconds"], timing["counts"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(request) -> Loaded:
    """The demonstration seeds, history included, loaded twice: here, in the evening, and rolled
    back; and as the test database's demonstration data, loaded that morning (the fixed moment)
    and kept for every test here."""
    shared = request.getfixturevalue(f"{request.param}_database")
    # The module fixture runs before the per-test clock is pinned: pin it here. Only the day may
    # matter, not the time of day.
    try:
        clock.fix(FIXED_NOW + timedelta(hours=9))
        shared.reset()
        first, seconds, counts = _load(shared.database, keep=False)
        clock.fix(FIXED_NOW)
        shared.reset(demonstration=True)
        with shared.database.reader() as db:
            kept = _snapshot(db)
    finally:
        clock.fix(None)
    return Loaded(shared, first, kept, seconds, counts)


@pytest.fixture
def history(loaded: Loaded):
    if loaded.shared.holds != "demonstration":
        loaded.shared.reset(demonstration=True)
    with loaded.database.reader() as db:
        yield db


def _today() -> date:
    return clock.today()


def _current(db, step: str) -> dict[int, PathwayEvent]:
    """Each referral's latest recording of a step (a correction replaces the earlier one)."""
    events = db.scalars(sa.select(PathwayEvent).where(PathwayEvent.step == step).order_by(PathwayEvent.id))
    return {e.referral_id: e for e in events}


# ---- the same every time -----------------------------------------------------------------------


def test_it_writes_the_same_records_for_the_same_seed_and_day(loaded):
    assert loaded.first == loaded.kept
    assert len(loaded.kept["referrals"]) == 150


def test_it_returns_what_it_wrote(loaded, history):
    counts = loaded.counts
    assert counts["referrals"] == counts["patients"] == 150
    assert counts["bookings"] == history.scalar(sa.select(sa.func.count()).select_from(Booking)) > 1000
    assert counts["pathway steps"] == history.scalar(sa.select(sa.func.count()).select_from(PathwayEvent))
    assert counts["well-being records"] == history.scalar(
        sa.select(sa.func.count()).select_from(OutcomeRecord)
    )
    assert get_setting(history, "demonstration_history")["seed"] == 2026


def test_it_is_quick_enough_for_make_run(loaded):
    if loaded.database.is_sqlite:
        # CPU time, so a busy test machine does not make it fail; a quiet one takes about as long.
        assert loaded.seconds < 10


def test_it_does_nothing_when_the_history_is_already_there(loaded):
    with loaded.database.writer() as db:
        assert demo_history.generate_history(db) == {}
        db.rollback()


# ---- near the published rates ------------------------------------------------------------------


def test_it_takes_up_and_discharges_near_the_published_rates(history):
    today = _today()
    took_up = set(
        history.scalars(sa.select(Booking.referral_id).where(Booking.attendance == "attended").distinct())
    )
    received = dict(history.execute(sa.select(Referral.id, Referral.received_on)).all())
    # As the reports count it: every referral received in the last twelve months.
    assert all(today - timedelta(days=365) < day < today for day in received.values())
    assert 0.74 <= len(took_up) / len(received) <= 0.82
    # Among the referrals that have had ten weeks to get started.
    settled = [r for r, day in received.items() if day <= today - timedelta(weeks=10)]
    assert 0.74 <= len(took_up & set(settled)) / len(settled) <= 0.82

    reviews = _current(history, "discharge_review")
    outcomes = Counter(e.outcome for e in reviews.values())
    assert 0.50 <= outcomes["discharged"] / len(reviews) <= 0.58
    assert set(outcomes) == {"discharged", "stays_with_cmht", "disengaged", "declined"}
    # Reviews come at six months; everything after the pathway comes after a review.
    assert all(e.occurred_on >= received[r] + timedelta(weeks=25) for r, e in reviews.items())
    after = _current(history, "after_pathway")
    assert after and set(after) <= set(reviews)
    assert {d for e in after.values() for d in e.detail} == {
        "still_attending",
        "peer_group",
        "volunteering",
        "training_or_work",
    }


def test_some_book_and_never_go_some_stop_going_and_some_call_off(history):
    attendance = Counter(history.scalars(sa.select(Booking.attendance)))
    assert attendance["attended"] > 1000
    assert attendance["did_not_attend"] > 50
    assert attendance["cancelled_by_person"] > 20
    assert attendance[None] > 0  # first sessions still to come
    booked = set(history.scalars(sa.select(Booking.referral_id)))
    attended = set(history.scalars(sa.select(Booking.referral_id).where(Booking.attendance == "attended")))
    assert len(booked - attended) >= 10


# ---- true to the pathway's rules ---------------------------------------------------------------


def test_it_dates_nothing_in_the_future(history):
    today, now = _today(), clock.now()
    for column in (Referral.received_on, PathwayEvent.occurred_on, OutcomeRecord.recorded_on):
        assert history.scalar(sa.select(sa.func.max(column))) < today
    for column in (
        Referral.created_at,
        Referral.closed_at,
        Patient.created_at,
        Patient.consent_recorded_at,
        Booking.booked_at,
        Booking.cancelled_at,
        Booking.attendance_recorded_at,
        PathwayEvent.recorded_at,
        OutcomeRecord.recorded_at,
        audit.AuditEntry.at,
    ):
        assert history.scalar(sa.select(sa.func.max(column))) <= now, column
    # Who came is recorded only for sessions that have happened, after they ended.
    for booking, session in history.execute(
        sa.select(Booking, ActivitySession)
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .where(Booking.attendance.in_(("attended", "did_not_attend")))
    ):
        assert session.date < today
        assert booking.attendance_recorded_at >= clock.local_datetime(session.date, session.end_time)
    # A place booked ahead is booked before the session starts, and never for a cancelled one.
    for booking, session in history.execute(
        sa.select(Booking, ActivitySession).join(ActivitySession, ActivitySession.id == Booking.session_id)
    ):
        if booking.attendance in (None, "cancelled_by_person", "cancelled_by_provider"):
            assert booking.booked_at < clock.local_datetime(session.date, session.start_time)
        if booking.cancelled_at is not None:
            assert booking.booked_at <= booking.cancelled_at
        if booking.attendance == "cancelled_by_provider":
            assert session.cancelled
        if session.cancelled:
            assert booking.status == "cancelled"


def test_no_step_comes_before_its_referral_or_out_of_order(history):
    referrals = {r.id: r for r in history.scalars(sa.select(Referral))}
    events = defaultdict(list)
    for event in history.scalars(sa.select(PathwayEvent).order_by(PathwayEvent.id)):
        events[event.referral_id].append(event)
    bookings = defaultdict(list)
    for booking in history.scalars(sa.select(Booking)):
        bookings[booking.referral_id].append(booking)
    checked = 0
    for referral_id, recorded in events.items():
        referral = referrals[referral_id]
        pathway = load_pathway(history, referral)
        dates = [pathway.on(step) for step in ORDER if pathway.on(step)]
        assert dates == sorted(dates) and dates[0] >= referral.received_on, referral_id
        # Each step was recorded on or after the day it happened, first contact before the rest,
        # the after-pathway step only once the discharge review was in.
        first = min(e.id for e in recorded if e.step == "first_contact")
        for event in recorded:
            assert clock.to_london(event.recorded_at).date() >= event.occurred_on >= referral.received_on
            if event.step in NEEDS_CONTACT:
                assert event.id > first and event.occurred_on >= pathway.on("first_contact")
            if event.step == "after_pathway":
                assert event.id > pathway.current("discharge_review").id
        # The steps recorded are the ones a link worker can record, in the order they can.
        steps = [e.step for e in recorded if e.step != "extension"]
        assert [ORDER.index(s) for s in dict.fromkeys(steps)] == sorted(ORDER.index(s) for s in set(steps))
        # Places were booked once the plan was agreed (or, for people walking in, on the day).
        plan = pathway.current("plan_agreed")
        for booking in bookings[referral_id]:
            assert plan is not None and booking.booked_at >= plan.recorded_at
        assert referral.status == _status(pathway, bool(bookings[referral_id]))
        assert (referral.closed_at is not None) == pathway.closed
        checked += 1
    assert checked == 150 - sum(1 for r in referrals.values() if r.status == "received")
    extended = [r for r in referrals.values() if r.review_due_on]
    assert all(r.review_due_on > r.received_on + timedelta(weeks=26) for r in extended)


def _status(pathway, booked: bool) -> str:
    """What the referral's status should say, as record_step and booking set it."""
    last = max((e for e in pathway.events if e.step != "extension"), key=lambda e: e.id)
    if last.step == "plan_agreed" and booked:
        return "booked"
    after = {"first_contact": "contacted", "plan_agreed": "plan_agreed", "ten_week_review": "reviewed"}
    return last.outcome if last.step == "discharge_review" else after.get(last.step, "closed")


def test_places_booked_match_the_bookings_and_never_exceed_capacity(history):
    booked = dict(
        history.execute(
            sa.select(Booking.session_id, sa.func.count())
            .where(Booking.status == "booked")
            .group_by(Booking.session_id)
        ).all()
    )
    sessions = history.scalars(sa.select(ActivitySession)).all()
    assert all(s.places_booked == booked.get(s.id, 0) <= s.capacity for s in sessions)
    assert sum(booked.values()) > 1000
    # Each weekly session over the year, as generate_sessions would make it from its schedule.
    past = [s for s in sessions if s.date < _today()]
    assert len(past) > 50 * 100
    assert any(s.cancelled and s.cancelled_reason for s in past)
    assert not any(s.cancelled and booked.get(s.id) for s in sessions)


def test_every_person_and_referral_is_flagged_as_demonstration(history):
    patients = history.scalars(sa.select(Patient)).all()
    assert len(patients) == 150
    assert all(p.demonstration and p.nhs_number is None and p.reference.startswith("FL-") for p in patients)
    assert all(len(p.last_name) == 2 and p.last_name.endswith(".") for p in patients)
    assert all(r.demonstration for r in history.scalars(sa.select(Referral)))
    actors = set(
        history.scalars(sa.select(audit.AuditEntry.user_email).where(audit.AuditEntry.entity == "booking"))
    )
    assert actors == {"demo-history@system"}


# ---- well-being ---------------------------------------------------------------------------------


def test_well_being_is_scored_as_the_questionnaire_scores_it(history):
    records = history.scalars(sa.select(OutcomeRecord)).all()
    assert {r.timepoint for r in records} == {"baseline", "ten_weeks", "six_months"}
    for record in records:
        score = score_mhc(record.mhc_answers)
        assert (record.mhc_emotional, record.mhc_social, record.mhc_psychological, record.mhc_category) == (
            score.emotional,
            score.social,
            score.psychological,
            score.category,
        )
        assert all(
            0 <= v <= 10
            for v in (record.life_satisfaction, record.worthwhile, record.happiness, record.anxiety)
        )


def test_well_being_improves_on_average(history):
    by_referral: dict[int, dict[str, OutcomeRecord]] = defaultdict(dict)
    for record in history.scalars(sa.select(OutcomeRecord)):
        by_referral[record.referral_id][record.timepoint] = record
    pairs = [
        (r["baseline"], r["six_months"]) for r in by_referral.values() if {"baseline", "six_months"} <= set(r)
    ]
    assert len(pairs) > 40
    rank = {"languishing": 0, "moderate": 1, "flourishing": 2}
    up = sum(rank[b.mhc_category] < rank[a.mhc_category] for b, a in pairs)
    down = sum(rank[b.mhc_category] > rank[a.mhc_category] for b, a in pairs)
    assert up > 3 * down
    flourishing = Counter(b.mhc_category for b, _ in pairs), Counter(a.mhc_category for _, a in pairs)
    assert flourishing[1]["flourishing"] > flourishing[0]["flourishing"]
    assert flourishing[1]["languishing"] < flourishing[0]["languishing"]
    assert statistics.fmean(a.anxiety for _, a in pairs) < statistics.fmean(b.anxiety for b, _ in pairs) - 0.5
    assert statistics.fmean(a.life_satisfaction for _, a in pairs) > statistics.fmean(
        b.life_satisfaction for b, _ in pairs
    )


def test_service_outcome_areas_progress_near_the_published_shares(history):
    areas = get_setting(history, "outcome_areas")
    assert [a["name"] for a in areas][:2] == ["Feeling less lonely", "Confidence"] and len(areas) == 8
    keys = {a["key"] for a in areas}
    better = []
    for ratings in _follow_ups(history):
        before, after = ratings
        assert set(before) == set(after) == keys
        better.append(sum(after[k] > before[k] for k in keys))
    assert len(better) > 60
    assert 0.88 <= sum(n >= 1 for n in better) / len(better) <= 0.98
    assert 0.58 <= sum(n >= 4 for n in better) / len(better) <= 0.70


def _follow_ups(db) -> list[tuple[dict[str, int], dict[str, int]]]:
    """Baseline ratings against the latest follow-up: six months, or ten weeks without it."""
    by_referral: dict[int, dict[str, OutcomeRecord]] = defaultdict(dict)
    for record in db.scalars(sa.select(OutcomeRecord)):
        by_referral[record.referral_id][record.timepoint] = record
    out = []
    for records in by_referral.values():
        follow_up = records.get("six_months") or records.get("ten_weeks")
        if "baseline" in records and follow_up is not None:
            out.append((records["baseline"].service_outcomes, follow_up.service_outcomes))
    return out


# ---- the caseloads -----------------------------------------------------------------------------


def test_both_link_workers_have_a_caseload_with_things_due_overdue_and_to_call_about(history):
    today = _today()
    workers = history.scalars(sa.select(User).where(User.role == "link_worker").order_by(User.id)).all()
    assert [w.team for w in workers] == ["Rotherham North CMHT", "Rotherham South CMHT"]
    for worker in workers:
        mine = history.scalars(sa.select(Patient).where(Patient.link_worker_id == worker.id)).all()
        assert any(p.cmht_team == worker.team for p in mine)
        assert all(p.cmht_team in demo_history.TEAMS for p in mine)
        open_referrals = history.scalars(
            sa.select(Referral).where(Referral.link_worker_id == worker.id, Referral.closed_at.is_(None))
        ).all()
        due = overdue = calls = 0
        for referral in open_referrals:
            pathway = load_pathway(history, referral)
            next_due = pathway.next_due()
            if next_due and next_due[1]:
                overdue += next_due[1] < today
                due += next_due[1] >= today
            calls += pathway.needs_a_call(today) is not None
        assert len(open_referrals) >= 20, worker.email
        assert due >= 5 and overdue >= 2 and 2 <= calls <= len(open_referrals) // 3, worker.email


def test_people_live_near_what_they_chose_and_the_profile_matches_it(history):
    sectors = shipped_centroids()
    venues = {
        a.id: v
        for a, v in history.execute(sa.select(Activity, Venue).join(Venue, Venue.id == Activity.venue_id))
    }
    for patient, referral in history.execute(
        sa.select(Patient, Referral).join(Referral, Referral.patient_id == Patient.id)
    ):
        venue = venues.get(referral.chosen_activity_id)
        if venue is not None:
            place = sectors[patient.area]
            assert miles_between(place.latitude, place.longitude, venue.latitude, venue.longitude) <= 12
        assert patient.area in sectors and sectors[patient.area].precision == "sector"
        if referral.profile:
            assert set(referral.profile) == {
                "interests",
                "categories",
                "area",
                "max_miles",
                "days",
                "times",
                "needs",
                "goals",
            }
            assert referral.profile["area"] == patient.area
        if referral.chosen_activity_id:
            assert referral.options_discussed[0]["activity_id"] == referral.chosen_activity_id
            assert referral.hopes
        for declined in referral.options_declined:
            assert declined["reason"] and declined["activity_id"] in {
                o["activity_id"] for o in referral.options_discussed
            }


# ---- a directory of its own --------------------------------------------------------------------


def test_it_works_on_a_small_directory_and_keeps_the_outcome_areas_already_named(db):
    organisation = make_organisation(db)
    venue = make_venue(db, organisation)
    tiny = make_activity(db, organisation, venue, title="Tiny Group", weekly=((1, time(10), time(12), 3),))
    make_activity(
        db, organisation, venue, title="Booked Class", booking="booked", categories=("arts-crafts",)
    )
    make_user(db, "link_worker", team="Rotherham North CMHT")
    areas = [{"key": "sleep", "name": "Sleeping better"}, {"key": "friends", "name": "Friends"}]
    set_setting(db, "outcome_areas", areas)

    counts = demo_history.generate_history(db, seed=7, referrals=40)
    db.commit()

    assert counts["referrals"] == 40
    assert get_setting(db, "outcome_areas") == areas
    ratings = db.scalars(sa.select(OutcomeRecord.service_outcomes)).all()
    assert ratings and all(set(r) == {"sleep", "friends"} for r in ratings)
    sessions = db.scalars(sa.select(ActivitySession)).all()
    booked = Counter(db.scalars(sa.select(Booking.session_id).where(Booking.status == "booked")))
    assert all(s.places_booked == booked[s.id] <= s.capacity for s in sessions)
    # The small group fills up, and nobody is squeezed in.
    assert max(booked[s.id] for s in sessions if s.activity_id == tiny.id) == 3
    assert demo_history.generate_history(db, seed=7, referrals=40) == {}
