"""Every route of referrals: the people on a caseload, their referrals and the matching page they
choose from, bookings and registers, well-being outcomes, and reports."""

from litestar import Router

from referrals.views.caseload import CaseloadController, CaseloadOverviewController
from referrals.views.matching import MatchingController
from referrals.views.outcomes import OutcomeAreasController, OutcomeController
from referrals.views.referrals import ReferralController
from referrals.views.register import RegisterController
from referrals.views.reports import ReportController, ReportExportController

router = Router(
    path="/",
    # Pages for people, not the API: none of them belongs in the OpenAPI schema.
    include_in_schema=False,
    route_handlers=[
        ReferralController,
        MatchingController,
        CaseloadController,
        CaseloadOverviewController,
        RegisterController,
        OutcomeController,
        OutcomeAreasController,
        ReportController,
        ReportExportController,
    ],
)
