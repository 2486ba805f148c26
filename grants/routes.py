from litestar import Router

from grants.views import (
    GrantAllocationController,
    GrantDecisionController,
    GrantProviderController,
    GrantReportsController,
)

router = Router(
    path="/",
    route_handlers=[
        GrantReportsController,
        GrantProviderController,
        GrantDecisionController,
        GrantAllocationController,
    ],
)
