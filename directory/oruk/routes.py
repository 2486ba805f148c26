from litestar import Router

from directory.oruk.views import OrukFeed, OrukImportPage, allow_any_origin

router = Router(
    path="/",
    route_handlers=[
        Router(path="/oruk", route_handlers=[OrukFeed], middleware=[allow_any_origin]),
        OrukImportPage,
    ],
)
