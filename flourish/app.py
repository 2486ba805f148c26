"""The application factory: settings, database, sessions, templates, and every package's routes."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from core.auth.sessions import SessionPolicy, make_store
from core.csrf import csrf_protect
from core.database import Database
from core.handlers import EXCEPTION_HANDLERS, answer
from core.logs import AccessLog, configure_logging
from core.middleware import FlourishMiddleware, add_response_headers
from core.openapi import COMPONENTS, ClockTimes, ServedSchema
from core.settings import Settings, get_settings
from core.site import DemonstrationFlag
from core.templating import STATIC_DIR, make_template_engine
from core.timeouts import RequestTimeout
from directory.catalogue import Catalogue
from directory.search import SearchIndex
from matching.live import LiveMatcher

log = logging.getLogger("flourish")


def _routers() -> list:
    # Each package registers its own routes; this is the only list of them.
    from core.routes import router as core_router
    from directory.oruk.routes import router as oruk_router
    from directory.routes import router as directory_router
    from flourish.routes import router as flourish_router
    from grants.routes import router as grants_router
    from matching.routes import router as matching_router
    from referrals.routes import router as referrals_router

    return [
        core_router,
        directory_router,
        oruk_router,
        matching_router,
        referrals_router,
        grants_router,
        flourish_router,
    ]


def _dependencies() -> dict[str, Provide]:
    """What handlers may name: each package's own, and how the lower ones learn what the upper
    ones know (the directory shows who is booked on a session, which only referrals knows)."""
    from core.web import DEPENDENCIES as CORE
    from directory.dependencies import DEPENDENCIES as DIRECTORY
    from matching.dependencies import DEPENDENCIES as MATCHING
    from referrals.booking import tell_session_cancelled
    from referrals.queries import people_booked, registers_to_complete

    async def provide_session_cancelled(settings: NamedDependency[Settings]) -> Any:
        return partial(tell_session_cancelled, settings=settings)

    def given(value: Any) -> Provide:
        async def provide() -> Any:
            return value

        return Provide(provide)

    return {
        **CORE,
        **DIRECTORY,
        **MATCHING,
        "people_booked": given(people_booked),
        "session_cancelled": Provide(provide_session_cancelled),
        "registers_to_complete": given(registers_to_complete),
    }


def app_state(settings: Settings, database: Database) -> dict[str, Any]:
    """What a worker keeps between requests: the database, the session store, and its in-memory
    copy of the directory with the search and matching indexes built from it."""
    policy = SessionPolicy(settings.session_idle_minutes, settings.session_max_hours)
    catalogue = Catalogue(database.reader, database.read_now)
    search_index = SearchIndex()
    catalogue.subscribe(search_index)
    matcher = LiveMatcher()
    catalogue.subscribe(matcher)
    return {
        "settings": settings,
        "database": database,
        "session_store": make_store(settings.session_store, database, policy),
        "catalogue": catalogue,
        "search_index": search_index,
        "matcher": matcher,
        "demonstration": DemonstrationFlag(database.read_now),
    }


async def _close_session_store(app: Litestar) -> None:
    await app.state.session_store.close()  # the store the app has now, which a test may have swapped


def create_app(settings: Settings | None = None, database: Database | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(json_lines=settings.log_json)
    database = database or Database(settings.database_url, statement_timeout_ms=settings.statement_timeout_ms)
    state = State(app_state(settings, database))
    app = Litestar(
        route_handlers=[
            *_routers(),
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
        ],
        state=state,
        dependencies=_dependencies(),
        middleware=[FlourishMiddleware],
        before_request=csrf_protect,
        before_send=[add_response_headers],
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[HTMXPlugin(), ClockTimes()],
        template_config=TemplateConfig(instance=make_template_engine()),
        # Level 6 compresses pages almost as well as the default 9 at a fraction of the CPU.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1000, gzip_compress_level=6),
        openapi_config=OpenAPIConfig(
            title="Flourish API",
            version="1.0",
            description="The Flourish directory, matching and referral API. Reads of the directory and "
            "POST /api/v1/match need no sign-in; writes need a signed-in role and the CSRF token.",
            path="/api/v1/schema",
            render_plugins=[ServedSchema()],
            components=COMPONENTS,
        ),
        logging_config=LoggingConfig(configure_root_logger=False, log_exceptions="never"),
        on_shutdown=[database.dispose, _close_session_store],
        debug=settings.debug,
    )
    # Around everything, not route middleware, so 404s and errors are timed and logged as well.
    app.asgi_handler = AccessLog(RequestTimeout(app.asgi_handler, settings.request_timeout_seconds, answer))
    return app


def create_served_app() -> Litestar:
    """The app as `flourish serve` runs it: each worker loads the directory and builds its
    indexes before it takes its first request, so nobody waits on a cold worker."""
    app = create_app()
    catalogue = app.state.catalogue
    app.on_startup.append(lambda: catalogue.refresh())
    return app
