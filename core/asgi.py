"""What Flourish's own ASGI middleware has in common."""

from __future__ import annotations

from typing import Any


class HttpMiddleware:
    """ASGI middleware with work to do for HTTP requests only: lifespan and websocket messages go
    straight through to the app. Subclasses do their work in `http`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Any, receive: Any, send: Any) -> None:
        raise NotImplementedError
