"""The core's own routes: signing in and out, a person's account and second step, and the health
check."""

from litestar import Router

from core.auth.account_views import AccountController, SignInCodeController, TwoStepController
from core.auth.views import SignInController
from core.health import HealthController

router = Router(
    path="/",
    # Pages for people and the health check, not the API: none belongs in the OpenAPI schema.
    include_in_schema=False,
    route_handlers=[
        SignInController,
        SignInCodeController,
        AccountController,
        TwoStepController,
        HealthController,
    ],
)
