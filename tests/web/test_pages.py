"""Server-side tests of every UI page and role (TestClient; the browser tests are in test_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.web.conftest import csrf_of

from calcitrack.web import security
from calcitrack.web.i18n import LANGS, strings
from calcitrack.web.svg_chart import Series, size_chart

Login = Callable[[str], TestClient]


def test_every_ui_string_has_both_languages() -> None:
    for key, texts in strings().items():
        assert all(texts[lang].strip() for lang in LANGS), key


def test_root_redirects_to_ui_and_anonymous_goes_to_login(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.url.path == "/ui/login"
    assert response.headers["cache-control"] == "no-store"
    assert '<html lang="en">' in response.text


def test_login_rejects_a_key_of_another_user(client: TestClient, keys: dict[str, str]) -> None:
    token = csrf_of(client.get("/ui/login").text)
    response = client.post("/ui/login", data={"username": "clinician", "key": keys["coordinator"], "csrf": token})
    assert response.status_code == 401
    assert security.SESSION_COOKIE in client.cookies  # anonymous session only
    assert client.get("/ui/worklist", follow_redirects=False).status_code == 303


def test_post_without_csrf_token_is_refused(client: TestClient, keys: dict[str, str]) -> None:
    client.get("/ui/login")
    response = client.post("/ui/login", data={"username": "admin", "key": keys["admin"], "csrf": "forged"})
    assert response.status_code == 403


def test_tampered_session_cookie_is_ignored(login: Login) -> None:
    client = login("admin")
    cookie = client.cookies[security.SESSION_COOKIE]
    client.cookies.set(security.SESSION_COOKIE, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/ui/worklist", follow_redirects=False).status_code == 303


def test_analyse_english_example_highlights_urgent_biliary_stones(login: Login) -> None:
    client = login("clinician")
    token = csrf_of(client.get("/ui/analyse").text)
    response = client.post("/ui/analyse", data={"csrf": token, "example": "US-2026-0210"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert re.search(r'<mark class="finding act-urgent"[^>]*title="organ: bile ducts', response.text)
    assert 'data-copy="radiologist-sentence"' in response.text
    assert 'id="letter-en"' in response.text and 'id="letter-fr"' in response.text


def test_negated_finding_is_struck_through(login: Login) -> None:
    client = login("clinician")
    token = csrf_of(client.get("/ui/analyse").text)
    text = "Findings: No hepatic calcification. A 5 mm punctate calcification in the spleen."
    response = client.post("/ui/analyse", data={"csrf": token, "text": text, "lang": "en"})
    assert re.search(r'<mark class="finding act-[a-z_]+ negated"[^>]*><s>', response.text)


def test_answering_known_cancer_reruns_the_assessment(login: Login) -> None:
    client = login("clinician")
    token = csrf_of(client.get("/ui/analyse").text)
    text = "Liver: 12 mm coarse calcification in segment IV."
    first = client.post("/ui/analyse", data={"csrf": token, "text": text, "lang": "en"})
    assert 'name="ctx_known_primary_cancer"' in first.text
    second = client.post("/ui/analyse", data={"csrf": token, "text": text, "lang": "en",
                                              "ctx_known_primary_cancer": "colorectal_mucinous"})
    assert second.status_code == 200
    assert "Known cancer = colorectal (mucinous)" in second.text
    assert 'class="finding act-workup"' in first.text
    assert 'class="finding act-urgent"' in second.text
    assert 'type="hidden" name="ctx_known_primary_cancer" value="colorectal_mucinous"' in second.text


def test_analyse_is_escaped(login: Login) -> None:
    client = login("clinician")
    token = csrf_of(client.get("/ui/analyse").text)
    response = client.post("/ui/analyse", data={"csrf": token, "text": "<script>alert(1)</script> {{ 7*7 }}"})
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text and "{{ 7*7 }}" in response.text


def test_clinician_sees_worklist_without_status_buttons(login: Login) -> None:
    client = login("clinician")
    response = client.get("/ui/worklist")
    assert response.status_code == 200
    assert "/status" not in response.text
    follow_up = re.search(r'id="fu-(\d+)"', response.text)
    assert follow_up
    token = csrf_of(response.text)
    refused = client.post(f"/ui/worklist/{follow_up.group(1)}/status", data={"csrf": token, "status": "notified"})
    assert refused.status_code == 403


def test_coordinator_changes_status_and_csv_exports(login: Login) -> None:
    client = login("coordinator")
    page = client.get("/ui/worklist?view=open&sort=action")
    assert 'id="count-open"' in page.text
    assert "/ui/patients/" not in page.text  # coordinators may not read timelines
    follow_up = re.search(r'action="/ui/worklist/(\d+)/status"', page.text)
    assert follow_up
    fid = follow_up.group(1)
    token = csrf_of(page.text)
    no_reason = client.post(f"/ui/worklist/{fid}/status", data={"csrf": token, "status": "cancelled"})
    assert "reason" in str(no_reason.url)
    done = client.post(f"/ui/worklist/{fid}/status", data={"csrf": token, "status": "scheduled", "reason": "booked"})
    assert done.status_code == 200 and f"changed={fid}" in str(done.url)
    # past due: shown overdue (judged at read time), with the status the coordinator set (issue 17)
    assert re.search(rf'id="fu-{fid}".*?class="status">[^<]*scheduled', done.text, re.S)
    csv_text = client.get("/ui/worklist.csv?view=open").text
    assert csv_text.splitlines()[0].startswith("follow_up_id,patient_id")
    assert len(csv_text.splitlines()) > 1


def test_timeline_needs_timeline_role_and_draws_chart(login: Login) -> None:
    client = login("coordinator")
    assert client.get("/ui/patients/DEMO-001").status_code == 403
    client = login("clinician")
    response = client.get("/ui/patients/DEMO-001")
    assert response.status_code == 200
    assert "<svg" in response.text and "<polyline" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/ui/patients/NOPE-999").status_code == 404


def test_knowledge_pages_and_questions_in_both_languages(client: TestClient) -> None:
    page = client.get("/ui/knowledge?lang=fr")
    assert '<html lang="fr">' in page.text and "Base de connaissances" in page.text
    assert client.cookies.get("ct_lang") == "fr"
    assert client.get("/ui/knowledge/rules").status_code == 200
    assert client.get("/ui/knowledge/sources").status_code == 200
    assert client.get("/ui/knowledge/conditions/does_not_exist").status_code == 404
    token = csrf_of(page.text)
    fr = client.post("/ui/knowledge/ask", data={"csrf": token, "question": "Qu'est-ce qu'un granulome calcifié ?"})
    assert 'data-answered="true"' in fr.text and 'lang="fr"' in fr.text
    en = client.post("/ui/knowledge/ask", data={"csrf": token, "question": "What is a calcified granuloma?",
                                                "answer_lang": "en"})
    assert 'data-answered="true"' in en.text
    off = client.post("/ui/knowledge/ask", data={"csrf": token, "question": "What is the capital of France?"})
    assert 'data-answered="false"' in off.text


def test_size_chart_is_empty_without_points_and_escapes_labels() -> None:
    import datetime as dt

    assert size_chart([], title="t", x_label="x", y_label="y") == ""
    svg = size_chart([Series("<b>", [(dt.date(2025, 1, 1), 6.0), (dt.date(2026, 1, 1), 11.0)])],
                     title="t", x_label="x", y_label="y")
    assert "&lt;b&gt;" in svg and svg.count("<circle") == 2


def test_revoking_the_user_ends_the_ui_session(login: Login, engine: object) -> None:
    from calcitrack.app.auth import revoke_user
    from calcitrack.registry.db import session_scope

    client = login("clinician")
    assert client.get("/ui/worklist").status_code == 200
    with session_scope(engine) as session:  # type: ignore[arg-type]
        revoke_user(session, "clinician", actor="test", source="test")
    response = client.get("/ui/worklist", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


def test_login_redirect_refuses_foreign_targets(client: TestClient, keys: dict[str, str]) -> None:
    token = csrf_of(client.get("/ui/login").text)
    response = client.post("/ui/login", data={"username": "admin", "key": keys["admin"], "csrf": token,
                                              "next": "https://evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/ui/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_upload_and_french_ui(login: Login) -> None:
    client = login("admin")
    token = csrf_of(client.get("/ui/analyse?lang=fr").text)
    report = "Foie : calcification punctiforme de 4 mm du segment VII, sans cône d'ombre.".encode()
    response = client.post("/ui/analyse", data={"csrf": token}, files={"file": ("cr.txt", report, "text/plain")})
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text and "Lettre au patient" in response.text
    assert '<pre class="report" lang="fr">' in response.text
    bad = client.post("/ui/analyse", data={"csrf": token}, files={"file": ("x.bin", b"\xff\xfe\x00", "text/plain")})
    assert bad.status_code == 422
