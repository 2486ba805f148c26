"""Liveness and readiness for load balancers and process managers."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from core.database import Database


class HealthController(Controller):
    path = "/healthz"

    @get("/")
    async def health(self, database: NamedDependency[Database]) -> Response:
        try:
            # The quick-read connection: a pooled one would add a ping and a rollback to every check.
            await database.read_plain_async("SELECT 1")
        except Exception:  # any failure here means "not ready", which is the answer we give
            return Response({"status": "database unavailable"}, status_code=503)
        return Response({"status": "ok"})
