"""``create_app(settings)``: the FastAPI application factory."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.api import articles, ask, health
from app.api.errors import install_error_handlers
from app.api.limits import BodySizeLimit
from app.config import Settings
from app.samples import index_samples
from app.services import Services, build_services

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = services is None
        app.state.services = services or build_services(settings)
        threading.Thread(target=app.state.services.records.lexical.warm, name="lexical-warm", daemon=True).start()
        if settings.index_samples:
            report = index_samples(app.state.services.ingest)
            log.info("sample articles: %s", report.counts)
        yield
        if owned:
            app.state.services.close()

    app = FastAPI(
        title="Citewire",
        version=__version__,
        description="Answers questions about news articles with cited, verbatim passages, or says it cannot.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (health, ask, articles):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
