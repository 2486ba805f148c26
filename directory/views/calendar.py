"""Subscribable iCalendar feeds: one per activity (public) and one per organisation (a private
address for the coordinator's calendar app)."""

from __future__ import annotations

import hmac

import sqlalchemy as sa
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlmodel import Session

from core import clock
from core.errors import Forbidden, NotFound
from core.settings import Settings
from core.web import DbSession
from directory import queries
from directory.ics import CalendarItem, calendar_file, organisation_feed_token
from directory.models import Activity, ActivitySession, Organisation, Venue

CALENDAR = "text/calendar; charset=utf-8"


def _items(db: Session, rows: list[tuple[ActivitySession, Activity]]) -> list[CalendarItem]:
    venues = {
        v.id: v
        for v in db.scalars(sa.select(Venue).where(Venue.id.in_({a.venue_id for _, a in rows if a.venue_id})))
    }
    items = []
    for session, activity in rows:
        venue = venues.get(activity.venue_id)
        items.append(
            CalendarItem(
                uid=f"session-{session.id}@flourish",
                title=activity.title,
                description=activity.newcomer_notes or activity.description,
                location=f"{venue.name}, {venue.address}, {venue.postcode}" if venue else "",
                date=session.date,
                start_time=session.start_time,
                end_time=session.end_time,
                cancelled=session.cancelled,
            )
        )
    return items


class CalendarController(Controller):
    path = "/"
    include_in_schema = False

    @get("/activities/{activity_id:str}/sessions.ics", sync_to_thread=True)
    def activity_feed(self, db: DbSession, activity_id: FromPath[str]) -> Response:
        activity = db.get(Activity, activity_id)
        if activity is None or not activity.is_active:
            raise NotFound("We could not find that activity.")
        rows = [
            (s, activity)
            for s in queries.upcoming_sessions(db, [activity.id], until=clock.today() + queries.FEED_HORIZON)
        ]
        return Response(calendar_file(activity.title, _items(db, rows)), media_type=CALENDAR)

    @get("/calendar/organisations/{organisation_id:str}/{token:str}", sync_to_thread=True)
    def organisation_feed(
        self,
        db: DbSession,
        settings: NamedDependency[Settings],
        organisation_id: FromPath[str],
        token: FromPath[str],
    ) -> Response:
        organisation = db.get(Organisation, organisation_id)
        expected = organisation_feed_token(settings.secret_key, organisation_id)
        if organisation is None or not hmac.compare_digest(token.removesuffix(".ics"), expected):
            raise Forbidden(
                "That calendar address is not right. Copy it again from your organisation's page."
            )
        rows = queries.sessions_for_organisation(db, organisation.id, weeks=8)
        return Response(calendar_file(f"{organisation.name} sessions", _items(db, rows)), media_type=CALENDAR)
