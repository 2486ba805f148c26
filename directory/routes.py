from litestar import Router

from directory.views import DirectoryController

router = Router(path="/", route_handlers=[DirectoryController])
