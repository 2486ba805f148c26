from litestar import Router

from referrals.views import ReferralController

router = Router(path="/", route_handlers=[ReferralController])
