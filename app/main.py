"""The application factory: `create_app()` builds Litestar; nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.platform.api_docs import StrictStructSchemaPlugin
from app.platform.context import get_context, request_context_middleware
from app.platform.security import security_headers_hook
from app.settings import Settings
from app.web import EXCEPTION_HANDLERS, STATIC_DIR

log = logging.getLogger("tremplin")


class Services:
    """What the running app holds: engine, session maker, Redis, the in-process worker, embedded servers."""

    def __init__(self, settings: Settings, session_maker: async_sessionmaker[AsyncSession] | None) -> None:
        self.settings = settings
        self.session_maker = session_maker
        self.engine: Any = None
        self.arq: Any = None
        self.embedded: Any = None
        self.worker_task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        from arq.connections import ArqRedis
        from redis.asyncio import ConnectionPool

        from app.db import make_engine, make_session_maker
        from app.platform import embedded
        from app.platform.migrations import check_migrated

        settings = self.settings
        database_url, redis_url = settings.database_url, settings.redis_url
        if self.session_maker is None and (database_url is None or redis_url is None):
            self.embedded = await asyncio.to_thread(
                embedded.start, settings.data_dir, postgres=database_url is None, redis=redis_url is None
            )
            database_url = database_url or self.embedded.database_url
            redis_url = redis_url or self.embedded.redis_url
        if self.session_maker is None:
            assert database_url is not None
            self.engine = make_engine(settings, database_url)
            self.session_maker = make_session_maker(self.engine)
            await check_migrated(self.engine)
        assert redis_url is not None, "REDIS_URL must be set when a session maker is given"
        # Built without connecting: a Redis outage at start-up must not stop pages from serving.
        pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self.arq = ArqRedis(connection_pool=pool, default_queue_name=f"{settings.redis_prefix}:queue")
        if settings.worker_in_process:
            self.start_worker(redis_url)

    def start_worker(self, redis_url: str) -> None:
        from app.worker import run_in_process

        # Supervised: it outlives Redis outages, and an unexpected error is logged and the worker restarted.
        self.worker_task = asyncio.create_task(run_in_process(self.settings, self.session_maker, redis_url))

    async def stop(self) -> None:
        if self.worker_task is not None:
            # Cancelling closes the running arq worker (its jobs cancelled, to be run again later), or ends
            # the wait between two attempts to reach Redis.
            self.worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.worker_task
        if self.arq is not None:
            # The app built this pool, so the app closes it (a client given a pool leaves it open).
            await self.arq.aclose(close_connection_pool=True)
        if self.engine is not None:
            await self.engine.dispose()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)

    def open_session(self) -> AsyncSession:
        assert self.session_maker is not None
        session = self.session_maker()
        session.info["arq"] = self.arq
        return session


def login_required(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """App-wide guard: every route needs a signed-in user unless it is public by name (opt public=True)."""
    if handler.opt.get("public"):
        return
    if connection.scope.get("user") is None:
        raise NotAuthorizedException()


def provide_db(request: Request[Any, Any, Any]) -> AsyncSession:
    return get_context(request.scope).session()


def provide_actor(request: Request[Any, Any, Any]) -> Any:
    return get_context(request.scope).actor


def provide_now(request: Request[Any, Any, Any]) -> Any:
    return get_context(request.scope).now


def route_handlers() -> list[Any]:
    from app.accounts.controllers import ROUTES as account_routes
    from app.admin.controllers import ROUTES as admin_routes
    from app.challenges.catalogue_controllers import ROUTES as catalogue_routes
    from app.challenges.controllers import ROUTES as challenge_routes
    from app.challenges.registration_controllers import ROUTES as registration_routes
    from app.data_sharing.access_controllers import ROUTES as access_routes
    from app.data_sharing.dataset_controllers import ROUTES as dataset_routes
    from app.data_sharing.request_controllers import ROUTES as request_routes
    from app.judging.panel_controllers import ROUTES as panel_routes
    from app.judging.ranking_controllers import ROUTES as ranking_routes
    from app.judging.results_controllers import ROUTES as results_routes
    from app.judging.review_controllers import ROUTES as review_routes
    from app.judging.rubric_controllers import ROUTES as rubric_routes
    from app.notifications.controllers import ROUTES as notification_routes
    from app.organizations.controllers import ROUTES as organization_routes
    from app.platform.api_docs import document_api
    from app.platform.controllers import ROUTES as platform_routes
    from app.teams.file_controllers import ROUTES as file_routes
    from app.teams.submission_controllers import ROUTES as submission_routes
    from app.teams.team_controllers import ROUTES as team_routes
    from app.webhooks.controllers import ROUTES as webhook_routes

    return document_api(
        [
            *platform_routes,
            *account_routes,
            *organization_routes,
            *webhook_routes,
            *notification_routes,
            *admin_routes,
            *challenge_routes,
            *registration_routes,
            *catalogue_routes,
            *team_routes,
            *submission_routes,
            *rubric_routes,
            *panel_routes,
            *review_routes,
            *ranking_routes,
            *results_routes,
            *dataset_routes,
            *request_routes,
            *access_routes,
            *file_routes,
        ]
    )


def create_app(
    settings: Settings | None = None, session_maker: async_sessionmaker[AsyncSession] | None = None
) -> Litestar:
    from app.platform.logs import configure_logging

    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    services = Services(settings, session_maker)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await services.start()
        # What exists once started (modules, routes, templates, the pool) lives as long as the process: moved
        # out of the collector's generations, a full collection no longer walks it, which shortens the pauses
        # that show in the slowest requests.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if settings.bench_floor:
                from app.platform.bench import close_floor

                await close_floor(app)
            await services.stop()

    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="static",
        opt={"public": True},
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=31_536_000, public=True),
    )
    bench_routes: list[Any] = []
    if settings.bench_floor:
        from app.platform import bench

        bench_routes = bench.ROUTES
    app = Litestar(
        route_handlers=[*route_handlers(), *bench_routes, static],
        before_send=[security_headers_hook(settings)],
        plugins=[StrictStructSchemaPlugin()],
        guards=[login_required],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "now": Provide(provide_now, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        allowed_hosts=AllowedHostsConfig(allowed_hosts=settings.hosts),
        openapi_config=OpenAPIConfig(
            title="Tremplin API",
            version="1",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
            # The API's description is public, like the API's existence; the data behind it is not.
            openapi_router=Router(
                path="/schema", route_handlers=[], opt={"public": True}, include_in_schema=False
            ),
        ),
        request_max_body_size=10 * 1024 * 1024,
        debug=False,
        logging_config=None,
    )
    # Outside Litestar's router, so that unmatched routes (404/405) get the same context and error pages.
    app.asgi_handler = request_context_middleware(settings, lambda scope: services.open_session)(
        app.asgi_handler
    )
    if settings.bench_query_count:
        from app.platform.bench import count_queries

        app.asgi_handler = count_queries(app.asgi_handler)
    app.state.services = services
    app.state.settings = settings
    return app
