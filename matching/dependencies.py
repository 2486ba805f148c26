"""What matching provides to handlers that name it: `matcher`, this worker's matching engine over
its copy of the directory, current as of the request's arrival."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency, Provide

from directory.catalogue import Catalogue
from matching.live import LiveMatcher


async def provide_matcher(request: Request, catalogue: NamedDependency[Catalogue]) -> LiveMatcher:
    # `catalogue` first: the engine is kept up to date by the catalogue's refresh.
    return request.app.state.matcher


DEPENDENCIES = {"matcher": Provide(provide_matcher)}
