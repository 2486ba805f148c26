from litestar import Router

from directory.api import DirectoryApi, DirectoryWriteApi
from directory.calendar_views import CalendarController
from directory.coordinator import CoordinatorController
from directory.views import DirectoryController

router = Router(
    path="/",
    route_handlers=[
        DirectoryController,
        CoordinatorController,
        DirectoryApi,
        DirectoryWriteApi,
        CalendarController,
    ],
)
