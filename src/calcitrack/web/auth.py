"""Log in with a user name and API key; log out.

Why user name + key: API users have keys, not passwords. The key is checked exactly as the API checks
it (:func:`calcitrack.app.auth.authenticate`) and must belong to the named user; the browser then
holds only a signed session (name, role, key prefix), never the key.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from calcitrack.app.auth import authenticate
from calcitrack.app.http import ApiProblem, audit_source, check_lockout, record_failure
from calcitrack.registry import audit
from calcitrack.registry.db import session_scope
from calcitrack.web import security
from calcitrack.web.page import Page, csrf_failure, get_page, redirect, render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only local UI paths: an open redirect after login would be a phishing aid."""
    if target and target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/"


@router.get("/login")
def login_form(page: Annotated[Page, Depends(get_page)], next: str | None = None) -> Response:
    return render(page, "login.html", next=_safe_next(next), failed=False)


@router.post("/login")
def login(
    page: Annotated[Page, Depends(get_page)],
    username: Annotated[str, Form(max_length=100)],
    key: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/ui/",
) -> Response:
    if not security.check_csrf(page.session, csrf):
        return csrf_failure(page)
    # The API's failed-authentication limit, shared: a guesser cannot switch from the API to the form.
    try:
        check_lockout(page.request, key.strip())
    except ApiProblem as locked:
        response = render(page, "login.html", status_code=429, next=_safe_next(next), failed=False,
                          locked=True, retry_after=(locked.extra or {}).get("retry_after"))
        response.headers.update(locked.headers or {})
        return response
    with session_scope(page.request.app.state.engine) as db:
        principal = authenticate(db, key.strip())
    if principal is None or principal.name != username.strip():
        record_failure(page.request, key.strip(), channel="ui")
        return render(page, "login.html", status_code=401, next=_safe_next(next), failed=True)
    with session_scope(page.request.app.state.engine) as db:
        audit.log(db, actor=principal.name, source=audit_source(page.request, "ui"), entity="api_user", entity_pk=0,
                  event_name="ui_login", detail=f"role {principal.role}")
    page.session = security.new_session(principal.name, principal.role, principal.key_prefix)
    page.set_cookie = True
    return redirect(page, _safe_next(next))


@router.post("/logout")
def logout(page: Annotated[Page, Depends(get_page)], csrf: Annotated[str, Form()] = "") -> Response:
    if not security.check_csrf(page.session, csrf):
        return csrf_failure(page)
    page.session = security.new_session()
    page.set_cookie = True
    return redirect(page, "/ui/login")
