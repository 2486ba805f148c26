"""POST /api/v1/match: ranked, explained activities for a profile. No patient identity is sent,
so no sign-in is needed: patients and families can explore too."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body

from core import clock, forms
from core.database import Database
from core.errors import InvalidInput
from core.openapi import error_responses, request_body
from core.web import typed_json
from directory.categories import CATEGORIES, DAYS, TIMES_OF_DAY
from directory.records import FEATURES
from matching.live import LiveMatcher
from matching.profile import MUST, PREFER
from matching.schemas import GENDERS, MAX_INTERESTS, ProfileForm, looks_up_postcode, read_profile

Line = Annotated[str, msgspec.Meta(max_length=MAX_INTERESTS, pattern=forms.LINES_PATTERN)]
Level = Literal[MUST, PREFER]
#: Each feature a person needs: "must" or "prefer". Other keys are ignored.
Needs = msgspec.defstruct("Needs", [(f, Level | None, None) for f in FEATURES])


ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["18:00"])]


class Window(msgspec.Struct, rename={"start": "from", "end": "to"}):
    """A time someone can come on one day of the week; `to` must be after `from`."""

    day: Literal[DAYS]  # type: ignore[valid-type]
    start: ClockTime
    end: ClockTime


@request_body
class MatchRequest(msgspec.Struct):
    interests: Line = ""
    categories: Annotated[
        list[Literal[tuple(CATEGORIES)]],  # type: ignore[valid-type]
        msgspec.Meta(extra_json_schema={"uniqueItems": True}),
    ] = msgspec.field(default_factory=list)
    postcode: Annotated[str, msgspec.Meta(max_length=20, pattern=forms.ONE_LINE_PATTERN)] = ""
    max_miles: Annotated[float, msgspec.Meta(gt=0, le=100)] | None = None
    days: Annotated[
        list[Literal[DAYS]], msgspec.Meta(extra_json_schema={"uniqueItems": True})  # type: ignore[valid-type]
    ] = msgspec.field(default_factory=list)
    times: Annotated[
        list[Literal[tuple(TIMES_OF_DAY)]],  # type: ignore[valid-type]
        msgspec.Meta(extra_json_schema={"uniqueItems": True}),
    ] = msgspec.field(default_factory=list)
    #: When they can come: [{"day": "monday", "from": "18:00", "to": "21:00"}, ...]. A session
    #: fits only if it lies wholly inside one; days and times above are a shorthand.
    windows: Annotated[list[Window], msgspec.Meta(max_length=21)] = msgspec.field(default_factory=list)
    #: Show activities at other times too, after those that fit, each marked.
    show_all_times: bool = False
    needs: Needs = msgspec.field(default_factory=Needs)
    goals: Line = ""
    gender: Literal[tuple(GENDERS)] = ""  # type: ignore[valid-type]
    age: Annotated[int, msgspec.Meta(ge=16, le=110)] | None = None
    rejected: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=240, pattern=forms.ONE_LINE_PATTERN)]],
        msgspec.Meta(max_length=50, description="activity-id|reason, for activities ruled out"),
    ] = msgspec.field(default_factory=list)
    limit: Annotated[int, msgspec.Meta(ge=1, le=50)] = 10


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
    guards = [typed_json]

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
        needs = {k: v for k, v in msgspec.structs.asdict(data.needs).items() if v is not None}
        raw = msgspec.structs.asdict(data) | {
            "needs": needs,
            "max_miles": "" if data.max_miles is None else str(data.max_miles),
            "age": "" if data.age is None else str(data.age),
            "windows": [msgspec.to_builtins(window) for window in data.windows],
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
