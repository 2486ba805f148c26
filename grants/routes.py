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
    # Pages for people, not the API: none of them belongs in the OpenAPI schema.
    include_in_schema=False,
    route_handlers=[
        GrantReportsController,
        GrantProviderController,
        GrantDecisionController,
        GrantAllocationController,
        OpenGrantsController,
    ],
)
