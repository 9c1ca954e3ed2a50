"""Security of the web UI: CSRF on every state-changing form, the login lockout, security headers (CSP
compatible with the templates), escaping of hostile report text and patient ids in pages and letters,
SQL-looking filters, and path traversal on the static route.

Why the POST forms are derived from the app's routes: a new form added without a CSRF check must fail
here, not wait for a reviewer to remember it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.api.test_security import app_routes
from tests.reliability import Recorder
from tests.web.conftest import csrf_of

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings
from calcitrack.app.ingest import Item, ingest_items
from calcitrack.models import Report
from calcitrack.registry import tables as t
from calcitrack.registry.db import session_scope

pytestmark = pytest.mark.reliability

Login = Callable[[str], TestClient]
TEMPLATES = Path(__file__).parents[2] / "src" / "calcitrack" / "web" / "templates"
HOSTILE_TEXT = ('Liver: 6 mm calcification <script>alert("x")</script> {{7*7}} {% raw %} ${7*7} '
                '"><img src=x onerror=alert(1)> in segment VII.')
HOSTILE_ID = '"><img src=x onerror=alert(1)>{{7*7}}<b>'  # no '/': it travels in a path


def _concrete(path: str) -> str:
    return path.replace("{follow_up_id}", "1").replace("{patient_id}", "DEMO-001").replace("{condition_id}", "x")


def test_every_ui_post_form_refuses_a_missing_or_foreign_csrf_token(login: Login, engine: Engine,
                                                                    reliability: Recorder) -> None:
    client = login("admin")
    posts = sorted({route.path for route in app_routes(client.app) if route.path.startswith("/ui")  # type: ignore[arg-type]
                    and "POST" in route.methods})
    assert {"/ui/login", "/ui/logout", "/ui/analyse", "/ui/worklist/{follow_up_id}/status",
            "/ui/knowledge/ask"} <= set(posts)
    with session_scope(engine) as session:
        before = [(f.id, f.status) for f in session.scalars(select(t.FollowUp).order_by(t.FollowUp.id))]
    form = {"username": "admin", "key": "ctk_x", "text": "Liver: 5 mm calcification.", "status": "cancelled",
            "reason": "r", "question": "What is a granuloma?"}
    refused = 0
    other = TestClient(client.app)
    foreign = csrf_of(other.get("/ui/login").text)  # a valid token, of another browser's session
    for path in posts:
        for token in (None, "", "forged-token", foreign):
            data = dict(form) if token is None else {**form, "csrf": token}
            response = client.post(_concrete(path), data=data, follow_redirects=False)
            assert response.status_code == 403, (path, token, response.status_code)
            assert "form expired" in response.text.lower() or "formulaire" in response.text.lower(), path
            refused += 1
    with session_scope(engine) as session:
        after = [(f.id, f.status) for f in session.scalars(select(t.FollowUp).order_by(t.FollowUp.id))]
    assert after == before  # nothing changed
    assert client.get("/ui/worklist").status_code == 200  # still logged in: logout was refused too
    reliability.row(area="security", check="CSRF on every state-changing UI form (derived from the routes)",
                    inputs=f"{refused} posts: {len(posts)} forms x (no token, empty, forged, another session's)",
                    result=f"{refused}/{refused} refused 403 with the reason shown; no follow-up changed")


def test_login_form_lockout(engine: Engine, tmp_path: Path, keys: dict[str, str], reliability: Recorder) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", warmup=False, auth_max_failures=3,
                              auth_window_seconds=60, auth_lockout_seconds=120))
    browser = TestClient(app, client=("203.0.113.50", 1))
    for attempt in range(3):
        token = csrf_of(browser.get("/ui/login").text)
        failed = browser.post("/ui/login", data={"username": "admin", "key": f"ctk_{attempt:012x}_x", "csrf": token})
        assert failed.status_code == 401
    token = csrf_of(browser.get("/ui/login").text)
    locked = browser.post("/ui/login", data={"username": "admin", "key": keys["admin"], "csrf": token},
                          follow_redirects=False)
    assert locked.status_code == 429 and 0 < int(locked.headers["retry-after"]) <= 120
    assert "Too many failed log-ins" in locked.text
    assert not browser.get("/ui/worklist", follow_redirects=False).headers["location"].startswith("/ui/worklist")
    # the API shares the lock (same address), another address logs in normally
    assert browser.get("/api/v1/worklist", headers={"X-API-Key": keys["admin"]}).status_code == 429
    elsewhere = TestClient(app, client=("198.51.100.60", 1))
    token = csrf_of(elsewhere.get("/ui/login").text)
    ok = elsewhere.post("/ui/login", data={"username": "admin", "key": keys["admin"], "csrf": token},
                        follow_redirects=False)
    assert ok.status_code == 303
    reliability.row(area="security", check="Brute force: web login lockout (shared with the API)",
                    inputs="3 wrong keys through the login form (limit set to 3/60 s), then the right key; "
                           "another address",
                    result=f"locked: 429 page with Retry-After {locked.headers['retry-after']} s, API locked too "
                           "for that address; the other address logged in")


UI_CSP_DIRECTIVES = ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'")


def test_headers_on_every_ui_page_and_templates_fit_the_csp(login: Login, reliability: Recorder) -> None:
    client = login("admin")
    pages = sorted({_concrete(route.path) for route in app_routes(client.app)  # type: ignore[arg-type]
                    if route.path.startswith("/ui") and "GET" in route.methods})
    pages += ["/ui/worklist?view=overdue", "/ui/knowledge/conditions/calcified_granuloma", "/ui/nope"]
    for path in pages:
        response = client.get(path, follow_redirects=False)
        assert response.status_code < 500, path
        headers = response.headers
        assert headers["cache-control"] == "no-store", path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "same-origin", path
        assert all(d in headers["content-security-policy"] for d in UI_CSP_DIRECTIVES), path
    static = client.get("/ui/static/ui.css")
    assert static.status_code == 200 and static.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in static.headers.get("cache-control", "")  # CSS/JS hold no patient data
    # The CSP forbids inline script, inline style and event-handler attributes: the templates have none.
    offending = []
    for template in TEMPLATES.glob("*.html"):
        source = template.read_text(encoding="utf-8")
        offending += [f"{template.name}: {m.group(0)[:40]}" for m in
                      re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", source)]
    assert not offending, offending
    reliability.row(area="security", check="Security headers on UI pages (CSP without inline code, no-store, "
                    "nosniff, frame, referrer)", inputs=f"{len(pages)} UI pages + static file; "
                    f"{len(list(TEMPLATES.glob('*.html')))} templates scanned",
                    result="every page carries all headers; no inline script/style in any template")


def test_hostile_text_and_ids_are_rendered_escaped(login: Login, engine: Engine, reliability: Recorder) -> None:
    summary = ingest_items(engine, iter([Item(line=1, report=Report(id="XSS-1", patient_id=HOSTILE_ID, lang="en",
                                                                    text=HOSTILE_TEXT))]), actor="test", source="test")
    assert summary.stored == 1, summary.errors
    client = login("admin")
    token = csrf_of(client.get("/ui/analyse").text)
    analysed = client.post("/ui/analyse", data={"csrf": token, "text": HOSTILE_TEXT, "lang": "en"})
    pages = {
        "analyse (report, cards, letters)": analysed,
        "worklist": client.get("/ui/worklist", params={"patient": HOSTILE_ID}),
        "timeline": client.get(f"/ui/patients/{quote(HOSTILE_ID, safe='')}"),
        "patient search": client.get("/ui/patients", params={"id": HOSTILE_ID}),
        "knowledge answer": client.post("/ui/knowledge/ask", data={"csrf": csrf_of(client.get("/ui/knowledge").text),
                                                                   "question": HOSTILE_TEXT}),
    }
    assert analysed.status_code == 200 and "letter" in analysed.text.lower()
    for name, response in pages.items():
        assert response.status_code < 500, name
        body = response.text
        assert '<script>alert' not in body and "<img src=x" not in body and "<b>" not in body, name
        assert ">49<" not in body and " 49 " not in body, name  # {{7*7}} never evaluated
    assert "&lt;script&gt;" in analysed.text and "{{7*7}}" in analysed.text
    for name in ("worklist", "timeline"):
        assert pages[name].status_code == 200 and "&lt;img src=x" in pages[name].text, name  # shown, escaped
    reliability.row(area="security", check="Template injection / XSS in report text and patient ids (UI, letters)",
                    inputs=f"{len(pages)} pages showing a report and a patient id carrying <script>, "
                           "{{7*7}}, ${7*7}, an onerror attribute",
                    result="all rendered escaped; no template expression evaluated; 0 5xx")


def test_sql_looking_filters_leak_nothing(login: Login) -> None:
    client = login("admin")
    baseline = client.get("/ui/worklist.csv", params={"view": "open"}).text.count("\n")
    for value in ("' OR '1'='1", "x'; DROP TABLE follow_ups; --", "%", "_", "\\", "1 UNION SELECT key_hash FROM "
                  "api_keys"):
        for params in ({"patient": value}, {"sort": value}, {"view": value}, {"action": value}):
            response = client.get("/ui/worklist.csv", params=params)
            assert response.status_code < 500, params
            assert "key_hash" not in response.text.replace(value, "")
            if "patient" in params and value not in ("%", "_"):
                assert response.text.count("\n") <= 1, params  # no row matches an injected id
    assert client.get("/ui/worklist.csv", params={"view": "open"}).text.count("\n") == baseline


TRAVERSALS = [
    "/ui/static/../../api/app.py", "/ui/static/../page.py", "/ui/static/%2e%2e/page.py",
    "/ui/static/%2e%2e/%2e%2e/api/app.py", "/ui/static/..%2fpage.py", "/ui/static/..%5cpage.py",
    "/ui/static/ui.css/../../templates/base.html", "/ui/static/....//page.py", "/ui/static//etc/passwd",
    "/ui/static/%252e%252e/page.py", "/ui/static/..;/page.py", "/ui/static/%c0%ae%c0%ae/page.py",
    "/ui/static/\\..\\..\\page.py", "/ui/static/ui.css%00.py", "/ui/static/../templates/base.html",
]


def test_static_route_never_serves_outside_its_directory(client: TestClient, reliability: Recorder) -> None:
    served_outside = []
    for path in TRAVERSALS:
        response = client.get(path, follow_redirects=False)
        assert response.status_code < 500, path
        body = response.text
        if response.status_code == 200 and ("def create_app" in body or "import " in body or "{% block" in body
                                            or "root:" in body):
            served_outside.append(path)
    assert not served_outside, served_outside
    assert client.get("/ui/static/ui.js").status_code == 200
    reliability.row(area="security", check="Path traversal on the static route /ui/static",
                    inputs=f"{len(TRAVERSALS)} traversal paths (../, %2e%2e, %2f, %5c, double encoding, NUL, "
                           "overlong UTF-8)",
                    result="0 files served from outside the static directory; 0 5xx")
