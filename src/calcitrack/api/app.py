"""``create_app``: the FastAPI application factory (``uvicorn --factory calcitrack.api.app:create_app``).

Why a factory: tests build apps on temporary databases with explicit :class:`Settings`; ``calcitrack
serve`` has uvicorn build one per worker process from the environment. Nothing happens at import time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from calcitrack import __version__
from calcitrack.api import problems
from calcitrack.api.headers import SecurityHeadersMiddleware
from calcitrack.api.limits import BodySizeLimitMiddleware
from calcitrack.api.logging import AccessLogMiddleware, safe_exception_fields
from calcitrack.api.routes import analyze, ask, follow_ups, health, ingest, kb, patients, worklist
from calcitrack.api.schedule import sweep_forever
from calcitrack.api.settings import Settings
from calcitrack.app.ratelimit import FailedAuthLimiter
from calcitrack.interop import cdshooks
from calcitrack.registry.db import make_engine

log = logging.getLogger("calcitrack.api")

DESCRIPTION = """Calcification findings in imaging reports: analyse, store, track follow-ups.

Patient-data endpoints need an API key (`X-API-Key: ctk_...` or `Authorization: Bearer ctk_...`)
created with `calcitrack keys create NAME`; the knowledge base, Q&A and health endpoints are open.
Every error is an RFC 9457 problem document (`application/problem+json`).
"""


def warm_up() -> None:
    """Load the KB, the NLP pipelines (both languages) and the Q&A index before the first request."""
    from calcitrack.kb import get_kb
    from calcitrack.service import analyze

    get_kb()
    for text, lang in (("Liver: 5 mm calcification.", "en"), ("Foie : calcification de 5 mm.", "fr")):
        analyze(text, lang=lang)
    from calcitrack.explain import answer_question

    answer_question("What is a liver calcification?", "en")


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application bound to ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warmup:
            try:
                warm_up()
            except Exception as exc:  # a broken KB or NLP shows in /ready and in the requests, not here
                log.warning("warm-up failed", extra=safe_exception_fields(exc))
        sweeper: asyncio.Task[None] | None = None
        if settings.sweep_interval_seconds:  # the reminder ladder on a schedule (calcitrack.api.schedule)
            sweeper = asyncio.create_task(sweep_forever(engine, settings.sweep_interval_seconds))
        app.state.sweeper = sweeper
        yield
        if sweeper is not None:
            sweeper.cancel()
            with suppress(asyncio.CancelledError):
                await sweeper
        engine.dispose()

    app = FastAPI(
        title="calcitrack API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.auth_limiter = FailedAuthLimiter(
        settings.auth_max_failures, settings.auth_window_seconds, settings.auth_lockout_seconds
    )
    problems.install(app)
    # Last added = outermost: the access log sees (and ids) every request, 413s included.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLogMiddleware)
    # Outermost: every response gets the security headers, the access log's own last-resort 500 included.
    app.add_middleware(SecurityHeadersMiddleware)

    # Routers carry their full prefix themselves, so the access log's route template is the full path.
    app.include_router(health.router)
    app.include_router(health.versioned_router)
    for module in (analyze, ingest, worklist, patients, follow_ups, kb, ask):
        app.include_router(module.router)
    app.include_router(cdshooks.router)
    from calcitrack.web import install as install_ui  # the web UI (/ui, /ui/static, / -> /ui/)

    install_ui(app)
    return app
