from litestar import Router

from flourish.auth.views import SignInController
from flourish.health import HealthController
from flourish.manage import ManageController

router = Router(path="/", route_handlers=[SignInController, HealthController, ManageController])
