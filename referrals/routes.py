from litestar import Router

from referrals.attendance_views import RegisterController
from referrals.caseload_views import CaseloadController, CaseloadOverviewController
from referrals.outcome_views import OutcomeAreasController, OutcomeController
from referrals.views import ReferralController

router = Router(
    path="/",
    route_handlers=[
        ReferralController,
        CaseloadController,
        CaseloadOverviewController,
        RegisterController,
        OutcomeController,
        OutcomeAreasController,
    ],
)
