from litestar import Router

from flourish.admin import AdminController, AdminPatientsController, AdminUsersController
from flourish.auth.account_views import (
    AccountController,
    SignInCodeController,
    TwoStepController,
)
from flourish.auth.views import SignInController
from flourish.health import HealthController
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
