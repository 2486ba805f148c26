from litestar import Router

from directory.api import DirectoryApi, DirectoryWriteApi
from directory.views.calendar import CalendarController
from directory.views.coordinator import CoordinatorController
from directory.views.public import DirectoryController

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
