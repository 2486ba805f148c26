"""The matching page: a link worker and a patient look for something together.

The profile and the conversation (shortlist, "not for me") are one form; as it changes, htmx
posts it and swaps in the results block; without JavaScript the same form posts and the whole
page comes back. Choosing opens the booking step in the same block.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import clock
from core.audit import Actor
from core.auth.guards import link_workers
from core.errors import Conflict, InvalidInput, NotFound
from core.forms import first
from core.web import (
    DbSession,
    FormBody,
    actor_of,
    arrived_ns,
    directory_for,
    directory_ready,
    flash,
    render,
    wants_block,
)
from directory import queries
from directory.categories import CATEGORIES, DAY_LABELS, DAYS
from directory.records import FEATURES
from matching.conversation import Conversation, read_conversation
from matching.schemas import DISTANCES, GENDERS, looks_up_postcode
from referrals import services as referrals
from referrals.booking import SessionFull
from referrals.schemas import read_patient, read_referral_choice

RESULTS = 8


def run_match(request: Request, conversation: Conversation) -> Any:
    directory_for(request)
    engine = request.app.state.matcher.engine
    outcome = engine.match(conversation.profile, today=clock.today(), now=clock.now(), limit=RESULTS)
    return outcome


def _titles(request: Request, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = request.app.state.catalogue.get_many(ids, arrived_ns(request))
    return {i: (found[i].title if i in found else "") for i in ids}


def _base_context(
    request: Request, db: Session | None, conversation: Conversation, referral_id: int | None
) -> dict[str, Any]:
    actor = actor_of(request)
    referral = patient = None
    if referral_id:
        referral, patient = referrals.get_referral(db, actor, referral_id)
    rejected = [(r.partition("|")[0], r.partition("|")[2]) for r in conversation.rejected]
    return {
        "values": conversation.form.values,
        "errors": conversation.form.errors,
        "shortlist": conversation.shortlist,
        "rejected_items": rejected,
        "rejected_raw": conversation.rejected,
        "titles": _titles(request, conversation.shortlist + [r for r, _ in rejected]),
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


def _choose_context(request: Request, db: Session, actor: Actor, activity_id: str) -> dict[str, Any]:
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
        or first(data, "action").partition(":")[0] == "choose"
        or first(data, "choose_activity")
        or looks_up_postcode(data)
    )


def _update_with_database(request: Request, data: dict[str, Any]) -> Template:
    with request.app.state.database.reader() as db:
        return _update(request, db, data)


def _update(request: Request, db: Session | None, data: dict[str, Any]) -> Template:
    """The results block for a changed conversation, or the booking step it opens or keeps.
    `db` may be None only when `_needs_database(data)` is false."""
    conversation = read_conversation(data, db)
    context = _base_context(request, db, conversation, _referral_id(data))
    choosing = first(data, "choose_activity")[:36]
    if conversation.action == "choose" and conversation.target:
        context |= _choose_context(request, db, actor_of(request), conversation.target)
        context["choice_values"] = {
            "hopes": "",
            "patient_id": str(context["patient"].id) if context["patient"] else "",
        }
    elif not conversation.action and choosing:
        # The profile changed while the booking step was open: keep the step and what was
        # typed in it, rather than replacing it with fresh suggestions.
        context |= _choose_context(request, db, actor_of(request), choosing)
        context["choice_values"] = {k: v for k, v in data.items() if k != "csrf_token"}
    else:
        context["outcome"] = run_match(request, conversation)
    status = 400 if conversation.form.errors else 200
    return render(request, "matching/page.html", context, block="results", status_code=status)


class MatchingController(Controller):
    path = "/matching"
    guards = [link_workers]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def start(self, request: Request, db: DbSession) -> Template:
        raw: dict[str, Any] = {}
        referral_id = request.query_params.get("referral")
        referral_id = int(referral_id) if referral_id and referral_id.isdigit() else None
        if referral_id:
            referral, _ = referrals.get_referral(db, actor_of(request), referral_id)
            raw = _profile_as_form(referral.profile) | {"goals": referral.goals}
        conversation = read_conversation(raw, db)
        context = _base_context(request, db, conversation, referral_id)
        context["outcome"] = run_match(request, conversation)
        return render(request, "matching/page.html", context)

    @post("/")
    async def update(self, request: Request, data: FormBody) -> Template:
        # Most posts (the profile changed, something shortlisted or turned down) need only this
        # worker's directory. They are answered on the event loop: matching is CPU work that a
        # worker thread would not speed up, and handing it to one costs as much again.
        if _needs_database(data):
            return await sync_to_thread(_update_with_database, request, data)
        await directory_ready(request)
        return _update(request, None, data)

    @post("/book", sync_to_thread=True)
    def book(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect | Response:
        actor = actor_of(request)
        conversation = read_conversation(data, db)
        referral_id = _referral_id(data)
        activity_id = first(data, "choose_activity")[:36]
        mentioned = [
            activity_id,
            *conversation.shortlist,
            *(r.partition("|")[0] for r in conversation.rejected),
        ]
        titles = _titles(request, mentioned)
        if not titles[activity_id]:
            raise NotFound("That activity is no longer listed.")
        session_text = first(data, "session_id")
        try:
            choice = read_referral_choice({**data, "session_id": session_text.removeprefix("wait:")})
            patient_id = first(data, "patient_id")
            new_patient = read_patient(data) if patient_id in ("", "new") and not referral_id else None
            patient, referral = referrals.resolve_patient(
                db,
                actor,
                referral_id=referral_id,
                patient_id=int(patient_id) if patient_id.isdigit() else None,
                new_patient=new_patient,
            )
            record = conversation.record(titles)
            if session_text.startswith("wait:"):
                referral = referrals.wait_for_place(
                    db, actor, patient, referral, choice.session_id, choice, record
                )
                message = "They are on the waiting list. You will be told here when a place comes free."
            else:
                record["discussed"] = [
                    *record["discussed"],
                    {"activity_id": activity_id, "title": titles[activity_id]},
                ]
                referral, _ = referrals.choose_activity(
                    db, actor, patient, choice, conversation=record, referral=referral
                )
                message = "Booked. You can print the social prescription now."
        except SessionFull as exc:
            db.rollback()
            context = _booking_step(request, db, data, conversation, referral_id, activity_id)
            context |= {
                "choice_message": exc.message,
                "alternatives": _alternatives(request, conversation, activity_id),
            }
            return render(request, "matching/page.html", context, block="results", status_code=409)
        except (InvalidInput, Conflict, NotFound) as exc:
            db.rollback()
            context = _booking_step(request, db, data, conversation, referral_id, activity_id)
            context |= {"choice_errors": getattr(exc, "errors", {}), "choice_message": exc.message}
            return render(
                request, "matching/page.html", context, block="results", status_code=exc.status_code
            )
        target = f"/referrals/{referral.id}"
        flash(request, message)
        if wants_block(request):
            return Response(b"", status_code=204, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)


def _booking_step(
    request: Request,
    db: Session,
    data: dict[str, Any],
    conversation: Conversation,
    referral_id: int | None,
    activity_id: str,
) -> dict[str, Any]:
    """The booking step again, with what was typed in it, when a booking could not be made.
    Built only then: a booking that succeeds goes straight on to the referral."""
    context = _base_context(request, db, conversation, referral_id)
    context |= _choose_context(request, db, actor_of(request), activity_id)
    context["choice_values"] = {k: v for k, v in data.items() if k != "csrf_token"}
    return context


def _alternatives(request: Request, conversation: Conversation, activity_id: str) -> list[Any]:
    """Other activities for the same profile with a place free, for when a session fills."""
    outcome = run_match(request, conversation)
    return [r for r in outcome.results if r.activity_id != activity_id and r.next_session is not None][:3]


def _profile_as_form(profile: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "interests": profile.get("interests", ""),
        "categories": profile.get("categories", []),
        "postcode": profile.get("area", ""),
        "max_miles": "" if profile.get("max_miles") is None else str(int(profile["max_miles"])),
        "days": profile.get("days", []),
        "times": profile.get("times", []),
    }
    for feature, level in (profile.get("needs") or {}).items():
        raw[f"need-{feature}"] = level
    return raw
