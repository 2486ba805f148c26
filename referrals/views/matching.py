"""The matching page: a link worker and a patient look for something together.

The profile and the conversation (shortlist, "not for me") are one form; as it changes, htmx
posts it and swaps in the results block; without JavaScript the same form posts and the whole
page comes back. Choosing opens the booking step in the same block; booking is referrals' own
work (`services.book_chosen`), the page only asks for it.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import clock
from core.audit import Actor
from core.auth.guards import link_workers
from core.database import Database
from core.errors import Conflict, InvalidInput, NotFound
from core.forms import as_typed, first
from core.web import DbSession, FormBody, actor_of, flash, refuse, render, wants_block
from directory import queries
from directory.catalogue import Catalogue
from directory.categories import CATEGORIES, DAY_LABELS, DAYS
from directory.records import FEATURES
from matching.conversation import Conversation, pressed, read_conversation
from matching.live import LiveMatcher
from matching.schemas import DISTANCES, GENDERS, looks_up_postcode
from referrals import services as referrals
from referrals.booking import SessionFull
from referrals.schemas import read_booking_step

RESULTS = 8


#: Refused answers the suggestions can still be given around, because their notes say how
#: ("not sorted by distance" for a postcode not found). Any other refused answer would be ranked
#: as if it were not given, and said to be missing ("No interests given yet") while the person
#: can see what they typed, so no suggestions are shown until it is put right.
EXPLAINED_IN_THE_NOTES = frozenset({"postcode"})


def run_match(matcher: LiveMatcher, conversation: Conversation) -> Any:
    return matcher.engine.match(conversation.profile, today=clock.today(), now=clock.now(), limit=RESULTS)


def _titles(catalogue: Catalogue, ids: list[str]) -> dict[str, str]:
    found = catalogue.listed_many(ids)
    return {i: (found[i].title if i in found else "") for i in ids}


def _mentioned(conversation: Conversation) -> list[str]:
    return [*conversation.shortlist, *(d.activity_id for d in conversation.rejected)]


def _base_context(
    request: Request,
    db: Session | None,
    catalogue: Catalogue,
    conversation: Conversation,
    referral_id: int | None,
) -> dict[str, Any]:
    actor = actor_of(request)
    referral = patient = None
    if referral_id:
        referral, patient = referrals.get_referral(db, actor, referral_id)
    return {
        "values": conversation.form.values,
        "errors": conversation.form.errors,
        "shortlist": conversation.shortlist,
        "rejected": conversation.rejected,
        "action": conversation.action,
        "acted_on": conversation.target,
        "titles": _titles(catalogue, _mentioned(conversation)),
        "categories": CATEGORIES,
        "day_options": list(zip(DAYS, DAY_LABELS, strict=True)),
        "features": FEATURES,
        "distances": DISTANCES,
        "genders": GENDERS,
        "referral": referral,
        "patient": patient,
        "outcome": None,
        "choosing": None,
        "choice_values": {},
        "choice_errors": {},
        "choice_message": None,
        "alternatives": [],
    }


def _choose_context(db: Session, actor: Actor, activity_id: str) -> dict[str, Any]:
    detail = queries.activity_detail(db, activity_id, sessions=8)
    if detail is None:
        raise NotFound("That activity is no longer listed.")
    now = clock.now()
    sessions = [s for s in detail.next_sessions if clock.local_datetime(s.date, s.start_time) > now]
    return {"choosing": detail, "sessions": sessions, "caseload": referrals.caseload(db, actor)}


def _referral_id(raw: dict[str, Any]) -> int | None:
    text = first(raw, "referral_id").strip()
    return int(text) if text.isdigit() else None


def _needs_database(data: dict[str, Any]) -> bool:
    """True for a post about a referral, one that opens or keeps the booking step, or one with a
    full postcode (looked up among the loaded postcode centroids)."""
    return bool(
        _referral_id(data)
        or pressed(data)[0] == "choose"
        or first(data, "choose_activity")
        or looks_up_postcode(data)
    )


def _update(
    request: Request, db: Session | None, catalogue: Catalogue, matcher: LiveMatcher, data: dict[str, Any]
) -> Template:
    """The results block for a changed conversation, or the booking step it opens or keeps.
    `db` may be None only when `_needs_database(data)` is false."""
    if _referral_id(data):
        data = _as_recorded(db, actor_of(request), _referral_id(data), data)
    conversation = read_conversation(data, db)
    context = _base_context(request, db, catalogue, conversation, _referral_id(data))
    choosing = first(data, "choose_activity")[:36]
    if conversation.action == "choose" and conversation.target:
        context |= _choose_context(db, actor_of(request), conversation.target)
        context["choice_values"] = {
            "hopes": "",
            "patient_id": str(context["patient"].id) if context["patient"] else "",
        }
    elif not conversation.action and choosing:
        # The profile changed while the booking step was open: keep the step and what was
        # typed in it, rather than replacing it with fresh suggestions.
        context |= _choose_context(db, actor_of(request), choosing)
        context["choice_values"] = as_typed(data)
    elif set(conversation.form.errors) <= EXPLAINED_IN_THE_NOTES:
        context["outcome"] = run_match(matcher, conversation)
    status = 400 if conversation.form.errors else 200
    return render(request, "matching/page.html", context, block="results", status_code=status)


def _read_and_update(
    request: Request, database: Database, catalogue: Catalogue, matcher: LiveMatcher, data: dict[str, Any]
) -> Template:
    with database.reader() as db:
        return _update(request, db, catalogue, matcher, data)


class MatchingController(Controller):
    path = "/matching"
    guards = [link_workers]

    @get("/", sync_to_thread=True)
    def start(
        self,
        request: Request,
        db: DbSession,
        catalogue: NamedDependency[Catalogue],
        matcher: NamedDependency[LiveMatcher],
    ) -> Template:
        raw: dict[str, Any] = {}
        referral_id = request.query_params.get("referral")
        referral_id = int(referral_id) if referral_id and referral_id.isdigit() else None
        if referral_id:
            referral, _ = referrals.get_referral(db, actor_of(request), referral_id)
            raw = _profile_as_form(referral.profile) | {"goals": referral.goals}
            raw = _as_recorded(db, actor_of(request), referral_id, raw)
        conversation = read_conversation(raw, db)
        context = _base_context(request, db, catalogue, conversation, referral_id)
        context["outcome"] = run_match(matcher, conversation)
        return render(request, "matching/page.html", context)

    @post("/")
    async def update(
        self,
        request: Request,
        database: NamedDependency[Database],
        catalogue: NamedDependency[Catalogue],
        matcher: NamedDependency[LiveMatcher],
        data: FormBody,
    ) -> Template:
        # Most posts (the profile changed, something shortlisted or turned down) need only this
        # worker's directory. They are answered on the event loop: matching is CPU work that a
        # worker thread would not speed up, and handing it to one costs as much again.
        if _needs_database(data):
            return await sync_to_thread(_read_and_update, request, database, catalogue, matcher, data)
        return _update(request, None, catalogue, matcher, data)

    @post("/book", sync_to_thread=True)
    def book(
        self,
        request: Request,
        db: DbSession,
        database: NamedDependency[Database],
        catalogue: NamedDependency[Catalogue],
        matcher: NamedDependency[LiveMatcher],
        data: FormBody,
    ) -> Template | Redirect | Response:
        actor = actor_of(request)
        conversation = read_conversation(data, db)
        activity_id = first(data, "choose_activity")[:36]
        titles = _titles(catalogue, [activity_id, *_mentioned(conversation)])
        if not titles[activity_id]:
            raise NotFound("That activity is no longer listed.")
        try:
            data = data | {"patient_id": referrals.chosen_person(db, actor, data)}
            step = read_booking_step(data)
            referral, waiting = referrals.book_chosen(
                db, actor, step, conversation.record(titles), (activity_id, titles[activity_id])
            )
        except (SessionFull, InvalidInput, Conflict, NotFound) as exc:
            # The refusal ends its transaction now, before anything is read again for the page.
            refuse(db)
            with database.reader() as reader:
                context = _booking_step(request, reader, catalogue, data, conversation, activity_id)
                context |= {"choice_errors": getattr(exc, "errors", {}), "choice_message": exc.message}
                if isinstance(exc, SessionFull):
                    context["alternatives"] = _alternatives(matcher, conversation, activity_id)
                return render(
                    request, "matching/page.html", context, block="results", status_code=exc.status_code
                )
        flash(
            request,
            "They are on the waiting list. You will be told here when a place comes free."
            if waiting
            else "Booked. You can print the social prescription now.",
        )
        target = f"/referrals/{referral.id}"
        if wants_block(request):
            return Response(b"", status_code=204, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)


def _booking_step(
    request: Request,
    db: Session,
    catalogue: Catalogue,
    data: dict[str, Any],
    conversation: Conversation,
    activity_id: str,
) -> dict[str, Any]:
    """The booking step again, with what was typed in it, when a booking could not be made.
    Built only then: a booking that succeeds goes straight on to the referral."""
    context = _base_context(request, db, catalogue, conversation, _referral_id(data))
    context |= _choose_context(db, actor_of(request), activity_id)
    context["choice_values"] = as_typed(data)
    return context


def _alternatives(matcher: LiveMatcher, conversation: Conversation, activity_id: str) -> list[Any]:
    """Other activities for the same profile with a place free, for when a session fills."""
    outcome = run_match(matcher, conversation)
    return [r for r in outcome.results if r.activity_id != activity_id and r.next_session is not None][:3]


def _as_recorded(db: Session, actor: Actor, referral_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """The form with the person's recorded gender and age, so that a women-only group is never
    offered to a man (or an age-limited one outside its ages) because a field was left blank."""
    _, patient = referrals.get_referral(db, actor, referral_id)
    raw = dict(raw)
    if patient is not None and patient.gender in ("woman", "man"):
        raw["gender"] = patient.gender
    if (
        patient is not None
        and patient.date_of_birth
        and patient.erased_at is None
        and not first(raw, "age").strip()
    ):
        today = clock.today()
        born = patient.date_of_birth
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if 16 <= age <= 110:
            raw["age"] = str(age)
    return raw


def _profile_as_form(profile: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "interests": profile.get("interests", ""),
        "categories": profile.get("categories", []),
        "postcode": profile.get("area", ""),
        "max_miles": "" if profile.get("max_miles") is None else str(int(profile["max_miles"])),
        "days": profile.get("days", []),
        "times": profile.get("times", []),
    }
    for window in profile.get("windows") or []:
        day = str(window.get("day", ""))
        if day in DAYS and f"window-{day}-from" not in raw:
            raw[f"window-{day}-from"], raw[f"window-{day}-to"] = window.get("from", ""), window.get("to", "")
    for feature, level in (profile.get("needs") or {}).items():
        raw[f"need-{feature}"] = level
    return raw
