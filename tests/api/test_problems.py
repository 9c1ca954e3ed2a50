"""Every error is an RFC 9457 problem document; oversized bodies get 413 however they are sent."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.helpers import assert_problem, auth

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert body["title"] == "Not Found"


def test_wrong_method_is_405_problem(client: TestClient) -> None:
    response = client.get("/api/v1/analyze")
    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]


def test_validation_errors_name_the_field(client: TestClient, keys: dict[str, str]) -> None:
    body = assert_problem(client.post("/api/v1/analyze", json={"lang": "en"}, headers=auth(keys["clinician"])), 422)
    assert body["detail"] == "text: field required"
    assert body["errors"] == [{"field": "text", "message": "field required"}]
    extra = assert_problem(
        client.post("/api/v1/analyze", json={"text": "x", "colour": "red"}, headers=auth(keys["clinician"])), 422
    )
    assert extra["detail"].startswith("colour:")
    nested = assert_problem(
        client.post("/api/v1/analyze", json={"text": "x", "context": {"age": 400}}, headers=auth(keys["clinician"])),
        422,
    )
    assert nested["detail"].startswith("context.age:")
    broken = client.post("/api/v1/analyze", content=b"{not json", headers={**auth(keys["clinician"]),
                                                                           "content-type": "application/json"})
    assert_problem(broken, 422)


def test_validation_error_does_not_echo_the_input(client: TestClient, keys: dict[str, str]) -> None:
    secret_text = "Patient Jane Roe has a 4 mm calcification"
    response = client.post("/api/v1/analyze", json={"text": secret_text, "lang": "de"},
                           headers=auth(keys["clinician"]))
    assert_problem(response, 422)
    assert "Jane Roe" not in response.text


def test_unexpected_error_is_500_problem_without_its_message(engine, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(database_url=db_url, warmup=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("report text of patient PX-SECRET-1")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/boom")
    body = assert_problem(response, 500)
    assert "PX-SECRET-1" not in response.text and body["title"] == "Internal Server Error"


def test_unsupported_media_type_is_a_problem(client: TestClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/analyze", content=b"plain text report", headers={
        **auth(keys["clinician"]), "content-type": "text/plain"})
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def _answered_slugs() -> set[str]:
    """Every problem slug the API can answer: the status defaults, the error-type table, and the slugs the
    source names literally (``slug="..."`` in a route, ``slug or "..."`` in a handler)."""
    import re
    from pathlib import Path

    from calcitrack.api import problems

    package = Path(problems.__file__).resolve().parents[1]
    named = {m for path in package.rglob("*.py")
             for m in re.findall(r'slug(?:=| or )"([a-z0-9-]+)"', path.read_text(encoding="utf-8"))}
    return {*problems._SLUGS.values(), *(p.slug for p in problems.PROBLEM_TYPES.values()), *named}


def test_docs_api_lists_every_problem_type_and_no_other() -> None:
    """docs/api.md once lacked ``cannot-assess`` and listed a ``format-not-supported`` nothing answered."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\s*\| `([a-z0-9-]+)` \| \d{3} \|", doc, flags=re.MULTILINE))
    slugs = _answered_slugs()
    assert {"cannot-assess", "ingest-refused", "body-not-utf8-json"} <= slugs
    assert table == slugs
