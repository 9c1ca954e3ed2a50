"""The web UI: server-rendered pages under ``/ui`` for radiologists, coordinators and clinicians.

Why part of the API app: one process, one database engine, one set of users and roles; the pages call
the same service and registry functions as the API and follow the API's permission table.
:func:`install` is the only thing :func:`calcitrack.api.app.create_app` calls.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from calcitrack.web.page import STATIC_DIR, UI_PREFIX


def build_router() -> APIRouter:
    """All UI pages, prefixed ``/ui`` and hidden from the OpenAPI document (they are HTML, not API)."""
    from calcitrack.web import analyze, auth, knowledge, timeline, worklist

    router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)

    @router.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse(f"{UI_PREFIX}/analyse", status_code=303)

    for module in (auth, analyze, worklist, timeline, knowledge):
        router.include_router(module.router)
    return router


def install(app: FastAPI) -> None:
    """Add the UI router, its static files and the ``/`` -> ``/ui/`` redirect to ``app``."""
    app.include_router(build_router())
    app.mount(f"{UI_PREFIX}/static", StaticFiles(directory=str(STATIC_DIR)), name="ui-static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{UI_PREFIX}/", status_code=307)
