"""Well-being questionnaires, filled in by a person beside their link worker, and their own
chart of change over time. VAR names the service's outcome areas."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import audit, clock
from core.auth.guards import link_workers, var_managers
from core.errors import InvalidInput
from core.forms import as_typed
from core.site import get_setting, set_setting
from core.web import DbSession, FormBody, actor_of, redirect, refuse, render
from referrals import services
from referrals.models import OutcomeRecord
from referrals.outcome_chart import outcome_chart
from referrals.outcomes import (
    CATEGORY_LABELS,
    MHC_ANSWERS,
    MHC_ITEMS,
    ONS4,
    TIMEPOINTS,
    read_outcomes,
    score_mhc,
)

MAX_AREAS = 8


def outcome_areas(db: Session) -> list[dict[str, str]]:
    return list(get_setting(db, "outcome_areas", []) or [])


def save_outcomes(db: Session, actor, referral, patient, data) -> OutcomeRecord:
    record = db.scalar(
        sa.select(OutcomeRecord).where(
            OutcomeRecord.referral_id == referral.id, OutcomeRecord.timepoint == data.timepoint
        )
    )
    before = None
    if record is None:
        record = OutcomeRecord(
            referral_id=referral.id,
            patient_id=patient.id,
            timepoint=data.timepoint,
            recorded_on=clock.today(),
            recorded_at=clock.now(),
            recorded_by=actor.user_id,
        )
        db.add(record)
    else:
        before = {
            "ons4": [record.life_satisfaction, record.worthwhile, record.happiness, record.anxiety],
            "mhc": record.mhc_answers,
            "service": record.service_outcomes,
        }
    record.life_satisfaction, record.worthwhile = data.ons4["life_satisfaction"], data.ons4["worthwhile"]
    record.happiness, record.anxiety = data.ons4["happiness"], data.ons4["anxiety"]
    record.mhc_answers = data.mhc_answers
    if data.mhc_answers:
        score = score_mhc(data.mhc_answers)
        record.mhc_emotional, record.mhc_social, record.mhc_psychological, record.mhc_category = (
            score.emotional,
            score.social,
            score.psychological,
            score.category,
        )
    else:
        record.mhc_emotional = record.mhc_social = record.mhc_psychological = record.mhc_category = None
    record.service_outcomes = data.service_outcomes
    record.recorded_at, record.recorded_by = clock.now(), actor.user_id
    db.flush()
    audit.record(
        db,
        actor,
        "outcomes.recorded",
        "outcome_record",
        record.id,
        before=before,
        after={
            "timepoint": data.timepoint,
            "ons4": list(data.ons4.values()),
            "mhc": data.mhc_answers,
            "service": data.service_outcomes,
        },
    )
    return record


class OutcomeController(Controller):
    path = "/referrals/{referral_id:int}/outcomes"
    guards = [link_workers]

    @get("/", sync_to_thread=True)
    def chart(self, request: Request, db: DbSession, referral_id: FromPath[int]) -> Template:
        referral, patient = services.get_referral(db, actor_of(request), referral_id)
        records = list(db.scalars(sa.select(OutcomeRecord).where(OutcomeRecord.referral_id == referral.id)))
        records.sort(key=lambda r: list(TIMEPOINTS).index(r.timepoint))
        return render(
            request,
            "referrals/outcomes.html",
            {
                "referral": referral,
                "patient": patient,
                "records": records,
                "timepoints": TIMEPOINTS,
                "ons4": ONS4,
                "categories": CATEGORY_LABELS,
                "chart": outcome_chart(records),
                "areas": outcome_areas(db),
            },
        )

    @get("/new", sync_to_thread=True)
    def form(self, request: Request, db: DbSession, referral_id: FromPath[int]) -> Template:
        referral, patient = services.get_referral(db, actor_of(request), referral_id)
        timepoint = request.query_params.get("timepoint", "baseline")
        return self._form(
            request,
            db,
            referral,
            patient,
            {"timepoint": timepoint if timepoint in TIMEPOINTS else "baseline"},
            {},
            None,
        )

    def _form(self, request, db, referral, patient, values, errors, message, status=200) -> Template:
        return render(
            request,
            "referrals/outcome_form.html",
            {
                "referral": referral,
                "patient": patient,
                "values": values,
                "errors": errors,
                "message": message,
                "timepoints": TIMEPOINTS,
                "ons4": ONS4,
                "mhc_items": MHC_ITEMS,
                "mhc_answers": MHC_ANSWERS,
                "areas": outcome_areas(db),
            },
            status_code=status,
        )

    @post("/", sync_to_thread=True)
    def save(
        self, request: Request, db: DbSession, referral_id: FromPath[int], data: FormBody
    ) -> Template | Redirect:
        actor = actor_of(request)
        referral, patient = services.get_referral(db, actor, referral_id)
        try:
            answers = read_outcomes(data, outcome_areas(db))
            save_outcomes(db, actor, referral, patient, answers)
        except InvalidInput as exc:
            refuse(db)
            values = as_typed(data)
            return self._form(request, db, referral, patient, values, exc.errors, exc.message, status=400)
        return redirect(
            request,
            f"/referrals/{referral.id}/outcomes",
            message=f"Thank you. Answers saved ({TIMEPOINTS[answers.timepoint].lower()}).",
        )


class OutcomeAreasController(Controller):
    path = "/manage/outcome-areas"
    guards = [var_managers]

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: DbSession) -> Template:
        areas = outcome_areas(db)
        values = {f"area-{n}": (areas[n]["name"] if n < len(areas) else "") for n in range(MAX_AREAS)}
        return render(
            request, "referrals/outcome_areas.html", {"values": values, "errors": {}, "max": MAX_AREAS}
        )

    @post("/", sync_to_thread=True)
    def save(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect:
        existing = {a["name"].lower(): a["key"] for a in outcome_areas(db)}
        names, errors = [], {}
        for n in range(MAX_AREAS):
            name = str(data.get(f"area-{n}") or "").strip()
            if len(name) > 80:
                errors[f"area-{n}"] = "Keep each name to 80 characters or fewer"
            elif name and name.lower() in (x.lower() for x in names):
                errors[f"area-{n}"] = "This name is already in the list"
            elif name:
                names.append(name)
        if errors:
            values = as_typed(data)
            return render(
                request,
                "referrals/outcome_areas.html",
                {"values": values, "errors": errors, "max": MAX_AREAS},
                status_code=400,
            )
        areas = [
            {"key": existing.get(name.lower()) or _key(name, existing.values()), "name": name}
            for name in names
        ]
        before = outcome_areas(db)
        set_setting(db, "outcome_areas", areas)
        audit.record(
            db,
            actor_of(request),
            "outcome_areas.updated",
            "site_setting",
            "outcome_areas",
            before={"areas": before},
            after={"areas": areas},
        )
        return redirect(
            request,
            "/manage/outcome-areas",
            message="Outcome areas saved. Answers already given keep their area.",
        )


def _key(name: str, taken: Any) -> str:
    base = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:30] or "area"
    key, n = base, 2
    while key in set(taken):
        key, n = f"{base}-{n}", n + 1
    return key
