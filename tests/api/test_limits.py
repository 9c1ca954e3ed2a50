"""The body size limit: 413 problem documents whether the size is declared or only streamed."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient
from tests.api.helpers import assert_problem, auth

from calcitrack.api.app import create_app
from calcitrack.api.settings import Settings


def test_body_over_the_limit_with_content_length_is_413(client: TestClient, keys: dict[str, str]) -> None:
    big = "calcification " * 10_000  # ~140 kB > the 64 kB limit of the test settings
    response = client.post("/api/v1/analyze", json={"text": big}, headers=auth(keys["clinician"]))
    body = assert_problem(response, 413)
    assert "65536" in body["detail"]


def test_streamed_body_over_the_limit_is_413(client: TestClient, keys: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/v1/analyze", content=chunks(),
                           headers={**auth(keys["clinician"]), "content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_ten_megabyte_report_is_refused_with_default_limit(engine, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(database_url=db_url, warmup=False))
    with TestClient(app) as default_client:
        response = default_client.post("/api/v1/ingest", content=b"x" * (10 * 1024 * 1024),
                                       headers={"content-type": "application/json"})
    assert_problem(response, 413)
