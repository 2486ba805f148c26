from litestar import Router

from matching.api import MatchApi
from matching.views import MatchingController

router = Router(path="/", route_handlers=[MatchingController, MatchApi])
