"""``create_app(settings)``: the FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app import __version__
from app.api import articles, ask, health, openai_compat
from app.api.errors import install_error_handlers
from app.api.middleware import install_middleware
from app.config import Settings
from app.mcp.http import MCP_PATH, MCPHttpEndpoint
from app.memory import limit_malloc_arenas
from app.observability.instrument import instrument_services
from app.observability.logs import configure_logging
from app.samples import index_samples
from app.services import Services, build_services
from app.slack.http import mount_slack
from app.store.failures import SchemaTooNew
from app.store.records import check_schema
from app.web import routes as web

log = logging.getLogger(__name__)


def refuse_a_newer_record(settings: Settings) -> None:
    """A data dir whose record a newer Citewire wrote: one ``error:`` line and exit 1 before the server starts, as
    ``citewire serve`` says it (refused in the start-up, it was uvicorn's traceback and "Application startup
    failed"). The PostgreSQL record is checked when it opens."""
    if settings.lexical_url:
        return
    try:
        check_schema(settings.records_path)
    except SchemaTooNew as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    if settings is None:  # built by a server process (uvicorn --factory, a worker of serve --workers N)
        settings = Settings.from_environment()  # a bad setting: one line, not a traceback
        log_like_citewire_serve(settings)
        refuse_a_newer_record(settings)
    limit_malloc_arenas(settings.malloc_arena_max)  # before the services start their threads

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = services is None
        app.state.services = services or build_services(settings)
        app.state.write_turn = anyio.CapacityLimiter(1)  # HTTP ingests and deletes wait here (app/api/deps.py)
        built = app.state.services
        # the warm-up's own search and answer run uninstrumented: they are not a user's question
        search, answer = built.retrieval.search, built.answers.extractive.answer
        instrument_services(built)
        warming = None
        if not settings.warmup:
            built.warmup.skip()
            threading.Thread(target=built.records.lexical.warm, name="lexical-warm", daemon=True).start()
        if settings.index_samples:
            report = index_samples(built.ingest)
            log.info("sample articles: %s", report.counts)
        if settings.warmup:  # after the samples, so it warms the index the first question will read
            warming = built.warmup.start(built, search, answer)
        async with mcp.running():  # the MCP session manager lives inside the app's lifespan
            yield
        if warming is not None:  # no new step starts; the stores close after the running one ends
            built.warmup.stop()
            await asyncio.to_thread(warming.join, 60)
            if warming.is_alive():
                log.warning("warm-up still running after 60 s; closing the stores under it")
        if owned:
            built.close()

    app = FastAPIOffline(  # /docs and /redoc served from assets installed with fastapi-offline: no CDN
        title="Citewire",
        version=__version__,
        description="Answers questions about news articles with cited, verbatim passages, or says it cannot.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (health, ask, articles, openai_compat):
        app.include_router(module.router)
    app.include_router(web.router)
    mcp = MCPHttpEndpoint(lambda: app.state.services, settings.mcp_allowed_hosts)
    app.router.add_route(MCP_PATH, mcp, include_in_schema=False)
    mount_slack(app, settings)  # POST /slack/events, only when the Slack tokens are set
    install_middleware(app, settings)
    return app


def log_like_citewire_serve(settings: Settings) -> None:
    """A process that builds the app from the environment logs as ``citewire serve`` does: its JSON lines (or
    text, CITEWIRE_LOG_FORMAT) with request ids, our access line per request and not uvicorn's as well. Such a
    process had no handler but uvicorn's own: each worker of ``serve --workers N`` (spawned, so the parent's set-up
    is not inherited) logged nothing of its own, and ``uvicorn app.main:create_app --factory`` only uvicorn's
    lines, in its format, without the access lines."""
    configure_logging(settings.log_format, settings.log_level)
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers, uvicorn_access.propagate = [], False  # what uvicorn's own access_log=False does
