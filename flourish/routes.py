from litestar import Router

from core.auth.account_views import (
    AccountController,
    SignInCodeController,
    TwoStepController,
)
from core.auth.views import SignInController
from core.health import HealthController
from flourish.admin import AdminController, AdminPatientsController, AdminUsersController
from flourish.manage import ManageController

router = Router(
    path="/",
    route_handlers=[
        SignInController,
        HealthController,
        ManageController,
        SignInCodeController,
        AccountController,
        TwoStepController,
        AdminController,
        AdminUsersController,
        AdminPatientsController,
    ],
)
