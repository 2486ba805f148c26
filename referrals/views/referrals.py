"""Referral pages for link workers: receiving a referral, the pathway, the printable social
prescription and the calendar file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import clock
from core.audit import Actor
from core.auth.guards import link_workers
from core.errors import Conflict, InvalidInput, NotFound
from core.forms import as_typed, first
from core.web import DbSession, FormBody, actor_of, download, redirect, refuse, render
from directory.ics import CalendarItem, calendar_file
from directory.models import ActivitySession, Organisation, Venue
from directory.queries import activity_detail
from referrals import services
from referrals.booking import cancel_booking
from referrals.models import Booking, Patient, Referral
from referrals.nhs_number import format_nhs_number
from referrals.pathway import (
    AFTER_PATHWAY,
    DISCHARGE_OUTCOMES,
    STEPS,
    extend_review,
    load_pathway,
    record_step,
)
from referrals.schemas import read_extension, read_patient, read_received, read_step


def referral_page(
    request: Request,
    db: Session,
    referral: Referral,
    patient: Patient,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Template:
    activity = (
        activity_detail(db, referral.chosen_activity_id, include_inactive=True)
        if referral.chosen_activity_id
        else None
    )
    bookings = services.bookings_for(db, patient.id)
    return render(
        request,
        "referrals/referral.html",
        {
            "referral": referral,
            "patient": patient,
            "nhs_number": format_nhs_number(patient.nhs_number),
            "bookings": bookings,
            "next_sessions": services.next_sessions_for_cancelled(db, bookings),
            "activity": activity,
            "pathway": load_pathway(db, referral),
            "steps": STEPS,
            "outcomes": DISCHARGE_OUTCOMES,
            "after": AFTER_PATHWAY,
            "errors": errors or {},
            "values": values or {"occurred_on": clock.today().isoformat()},
            "message": message,
            "today": clock.today(),
        },
        status_code=status,
    )


def _change_referral(
    request: Request,
    db: Session,
    referral_id: int,
    data: dict[str, Any],
    change: Callable[[Actor, Referral], str],
) -> Template | Redirect:
    """Make a change from the referral's page and go back to it saying what was done; a refused
    change shows the page again with what was typed."""
    actor = actor_of(request)
    referral, patient = services.get_referral(db, actor, referral_id)
    try:
        done = change(actor, referral)
    except InvalidInput as exc:
        refuse(db)
        return referral_page(
            request,
            db,
            referral,
            patient,
            errors=exc.errors,
            values=as_typed(data),
            message=exc.message,
            status=400,
        )
    return redirect(request, f"/referrals/{referral.id}", message=done)


class ReferralController(Controller):
    path = "/referrals"
    guards = [link_workers]

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request, db: DbSession) -> Template:
        context = {"values": {"received_on": clock.today().isoformat()}, "errors": {}, "message": None}
        return render(
            request, "referrals/new.html", context | {"caseload": services.caseload(db, actor_of(request))}
        )

    @post("/new", sync_to_thread=True)
    def receive(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect:
        actor = actor_of(request)
        try:
            received = read_received(data)
            chosen = services.chosen_person(db, actor, data)
            patient, _ = services.resolve_patient(
                db,
                actor,
                referral_id=None,
                patient_id=int(chosen) if chosen.isdigit() else None,
                new_patient=None if chosen.isdigit() else read_patient(data),
            )
            referral = services.receive_referral(db, actor, patient, **received)
        except (InvalidInput, NotFound) as exc:
            refuse(db)
            context = {"values": as_typed(data), "errors": getattr(exc, "errors", {}), "message": exc.message}
            context["caseload"] = services.caseload(db, actor)
            return render(request, "referrals/new.html", context, status_code=exc.status_code)
        return redirect(
            request,
            f"/referrals/{referral.id}",
            message="Referral recorded. The pathway starts from the date it was received.",
        )

    @get("/{referral_id:int}", sync_to_thread=True)
    def referral(self, request: Request, db: DbSession, referral_id: FromPath[int]) -> Template:
        referral, patient = services.get_referral(db, actor_of(request), referral_id)
        return referral_page(request, db, referral, patient)

    @post("/{referral_id:int}/steps", sync_to_thread=True)
    def record_step(
        self, request: Request, db: DbSession, referral_id: FromPath[int], data: FormBody
    ) -> Template | Redirect:
        def record(actor: Actor, referral: Referral) -> str:
            event = record_step(db, actor, referral, read_step(data))
            return f"{STEPS[event.step]} recorded for {event.occurred_on:%d/%m/%Y}."

        return _change_referral(request, db, referral_id, data, record)

    @post("/{referral_id:int}/extend", sync_to_thread=True)
    def extend(
        self, request: Request, db: DbSession, referral_id: FromPath[int], data: FormBody
    ) -> Template | Redirect:
        def move_review(actor: Actor, referral: Referral) -> str:
            new_due = read_extension(data)
            extend_review(db, actor, referral, new_due, first(data, "extension_reason"))
            return f"The discharge review is now due by {new_due:%d/%m/%Y}."

        return _change_referral(request, db, referral_id, data, move_review)

    @get("/{referral_id:int}/prescription", sync_to_thread=True)
    def prescription(self, request: Request, db: DbSession, referral_id: FromPath[int]) -> Template:
        referral, patient = services.get_referral(db, actor_of(request), referral_id)
        upcoming = services.bookings_for(db, patient.id, upcoming_only=True)
        details = {a.id: activity_detail(db, a.id, include_inactive=True) for _, _, a in upcoming}
        context = {
            "referral": referral,
            "patient": patient,
            "upcoming": upcoming,
            "details": details,
            "link_worker": services.link_worker_of(db, referral, patient),
        }
        return render(request, "referrals/prescription.html", context)

    @get("/{referral_id:int}/sessions.ics", sync_to_thread=True)
    def calendar(self, request: Request, db: DbSession, referral_id: FromPath[int]) -> Response:
        _, patient = services.get_referral(db, actor_of(request), referral_id)
        items = []
        for booking, session, activity in services.bookings_for(db, patient.id, upcoming_only=True):
            venue = db.get(Venue, activity.venue_id) if activity.venue_id else None
            organisation = db.get(Organisation, activity.organisation_id)
            description = [
                activity.welcome_note,
                f"Bring: {activity.what_to_bring}" if activity.what_to_bring else "",
            ]
            if organisation.phone:
                description.append(f"Contact {organisation.name}: {organisation.phone}")
            items.append(
                CalendarItem(
                    uid=f"booking-{booking.id}@flourish",
                    title=activity.title,
                    description=" ".join(filter(None, description)),
                    location=f"{venue.name}, {venue.address}, {venue.postcode}" if venue else "",
                    date=session.date,
                    start_time=session.start_time,
                    end_time=session.end_time,
                    cancelled=session.cancelled,
                )
            )
        return download(
            calendar_file("My activities", items),
            f"activities-{patient.reference}.ics",
            "text/calendar; charset=utf-8",
        )

    @post("/{referral_id:int}/bookings/{booking_id:int}/rebook", sync_to_thread=True)
    def rebook(
        self, request: Request, db: DbSession, referral_id: FromPath[int], booking_id: FromPath[int]
    ) -> Template | Redirect:
        actor = actor_of(request)
        referral, patient = services.get_referral(db, actor, referral_id)
        try:
            booking = services.book_next_session(db, actor, referral, patient, booking_id)
        except Conflict as exc:
            refuse(db)
            return referral_page(request, db, referral, patient, message=exc.message, status=exc.status_code)
        session = db.get(ActivitySession, booking.session_id)
        return redirect(
            request,
            f"/referrals/{referral.id}",
            message=f"Booked on {session.date:%A} {session.date.day} {session.date:%B} at "
            f"{session.start_time:%H:%M}. You can print the social prescription now.",
        )

    @post("/{referral_id:int}/bookings/{booking_id:int}/cancel", sync_to_thread=True)
    def cancel(
        self, request: Request, db: DbSession, referral_id: FromPath[int], booking_id: FromPath[int]
    ) -> Redirect:
        actor = actor_of(request)
        referral, patient = services.get_referral(db, actor, referral_id)
        booking = db.get(Booking, booking_id)
        if booking is None or booking.patient_id != patient.id:
            raise NotFound("We could not find that booking for this person.")
        try:
            cancel_booking(db, actor, booking.id)
        except Conflict as exc:
            refuse(db)
            return redirect(request, f"/referrals/{referral.id}", message=exc.message)
        return redirect(
            request,
            f"/referrals/{referral.id}",
            message="The booking is cancelled and the place has been given back.",
        )
