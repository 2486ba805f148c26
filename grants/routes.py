from litestar import Router

from grants.views import (
    GrantAllocationController,
    GrantDecisionController,
    GrantProviderController,
    GrantReportsController,
    OpenGrantsController,
)

router = Router(
    path="/",
    route_handlers=[
        GrantReportsController,
        GrantProviderController,
        GrantDecisionController,
        GrantAllocationController,
        OpenGrantsController,
    ],
)
