from litestar import Router

from flourish.auth.views import SignInController
from flourish.health import HealthController

router = Router(path="/", route_handlers=[SignInController, HealthController])
