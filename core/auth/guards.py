"""Route guards: one function per rule, raising before the handler runs.

They are coroutines although they never wait: Litestar runs a plain function guard on a worker
thread, and the hand-off would cost more than the check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from core.audit import Actor
from core.auth.roles import Role

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


def current_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    user = connection.scope.get("user")
    return user if isinstance(user, Actor) and user.signed_in else None


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if current_actor(connection) is None:
        raise NotAuthorizedException("Please sign in to see this page")


def require_roles(*roles: Role) -> Guard:
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        actor = current_actor(connection)
        if actor is None:
            raise NotAuthorizedException("Please sign in to see this page")
        if actor.role not in allowed:
            raise PermissionDeniedException("Your role does not give access to this page")

    guard.__name__ = "require_" + "_or_".join(r.value for r in roles)
    return guard


link_workers = require_roles(Role.LINK_WORKER, Role.ADMIN)
coordinators = require_roles(Role.COORDINATOR, Role.ADMIN)
var_managers = require_roles(Role.VAR_MANAGER, Role.ADMIN)
reporting = require_roles(Role.VAR_MANAGER, Role.COMMISSIONER, Role.ADMIN)
admins = require_roles(Role.ADMIN)
