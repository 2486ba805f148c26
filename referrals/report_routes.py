from litestar import Router

from referrals.report_views import ReportController, ReportExportController

router = Router(path="/", route_handlers=[ReportController, ReportExportController])
