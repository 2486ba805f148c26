"""Referral pages for link workers: the referral, the printable social prescription, the
calendar file, and the caseload."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from directory.models import Organisation, Venue
from directory.queries import activity_detail
from flourish import clock
from flourish.auth.guards import link_workers
from flourish.errors import Conflict
from flourish.notifications import unread
from flourish.web import DbSession, actor_of, redirect, render
from referrals import services
from referrals.booking import cancel_booking
from referrals.calendar import CalendarItem, calendar_file
from referrals.models import Booking
from referrals.nhs_number import format_nhs_number


class ReferralController(Controller):
    path = "/"
    guards = [link_workers]
    include_in_schema = False

    @get("/caseload", sync_to_thread=True)
    def caseload(self, request: Request, db: DbSession) -> Template:
        actor = actor_of(request)
        return render(
            request,
            "referrals/caseload.html",
            {
                "patients": services.caseload(db, actor),
                "notifications": unread(db, actor.user_id),
            },
        )

    @get("/referrals/{referral_id:int}", sync_to_thread=True)
    def referral(self, request: Request, db: DbSession, referral_id: FromPath[int]) -> Template:
        referral, patient = services.get_referral(db, actor_of(request), referral_id)
        db.commit()  # keep the record of who viewed this patient's referral
        return render(
            request,
            "referrals/referral.html",
            {
                "referral": referral,
                "patient": patient,
                "nhs_number": format_nhs_number(patient.nhs_number),
                "bookings": services.bookings_for(db, patient.id),
                "activity": activity_detail(db, referral.chosen_activity_id, include_inactive=True)
                if referral.chosen_activity_id
                else None,
                "today": clock.today(),
            },
        )

    @get("/referrals/{referral_id:int}/prescription", sync_to_thread=True)
    def prescription(self, request: Request, db: DbSession, referral_id: FromPath[int]) -> Template:
        referral, patient = services.get_referral(db, actor_of(request), referral_id)
        db.commit()
        upcoming = [(b, s, a) for b, s, a in services.bookings_for(db, patient.id, upcoming_only=True)]
        details = {a.id: activity_detail(db, a.id, include_inactive=True) for _, _, a in upcoming}
        return render(
            request,
            "referrals/prescription.html",
            {"referral": referral, "patient": patient, "upcoming": upcoming, "details": details},
        )

    @get("/referrals/{referral_id:int}/sessions.ics", sync_to_thread=True)
    def calendar(self, request: Request, db: DbSession, referral_id: FromPath[int]) -> Response:
        _, patient = services.get_referral(db, actor_of(request), referral_id)
        db.commit()
        items = []
        for booking, session, activity in services.bookings_for(db, patient.id, upcoming_only=True):
            venue = db.get(Venue, activity.venue_id) if activity.venue_id else None
            organisation = db.get(Organisation, activity.organisation_id)
            items.append(
                CalendarItem(
                    uid=f"booking-{booking.id}@flourish",
                    title=activity.title,
                    description=" ".join(
                        filter(
                            None,
                            [
                                activity.welcome_note,
                                f"Bring: {activity.what_to_bring}" if activity.what_to_bring else "",
                                f"Contact {organisation.name}: {organisation.phone}"
                                if organisation.phone
                                else "",
                            ],
                        )
                    ),
                    location=f"{venue.name}, {venue.address}, {venue.postcode}" if venue else "",
                    date=session.date,
                    start_time=session.start_time,
                    end_time=session.end_time,
                    cancelled=session.cancelled,
                )
            )
        body = calendar_file("My activities", items)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="activities-{patient.reference}.ics"'},
        )

    @post("/referrals/{referral_id:int}/bookings/{booking_id:int}/cancel", sync_to_thread=True)
    def cancel(
        self, request: Request, db: DbSession, referral_id: FromPath[int], booking_id: FromPath[int]
    ) -> Redirect | Template:
        actor = actor_of(request)
        referral, patient = services.get_referral(db, actor, referral_id)
        booking = db.get(Booking, booking_id)
        if booking is None or booking.patient_id != patient.id:
            from flourish.errors import NotFound

            raise NotFound("We could not find that booking for this person.")
        try:
            cancel_booking(db, actor, booking.id)
            db.commit()
        except Conflict as exc:
            return redirect(request, f"/referrals/{referral.id}", message=exc.message)
        return redirect(
            request,
            f"/referrals/{referral.id}",
            message="The booking is cancelled and the place has been given back.",
        )
