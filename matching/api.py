"""POST /api/v1/match: ranked, explained activities for a profile. No patient identity is sent,
so no sign-in is needed: patients and families can explore too."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

import msgspec
from litestar import Controller, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body

from core import clock
from core.database import Database
from core.errors import InvalidInput
from core.openapi import error_responses
from directory.records import FEATURES
from matching.live import LiveMatcher
from matching.schemas import ProfileForm, looks_up_postcode, read_profile


class MatchRequest(msgspec.Struct):
    interests: str = ""
    categories: list[str] = msgspec.field(default_factory=list)
    postcode: str = ""
    max_miles: float | None = None
    days: list[str] = msgspec.field(default_factory=list)
    times: list[str] = msgspec.field(default_factory=list)
    #: When they can come: [{"day": "monday", "from": "18:00", "to": "21:00"}, ...]. A session
    #: fits only if it lies wholly inside one; days and times above are a shorthand.
    windows: list[dict[str, str]] = msgspec.field(default_factory=list)
    #: Show activities at other times too, after those that fit, each marked.
    show_all_times: bool = False
    needs: dict[str, str] = msgspec.field(default_factory=dict)
    goals: str = ""
    gender: str = ""
    age: int | None = None
    rejected: list[str] = msgspec.field(default_factory=list)
    limit: int = 10


class SessionSummary(msgspec.Struct):
    id: int
    date: date
    start_time: time
    end_time: time
    places_left: int


class MatchItem(msgspec.Struct):
    id: str
    title: str
    organisation: str
    venue: str | None
    postcode: str | None
    score: float
    breakdown: dict[str, float]
    miles: float | None
    places_free_next_four_weeks: int | None
    next_session: SessionSummary | None
    explanation: str
    reasons: list[str]
    #: The person's limits this suggestion does not meet; empty when it fits. Suggestions that
    #: break a limit always come after every one that fits.
    breaks: list[str] = msgspec.field(default_factory=list)


class MatchResponse(msgspec.Struct):
    results: list[MatchItem]
    notes: list[str]
    relaxed_needs: list[str]
    relaxed_distance: bool
    problems: dict[str, str]
    relaxed_times: bool = False


EXAMPLE = {
    "interests": "used to grow veg on my allotment",
    "postcode": "S65 2",
    "max_miles": 5,
    "days": ["tuesday", "thursday"],
    "times": ["morning"],
    "needs": {"small_group": "prefer", "met_at_door": "must"},
    "goals": "make friends and keep going after",
}


class MatchApi(Controller):
    path = "/api/v1/match"
    tags = ["Matching"]

    @post(
        "/",
        status_code=200,
        opt={"csrf_exempt": True},
        responses=error_responses(400),
        summary="Rank activities for a profile, with reasons",
        description="Needs are features (" + ", ".join(FEATURES) + ") mapped to 'must' or 'prefer'. "
        "Days are monday … sunday; times are morning, afternoon, evening; windows are "
        '[{"day": "monday", "from": "18:00", "to": "21:00"}], and a session fits only inside one. '
        "Days, times and distance are limits: when nothing meets them they are eased, said so in "
        "`notes`, and each suggestion that does not fit lists why in `breaks`. An unknown postcode is reported "
        "in `problems` and the match runs without distance.",
    )
    async def match(
        self,
        database: NamedDependency[Database],
        matcher: NamedDependency[LiveMatcher],
        data: Annotated[
            MatchRequest, Body(examples=[Example(summary="A gardener near Rotherham", value=EXAMPLE)])
        ],
    ) -> MatchResponse:
        if not 1 <= data.limit <= 50:
            raise InvalidInput({"limit": "Ask for between 1 and 50 results"})
        raw = msgspec.structs.asdict(data) | {
            "max_miles": "" if data.max_miles is None else str(data.max_miles),
            "age": "" if data.age is None else str(data.age),
        }
        if looks_up_postcode(raw):
            form = await sync_to_thread(_read_with_database, database, raw)
        else:
            form = read_profile(raw)
        hard_errors = {k: v for k, v in form.errors.items() if k != "postcode"}
        if hard_errors:
            raise InvalidInput(hard_errors)
        # On the event loop, as on the matching page (see MatchingController.update).
        outcome = matcher.engine.match(form.profile, today=clock.today(), now=clock.now(), limit=data.limit)
        return MatchResponse(
            results=[_item(r) for r in outcome.results],
            notes=list(outcome.notes),
            relaxed_needs=list(outcome.relaxed_needs),
            relaxed_distance=outcome.relaxed_distance,
            relaxed_times=outcome.relaxed_times,
            problems={k: v for k, v in form.errors.items() if k == "postcode"},
        )


def _read_with_database(database: Database, raw: dict[str, Any]) -> ProfileForm:
    with database.reader() as db:
        return read_profile(raw, db)


def _item(result) -> MatchItem:
    r = result.record
    s = result.next_session
    return MatchItem(
        id=r.id,
        title=r.title,
        organisation=r.organisation_name,
        venue=r.venue_name,
        postcode=r.postcode,
        score=round(result.score, 4),
        breakdown={k: round(v, 4) for k, v in result.breakdown.items()},
        miles=None if result.miles is None else round(result.miles, 1),
        places_free_next_four_weeks=result.places_free,
        next_session=SessionSummary(s.id, s.date, s.start_time, s.end_time, s.places_left) if s else None,
        explanation=result.explanation.text,
        reasons=list(result.explanation.clauses),
        breaks=list(result.breaks),
    )
