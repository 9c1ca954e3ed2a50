"""What every page shares: the Jinja2 environment, the request's session, language and user, and rendering.

Why one :class:`Page` object per request: templates need the same few things everywhere (language,
translator, user, permissions, CSRF token), and the response must carry the same headers everywhere
(``Cache-Control: no-store`` - pages may show patient data - and the session/language cookies).
Permissions come from the one table (:data:`calcitrack.app.auth.PERMISSIONS`) the API also checks, so the
UI can never show more than the API would allow the same role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from calcitrack.app.access import Reader
from calcitrack.app.auth import Principal, may
from calcitrack.app.http import client_address
from calcitrack.registry.db import session_scope
from calcitrack.registry.tables import ApiKey, ApiUser
from calcitrack.web import security
from calcitrack.web.i18n import LANG_COOKIE, LANGS, request_lang, translate
from calcitrack.web.values import Words

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
UI_PREFIX = "/ui"

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _still_valid(request: Request, session: security.WebSession) -> bool:
    """The session's key and user exist and are unrevoked (revocation ends UI sessions at once)."""
    with session_scope(request.app.state.engine) as db:
        row = db.execute(
            select(ApiKey.revoked_at, ApiUser.revoked_at, ApiUser.name, ApiUser.role)
            .join(ApiUser, ApiKey.user_pk == ApiUser.id)
            .where(ApiKey.prefix == session.key_prefix)
        ).first()
    return bool(row and row[0] is None and row[1] is None and row[2] == session.name and row[3] == session.role)


@dataclass
class Page:
    """The request as the templates see it."""

    request: Request
    lang: str
    session: security.WebSession
    set_cookie: bool = False
    flash: list[tuple[str, str]] = field(default_factory=list)

    @property
    def user(self) -> str | None:
        return self.session.name

    @property
    def role(self) -> str | None:
        return self.session.role

    @property
    def principal(self) -> Principal | None:
        if self.session.name is None or self.session.role is None:
            return None
        return Principal(name=self.session.name, role=self.session.role, key_prefix=self.session.key_prefix or "")

    def can(self, permission: str) -> bool:
        return may(self.session.role, permission)

    @property
    def reader(self) -> Reader:
        """The logged-in user as a reader of patient data (audit source ``ui@<address>``)."""
        principal = self.principal
        assert principal is not None, "guard() the page first"
        return Reader(principal=principal, channel="ui", client=client_address(self.request))

    def t(self, key: str) -> str:
        return translate(key, self.lang)

    @property
    def words(self) -> Words:
        """Codes (organ, site, status ...) as words of the page's language (:mod:`calcitrack.web.values`)."""
        return Words(self.lang)

    @property
    def csrf(self) -> str:
        return security.csrf_token(self.session)

    def url(self, path: str, **params: str) -> str:
        query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items() if v not in (None, ""))
        return f"{UI_PREFIX}{path}" + (f"?{query}" if query else "")


def get_page(request: Request) -> Page:
    """FastAPI dependency: the page context, with a fresh anonymous session when none (or a bad one) came."""
    session = security.decode(request.cookies.get(security.SESSION_COOKIE))
    fresh = False
    if session is not None and session.logged_in and not _still_valid(request, session):
        session = None
    if session is None:
        session, fresh = security.new_session(), True
    page = Page(request=request, lang=request_lang(request), session=session, set_cookie=fresh)
    if page.principal is not None:
        request.state.principal = page.principal  # the access log records user and role, as for the API
    return page


def finish(page: Page, response: Response) -> Response:
    """Headers every UI response carries: no caching (patient data), cookies when they changed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if page.set_cookie:
        response.set_cookie(
            security.SESSION_COOKIE, security.encode(page.session), max_age=security.SESSION_SECONDS,
            httponly=True, samesite="lax", path="/", secure=page.request.url.scheme == "https",
        )
    asked = page.request.query_params.get("lang")
    if asked in LANGS:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", path="/")
    return response


def render(page: Page, template: str, status_code: int = 200, **values: Any) -> Response:
    html = _env.get_template(template).render(page=page, t=page.t, w=page.words, lang=page.lang, **values)
    return finish(page, HTMLResponse(html, status_code=status_code))


def redirect(page: Page, path: str) -> Response:
    """303 See Other to a UI path (after a POST, so a reload does not post again)."""
    return finish(page, RedirectResponse(path, status_code=303))


def login_redirect(page: Page) -> Response:
    target = page.request.url.path
    if page.request.url.query:
        target += "?" + page.request.url.query
    return redirect(page, page.url("/login", next=target))


def guard(page: Page, permission: str) -> Response | None:
    """None when the user may ``permission``; else the login page (anonymous) or a 403 page."""
    if not page.session.logged_in:
        return login_redirect(page)
    if not page.can(permission):
        return render(page, "error.html", status_code=403, message=page.t("login.forbidden"))
    return None


def csrf_failure(page: Page) -> Response:
    return render(page, "error.html", status_code=403, message=page.t("error.csrf"))
