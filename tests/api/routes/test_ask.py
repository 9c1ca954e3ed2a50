"""POST /api/v1/ask: answers from the KB via calcitrack.explain, refusals outside the domain."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_ask_answers_and_refuses(client: TestClient) -> None:
    answered = client.post("/api/v1/ask", json={"question": "What is a calcified liver granuloma?", "lang": "en"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered"] is True and answered.json()["sources"]
    refused = client.post("/api/v1/ask", json={"question": "What is the capital of France?"})
    assert refused.status_code == 200 and refused.json()["answered"] is False
    empty = client.post("/api/v1/ask", json={"question": ""})
    assert empty.status_code == 422 and empty.json()["detail"].startswith("question:")
